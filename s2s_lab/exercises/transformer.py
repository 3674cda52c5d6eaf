r"""Self-check exercises of notebook 06 (the Transformer), in the style of :mod:`s2s_lab.exercises`:
the learner writes a function, a ``check_...`` runs it on fixed random inputs, compares it with the
package's reference (itself checked against PyTorch's) and prints a verdict with a hint. A check never
raises because of the learner's code, and returns ``True`` for a right answer.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..attention import scaled_dot_product
from ..transformer import causal_mask, sinusoidal_encoding
from .harness import compare, run_learner_code, verdict


def check_scaled_dot_product(attention) -> bool:
    r"""Check ``attention(Q, K, V, mask) -> context`` computing
    :math:`\operatorname{softmax}(Q K^\top / \sqrt{d} \text{ with masked scores } -\infty)\, V` for
    ``Q`` (B, T_q, d), ``K`` (B, T_k, d), ``V`` (B, T_k, d_v) and a boolean ``mask`` (T_q, T_k), **True =
    may attend**. Compared with :func:`s2s_lab.scaled_dot_product` and PyTorch's
    ``F.scaled_dot_product_attention``.
    """
    g = torch.Generator().manual_seed(6)
    B, T_q, T_k, d, d_v = 2, 4, 5, 8, 3
    Q, K, V = (
        torch.randn(B, T_q, d, generator=g),
        torch.randn(B, T_k, d, generator=g),
        torch.randn(B, T_k, d_v, generator=g),
    )
    mask = torch.rand(T_q, T_k, generator=g) > 0.4
    mask[:, 0], mask[:, -1] = True, False  # every query sees a key, and so would with the mask inverted
    expected, _ = scaled_dot_product(Q, K, V, mask)
    assert torch.allclose(expected, F.scaled_dot_product_attention(Q, K, V, attn_mask=mask), atol=1e-6)
    result, problem = run_learner_code(attention, Q.clone(), K.clone(), V.clone(), mask.clone())
    if problem:
        return verdict(False, problem + " Shapes: Q (B, T_q, d), K (B, T_k, d); use K.transpose(-2, -1).")
    if isinstance(result, tuple):  # (context, weights) is fine too
        result = result[0]
    scores = Q @ K.transpose(-2, -1)  # (B, T_q, T_k), unscaled
    blocked = scores.masked_fill(~mask, float("-inf"))
    hints = [
        (torch.softmax(blocked, -1) @ V, "The scores are not scaled: divide Q K^T by sqrt(d) before the softmax."),
        (torch.softmax(blocked / d, -1) @ V, "Divide by sqrt(d), not by d."),
        (
            torch.softmax(scores / math.sqrt(d), -1) @ V,
            "The mask is ignored: set the masked scores to -inf (scores.masked_fill(~mask, float('-inf'))).",
        ),
        (
            torch.softmax(scores.masked_fill(mask, float("-inf")) / math.sqrt(d), -1) @ V,
            "The mask is inverted: here True means 'may attend', so fill where ~mask.",
        ),
        (
            torch.softmax(blocked / math.sqrt(d), -2).nan_to_num() @ V,
            "The softmax runs over the queries; it must run over the keys, the last dimension (dim=-1).",
        ),
    ]
    return compare(result, expected, "the context", hints)


def check_positional_encoding(positional_encoding) -> bool:
    r"""Check ``positional_encoding(max_len, d_model) -> PE`` of shape ``(max_len, d_model)`` with
    :math:`PE_{pos,2i} = \sin(pos / 10000^{2i/d_{model}})` and :math:`PE_{pos,2i+1} = \cos(\cdot)` (even
    ``d_model``). Compared with :func:`s2s_lab.transformer.sinusoidal_encoding`.
    """
    L, d = 20, 16
    expected = sinusoidal_encoding(L, d)
    result, problem = run_learner_code(positional_encoding, L, d)
    if problem:
        return verdict(False, problem + " Build pos (L, 1) and 2i (d/2,) with torch.arange, then broadcast.")
    if isinstance(result, torch.Tensor):
        result = result.float()
    pos = torch.arange(L, dtype=torch.float64)[:, None]
    i = torch.arange(d // 2, dtype=torch.float64)

    def interleave(even, odd):
        out = torch.zeros(L, d, dtype=torch.float64)
        out[:, 0::2], out[:, 1::2] = even, odd
        return out.float()

    angle = pos / 10000 ** (2 * i / d)
    angle_i = pos / 10000 ** (i / d)
    hints = [
        (interleave(torch.cos(angle), torch.sin(angle)), "sin and cos are swapped: sin on even dimensions 2i."),
        (
            interleave(torch.sin(angle_i), torch.cos(angle_i)),
            "The exponent is 2i/d_model, where 2i is the even dimension index (0, 2, 4, ...), not i/d_model.",
        ),
        (
            torch.cat([torch.sin(angle), torch.cos(angle)], 1).float(),
            "The sines and cosines must interleave (columns 0, 2, 4, ... sin; 1, 3, 5, ... cos), "
            "not sit in two halves.",
        ),
    ]
    return compare(result, expected, "PE", hints)


def check_causal_mask(make_mask) -> bool:
    r"""Check ``make_mask(T) -> mask`` of shape ``(T, T)``, boolean, **True = NOT allowed** (the convention of
    ``torch.nn.MultiheadAttention``'s ``attn_mask``): query :math:`t` may attend to keys :math:`t' \le t`.
    """
    T = 5
    expected = causal_mask(T)
    result, problem = run_learner_code(make_mask, T)
    if problem:
        return verdict(False, problem + " torch.ones(T, T, dtype=torch.bool) and .triu() or .tril() help.")
    if not isinstance(result, torch.Tensor) or result.shape != (T, T):
        got = tuple(result.shape) if isinstance(result, torch.Tensor) else type(result).__name__
        return verdict(False, f"the mask should be a tensor of shape ({T}, {T}), got {got}.")
    if result.dtype != torch.bool:
        return verdict(False, f"the mask should be boolean (dtype torch.bool), got {result.dtype}.")
    if torch.equal(result, expected):
        return verdict(True, "the mask hides exactly the future: query t sees keys 0..t.")
    if torch.equal(result, ~expected):
        return verdict(False, "the mask is inverted: True must mark the keys a query may NOT see (the future).")
    if torch.equal(result, expected.T):
        return verdict(False, "this hides the past instead of the future: rows are queries, columns keys.")
    if torch.equal(result, torch.ones(T, T, dtype=torch.bool).triu()):
        return verdict(False, "the diagonal is masked too: position t may attend to itself (use triu(1)).")
    return verdict(
        False,
        f"wrong at {int((result != expected).sum())} of {T * T} entries; row t should be True "
        f"exactly in columns t+1 .. T-1.",
    )


__all__ = ["check_scaled_dot_product", "check_positional_encoding", "check_causal_mask"]
