r"""Self-check exercises of notebook 08 (decoding), in the style of :mod:`s2s_lab.exercises`: the learner writes a
function, a ``check_...`` runs it on fixed inputs, compares it with the package's reference
(:func:`s2s_lab.decoding.beam_step`, :func:`~s2s_lab.decoding.length_penalty`,
:func:`~s2s_lab.decoding.sampling_distribution`) and prints a verdict that names the mistake it recognises. A
check never raises because of the learner's code, and returns ``True`` for a right answer.
"""

from __future__ import annotations

import math

import torch

from ..decoding import beam_step, length_penalty, sampling_distribution
from .harness import run_learner_code, verdict

EOS_ID = 2
"""The ``<eos>`` id in the exercises' toy vocabulary (as in the package)."""


# ----------------------------------------------------------------------------------------------
# 1. One beam-search step
# ----------------------------------------------------------------------------------------------
def _step_inputs():
    """k = 3 open hypotheses over a vocabulary of 6 (``<eos>`` = 2), chosen so that each classic mistake gives
    a different answer: the best tokens differ per hypothesis and globally, one ``<eos>`` ranks among the 3
    best candidates and another just below them."""
    open_lp = torch.tensor([-0.5, -1.2, -3.0])  # (k,)
    p = torch.tensor(
        [
            [0.02, 0.02, 0.40, 0.30, 0.20, 0.06],  # after hypothesis 0: <eos> is its best token
            [0.02, 0.02, 0.30, 0.10, 0.50, 0.06],  # after hypothesis 1: <eos> second
            [0.02, 0.02, 0.04, 0.02, 0.10, 0.80],  # after hypothesis 2: a confident token, but a weak history
        ]
    )
    return open_lp, p.log()  # (k,), (k, V)


def _reference_step(open_lp, log_probs, eos=EOS_ID):
    s = beam_step(open_lp[None], log_probs[None], eos=eos)
    kept = [(float(s.log_prob[0, r]), int(s.parent[0, r]), int(s.token[0, r])) for r in s.keep[0].tolist()]
    finished = [(float(s.log_prob[0, r]), int(s.parent[0, r])) for r in s.finished[0].nonzero()[:, 0].tolist()]
    return kept, finished


def _normalise_step(result):
    """The learner's ``(kept, finished)`` as lists of rounded tuples, or a sentence saying what is wrong."""
    if not (isinstance(result, tuple | list) and len(result) == 2):
        return (
            None,
            "return a pair (kept, finished): kept = [(log_prob, parent, token), ...], "
            "finished = [(log_prob, parent), ...].",
        )
    kept, finished = result
    try:
        kept = [(round(float(lp), 4), int(p), int(w)) for lp, p, w in kept]
        finished = [(round(float(lp), 4), int(p)) for lp, p in finished]
    except (TypeError, ValueError):
        return None, "kept must hold (log_prob, parent, token) triples and finished (log_prob, parent) pairs."
    return (kept, sorted(finished, reverse=True)), None


def check_beam_step(step) -> bool:
    r"""Check ``step(open_log_prob, log_probs, eos) -> (kept, finished)``: one step of beam search for one sentence.

    Inputs: ``open_log_prob`` ``(k,)``: :math:`\log P(y \mid x)` of the :math:`k` open hypotheses;
    ``log_probs`` ``(k, V)``: :math:`\log p(w \mid y, x)` of every next token after each; ``eos``: the
    ``<eos>`` id. Output: ``kept``, the new :math:`k` open hypotheses as ``(log_prob, parent, token)``, best first;
    ``finished``, the candidates ending in ``<eos>`` that rank among the :math:`k` best of all :math:`k V`
    candidates, as ``(log_prob, parent)``. Compared with :func:`s2s_lab.decoding.beam_step`.
    """
    open_lp, log_probs = _step_inputs()
    k, V = log_probs.shape
    kept, finished = _reference_step(open_lp, log_probs)
    expected = (
        [(round(lp, 4), p, w) for lp, p, w in kept],
        sorted(((round(lp, 4), p) for lp, p in finished), reverse=True),
    )
    result, problem = run_learner_code(step, open_lp.clone(), log_probs.clone(), EOS_ID)
    if problem:
        return verdict(
            False, problem + " Build the k*V candidates: open_log_prob[:, None] + log_probs, then .view(-1).topk(...)."
        )
    got, problem = _normalise_step(result)
    if problem:
        return verdict(False, problem)
    if got == expected:
        return verdict(True, f"expand, rank, set aside {len(finished)} finished, keep {k} open: as beam_step does.")
    g_kept, g_fin = got
    cand = (open_lp[:, None] + log_probs).view(-1)  # (k*V,)
    order = cand.argsort(descending=True).tolist()
    if len(g_kept) != k:
        if len(g_kept) < k and all(w != EOS_ID for _, _, w in g_kept):
            return verdict(
                False,
                f"you keep {len(g_kept)} open hypotheses, not k = {k}: after setting the <eos> candidates aside, "
                f"take the k best of the others (look at the 2k best candidates, not only the k best).",
            )
        return verdict(False, f"kept should hold k = {k} open hypotheses, got {len(g_kept)}.")
    if any(w == EOS_ID for _, _, w in g_kept):
        return verdict(
            False, "a hypothesis ending in <eos> stays open: it is finished; set it aside and keep k others open."
        )
    alone = log_probs.view(-1)  # ranked by log p(w | y, x) alone
    by_token = [(round(float(alone[i]), 4), i // V, i % V) for i in alone.argsort(descending=True).tolist()]
    by_token = [c for c in by_token if c[2] != EOS_ID][:k]
    if [(p, w) for _, p, w in g_kept] == [(p, w) for _, p, w in by_token]:
        return verdict(
            False,
            "you ranked the candidates by the new token's log p(w | y, x) alone: add the open hypothesis' "
            "log P(y | x) first (log P(y w | x) = log P(y | x) + log p(w | y, x)).",
        )
    per_parent = []
    for j in range(k):  # the best non-<eos> token after each hypothesis
        row = [w for w in log_probs[j].argsort(descending=True).tolist() if w != EOS_ID]
        per_parent.append((j, row[0]))
    if sorted((p, w) for _, p, w in g_kept) == sorted(per_parent):
        return verdict(
            False,
            "you kept the best token after each hypothesis; rank all k*V candidates together: two may extend "
            "the same hypothesis and another none.",
        )
    if [(p, w) for _, p, w in g_kept] != [(p, w) for _, p, w in expected[0]]:
        return verdict(False, f"the kept hypotheses should be (parent, token) {[(p, w) for _, p, w in expected[0]]}, "
                              f"best first; got {[(p, w) for _, p, w in g_kept]}.")  # fmt: skip
    if [lp for lp, _, _ in g_kept] != [lp for lp, _, _ in expected[0]]:
        return verdict(
            False, "the kept (parent, token) are right but their log_prob is not log P(y | x) + log p(w | y, x)."
        )
    all_eos = sorted(((round(float(cand[i]), 4), i // V) for i in order if i % V == EOS_ID), reverse=True)
    if g_fin == all_eos and len(all_eos) > len(expected[1]):
        return verdict(
            False,
            "every <eos> candidate was finished; only those among the k best candidates of the step are "
            "(the others fell out of the beam, like any pruned candidate).",
        )
    if not g_fin and expected[1]:
        return verdict(False, "nothing finished: an <eos> candidate among the k best is set aside as finished.")
    return verdict(False, f"finished should be {expected[1]} (log_prob, parent), got {g_fin}.")


# ----------------------------------------------------------------------------------------------
# 2. Length normalisation
# ----------------------------------------------------------------------------------------------
def check_length_normalisation(score) -> bool:
    r"""Check ``score(log_prob, length, alpha) -> float``, Wu et al.'s normalised score
    :math:`\log P(y \mid x) / \operatorname{lp}(y)` with :math:`\operatorname{lp}(y) = ((5 + |y|) / 6)^\alpha`,
    on a grid of log-probabilities, lengths and :math:`\alpha`. Compared with
    :func:`s2s_lab.decoding.length_penalty`.
    """
    grid = [(lp, n, a) for lp in (-2.0, -7.5) for n in (1, 4, 12) for a in (0.0, 0.6, 1.0)]
    expected = [lp / length_penalty(n, a, "wu") for lp, n, a in grid]
    got = []
    for args in grid:
        value, problem = run_learner_code(score, *args)
        if problem:
            return verdict(False, problem + " score = log_prob / ((5 + length) / 6) ** alpha.")
        try:
            got.append(float(value))
        except (TypeError, ValueError):
            return verdict(False, f"score should return a number, got {type(value).__name__}.")
    if all(math.isclose(g, e, rel_tol=1e-5, abs_tol=1e-6) for g, e in zip(got, expected)):
        return verdict(True, "log P / ((5 + |y|) / 6)^α for every length and α, as length_penalty('wu').")
    wu = "((5 + |y|) / 6)^α"
    mistakes = [
        (lambda lp, n, a: lp * ((5 + n) / 6) ** a, "you multiply by lp(y); divide: the score is log P / lp(y)."),
        (
            lambda lp, n, a: lp / n**a,
            f"that is the 'power' penalty |y|^α (Dive into Deep Learning); here use Wu's {wu}.",
        ),
        (
            lambda lp, n, a: lp / (5 + n) ** a,
            f"divide (5 + |y|) by 6 inside the power, {wu}, so that lp = 1 for one token.",
        ),
        (lambda lp, n, a: lp / ((5 + n) / 6), f"α is ignored: lp(y) = {wu} (α = 0: no normalisation)."),
        (lambda lp, n, a: lp / n, f"α and Wu's constants are missing: lp(y) = {wu}, not |y|."),
        (lambda lp, n, a: -lp / ((5 + n) / 6) ** a, "the sign is flipped: log P is negative and so is the score."),
    ]
    for wrong, hint in mistakes:
        try:
            values = [wrong(*args) for args in grid]
        except (ValueError, ZeroDivisionError):
            continue
        if all(
            isinstance(v, float | int) and math.isclose(g, v, rel_tol=1e-5, abs_tol=1e-6) for g, v in zip(got, values)
        ):
            return verdict(False, hint)
    bad = next(i for i, (g, e) in enumerate(zip(got, expected)) if not math.isclose(g, e, rel_tol=1e-5, abs_tol=1e-6))
    lp, n, a = grid[bad]
    return verdict(False, f"score({lp}, {n}, {a}) should be {expected[bad]:.4f}, got {got[bad]:.4f}.")


# ----------------------------------------------------------------------------------------------
# 3. Temperature sampling
# ----------------------------------------------------------------------------------------------
def check_temperature_sampling(sample_next) -> bool:
    r"""Check ``sample_next(logits, temperature, generator) -> tokens``: draw one token per row of ``logits``
    ``(B, V)`` from :math:`q_i \propto \exp(z_i / T)`, with ``torch.multinomial(..., generator=generator)``.
    Output: ``(B,)`` long. Compared, over 4,000 draws, with :func:`s2s_lab.decoding.sampling_distribution`.
    """
    logits = torch.tensor([2.0, 1.0, 0.5, 0.0, -1.0])  # (V,)
    B, T = 4000, 0.5
    rows = logits.expand(B, -1).clone()  # (B, V)
    expected = sampling_distribution(logits, T)  # (V,)
    result, problem = run_learner_code(sample_next, rows.clone(), T, torch.Generator().manual_seed(0))
    if problem:
        return verdict(
            False, problem + " Divide the logits by T, softmax over the last dimension, then torch.multinomial(q, 1)."
        )
    if not isinstance(result, torch.Tensor):
        return verdict(False, f"return the drawn tokens as a tensor of shape ({B},), got {type(result).__name__}.")
    result = result.reshape(-1) if result.shape == (B, 1) else result
    if result.shape != (B,):
        return verdict(False, f"return one token per row: shape ({B},), got {tuple(result.shape)}.")
    if result.is_floating_point() or result.min() < 0 or result.max() >= len(logits):
        return verdict(False, f"return token ids (whole numbers from 0 to {len(logits) - 1}), not probabilities.")
    freq = torch.bincount(result.long(), minlength=len(logits)).float() / B  # (V,)
    again, _ = run_learner_code(sample_next, rows.clone(), T, torch.Generator().manual_seed(0))
    close = lambda q: float((freq - q).abs().max()) < 0.03  # noqa: E731  (4,000 draws: about 4 standard errors)
    if close(expected):
        if isinstance(again, torch.Tensor) and not torch.equal(again.reshape(-1), result):
            return verdict(
                False,
                "the right distribution, but the draws ignore the generator: pass generator=generator to "
                "torch.multinomial.",
            )
        return verdict(True, f"the draws follow softmax(z / T) at T = {T} (and the same seed gives the same draws).")
    if float(freq.max()) == 1.0:
        return verdict(
            False, "every draw is the most probable token: that is greedy decoding; draw with torch.multinomial."
        )
    hints = [
        (sampling_distribution(logits, 1.0), "the temperature is ignored: divide the logits by T before the softmax."),
        (sampling_distribution(logits, 1 / T), "you multiply the logits by T; divide them: q ∝ exp(z / T)."),
        (torch.ones(len(logits)) / len(logits), "the draws are uniform: sample from softmax(z / T)."),
    ]  # fmt: skip
    for q, hint in hints:
        if close(q):
            return verdict(False, hint)
    got, want = [round(x, 3) for x in freq.tolist()], [round(x, 3) for x in expected.tolist()]
    return verdict(False, f"the draws' frequencies {got} should be near {want}, the softmax of z / T.")


__all__ = ["check_beam_step", "check_length_normalisation", "check_temperature_sampling", "EOS_ID"]
