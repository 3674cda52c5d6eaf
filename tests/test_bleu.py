"""BLEU and chrF are sacreBLEU's, called the right way: reference streams, not the references themselves."""

import pytest
import sacrebleu

from s2s_lab.bleu import corpus_bleu, corpus_chrf, reference_streams, score_translations
from s2s_lab.translation_data import load_references

HYPS = ["Il fait beau aujourd'hui.", "Je n'ai pas faim.", "Où est la gare ?", "Tom est parti hier soir."]
REFS = ["Il fait beau aujourd'hui.", "Je n'ai pas très faim.", "Où se trouve la gare ?", "Tom est parti hier."]


def test_single_reference_bleu_is_sacrebleus_with_one_stream():
    ours = corpus_bleu(HYPS, REFS)
    right = sacrebleu.corpus_bleu(HYPS, [REFS])
    wrong = sacrebleu.corpus_bleu(HYPS, REFS)  # the classic mistake: no error, a meaningless number
    assert ours.score == right.score
    assert 0 < ours.score < 100 and abs(ours.score - wrong.score) > 10
    assert ours.signature == "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0"
    assert ours.detail == str(right) and ours.signature in str(ours)


def test_chrf_is_sacrebleus():
    ours = corpus_chrf(HYPS, REFS)
    assert ours.score == sacrebleu.corpus_chrf(HYPS, [REFS]).score
    assert ours.signature == "nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0"
    assert set(score_translations(HYPS, REFS)) == {"BLEU", "chrF2"}


def test_several_references_per_sentence():
    multi = [[r, h] if k % 2 else [r] for k, (r, h) in enumerate(zip(REFS, HYPS))]  # 1 or 2 references
    streams = reference_streams(multi, len(HYPS))
    assert streams == [REFS, [None, HYPS[1], None, HYPS[3]]]
    ours = corpus_bleu(HYPS, multi)
    assert ours.score == sacrebleu.corpus_bleu(HYPS, streams).score
    assert ours.score > corpus_bleu(HYPS, REFS).score  # more references, more matches
    assert "nrefs:var" in ours.signature
    same = corpus_bleu(HYPS, [[r, r] for r in REFS])  # the same reference twice changes nothing
    assert same.score == pytest.approx(corpus_bleu(HYPS, REFS).score) and "nrefs:2" in same.signature


def test_perfect_and_empty_output():
    assert corpus_bleu(REFS, REFS).score == pytest.approx(100)
    assert corpus_bleu([""] * len(REFS), REFS).score == 0


def test_multi_reference_test_set_scores_its_own_references():
    refs = load_references("test")
    first = [fr[0] for _, fr in refs]
    assert corpus_bleu(first, [fr for _, fr in refs]).score == pytest.approx(100)
    assert "nrefs:var" in corpus_bleu(first, [fr for _, fr in refs]).signature


@pytest.mark.parametrize(
    "hyps, refs, message",
    [
        ("Il fait beau.", ["Il fait beau."], "expected a list of translations, got one str"),
        ([], [], "expected a non-empty list of translations"),
        (["a", 3], ["a", "b"], "expected every translation as a str, got int at index 1"),
        (["▁Il ▁fait"], ["Il fait"], "contains SentencePiece's '▁'"),
        (HYPS, REFS[:3], "expected one reference entry per translation \\(4\\), got 3"),
        (HYPS, "Il fait beau.", "expected the references as a list"),
        (HYPS, [REFS[0], [REFS[1]], REFS[2], REFS[3]], "not a mix: index 0 is a str, index 1 a list"),
        (HYPS, [[r] for r in REFS[:3]] + [[3]], "got \\[3\\] at index 3"),
        (HYPS, [[r] for r in REFS[:3]] + [[]], "a non-empty list of str per translation, got \\[\\] at index 3"),
    ],
)
def test_bad_input_is_named(hyps, refs, message):
    with pytest.raises(ValueError, match=message):
        corpus_bleu(hyps, refs)
