"""s2s_lab.decoding: greedy, beam search and sampling for both model kinds, checked against the models'
own greedy decoding, against trying every sequence, and against themselves (batched = one by one)."""

import itertools
import math

import pytest
import torch

from s2s_lab import EOS, PAD, UNK, Seq2Seq, Seq2SeqTransformer, decoding
from s2s_lab.decoding import (
    beam_search,
    beam_step,
    greedy,
    length_penalty,
    make_stepper,
    sample,
    sampling_distribution,
    search_is_over,
)

ATOL = 1e-5


def approx(x):
    """Equal up to float32 rounding: sums of per-token log-probs computed in different orders and shapes."""
    return pytest.approx(x, rel=1e-5, abs=ATOL)


KINDS = ["gru_additive", "lstm_plain", "gru_bidirectional_dot", "transformer", "transformer_prenorm"]


def _model(kind, tgt_vocab=7, seed=0):
    """A small model with random weights (scaled up, so that its distributions are far from uniform)."""
    torch.manual_seed(seed)
    if kind.startswith("transformer"):
        model = Seq2SeqTransformer(
            9, tgt_vocab, d_model=16, nhead=2, num_encoder_layers=1, num_decoder_layers=2, dim_feedforward=24,
            max_len=16, norm_first=kind.endswith("prenorm"),
        )  # fmt: skip
    else:
        cell = "lstm" if kind.startswith("lstm") else "gru"
        attention = {"gru_additive": "additive", "gru_bidirectional_dot": "dot"}.get(kind)
        model = Seq2Seq(9, tgt_vocab, 8, 12, cell, bidirectional="bidirectional" in kind, attention=attention)
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(2.0)
    return model.eval()


def _output_bias(model):
    """The bias of the model's output layer: adding to entry w makes token w more probable at every step."""
    return model.generator.bias if isinstance(model, Seq2SeqTransformer) else model.decoder.out.bias


def _without_special(model):
    """The model with <pad> and <unk> so improbable that its own greedy_decode never writes them either."""
    with torch.no_grad():
        _output_bias(model)[[PAD, UNK]] -= 100.0
    return model


def _source(B=4, S=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    src = torch.randint(4, 9, (B, S), generator=g)
    lengths = torch.tensor([S, 3, S - 1, 1][:B])
    mask = torch.arange(S) < lengths[:, None]  # (B, S), True = real token
    return src.masked_fill(~mask, 0), mask


def _log_prob(model, src, mask, tokens):
    """log P(y | x) by teacher forcing: the sum of the model's log p(y_t | y_<t, x)."""
    with torch.no_grad():
        tgt_in = torch.tensor([[1] + tokens[:-1]])
        logp = model(src, mask, tgt_in).log_softmax(-1)[0]  # (T, V)
    return float(logp[torch.arange(len(tokens)), torch.tensor(tokens)].sum())


# ---------------------------------------------------------------------------------------------
# Greedy
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_greedy_equals_the_models_own_greedy_decode(kind):
    model = _without_special(_model(kind))
    src, mask = _source()
    tokens, _ = model.greedy_decode(src, mask, 12)
    for b, h in enumerate(greedy(model, src, mask, 12)):
        assert h.tokens == tokens[b, : len(h)].tolist()
        assert h.finished == (h.tokens[-1] == EOS) and h.tokens.count(EOS) <= 1
        assert h.log_prob == approx(_log_prob(model, src[b : b + 1], mask[b : b + 1], h.tokens))
        assert h.score == h.log_prob
        if h.attention is not None:
            assert h.attention.shape == (len(h), int(mask[b].sum()))
            torch.testing.assert_close(h.attention.sum(-1), torch.ones(len(h)), atol=ATOL, rtol=0)


def test_decoding_restores_the_models_mode_and_takes_no_gradients():
    model = _model("transformer").train()
    src, mask = _source()
    h = greedy(model, src, mask, 5)[0]
    r = beam_search(model, src, mask, k=2, max_len=5)[0]
    assert model.training and not h.token_log_probs.requires_grad and not r.best.token_log_probs.requires_grad


# ---------------------------------------------------------------------------------------------
# Beam search
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_beam_of_width_one_is_greedy(kind):
    model = _model(kind)
    src, mask = _source()
    hyps = greedy(model, src, mask, 10)
    for h, r in zip(hyps, beam_search(model, src, mask, k=1, max_len=10, alpha=0.0)):
        assert r.best.tokens == h.tokens and r.best.finished == h.finished
        assert r.best.log_prob == approx(h.log_prob)
        torch.testing.assert_close(r.best.token_log_probs, h.token_log_probs, atol=ATOL, rtol=0)
        if h.attention is not None:
            torch.testing.assert_close(r.best.attention, h.attention, atol=ATOL, rtol=0)
    # with length normalisation the search may go on after greedy's <eos>, but greedy's output is set aside
    for h, r in zip(hyps, beam_search(model, src, mask, k=1, max_len=10, alpha=1.0)):
        assert h.tokens in [g.tokens for g in r.hypotheses]


def _every_sequence(V, max_len):
    """Every output a decoder may write (no <pad>, no <unk>): ending in <eos> within max_len tokens, or cut at
    max_len without one."""
    words = [w for w in range(V) if w not in (EOS, PAD, UNK)]
    for n in range(1, max_len + 1):
        yield from (list(body) + [EOS] for body in itertools.product(words, repeat=n - 1))
    yield from (list(body) for body in itertools.product(words, repeat=max_len))


@pytest.mark.parametrize("kind", ["gru_additive", "lstm_plain", "transformer"])
@pytest.mark.parametrize("alpha, penalty", [(0.0, "wu"), (0.6, "wu"), (1.0, "power")])
def test_a_wide_beam_finds_what_trying_every_sequence_finds(kind, alpha, penalty):
    V, max_len = 6, 4
    model = _model(kind, tgt_vocab=V)
    src, mask = _source(B=1)
    exhaustive = {}
    for y in _every_sequence(V, max_len):
        log_prob = _log_prob(model, src, mask, y)
        exhaustive[tuple(y)] = log_prob / length_penalty(len(y), alpha, penalty)
    (result,) = beam_search(model, src, mask, k=V**max_len, max_len=max_len, alpha=alpha, penalty=penalty)
    found = {tuple(h.tokens): h.score for h in result.hypotheses}
    assert found.keys() == exhaustive.keys()  # nothing pruned: every sequence, each once
    for y, score in exhaustive.items():
        assert found[y] == approx(score)
    assert result.best.score == approx(max(exhaustive.values()))
    assert all(h.finished == (h.tokens[-1] == EOS) for h in result.hypotheses)


@pytest.mark.parametrize("kind", ["gru_additive", "transformer"])
def test_hypotheses_are_sorted_by_score_and_scored_by_the_formula(kind):
    model = _model(kind)
    src, mask = _source()
    for b, r in enumerate(beam_search(model, src, mask, k=4, max_len=8, alpha=0.7)):
        scores = [h.score for h in r.hypotheses]
        assert scores == sorted(scores, reverse=True) and r.best is r.hypotheses[0]
        assert r.hypotheses and all(h.finished or len(h) == 8 for h in r.hypotheses)  # finished, or cut at max_len
        for h in r.hypotheses:
            assert h.score == approx(h.log_prob / ((5 + len(h)) / 6) ** 0.7)
            assert h.log_prob == approx(float(h.token_log_probs.sum()))
            assert h.log_prob == approx(_log_prob(model, src[b : b + 1], mask[b : b + 1], h.tokens))


@pytest.mark.parametrize("kind", ["lstm_plain", "transformer"])
def test_the_search_tree_is_consistent(kind):
    V, k = 6, 3
    model = _model(kind, tgt_vocab=V)
    src, mask = _source(B=2)
    results = beam_search(model, src, mask, k=k, max_len=6, alpha=0.5, tree_pruned=None)
    for b, r in enumerate(results):
        tree = r.tree
        assert [n.id for n in tree] == list(range(len(tree)))
        assert tree[0].parent == -1 and tree[0].status == "root" and tree[0].step == 0
        children = {}
        for n in tree[1:]:
            parent = tree[n.parent]
            assert n.parent < n.id and n.step == parent.step + 1 and parent.status in ("root", "open")
            assert n.status in ("open", "finished", "pruned", "cut")
            assert (n.status == "finished") == (n.token == EOS and n.status != "pruned")
            children.setdefault(n.parent, []).append(n)
        # every expanded hypothesis has a child for every token but <pad> and <unk> (tree_pruned=None records
        # every candidate)
        for kids in children.values():
            assert sorted(n.token for n in kids) == [w for w in range(V) if w not in (PAD, UNK)]
        last = max(n.step for n in tree)
        assert all(n.id in children for n in tree if n.status == "open" and n.step < last)  # open: expanded
        steps = {n.step for n in tree}
        for t in steps - {0}:
            assert sum(n.status in ("open", "cut") for n in tree if n.step == t) <= k
        for h in r.hypotheses:  # the path from a hypothesis' node to the root spells its tokens
            path, node = [], tree[h.node]
            assert node.log_prob == approx(h.log_prob)
            assert node.status == ("finished" if h.finished else "cut")
            while node.parent != -1:
                path.append(node.token)
                node = tree[node.parent]
            assert path[::-1] == h.tokens
        # a node's log-prob is its parent's plus the model's log p of its token
        some = [n for n in tree[1:] if n.status != "pruned"][:12] + [n for n in tree if n.status == "pruned"][:12]
        for n in some:
            path, node = [], n
            while node.parent != -1:
                path.append(node.token)
                node = tree[node.parent]
            assert n.log_prob == approx(_log_prob(model, src[b : b + 1], mask[b : b + 1], path[::-1]))
        finished = sorted(h.node for h in r.hypotheses if h.finished)
        assert finished == [n.id for n in tree if n.status == "finished"]
    limited = beam_search(model, src, mask, k=k, max_len=6, alpha=0.5, tree_pruned=2)
    for r in limited:
        for t in {n.step for n in r.tree}:
            assert sum(n.status == "pruned" for n in r.tree if n.step == t) <= 2


@pytest.mark.parametrize("kind", KINDS)
def test_batched_beam_search_equals_one_sentence_at_a_time(kind):
    model = _model(kind)
    src, mask = _source()
    batched = beam_search(model, src, mask, k=3, max_len=10, alpha=0.6)
    for b, r in enumerate(batched):
        n = int(mask[b].sum())
        (alone,) = beam_search(model, src[b : b + 1, :n], mask[b : b + 1, :n], k=3, max_len=10, alpha=0.6)
        assert [h.tokens for h in r.hypotheses] == [h.tokens for h in alone.hypotheses]
        assert [h.finished for h in r.hypotheses] == [h.finished for h in alone.hypotheses]
        for h, a in zip(r.hypotheses, alone.hypotheses):
            assert h.score == approx(a.score)
            if h.attention is not None:
                torch.testing.assert_close(h.attention, a.attention, atol=ATOL, rtol=0)
        assert [(x.parent, x.step, x.token, x.status) for x in r.tree] == [
            (x.parent, x.step, x.token, x.status) for x in alone.tree
        ]


@pytest.mark.parametrize("kind", ["gru_additive", "lstm_plain", "transformer"])
def test_sentences_that_are_done_leave_the_batch_and_change_nothing(kind, monkeypatch):
    """A sentence whose search is over stops costing model time (its rows are dropped from the stepper's
    state), and every sentence gets what it gets when searched alone."""
    model = _model(kind, tgt_vocab=9)
    with torch.no_grad():
        _output_bias(model)[EOS] += 2.5  # so that searches end, after different numbers of steps
    g = torch.Generator().manual_seed(1)
    lengths = torch.tensor([6, 1, 3, 5, 2, 6, 4, 1])
    mask = torch.arange(6) < lengths[:, None]  # (8, 6)
    src = torch.randint(4, 9, (8, 6), generator=g).masked_fill(~mask, 0)
    rows = []  # how many rows the model computes at each step

    def counting(model):
        stepper = make_stepper(model)
        step = stepper.step
        stepper.step = lambda state, y: (rows.append(y.shape[0]), step(state, y))[1]
        return stepper

    monkeypatch.setattr(decoding, "make_stepper", counting)
    k = 3
    batched = beam_search(model, src, mask, k=k, max_len=20, alpha=0.6)
    assert rows[0] == 8 and rows[1] == 8 * k  # step 1: one open hypothesis (<bos>) per sentence
    assert rows[1:] == sorted(rows[1:], reverse=True) and rows[-1] < 8 * k  # sentences left the batch
    searched = [max(n.step for n in r.tree) for r in batched]  # steps each sentence's search ran
    assert len(set(searched)) > 1 and len(rows) == max(searched)
    for b, r in enumerate(batched):
        n = int(mask[b].sum())
        (alone,) = beam_search(model, src[b : b + 1, :n], mask[b : b + 1, :n], k=k, max_len=20, alpha=0.6)
        assert [h.tokens for h in r.hypotheses] == [h.tokens for h in alone.hypotheses]
        assert [h.score for h in r.hypotheses] == approx([h.score for h in alone.hypotheses])
        assert [(x.parent, x.token, x.status) for x in r.tree] == [(x.parent, x.token, x.status) for x in alone.tree]


@pytest.mark.parametrize("kind", ["gru_additive", "transformer"])
def test_beam_search_without_the_tree_finds_the_same(kind):
    model = _model(kind)
    src, mask = _source()
    with_tree = beam_search(model, src, mask, k=3, max_len=10, alpha=0.6)
    without = beam_search(model, src, mask, k=3, max_len=10, alpha=0.6, tree=False)
    for r, w in zip(with_tree, without):
        assert w.tree == [] and all(h.node is None for h in w.hypotheses)
        assert [(h.tokens, h.finished) for h in w.hypotheses] == [(h.tokens, h.finished) for h in r.hypotheses]
        for h, g in zip(r.hypotheses, w.hypotheses):
            assert (g.log_prob, g.score) == (h.log_prob, h.score)
            torch.testing.assert_close(g.token_log_probs, h.token_log_probs, atol=0, rtol=0)
            if h.attention is not None:
                torch.testing.assert_close(g.attention, h.attention, atol=0, rtol=0)


@pytest.mark.parametrize("kind", ["gru_additive", "transformer"])
def test_no_decoder_writes_pad_or_unk(kind):
    """Even a model that prefers <pad> and <unk> to everything gets neither from greedy, beam search or
    sampling, and each output's log P(y | x) is still the model's own (not renormalised)."""
    model = _model(kind)
    with torch.no_grad():
        _output_bias(model)[[PAD, UNK]] += 10.0
    src, mask = _source()
    assert set(model.greedy_decode(src, mask, 8)[0].unique().tolist()) >= {PAD, UNK}  # the model's own writes them
    seeded = torch.Generator().manual_seed(0)
    left_to_right = greedy(model, src, mask, 8) + sample(model, src, mask, 8, generator=seeded)
    beams = beam_search(model, src, mask, k=3, max_len=8, tree_pruned=None)
    outputs = [(i % 4, h) for i, h in enumerate(left_to_right)]  # (sentence, output)
    outputs += [(b, h) for b, r in enumerate(beams) for h in r.hypotheses]
    for b, h in outputs:
        assert PAD not in h.tokens and UNK not in h.tokens
        assert h.log_prob == approx(_log_prob(model, src[b : b + 1], mask[b : b + 1], h.tokens))
    for r in beams:
        assert not {n.token for n in r.tree[1:]} & {PAD, UNK}  # not even as a pruned candidate
    log_probs = torch.randn(2, 6).log_softmax(-1)
    forbidden = decoding.forbid_special(log_probs)
    assert forbidden[:, [PAD, UNK]].eq(float("-inf")).all()
    torch.testing.assert_close(forbidden[:, [1, 2, 4, 5]], log_probs[:, [1, 2, 4, 5]], atol=0, rtol=0)


def test_beam_step_sets_aside_eos_among_the_k_best_and_keeps_k_others():
    lp = torch.tensor([0.6, 0.3, 0.1]).log()  # tokens 0, 1, 2=<eos>
    log_probs = torch.stack([lp, lp.flip(0)])[None]  # (1, 2, 3): hypothesis 1 prefers <eos>
    s = beam_step(torch.tensor([[math.log(0.5), math.log(0.4)]]), log_probs)
    # candidates: h0: 0.30 0.15 0.05(eos); h1: 0.04 0.12 0.24(eos)
    assert s.parent[0, :4].tolist() == [0, 1, 0, 1] and s.token[0, :4].tolist() == [0, 2, 1, 1]
    assert s.finished[0].tolist() == [False, True, False, False]  # h1 + <eos> ranks 2nd of the k = 2 best
    kept = s.keep[0].tolist()
    assert [s.token[0, i].item() for i in kept] == [0, 1] and [s.parent[0, i].item() for i in kept] == [0, 0]


def test_search_is_over_when_k_finished_beat_what_any_open_can_become():
    inf = float("inf")
    finished = torch.tensor([[-1.0, -inf], [-1.0, -2.0], [-2.0, -1.0], [-1.0, -2.0]])  # (4 sentences, 2 each)
    best_open = torch.tensor([-0.5, -2.0, -3.0, -inf])
    over = search_is_over(finished, best_open, k=2, lp_max=1.0).tolist()
    # fewer than k finished; alpha = 0: open can only fall; -3 / 1 < -2; nothing open
    assert over == [False, True, True, True]
    # lp_max = 2: an open -2 may still reach -1 > -2, an open -3 -1.5 > -2
    assert search_is_over(finished, best_open, k=2, lp_max=2.0).tolist() == [False, False, False, True]
    assert search_is_over(finished[:, :1], best_open, k=2, lp_max=1.0).tolist() == [False, False, False, True]


def test_length_penalties():
    assert length_penalty(1, 0.6) == pytest.approx(1.0)
    assert length_penalty(10, 0.6) == pytest.approx((15 / 6) ** 0.6)
    assert length_penalty(10, 0.75, "power") == pytest.approx(10**0.75)
    assert length_penalty(7, 0.0) == length_penalty(7, 0.0, "power") == 1.0


@pytest.mark.parametrize("kind", ["gru_additive", "transformer"])
def test_length_normalisation_never_shortens_the_best_output(kind):
    """With a beam wide enough to be exact, a larger alpha can only make the best output longer: once
    log P(y2)/lp(|y2|) > log P(y1)/lp(|y1|) for |y2| > |y1|, it stays so as alpha grows."""
    V, max_len = 7, 4
    model = _model(kind, tgt_vocab=V)
    src, mask = _source()
    lengths = [
        [len(r.best) for r in beam_search(model, src, mask, k=V**max_len, max_len=max_len, alpha=alpha)]
        for alpha in (0.0, 0.5, 1.0, 2.0, 4.0)
    ]
    for per_sentence in zip(*lengths):
        assert list(per_sentence) == sorted(per_sentence)
    assert lengths[-1] != lengths[0]  # and here it does change something


# ---------------------------------------------------------------------------------------------
# Sampling
# ---------------------------------------------------------------------------------------------
def test_sampling_distribution_temperature_top_k_top_p():
    logits = torch.tensor([[2.0, 1.0, 0.5, 0.0, -1.0]])
    torch.testing.assert_close(sampling_distribution(logits), logits.softmax(-1))
    torch.testing.assert_close(sampling_distribution(logits, temperature=2.0), (logits / 2).softmax(-1))
    top2 = sampling_distribution(logits, top_k=2)
    assert (top2[0, 2:] == 0).all() and top2[0, :2].sum() == pytest.approx(1.0)
    torch.testing.assert_close(top2[0, :2], logits[0, :2].softmax(-1))
    p = logits.softmax(-1)[0]  # 0.54, 0.20, 0.12, 0.07, 0.03
    for top_p, n in [(0.5, 1), (0.6, 2), (p[:2].sum().item() + 1e-3, 3), (0.99, 5), (1.0, 5)]:
        q = sampling_distribution(logits, top_p=top_p)[0]
        assert (q > 0).sum() == n, top_p
        torch.testing.assert_close(q[:n], p[:n] / p[:n].sum())
    greedy_like = [sampling_distribution(logits, temperature=t)[0, 0].item() for t in (1.0, 0.3, 0.1, 0.01)]
    assert greedy_like == sorted(greedy_like) and greedy_like[-1] == pytest.approx(1.0)


@pytest.mark.parametrize("kind", ["gru_additive", "transformer"])
def test_sampling_repeats_with_the_same_seed(kind):
    model = _model(kind)
    src, mask = _source()
    src, mask = src.repeat(4, 1), mask.repeat(4, 1)  # 16 rows
    draw = lambda seed, **kw: [
        h.tokens for h in sample(model, src, mask, 10, generator=torch.Generator().manual_seed(seed), **kw)
    ]  # noqa: E501
    assert draw(0) == draw(0) and draw(0, top_p=0.9, temperature=0.8) == draw(0, top_p=0.9, temperature=0.8)
    assert draw(0) != draw(1)
    for b, h in enumerate(sample(model, src, mask, 10, generator=torch.Generator().manual_seed(0))):
        assert h.log_prob == approx(_log_prob(model, src[b : b + 1], mask[b : b + 1], h.tokens))


@pytest.mark.parametrize("kind", ["gru_additive", "lstm_plain", "transformer"])
def test_sampling_without_choice_is_greedy(kind):
    model = _model(kind)
    src, mask = _source()
    expected = [h.tokens for h in greedy(model, src, mask, 10)]
    g = torch.Generator().manual_seed(0)
    assert [h.tokens for h in sample(model, src, mask, 10, top_k=1, generator=g)] == expected
    assert [h.tokens for h in sample(model, src, mask, 10, top_p=1e-6, generator=g)] == expected
    assert [h.tokens for h in sample(model, src, mask, 10, temperature=1e-4, generator=g)] == expected


# ---------------------------------------------------------------------------------------------
# Bad arguments
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(temperature=0), r"temperature as a number > 0 .* got 0\."),
        (dict(temperature=-1.0), r"temperature as a number > 0 .* got -1\.0\."),
        (dict(temperature=float("nan")), r"temperature as a number > 0 .* got nan\."),
        (dict(temperature="1"), r"temperature as a number > 0 .* got '1'\."),
        (dict(top_k=0), r"top_k as a whole number >= 1 .* got 0\."),
        (dict(top_k=2.5), r"top_k as a whole number >= 1 .* got 2\.5\."),
        (dict(top_p=0), r"top_p in \(0, 1\] .* got 0\."),
        (dict(top_p=1.5), r"top_p in \(0, 1\] .* got 1\.5\."),
        (dict(generator=0), r"generator as a torch.Generator .* got int\."),
        (dict(max_len=0), r"max_len as a whole number >= 1 .* got 0\."),
    ],
)
def test_bad_sampling_arguments(kwargs, message):
    model = _model("gru_additive")
    src, mask = _source()
    with pytest.raises(ValueError, match=message):
        sample(model, src, mask, **{"max_len": 5, **kwargs})


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(k=0), r"k \(the beam width\) as a whole number >= 1, got 0\."),
        (dict(k=2.0), r"k \(the beam width\) as a whole number >= 1, got 2\.0\."),
        (dict(alpha=-0.5), r"alpha .* as a number >= 0 \(0: none\), got -0\.5\."),
        (dict(penalty="gnmt"), r"penalty 'wu' or 'power' .* got 'gnmt'\."),
        (dict(tree_pruned=-1), r"tree_pruned .* >= 0 or None \(all\), got -1\."),
        (dict(tree=1), r"tree \(whether to record the search tree\) as True or False, got 1\."),
        (dict(max_len=2.5), r"max_len as a whole number >= 1 .* got 2\.5\."),
    ],
)
def test_bad_beam_arguments(kwargs, message):
    model = _model("transformer")
    src, mask = _source()
    with pytest.raises(ValueError, match=message):
        beam_search(model, src, mask, **kwargs)


def test_bad_model_and_source():
    src, mask = _source()
    with pytest.raises(ValueError, match=r"an s2s_lab Seq2Seq or Seq2SeqTransformer model to decode, got Linear\."):
        greedy(torch.nn.Linear(3, 3), src, mask)
    with pytest.raises(ValueError, match=r"an s2s_lab Seq2Seq or Seq2SeqTransformer model to decode, got Linear\."):
        make_stepper(torch.nn.Linear(3, 3))
    with pytest.raises(ValueError, match=r"expected src_mask as a bool tensor"):
        beam_search(_model("gru_additive"), src, mask.long())
    with pytest.raises(ValueError, match=r"expected source token ids in \[0, 8\], got ids from 1 to 9"):
        greedy(_model("transformer"), src + 1, mask)


@pytest.mark.parametrize("kind", ["gru_additive", "transformer"])
@pytest.mark.parametrize("alpha", [0.0, 0.8])
def test_stopping_early_loses_none_of_the_k_best(kind, alpha, monkeypatch):
    """The search stops once nothing open can beat the k best finished: running on to max_len finds the
    same k best."""
    model = _model(kind)
    out = model.generator if kind == "transformer" else model.decoder.out
    with torch.no_grad():
        out.bias[EOS] += 3.0  # so that hypotheses finish, and the search has something to stop on
    src, mask = _source()
    early = beam_search(model, src, mask, k=3, max_len=14, alpha=alpha, tree_pruned=0)
    monkeypatch.setattr(decoding, "search_is_over", lambda scores, best_open, k, lp_max: best_open == float("-inf"))
    full = beam_search(model, src, mask, k=3, max_len=14, alpha=alpha, tree_pruned=0)
    for e, f in zip(early, full):
        assert [h.tokens for h in e.hypotheses[:3]] == [h.tokens for h in f.hypotheses[:3]]
    assert any(e.tree[-1].step < f.tree[-1].step for e, f in zip(early, full))  # it did stop early


# ---------------------------------------------------------------------------------------------
# Forcing a prefix ("what if it started with ...") and distinct-n
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["gru_additive", "lstm_plain", "transformer"])
def test_a_forced_prefix_continues_as_trying_every_continuation_finds(kind):
    V, max_len, prefix = 6, 5, [4, 3]
    model = _model(kind, tgt_vocab=V)
    src, mask = _source(B=1)
    exhaustive = {}
    for rest in _every_sequence(V, max_len - len(prefix)):
        y = prefix + rest
        exhaustive[tuple(y)] = _log_prob(model, src, mask, y) / length_penalty(len(y), 0.6)
    (result,) = decoding.force_prefix(model, src, mask, prefix, k=V**3, max_len=max_len, alpha=0.6)
    found = {tuple(h.tokens): h.score for h in result.hypotheses}
    assert found.keys() == exhaustive.keys()
    for y, score in exhaustive.items():
        assert found[y] == approx(score)
    for h in result.hypotheses[:5]:  # the prefix's log-probs are counted, token by token
        assert h.log_prob == approx(_log_prob(model, src, mask, h.tokens))
        assert h.log_prob == approx(float(h.token_log_probs.sum()))


@pytest.mark.parametrize("kind", ["gru_additive", "transformer"])
def test_forcing_nothing_is_beam_search_and_k_1_continues_greedily(kind):
    model = _model(kind)
    src, mask = _source()
    plain = beam_search(model, src, mask, k=3, max_len=8, alpha=0.6)
    forced = decoding.force_prefix(model, src, mask, [], k=3, max_len=8, alpha=0.6)
    for p, f in zip(plain, forced):
        assert [h.tokens for h in p.hypotheses] == [h.tokens for h in f.hypotheses]
    prefix = [5, 6]
    for b, r in enumerate(decoding.force_prefix(model, src, mask, prefix, k=1, max_len=8)):
        y = r.best.tokens
        assert y[:2] == prefix
        with torch.no_grad():  # every token after the prefix is the most probable one (but <pad>, <unk>)
            logp = model(src[b : b + 1], mask[b : b + 1], torch.tensor([[1] + y[:-1]])).log_softmax(-1)[0]
        logp[:, [PAD, UNK]] = -math.inf
        assert y[2:] == logp.argmax(-1)[2:].tolist()


@pytest.mark.parametrize("kind", ["lstm_plain", "transformer"])
def test_a_forced_prefix_is_a_chain_of_forced_nodes_in_the_tree(kind):
    model = _model(kind)
    src, mask = _source(B=2)
    prefix = [4, 5, 6]
    for b, r in enumerate(decoding.force_prefix(model, src, mask, prefix, k=3, max_len=8, tree_pruned=None)):
        forced = [n for n in r.tree if n.status == "forced"]
        assert [n.token for n in forced] == prefix and [n.step for n in forced] == [1, 2, 3]
        assert [n.parent for n in forced] == [0, forced[0].id, forced[1].id]
        assert forced[-1].log_prob == approx(_log_prob(model, src[b : b + 1], mask[b : b + 1], prefix))
        assert {n.parent for n in r.tree if n.step == 4} == {forced[-1].id}
        assert all(h.tokens[:3] == prefix for h in r.hypotheses)
        assert all(r.tree[h.node].log_prob == approx(h.log_prob) for h in r.hypotheses)


@pytest.mark.parametrize(
    "prefix, message",
    [("je", "list of token ids"), ([4, EOS], "special token"), ([4, 99], "ids are 0 to 6"), ([4] * 8, "no room")],
)
def test_bad_prefixes_are_explained(prefix, message):
    model = _model("gru_additive")
    src, mask = _source(B=1)
    with pytest.raises(ValueError, match=message):
        decoding.force_prefix(model, src, mask, prefix, k=2, max_len=8)


def test_distinct_n():
    assert decoding.distinct_n(["a b c", "a b d"], 1) == pytest.approx(4 / 6)
    assert decoding.distinct_n(["a b c", "a b d"], 2) == pytest.approx(3 / 4)
    assert decoding.distinct_n([[1, 1, 1, 1]], 2) == pytest.approx(1 / 3)
    assert decoding.distinct_n(["a", ""], 2) == 0.0
    with pytest.raises(ValueError, match="list of outputs"):
        decoding.distinct_n("a b c")
    with pytest.raises(ValueError, match="n-gram length"):
        decoding.distinct_n(["a b"], 0)
