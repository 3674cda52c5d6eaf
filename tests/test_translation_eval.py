"""The analysis functions of notebook 07 (s2s_lab.experiments.translation_eval), on tiny untrained models:
what they compute must agree with the decoders and the trainer, trained or not."""

import math

import pytest
import torch

from s2s_lab.bleu import corpus_bleu
from s2s_lab.experiments import translation_eval as te
from s2s_lab.experiments.translation import Translator, build_model
from s2s_lab.subwords import SubwordTokenizer
from s2s_lab.training import masked_cross_entropy
from tests._tiny_translation import TINY, TINY_RNN

PAIRS = [("I am hungry.", "J'ai faim."), ("Where is the station?", "Où est la gare ?"), ("Go.", "Va !")]


def tiny(recipe, seed=0) -> Translator:
    torch.manual_seed(seed)
    src, tgt = SubwordTokenizer.shipped("en"), SubwordTokenizer.shipped("fr")
    return Translator(build_model(recipe, len(src), len(tgt)).eval(), src, tgt)


@pytest.fixture(scope="module", params=["transformer", "rnn"])
def translator(request):
    return tiny(TINY if request.param == "transformer" else TINY_RNN)


def test_token_log_probs_sum_to_the_beam_log_prob(translator):
    _, result = te.beam_hypotheses(translator, "I am hungry.", k=3)
    for h in result.hypotheses[:3]:
        pieces, lp = te.token_log_probs(translator, "I am hungry.", h.tokens)
        assert len(pieces) == len(lp) == len(h.tokens) + (not h.finished)
        if h.finished:
            assert pieces[-1] == "<eos>"
            assert float(lp.sum()) == pytest.approx(h.log_prob, abs=1e-4)
            assert torch.allclose(lp, h.token_log_probs, atol=1e-4)


def test_token_log_probs_of_a_given_pair_match_the_training_loss(translator):
    batch = te.encode_pairs(translator, PAIRS[:1])
    with torch.no_grad():
        logits = translator.model(batch.src, batch.src_mask, batch.tgt_in)
    loss = float(masked_cross_entropy(logits, batch.tgt_out, batch.tgt_mask))
    _, lp = te.token_log_probs(translator, *PAIRS[0])
    assert -float(lp.mean()) == pytest.approx(loss, rel=1e-5)


def test_perplexity_is_the_exponential_of_the_token_weighted_loss(translator):
    nll = tokens = 0.0
    for pair in PAIRS:
        _, lp = te.token_log_probs(translator, *pair)
        nll, tokens = nll - float(lp.sum()), tokens + len(lp)
    assert te.perplexity(translator, PAIRS, batch_size=2) == pytest.approx(math.exp(nll / tokens), rel=1e-5)


def test_cross_attention_rows_are_distributions_and_match_the_beam(translator):
    pieces, result = te.beam_hypotheses(translator, "Where is the station?", k=2)
    maps = te.cross_attention(translator, "Where is the station?", result.best.tokens)
    T, S = len(result.best.tokens), len(pieces)
    assert maps.shape[2:] == (T, S)
    assert torch.allclose(maps.sum(-1), torch.ones(maps.shape[:-1]), atol=1e-5)
    # the beam records the last layer's weights averaged over the heads (RNN: its only map)
    assert torch.allclose(maps[-1].mean(0), result.best.attention, atol=1e-5)


def test_rnn_gives_one_map_and_transformer_one_per_layer_and_head():
    t = tiny(TINY)
    assert te.cross_attention(t, "Go.", [5, 6, 2]).shape == (1, 2, 3, 2)  # 1 layer, 2 heads, T 3, S "▁Go" "."
    r = tiny(TINY_RNN)
    assert te.cross_attention(r, "Go.", [5, 6, 2]).shape[:2] == (1, 1)


def test_bleu_by_length_buckets_cover_every_sentence_once():
    sources = ["Go.", "I am very hungry today.", "a b c d e f g h i j k l m"]
    hyps, refs = ["Va !", "J'ai faim.", "x"], ["Va !", "J'ai très faim aujourd'hui.", "y"]
    rows = te.bleu_by_length(hyps, refs, sources)
    assert sum(r["sentences"] for r in rows) == 3
    assert [r["words"] for r in rows] == ["1-5", "6-8", "9-11", "12-30"]
    assert rows[1]["bleu"] is None and rows[0]["bleu"].score == corpus_bleu(hyps[:2], refs[:2]).score
    (one,) = te.bleu_by_length(hyps, refs, sources, edges=(1, 100))
    assert one["bleu"].score == corpus_bleu(hyps, refs).score
    with pytest.raises(ValueError, match="as many hypotheses"):
        te.bleu_by_length(hyps, refs[:2], sources)


def test_stored_translations_round_trip(tmp_path):
    rows = [
        dict(model="m", decoding="beam5", english="Go.", french="Va !"),
        dict(model="m", decoding="greedy", english='He said "hi"\tthen', french="Il a dit « salut »"),
    ]
    te.write_translations(tmp_path / "t.tsv.gz", rows)
    back = te.load_translations(tmp_path / "t.tsv.gz")
    assert back == {("m", "beam5"): {"Go.": "Va !"}, ("m", "greedy"): {'He said "hi"\tthen': "Il a dit « salut »"}}
    with pytest.raises(FileNotFoundError, match="bench/eval_translation.py"):
        te.load_translations(tmp_path / "missing.tsv.gz")


def test_test_scores_single_and_multi_reference():
    from s2s_lab.translation_data import load_pairs, load_references

    perfect = {en: refs[0] for en, refs in load_references("test")}
    scores = te.test_scores(perfect)
    assert scores["multi"]["BLEU"].score == pytest.approx(100.0)
    # one reference per pair: the pairs whose own reference is another translation are not perfect
    assert scores["single"]["BLEU"].score < 100.0
    assert len(load_pairs("test")) > len(perfect)
    with pytest.raises(ValueError, match="have no output"):
        te.test_scores(dict(list(perfect.items())[:10]))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda t: te.encode_pairs(t, []), "non-empty list"),
        (lambda t: te.encode_pairs(t, "I am hungry."), "non-empty list"),
        (lambda t: te.encode_pairs(t, [("I am hungry.",)]), "pairs of texts"),
        (lambda t: te.encode_pairs(t, [("  ", "Va !")]), "empty side"),
        (lambda t: te.source_pieces(t, "   "), "empty"),
        (lambda t: te.source_pieces(t, 42), "as text"),
        (lambda t: te.perplexity(t, PAIRS, batch_size=0), "batch_size"),
        (lambda t: te.encode_pairs("not a translator", PAIRS), "Translator"),
    ],
)
def test_bad_input_gets_a_sentence(call, message):
    with pytest.raises(ValueError, match=message):
        call(tiny(TINY))


def test_live_training_setup_is_small_and_seeded():
    model, batches, live = te.live_training_setup(updates=3)
    assert len(batches) == 3 and all(b.src.shape[0] <= 64 for b in batches)
    assert live.model is model
    again = te.live_training_setup(updates=3)
    assert all(torch.equal(a.src, b.src) for a, b in zip(batches, again[1]))
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), again[0].parameters()))
    assert all(len(en.split()) <= 6 for en, _ in te.short_pairs("valid"))
