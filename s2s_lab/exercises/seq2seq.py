r"""Self-check exercises of notebooks 04 (encoder-decoder) and 05 (attention); see
:mod:`s2s_lab.exercises` for how a check works (it prints a verdict and returns ``True`` when right).

The learner writes each function from a stub whose unfinished lines read ``...``; a check says which
value is still ``...`` before it compares anything.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..attention import AdditiveAttention, masked_softmax
from ..seq2seq import Decoder
from ..training import masked_cross_entropy
from .harness import compare, run_learner_code, verdict


def _unfinished(result, names: tuple[str, ...]) -> bool:
    """Print a verdict and return True if the learner's ``result`` (one value or a tuple of ``names``) is
    still the stub: ``None`` or ``...`` somewhere."""
    if result is None:
        return not verdict(False, "your function returns None: write its body and return the result.")
    values = result if isinstance(result, tuple) and len(result) == len(names) else (result,)
    for name, value in zip(names, values):
        if value is Ellipsis:
            return not verdict(False, f"{name} is still `...`: replace it with your code.")
    return False


def _nan_in_alpha(alpha, inverted: torch.Tensor) -> bool:
    """Print a verdict and return True if ``alpha`` holds NaN: the softmax of a row whose every score is
    -inf, which the inverted mask produces for a sequence without padding (``inverted``: that mistake)."""
    if not (isinstance(alpha, torch.Tensor) and alpha.shape == inverted.shape and bool(alpha.isnan().any())):
        return False
    if (torch.nan_to_num(alpha.detach(), nan=0.0) - inverted).abs().max().item() < 1e-5:
        return not verdict(
            False, "alpha holds NaN: mask is True at real tokens, so fill -inf where ~mask (you masked the real ones)."
        )
    return not verdict(False, "alpha holds NaN: a softmax over scores that are all -inf (every position masked).")


def check_masked_cross_entropy(fn) -> bool:
    r"""Check ``fn(logits, targets, mask) -> loss``: the mean of :math:`-\log p(y_{bt})` over the real
    target tokens only,

    .. math::
        \mathcal{L} = -\frac{1}{\sum_{b,t} m_{bt}} \sum_{b,t} m_{bt} \log p(y_{bt} \mid y_{b,<t}, x_b).

    ``logits`` (B, T, V), ``targets`` (B, T) long, ``mask`` (B, T) bool (True = real token); the result
    is a scalar tensor. Recognised mistakes: the mean over every position (padding included, what
    ``F.cross_entropy`` does without ``reduction="none"``), the sum, dividing by B·T, the mean of the
    per-sequence means, the mask's polarity inverted."""
    g = torch.Generator().manual_seed(7)
    B, T, V = 3, 5, 6
    logits = torch.randn(B, T, V, generator=g)
    targets = torch.randint(1, V, (B, T), generator=g)
    lengths = torch.tensor([5, 2, 3])
    mask = torch.arange(T)[None] < lengths[:, None]
    targets = targets.masked_fill(~mask, 0)
    expected = masked_cross_entropy(logits, targets, mask)
    result, problem = run_learner_code(fn, logits.clone(), targets.clone(), mask.clone())
    if problem:
        return verdict(
            False,
            problem + " logits is (B, T, V); F.cross_entropy wants the classes in dim 1: logits.transpose(1, 2).",
        )
    if _unfinished(result, ("the loss",)):
        return False
    nll = F.cross_entropy(logits.transpose(1, 2), targets, reduction="none")  # (B, T)
    m, pad = mask.float(), (~mask).float()
    mean_all = (
        'That is the mean over all B·T positions, padding included: without reduction="none" F.cross_entropy '
        "already averages over every position, so multiplying by the mask afterwards comes too late. Get one "
        'loss per position, (B, T), with reduction="none", then mask it.'
    )
    inverted = "mask is True at the real tokens (False at padding): you kept the padding and dropped the real tokens."
    hints = [
        (nll.mean(), mean_all),
        (nll.mean() * m.sum() / (B * T), mean_all),  # (F.cross_entropy(...) * mask).mean()
        (nll.sum() / m.sum(), mean_all),  # reduction="sum" / mask.sum()
        ((nll * m).sum(), "That is the sum; divide by the number of real tokens, mask.sum()."),
        ((nll * m).sum() / (B * T), "Divide by the number of real tokens (mask.sum()), not by B·T."),
        (
            ((nll * m).sum(1) / m.sum(1)).mean(),
            "That averages each sequence first, so short sequences weigh more; average over all real tokens.",
        ),
        ((nll * pad).sum() / pad.sum(), inverted),
        ((nll * pad).sum() / m.sum(), inverted),
    ]
    if isinstance(result, torch.Tensor) and result.dim() == 1 and result.numel() == 1:
        result = result[0]
    return compare(result, expected, "the loss", hints)


def _additive_reference(g: torch.Generator, B: int, S: int, Dq: int, Dk: int, A: int):
    """An additive attention with random weights, a query, keys and a mask with padding (lengths S, 3, 4)."""
    with torch.random.fork_rng():  # leave the learner's random state as it was; every weight comes from g
        ref = AdditiveAttention(Dq, Dk, A)
    with torch.no_grad():
        for p in ref.parameters():
            p.copy_(torch.randn(p.shape, generator=g))
    s, H = torch.randn(B, Dq, generator=g), torch.randn(B, S, Dk, generator=g)
    mask = torch.arange(S)[None] < torch.tensor([S, 3, 4])[:B, None]
    return ref, s, H, mask


def check_additive_attention(fn) -> bool:
    r"""Check ``fn(s, H, W_q, W_k, v, mask) -> (c, alpha)``, Bahdanau et al.'s attention:
    :math:`e_j = v^\top \tanh(W_q s + W_k h_j)`, :math:`\alpha = \mathrm{softmax}(e)` over the real source
    positions (mask True), :math:`c = \sum_j \alpha_j h_j`.

    Shapes: ``s`` (B, D_q), ``H`` (B, S, D_k), ``W_q`` (A, D_q), ``W_k`` (A, D_k), ``v`` (A,),
    ``mask`` (B, S) bool; ``c`` (B, D_k), ``alpha`` (B, S)."""
    g = torch.Generator().manual_seed(11)
    B, S, Dq, Dk, A = 3, 6, 4, 5, 7
    ref, s, H, mask = _additive_reference(g, B, S, Dq, Dk, A)
    with torch.no_grad():
        c_ref, a_ref = ref(s, H, H, mask)
    W_q, W_k, v = ref.W_q.weight.detach(), ref.W_k.weight.detach(), ref.v.weight.detach()[0]
    result, problem = run_learner_code(fn, s, H, W_q, W_k, v, mask)
    if problem:
        return verdict(False, problem + " s is (B, D_q), H is (B, S, D_k): use s @ W_q.T and H @ W_k.T.")
    if _unfinished(result, ("c", "alpha")):
        return False
    if not (isinstance(result, tuple) and len(result) == 2):
        return verdict(False, f"return a pair (c, alpha), got {type(result).__name__}.")
    c, alpha = result
    pre = (s @ W_q.T).unsqueeze(1) + H @ W_k.T  # (B, S, A)
    e = torch.tanh(pre) @ v  # (B, S)
    hints = [
        (e.softmax(-1), "Padding gets weight: set e_j to -inf where mask is False before the softmax."),
        (e.masked_fill(~mask, float("-inf")).softmax(0), "The softmax runs over the batch; use dim=-1."),
        (e, "Those are the scores e_j; apply the softmax."),
        (e.masked_fill(~mask, float("-inf")), "Those are the masked scores e_j; apply the softmax."),
        (
            (pre @ v).masked_fill(~mask, float("-inf")).softmax(-1),
            "The tanh is missing: e_j = v^T tanh(W_q s + W_k h_j).",
        ),
    ]
    c_hints = [
        (H.mean(1), "c is the weighted average sum_j alpha_j h_j, not the plain mean of the h_j."),
        ((a_ref.unsqueeze(-1) * H).mean(1), "c is the weighted sum sum_j alpha_j h_j: .sum(dim=1), not .mean()."),
    ]
    if _nan_in_alpha(alpha, masked_softmax(e, ~mask)):
        return False
    return compare(alpha, a_ref, "alpha", hints) and compare(c, c_ref, "c", c_hints)


def check_attention_decoder_step(fn) -> bool:
    r"""Check ``fn(e, s_prev, H, mask, score, gru, W_o, b_o) -> (alpha, c, s, logits)``: one step of the
    attention decoder in the order of :meth:`s2s_lab.seq2seq.Decoder.step` (Bahdanau et al., 2015):

    .. math::
        \alpha_{tj} = \operatorname{softmax}_j \operatorname{score}(s_{t-1}, h_j), \quad
        c_t = \sum_j \alpha_{tj} h_j, \quad
        s_t = \mathrm{GRU}([e(y_{t-1}); c_t], s_{t-1}), \quad
        \mathrm{logits}_t = W_o [s_t; c_t; e(y_{t-1})] + b_o.

    Inputs: ``e`` (B, E) the embedding :math:`e(y_{t-1})`; ``s_prev`` (B, H_s) the state :math:`s_{t-1}`;
    ``H`` (B, S, D) the encoder outputs; ``mask`` (B, S) bool (True = real token); ``score(s, H) -> (B, S)``
    the additive score; ``gru(x, s) -> (B, H_s)`` a GRU cell; ``W_o`` (V, H_s + D + E), ``b_o`` (V,).
    Outputs: ``alpha`` (B, S), ``c`` (B, D), ``s`` (B, H_s), ``logits`` (B, V).

    The reference is the package's own :meth:`Decoder.step` with random weights. Recognised mistakes:
    scoring the new state :math:`s_t` instead of :math:`s_{t-1}` (Luong et al.'s order, not this decoder's),
    the softmax over the batch, padding not masked, the context not fed to the GRU (the previous state in
    its place), the output layer reading :math:`s_{t-1}`, its inputs in another order, no bias."""
    g = torch.Generator().manual_seed(5)
    B, S, E, D, V = 3, 6, 5, 8, 9  # D: the encoder's output size, equal to the decoder's H_s here
    with torch.random.fork_rng():  # leave the learner's random state as it was; every weight comes from g
        dec = Decoder(V, E, D, D, attention="additive", attn_size=7).eval()
    with torch.no_grad():
        for p in dec.parameters():
            p.copy_(0.7 * torch.randn(p.shape, generator=g))
    y_prev = torch.randint(3, V, (B,), generator=g)
    s_prev = torch.tanh(torch.randn(B, D, generator=g))
    H = torch.randn(B, S, D, generator=g)
    mask = torch.arange(S)[None] < torch.tensor([6, 3, 4])[:, None]
    H = H * mask.unsqueeze(-1)  # the encoder's outputs are zero at padding
    with torch.no_grad():
        logits_ref, s_ref, a_ref = dec.step(y_prev, s_prev, H, mask, None)
        e = dec.embedding(y_prev)  # (B, E)
        c_ref = (a_ref.unsqueeze(-1) * H).sum(1)  # (B, D)
    score, gru = dec.attention.score, dec.cell
    W_o, b_o = dec.out.weight.detach(), dec.out.bias.detach()
    with torch.no_grad():
        result, problem = run_learner_code(fn, e, s_prev, H, mask, score, gru, W_o, b_o)
    if problem:
        return verdict(
            False,
            problem + " Shapes: e (B, E), s_prev (B, H_s), H (B, S, D); the GRU reads torch.cat([e, c], dim=-1) "
            "(B, E + D); W_o reads torch.cat([s, c, e], dim=-1).",
        )
    if _unfinished(result, ("alpha", "c", "s", "logits")):
        return False
    if not (isinstance(result, tuple) and len(result) == 4):
        return verdict(False, f"return four values (alpha, c, s, logits), got {type(result).__name__}.")
    alpha, c, s, logits = result
    with torch.no_grad():
        scores = score(s_prev, H)  # (B, S)
        hints = [
            (
                masked_softmax(score(s_ref, H), mask),
                "You score the new state s_t. This decoder (Bahdanau's) scores the previous state s_{t-1}, "
                "before the GRU step: the context c_t is an input of that step.",
            ),
            (scores.softmax(-1), "Padding gets weight: the scores must be -inf where mask is False."),
            (
                scores.masked_fill(~mask, float("-inf")).softmax(0),
                "The softmax runs over the batch (dim 0); use dim=-1.",
            ),
            (scores, "Those are the scores e_tj; alpha is their softmax over the source positions."),
        ]
        c_hints = [(H.mean(1), "c_t is the weighted average sum_j alpha_tj h_j, not the plain mean of the h_j.")]
        s_wrong = [
            (
                gru(torch.cat([e, s_prev], -1), s_prev),
                "The GRU reads [e(y_{t-1}); c_t]: you gave it s_{t-1} where the context c_t belongs.",
            ),
            (gru(torch.cat([e, torch.zeros_like(c_ref)], -1), s_prev), "The context c_t is not fed to the GRU."),
            (
                gru(torch.cat([e, H[:, -1]], -1), s_prev),
                "The GRU reads this step's context c_t, not a fixed encoder state.",
            ),
        ]
        old_state, reordered = torch.cat([s_prev, c_ref, e], -1), torch.cat([c_ref, s_ref, e], -1)
        logit_hints = [
            (old_state @ W_o.T + b_o, "The output layer reads the new state s_t, not s_{t-1}."),
            (reordered @ W_o.T + b_o, "The output layer reads [s_t; c_t; e(y_{t-1})] in that order."),
            (torch.cat([s_ref, c_ref, e], -1) @ W_o.T, "The bias b_o is missing."),
        ]
    if _nan_in_alpha(alpha, masked_softmax(scores, ~mask)):
        return False
    return (
        compare(alpha, a_ref, "alpha", hints)
        and compare(c, c_ref, "c", c_hints)
        and compare(s, s_ref, "s", s_wrong)
        and compare(logits, logits_ref, "logits", logit_hints)
    )


__all__ = ["check_masked_cross_entropy", "check_additive_attention", "check_attention_decoder_step"]
