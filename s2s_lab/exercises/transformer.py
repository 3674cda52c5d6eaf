r"""Self-check exercises of notebook 06 (the Transformer), in the style of :mod:`s2s_lab.exercises`:
the learner writes a function, a ``check_...`` runs it on fixed random inputs, compares it with the
package's reference (itself checked against PyTorch's) and prints a verdict with a hint. A check never
raises because of the learner's code, and returns ``True`` for a right answer. A function whose body is
still the notebook's stub (``...``, so it returns ``None``) is told so.

Masks follow the collection's one convention: a boolean mask is **True where a position takes part**
(the query may attend to the key).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..attention import scaled_dot_product, split_heads
from ..transformer import causal_mask, sinusoidal_encoding
from .harness import compare, run_learner_code, verdict


def _mismatch(result, expected: torch.Tensor, what: str, hints) -> str | None:
    """``None`` if ``result`` equals ``expected`` (to 1e-5), else a sentence: the known mistake's hint, or how far
    off it is."""
    if not isinstance(result, torch.Tensor):
        return f"{what} should be a torch.Tensor of shape {tuple(expected.shape)}, got {type(result).__name__}."
    if result.shape != expected.shape:
        return f"{what} should have shape {tuple(expected.shape)}, got {tuple(result.shape)}."
    err = (result.detach().float() - expected).abs().max().item()
    if err < 1e-5:
        return None
    for wrong, hint in hints:
        if (result.detach().float() - wrong).abs().max().item() < 1e-5:
            return f"{what} has the right shape but wrong values. {hint}"
    return f"{what} is off by up to {err:.3f}: head h should hold features h*d_h .. (h+1)*d_h - 1 of every position."


def _stub(result, name: str) -> bool:
    """Print the verdict for a function that still returns ``None`` (the stub); ``True`` if it does."""
    if result is None:
        verdict(False, f"{name} returns None: write its body in place of the stub's `...`.")
        return True
    return False


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
    # F.scaled_dot_product_attention's boolean attn_mask has our convention (True = takes part): no ~ here
    assert torch.allclose(expected, F.scaled_dot_product_attention(Q, K, V, attn_mask=mask), atol=1e-6)
    result, problem = run_learner_code(attention, Q.clone(), K.clone(), V.clone(), mask.clone())
    if problem:
        return verdict(False, problem + " Shapes: Q (B, T_q, d), K (B, T_k, d); use K.transpose(-2, -1).")
    if _stub(result, "attention"):
        return False
    if isinstance(result, tuple):  # (context, weights) is fine too
        result = result[0]
    if isinstance(result, torch.Tensor) and result.shape == expected.shape and bool(torch.isnan(result).any()):
        return verdict(
            False,
            "the context contains NaN: a softmax over scores that are all -inf. The softmax must run over the "
            "keys (dim=-1), and every query here may attend to at least one key.",
        )
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
            "The mask is inverted: True means 'may attend', so fill -inf where the mask is False (~mask).",
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
    if _stub(result, "positional_encoding"):
        return False
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
    r"""Check ``make_mask(T) -> mask`` of shape ``(T, T)``, boolean, **True = may attend** (the collection's
    convention, as :func:`s2s_lab.causal_mask`): query :math:`t` (row) may attend to keys :math:`t' \le t`.
    """
    T = 5
    expected = causal_mask(T)
    result, problem = run_learner_code(make_mask, T)
    if problem:
        return verdict(False, problem + " torch.ones(T, T, dtype=torch.bool) and .triu() or .tril() help.")
    if _stub(result, "make_causal_mask"):
        return False
    if not isinstance(result, torch.Tensor) or result.shape != (T, T):
        got = tuple(result.shape) if isinstance(result, torch.Tensor) else type(result).__name__
        return verdict(False, f"the mask should be a tensor of shape ({T}, {T}), got {got}.")
    if result.dtype != torch.bool:
        return verdict(False, f"the mask should be boolean (dtype torch.bool), got {result.dtype}.")
    if torch.equal(result, expected):
        return verdict(True, "query t may attend to keys 0..t, and the future is hidden.")
    if torch.equal(result, ~expected):
        return verdict(
            False,
            "the mask is inverted: True must mark the keys a query MAY see (the past and itself). "
            "True = NOT allowed is the convention of PyTorch's nn.MultiheadAttention attn_mask, not ours.",
        )
    if torch.equal(result, expected.T):
        return verdict(
            False, "this lets each query see the future instead of the past: rows are queries, columns keys."
        )
    if torch.equal(result, torch.ones(T, T, dtype=torch.bool).tril(-1)):
        return verdict(False, "the diagonal is hidden too: position t may attend to itself (use tril(), not tril(-1)).")
    return verdict(
        False,
        f"wrong at {int((result != expected).sum())} of {T * T} entries; row t should be True "
        f"exactly in columns 0 .. t.",
    )


def check_split_merge_heads(split, merge) -> bool:
    r"""Check ``split(x, n_heads)``: ``(B, T, d_model) -> (B, n_h, T, d_h)``, head :math:`h` holding the
    features :math:`h\,d_h, \dots, (h+1)\,d_h - 1` of every position, and ``merge(heads)``: back to
    ``(B, T, d_model)``. Compared with :func:`s2s_lab.attention.split_heads` and
    :func:`~s2s_lab.attention.merge_heads`, which :class:`s2s_lab.MultiHeadAttention` uses (itself checked
    against PyTorch's). ``merge`` is checked on the reference's heads, so each gets its own verdict.
    """
    g = torch.Generator().manual_seed(6)
    B, T, d, n_h = 2, 5, 12, 3
    d_h = d // n_h
    x = torch.randn(B, T, d, generator=g)
    expected = split_heads(x, n_h)  # (B, n_h, T, d_h)
    result, problem = run_learner_code(split, x.clone(), n_h)
    if problem:
        return verdict(False, "split_heads: " + problem + " Use x.view(B, T, n_heads, d_h), then .transpose(1, 2).")
    if _stub(result, "split_heads"):
        return False
    if isinstance(result, torch.Tensor) and tuple(result.shape) == (B, T, n_h, d_h):
        return verdict(
            False,
            f"split_heads returns (B, T, n_h, d_h) = {tuple(result.shape)}: the heads must come before the time "
            "axis, (B, n_h, T, d_h); add .transpose(1, 2).",
        )
    hints = [
        (
            x.view(B, n_h, T, d_h),
            "You viewed (B, T, d_model) straight as (B, n_h, T, d_h), without the transpose: that cuts the "
            "memory in the wrong place and mixes positions into heads. View as (B, T, n_h, d_h) first, then "
            ".transpose(1, 2).",
        ),
        (
            x.view(B, T, d_h, n_h).permute(0, 3, 1, 2),
            "The heads are in the wrong order: head h must hold the consecutive features h*d_h .. (h+1)*d_h - 1, "
            "not every n_h-th feature. View as (B, T, n_h, d_h), not (B, T, d_h, n_h).",
        ),
    ]
    wrong = _mismatch(result, expected, "split_heads(x)", hints)
    if wrong:
        return verdict(False, wrong)
    heads = expected.contiguous()  # as the heads A V_h come out of the matrix product
    result, problem = run_learner_code(merge, heads)
    if problem:
        hint = (
            " After .transpose the tensor is not contiguous: use .reshape (or .contiguous().view)."
            if "view" in problem
            else " Transpose back to (B, T, n_h, d_h), then reshape to (B, T, n_h * d_h)."
        )
        return verdict(False, "merge_heads: " + problem + hint)
    if _stub(result, "merge_heads"):
        return False
    merge_hints = [
        (
            expected.reshape(B, T, d),
            "You reshaped (B, n_h, T, d_h) to (B, T, d_model) without moving the heads back: .transpose(1, 2) "
            "first, so that each position's heads sit side by side, then .reshape(B, T, n_h * d_h).",
        ),
        (
            expected.permute(0, 2, 3, 1).reshape(B, T, d),
            "The features come out interleaved (head order lost): transpose to (B, T, n_h, d_h), "
            "not (B, T, d_h, n_h), before the reshape.",
        ),
    ]
    wrong = _mismatch(result, x, "merge_heads(heads)", merge_hints)
    if wrong:
        return verdict(False, "split_heads is right; " + wrong)
    return verdict(True, "both match s2s_lab's split_heads and merge_heads, and merge_heads undoes split_heads.")


__all__ = ["check_scaled_dot_product", "check_positional_encoding", "check_causal_mask", "check_split_merge_heads"]
