r"""Self-check exercises of notebooks 04 (encoder-decoder) and 05 (attention); see
:mod:`s2s_lab.exercises` for how a check works (it prints a verdict and returns ``True`` when right)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..attention import AdditiveAttention
from ..training import masked_cross_entropy
from .harness import compare, run_learner_code, verdict


def check_masked_cross_entropy(fn) -> bool:
    r"""Check ``fn(logits, targets, mask) -> loss``: the mean of :math:`-\log p(y_{bt})` over the real
    target tokens only. ``logits`` (B, T, V), ``targets`` (B, T) long, ``mask`` (B, T) bool
    (True = real token); the result is a scalar tensor."""
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
        return verdict(False, problem + " logits is (B, T, V); F.cross_entropy wants the classes in dim 1.")
    nll = F.cross_entropy(logits.transpose(1, 2), targets, reduction="none")  # (B, T)
    m = mask.float()
    hints = [
        (nll.mean(), "That averages over padding positions too; multiply by the mask and divide by mask.sum()."),
        ((nll * m).sum(), "That is the sum; divide by the number of real tokens, mask.sum()."),
        ((nll * m).sum() / (B * T), "Divide by the number of real tokens (mask.sum()), not by B * T."),
        (
            ((nll * m).sum(1) / m.sum(1)).mean(),
            "That averages each sequence first, so short sequences weigh more; average over all real tokens.",
        ),
    ]
    if isinstance(result, torch.Tensor) and result.dim() == 1 and result.numel() == 1:
        result = result[0]
    return compare(result, expected, "the loss", hints)


def check_additive_attention(fn) -> bool:
    r"""Check ``fn(s, H, W_q, W_k, v, mask) -> (c, alpha)``, Bahdanau et al.'s attention:
    :math:`e_j = v^\top \tanh(W_q s + W_k h_j)`, :math:`\alpha = \mathrm{softmax}(e)` over the real source
    positions (mask True), :math:`c = \sum_j \alpha_j h_j`.

    Shapes: ``s`` (B, D_q), ``H`` (B, S, D_k), ``W_q`` (A, D_q), ``W_k`` (A, D_k), ``v`` (A,),
    ``mask`` (B, S) bool; ``c`` (B, D_k), ``alpha`` (B, S)."""
    g = torch.Generator().manual_seed(11)
    B, S, Dq, Dk, A = 3, 6, 4, 5, 7
    ref = AdditiveAttention(Dq, Dk, A)
    with torch.no_grad():
        for p in ref.parameters():
            p.copy_(torch.randn(p.shape, generator=g))
    s, H = torch.randn(B, Dq, generator=g), torch.randn(B, S, Dk, generator=g)
    mask = torch.arange(S)[None] < torch.tensor([6, 3, 4])[:, None]
    with torch.no_grad():
        c_ref, a_ref = ref(s, H, H, mask)
    W_q, W_k, v = ref.W_q.weight.detach(), ref.W_k.weight.detach(), ref.v.weight.detach()[0]
    result, problem = run_learner_code(fn, s, H, W_q, W_k, v, mask)
    if problem:
        return verdict(False, problem + " s is (B, D_q), H is (B, S, D_k): use s @ W_q.T and H @ W_k.T.")
    if not (isinstance(result, tuple) and len(result) == 2):
        return verdict(False, f"return a pair (c, alpha), got {type(result).__name__}.")
    c, alpha = result
    e = torch.tanh((s @ W_q.T).unsqueeze(1) + H @ W_k.T) @ v  # (B, S)
    hints = [
        (e.softmax(-1), "Padding gets weight: set e_j to -inf where mask is False before the softmax."),
        (e.masked_fill(~mask, float("-inf")).softmax(0), "The softmax runs over the batch; use dim=-1."),
        (((s @ W_q.T).unsqueeze(1) + H @ W_k.T) @ v, "Those are the scores e_j; apply the softmax."),
        (
            ((s @ W_q.T).unsqueeze(1) + H @ W_k.T).matmul(v).masked_fill(~mask, float("-inf")).softmax(-1),
            "The tanh is missing: e_j = v^T tanh(W_q s + W_k h_j).",
        ),
    ]
    return compare(alpha, a_ref, "alpha", hints) and compare(c, c_ref, "c")


__all__ = ["check_masked_cross_entropy", "check_additive_attention"]
