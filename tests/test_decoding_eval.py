"""s2s_lab.experiments.decoding_eval on tiny untrained translators (the shipped models need not be trained well for
these to hold): the beam curse table, the temperature sweep, prefix forcing, next-token distributions and the
search-error / model-error call."""

import pytest

from s2s_lab.decoding import beam_search, path_to
from s2s_lab.experiments import decoding_eval as de
from s2s_lab.experiments import translation_eval as te
from tests.test_translation_eval import TINY, TINY_RNN, tiny

GROUPS = [
    ("I am hungry.", ["J'ai faim."]),
    ("Go home.", ["Rentre chez toi.", "Rentrez chez vous."]),
    ("Where is the station?", ["Où est la gare ?"]),
    ("It is raining.", ["Il pleut."]),
]


@pytest.fixture(scope="module", params=["transformer", "rnn"])
def translator(request):
    return tiny(TINY if request.param == "transformer" else TINY_RNN)


def test_beam_curse_rows(translator):
    rows = de.beam_curse(translator, GROUPS, widths=(1, 3), alphas=(0.0, 0.6))
    assert [(r["alpha"], r["k"]) for r in rows] == [(0.0, 1), (0.0, 3), (0.6, 1), (0.6, 3)]
    assert rows[0]["outputs"] == rows[2]["outputs"]  # k = 1 is greedy whatever alpha
    beam3 = translator.translate([e for e, _ in GROUPS], beam=3, alpha=0.6)
    assert rows[3]["outputs"] == beam3
    for r in rows:
        assert r["bleu"].name == "BLEU" and 0 <= r["bleu"].score <= 100
        assert r["words"] == pytest.approx(sum(len(o.split()) for o in r["outputs"]) / len(GROUPS))
        assert r["empty"] == sum(o == "" for o in r["outputs"]) / len(GROUPS)
        assert r["ref_words"] == pytest.approx((2 + 3 + 5 + 2) / 4)  # "?" is a word of its own


def test_temperature_sweep_rows_and_seeds(translator):
    rows = de.temperature_sweep(translator, GROUPS, temperatures=(0.5, 2.0), n_samples=3, seed=4)
    assert [r["temperature"] for r in rows] == [0.5, 2.0]
    for r in rows:
        assert len(r["samples"]) == 3 and all(len(s) == len(GROUPS) for s in r["samples"])
        assert 0 <= r["distinct_1"] <= 1 and 0 <= r["distinct_2"] <= 1
    again = de.temperature_sweep(translator, GROUPS, temperatures=(2.0,), n_samples=3, seed=4)
    assert again[0]["samples"] == rows[1]["samples"]  # seeded: the same draws
    one = translator.translate([e for e, _ in GROUPS], sample=True, temperature=2.0, seed=5)
    assert rows[1]["samples"][1] == one  # draw i uses seed + i


def test_continue_prefix_starts_with_the_prefix_and_counts_it(translator):
    ids, result = de.continue_prefix(translator, "I am hungry.", "Je suis", k=3)
    assert ids == translator.tgt_tokenizer.encode("Je suis") and ids
    for h in result.hypotheses:
        assert h.tokens[: len(ids)] == ids
        if h.finished:
            _, lp = te.token_log_probs(translator, "I am hungry.", h.tokens)
            assert float(lp.sum()) == pytest.approx(h.log_prob, abs=1e-4)
    _, plain = te.beam_hypotheses(translator, "I am hungry.", k=3)
    assert de.continue_prefix(translator, "I am hungry.", "  ", k=3)[1].best.tokens == plain.best.tokens


def test_a_prefix_longer_than_a_transformer_writes_is_explained():
    with pytest.raises(ValueError, match="shorten the prefix"):
        de.continue_prefix(tiny(TINY), "Go.", " ".join(["chat"] * 60))
    ids, result = de.continue_prefix(tiny(TINY_RNN), "Go.", " ".join(["chat"] * 60), k=2)  # an RNN has no limit
    assert len(ids) >= 60 and result.best.tokens[: len(ids)] == ids


def test_next_token_log_probs_are_the_searchs_own(translator):
    _, result = te.beam_hypotheses(translator, "Where is the station?", k=2)
    h = result.best
    for t in range(min(4, len(h.tokens))):
        lp = de.next_token_log_probs(translator, "Where is the station?", h.tokens[:t])
        assert lp.shape == (len(translator.tgt_tokenizer),)
        assert float(lp.exp().sum()) == pytest.approx(1.0, abs=1e-4)
        assert float(lp[h.tokens[t]]) == pytest.approx(float(h.token_log_probs[t]), abs=1e-4)


def test_path_to_spells_the_hypothesis():
    translator = tiny(TINY)
    _, src, mask = te.source_pieces(translator, "I am hungry.")
    (r,) = beam_search(translator.model, src, mask, k=3, max_len=12)
    for h in r.hypotheses:
        assert path_to(r.tree, h.node) == h.tokens
    assert path_to(r.tree, 0) == []
    with pytest.raises(ValueError, match="node id"):
        path_to(r.tree, len(r.tree))


def test_search_or_model_error(translator):
    _, result = te.beam_hypotheses(translator, "It is raining.", k=3)
    beam_text = translator.tgt_tokenizer.decode(result.best.tokens)
    if result.best.finished and beam_text:
        same = de.search_or_model_error(translator, "It is raining.", beam_text, k=3)
        assert same["verdict"] == "same"
    out = de.search_or_model_error(translator, "It is raining.", "Il pleut.", k=3)
    assert out["beam"]["score"] == pytest.approx(result.best.score)
    _, lp = te.token_log_probs(translator, "It is raining.", "Il pleut.")
    assert out["yours"]["log_prob"] == pytest.approx(float(lp.sum()), abs=1e-5)
    assert out["yours"]["score"] == pytest.approx(float(lp.sum()) / ((5 + len(lp)) / 6) ** 0.6, abs=1e-5)
    expected = "search error" if out["yours"]["score"] > out["beam"]["score"] else "model error"
    assert out["verdict"] in ("same", expected)
    with pytest.raises(ValueError, match="empty"):
        de.search_or_model_error(translator, "It is raining.", " ")


def test_greedy_misses_are_real_misses(translator):
    sentences = [e for e, _ in GROUPS] + ["The cat sleeps on the red sofa.", "We will see."]
    rows = de.greedy_misses(translator, sentences, k=4)
    for r in rows:
        assert r["beam_log_prob"] > r["greedy_log_prob"] and r["first"][0] != r["first"][1]
        assert r["greedy"] == translator.translate([r["english"]], beam=1)[0]
    gaps = [r["beam_log_prob"] - r["greedy_log_prob"] for r in rows]
    assert gaps == sorted(gaps, reverse=True)


def test_bad_groups_are_explained(translator):
    with pytest.raises(ValueError, match="non-empty list"):
        de.beam_curse(translator, [])
    with pytest.raises(ValueError, match="list of French references"):
        de.beam_curse(translator, [("Go.", "Va !")])
    with pytest.raises(ValueError, match="n_samples"):
        de.temperature_sweep(translator, GROUPS, n_samples=0)


def test_no_next_piece_past_a_transformers_last_position():
    translator = tiny(TINY)
    with pytest.raises(ValueError, match="writes at most 40"):
        de.next_token_log_probs(translator, "Go.", [5] * 40)
    assert de.next_token_log_probs(translator, "Go.", [5] * 39).shape == (len(translator.tgt_tokenizer),)


def test_empty_trap_lists_the_sentences_where_nothing_is_more_probable(translator):
    sentences = [e for e, _ in GROUPS]
    rows = de.empty_trap(translator, sentences, k=2)
    listed = {r["english"] for r in rows}
    for english in sentences:
        _, result = te.beam_hypotheses(translator, english, k=2, alpha=0.0)
        _, empty = te.token_log_probs(translator, english, [])
        assert (english in listed) == (float(empty.sum()) > result.best.log_prob)
    for r in rows:
        assert r["empty_log_prob"] > r["beam_log_prob"]
