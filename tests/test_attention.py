"""s2s_lab.attention against PyTorch's own attention (values and gradients), plus masking and errors."""

import pytest
import torch
import torch.nn.functional as F
from _helpers import random_linear_grads as _grads  # noqa: E402
from torch import nn

from s2s_lab.attention import (
    AdditiveAttention,
    LuongAttention,
    MultiHeadAttention,
    make_attention,
    masked_softmax,
    merge_heads,
    scaled_dot_product,
    split_heads,
)

ATOL = 1e-5


# ---------------------------------------------------------------------------------------------
# scaled_dot_product vs F.scaled_dot_product_attention
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "batch, T_q, T_k, d, d_v",
    [((), 3, 5, 4, 6), ((2,), 4, 4, 8, 8), ((2, 3), 1, 7, 5, 2), ((3, 2), 6, 2, 16, 4)],
)
@pytest.mark.parametrize("masked", [False, True])
def test_scaled_dot_product_matches_torch(batch, T_q, T_k, d, d_v, masked):
    torch.manual_seed(0)
    q = torch.randn(*batch, T_q, d, dtype=torch.float64, requires_grad=True)
    k = torch.randn(*batch, T_k, d, dtype=torch.float64, requires_grad=True)
    v = torch.randn(*batch, T_k, d_v, dtype=torch.float64, requires_grad=True)
    mask = None
    if masked:
        mask = torch.rand(*batch, T_q, T_k) > 0.4
        mask[..., 0] = True  # every query may attend to something
    ctx, w = scaled_dot_product(q, k, v, mask)
    ref = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert ctx.shape == (*batch, T_q, d_v) and w.shape == (*batch, T_q, T_k)
    torch.testing.assert_close(ctx, ref, atol=ATOL, rtol=0)
    for a, b in zip(_grads([ctx], (q, k, v)), _grads([ref], (q, k, v))):
        torch.testing.assert_close(a, b, atol=ATOL, rtol=0)


def test_scaled_dot_product_broadcast_mask_and_float_mask():
    torch.manual_seed(1)
    q, k, v = torch.randn(2, 3, 4, 8), torch.randn(2, 3, 6, 8), torch.randn(2, 3, 6, 5)
    causal = torch.ones(4, 6, dtype=torch.bool).tril()  # broadcast over (2, 3)
    ctx, w = scaled_dot_product(q, k, v, causal)
    torch.testing.assert_close(ctx, F.scaled_dot_product_attention(q, k, v, attn_mask=causal), atol=ATOL, rtol=0)
    assert torch.all(w[..., ~causal] == 0)
    bias = torch.randn(4, 6)
    ctx, _ = scaled_dot_product(q, k, v, bias)
    torch.testing.assert_close(ctx, F.scaled_dot_product_attention(q, k, v, attn_mask=bias), atol=ATOL, rtol=0)


def test_masked_keys_get_exactly_zero_weight_and_rows_sum_to_one():
    torch.manual_seed(2)
    q, k, v = torch.randn(3, 4, 8) * 10, torch.randn(3, 7, 8) * 10, torch.randn(3, 7, 2)
    mask = torch.rand(3, 4, 7) > 0.5
    mask[..., 3] = True
    _, w = scaled_dot_product(q, k, v, mask)
    assert torch.all(w[~mask] == 0.0)
    torch.testing.assert_close(w.sum(-1), torch.ones(3, 4))


def test_fully_masked_row_gives_zeros_not_nan_and_finite_grads():
    scores = torch.randn(2, 3, requires_grad=True)
    mask = torch.tensor([[True, False, True], [False, False, False]])
    w = masked_softmax(scores, mask)
    assert torch.all(w[1] == 0) and torch.isclose(w[0].sum(), torch.tensor(1.0))
    (g,) = torch.autograd.grad(w.sum(), scores)
    assert torch.isfinite(g).all()


def test_scaled_dot_product_errors_name_expected_and_got():
    q, k, v = torch.randn(2, 3, 4), torch.randn(2, 5, 4), torch.randn(2, 5, 6)
    with pytest.raises(ValueError, match=r"key of shape \(\.\.\., T_k, d=4\).*got \(2, 5, 3\)"):
        scaled_dot_product(q, torch.randn(2, 5, 3), v)
    with pytest.raises(ValueError, match=r"value of shape \(\.\.\., T_k=5, d_v\).*got \(2, 4, 6\)"):
        scaled_dot_product(q, k, torch.randn(2, 4, 6))
    with pytest.raises(ValueError, match=r"mask broadcastable to .*\(2, 3, 5\), got \(3, 4\)"):
        scaled_dot_product(q, k, v, torch.ones(3, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="floating-point"):
        scaled_dot_product(q.long(), k, v)
    with pytest.raises(ValueError, match=r"broadcast\), got \(2, 3, 4\), \(3, 5, 4\)"):
        scaled_dot_product(q, torch.randn(3, 5, 4), torch.randn(3, 5, 6), torch.ones(3, 5, dtype=torch.bool))


# ---------------------------------------------------------------------------------------------
# MultiHeadAttention vs nn.MultiheadAttention
# ---------------------------------------------------------------------------------------------
def _pair(E, H, bias=True, seed=0):
    torch.manual_seed(seed)
    ref = nn.MultiheadAttention(E, H, bias=bias, batch_first=True).double()
    with torch.no_grad():  # non-zero biases so they are tested too
        for p in ref.parameters():
            p.add_(0.1 * torch.randn_like(p))
    ours = MultiHeadAttention(E, H, bias=bias).double()
    ours.load_state_dict(ref.state_dict())
    return ours, ref


def _inputs(B, T_q, T_k, E, cross, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, T_q, E, generator=g, dtype=torch.float64, requires_grad=True)
    if not cross:
        return x, x, x
    k = torch.randn(B, T_k, E, generator=g, dtype=torch.float64, requires_grad=True)
    v = torch.randn(B, T_k, E, generator=g, dtype=torch.float64, requires_grad=True)
    return x, k, v


def _masks(kind, B, T_q, T_k):
    """Our masks, True = takes part: ``key_mask (B, T_k)`` True = real key, ``mask (T_q, T_k)`` True = may attend
    (or a float mask)."""
    key_mask = mask = None
    lengths = torch.tensor([T_k, max(1, T_k - 2), max(1, T_k - 1)])[:B]
    if "pad" in kind:
        key_mask = torch.arange(T_k) < lengths[:, None]  # (B, T_k), True = real key
    if "bool" in kind:
        mask = torch.ones(T_q, T_k, dtype=torch.bool).tril()  # True = may attend (causal)
    if "float" in kind:
        mask = torch.randn(T_q, T_k, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
        mask[:, -1] = float("-inf")
    return key_mask, mask


def _torch_masks(key_mask, mask):
    """The same masks in nn.MultiheadAttention's convention: boolean True = NOT allowed (floats unchanged)."""
    kpm = None if key_mask is None else ~key_mask
    am = mask if mask is None or mask.is_floating_point() else ~mask
    return kpm, am


@pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask")
@pytest.mark.parametrize("cross", [False, True])
@pytest.mark.parametrize("mask_kind", ["none", "pad", "bool", "float", "pad+bool", "pad+float"])
def test_multihead_matches_torch(cross, mask_kind):
    E, H, B = 12, 3, 3
    T_q, T_k = (5, 7) if cross else (6, 6)
    ours, ref = _pair(E, H)
    q, k, v = _inputs(B, T_q, T_k, E, cross)
    key_mask, mask = _masks(mask_kind, B, T_q, T_k)
    out, w = ours(q, k, v, key_mask=key_mask, mask=mask)
    kpm, am = _torch_masks(key_mask, mask)  # PyTorch's convention is the opposite
    ref_out, ref_w = ref(q, k, v, key_padding_mask=kpm, attn_mask=am, need_weights=True, average_attn_weights=False)
    assert out.shape == (B, T_q, E) and w.shape == (B, H, T_q, T_k)
    torch.testing.assert_close(out, ref_out, atol=ATOL, rtol=0)
    torch.testing.assert_close(w, ref_w, atol=ATOL, rtol=0)
    inputs = tuple({id(t): t for t in (q, k, v)}.values()) + tuple(ours.parameters())
    ref_inputs = tuple({id(t): t for t in (q, k, v)}.values()) + tuple(ref.parameters())
    for a, b in zip(_grads([out, w], inputs), _grads([ref_out, ref_w], ref_inputs)):
        torch.testing.assert_close(a, b, atol=ATOL, rtol=0)
    if key_mask is not None:
        assert torch.all(w.masked_select(~key_mask[:, None, None, :].expand_as(w)) == 0)


def test_multihead_without_bias_and_3d_mask():
    E, H, B, T = 8, 2, 2, 4
    ours, ref = _pair(E, H, bias=False, seed=1)
    q, k, v = _inputs(B, T, T, E, cross=False, seed=1)
    mask = torch.rand(B * H, T, T, generator=torch.Generator().manual_seed(0)) < 0.4  # True = may attend
    mask[..., 0] = True
    out, w = ours(q, k, v, mask=mask)
    ref_out, ref_w = ref(q, k, v, attn_mask=~mask, average_attn_weights=False)  # PyTorch: True = NOT allowed
    torch.testing.assert_close(out, ref_out, atol=ATOL, rtol=0)
    torch.testing.assert_close(w, ref_w, atol=ATOL, rtol=0)


def test_split_and_merge_heads():
    x = torch.arange(2 * 3 * 8.0).view(2, 3, 8)  # (B, T, d_model)
    heads = split_heads(x, 4)  # (B, n_h, T, d_h)
    assert heads.shape == (2, 4, 3, 2)
    torch.testing.assert_close(heads[1, 2, 0], x[1, 0, 4:6])  # head 2 holds features 4, 5 of every position
    torch.testing.assert_close(merge_heads(heads), x)
    with pytest.raises(ValueError, match="n_heads >= 1 dividing d_model=8, got n_heads=3"):
        split_heads(x, 3)
    with pytest.raises(ValueError, match=r"expected x of shape \(B, n_h, T, d_h\), got \(2, 3, 8\)"):
        merge_heads(x)


def test_multihead_steps_expose_the_formula():
    ours, _ = _pair(8, 2)
    x, _, _ = _inputs(1, 3, 3, 8, cross=False)
    s = ours.parts(x, x, x)
    assert s["Q"].shape == (1, 2, 3, 4) and s["scores"].shape == (1, 2, 3, 3)
    torch.testing.assert_close(s["weights"], torch.softmax(s["scores"], -1))
    torch.testing.assert_close(s["output"], ours(x, x, x)[0])


def test_multihead_errors():
    with pytest.raises(ValueError, match="divisible"):
        MultiHeadAttention(10, 3)
    mha = MultiHeadAttention(8, 2)
    x = torch.randn(2, 3, 8)
    with pytest.raises(ValueError, match=r"expected query of shape \(B, T_q, d_model=8\), got \(2, 3, 6\)"):
        mha(torch.randn(2, 3, 6), x, x)
    with pytest.raises(ValueError, match=r"key_mask of shape \(B, T_k\) = \(2, 3\), bool with True = real key, got"):
        mha(x, x, x, key_mask=torch.ones(2, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"mask of shape \(T_q, T_k\) = \(3, 3\) .*True = may attend"):
        mha(x, x, x, mask=torch.ones(4, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"key_mask must be boolean \(True = real key\)"):
        mha(x, x, x, key_mask=torch.ones(2, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="same T_k"):
        mha(x, x, torch.randn(2, 4, 8))


# ---------------------------------------------------------------------------------------------
# Single-query attention for RNN decoders
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["additive", "dot", "general", "scaled_dot"])
def test_single_query_attention_shapes_masking_and_sums(kind):
    torch.manual_seed(0)
    B, T, D = 3, 6, 8
    D_q = D if kind in ("dot", "scaled_dot") else 5
    attn = make_attention(kind, D_q, D, attn_size=7)
    q, keys, values = torch.randn(B, D_q), torch.randn(B, T, D), torch.randn(B, T, 4)
    mask = torch.arange(T) < torch.tensor([6, 3, 1])[:, None]  # True = real token
    ctx, w = attn(q, keys, values, mask)
    assert ctx.shape == (B, 4) and w.shape == (B, T)
    assert torch.all(w[~mask] == 0.0)
    torch.testing.assert_close(w.sum(-1), torch.ones(B))
    torch.testing.assert_close(ctx, torch.einsum("bt,btd->bd", w, values))
    ctx_default, _ = attn(q, keys, mask=mask)  # values default to keys
    assert ctx_default.shape == (B, D)
    # only the last example has a single real token: all its weight is there
    assert w[2, 0] == 1.0


def test_single_query_scores_follow_the_formulas():
    torch.manual_seed(0)
    q, keys = torch.randn(2, 4), torch.randn(2, 5, 4)
    _, w = LuongAttention(4, 4, "dot")(q, keys)
    torch.testing.assert_close(w, torch.softmax(torch.einsum("bd,btd->bt", q, keys), -1))
    _, w = LuongAttention(4, 4, "scaled_dot")(q, keys)
    torch.testing.assert_close(w, torch.softmax(torch.einsum("bd,btd->bt", q, keys) / 2.0, -1))
    gen = LuongAttention(4, 4, "general")
    _, w = gen(q, keys)
    torch.testing.assert_close(w, torch.softmax(torch.einsum("bd,de,bte->bt", q, gen.W_a.weight, keys), -1))
    add = AdditiveAttention(4, 4, 3)
    _, w = add(q, keys)
    hidden = torch.tanh((q @ add.W_q.weight.T)[:, None, :] + keys @ add.W_k.weight.T)
    torch.testing.assert_close(w, torch.softmax((hidden @ add.v.weight.T).squeeze(-1), -1))


def test_single_query_attention_errors():
    with pytest.raises(ValueError, match="query_size == key_size"):
        LuongAttention(4, 5, "dot")
    with pytest.raises(ValueError, match="expected attention kind"):
        make_attention("cosine", 4, 4)
    attn = AdditiveAttention(4, 6, 5)
    with pytest.raises(ValueError, match=r"expected query of shape \(B, D_q=4\), got \(2, 6\)"):
        attn(torch.randn(2, 6), torch.randn(2, 3, 6))
    with pytest.raises(ValueError, match=r"expected keys of shape \(B=2, T, D_k=6\), got \(2, 3, 4\)"):
        attn(torch.randn(2, 4), torch.randn(2, 3, 4))
    with pytest.raises(ValueError, match=r"boolean mask of shape \(B=2, T=3\)"):
        attn(torch.randn(2, 4), torch.randn(2, 3, 6), mask=torch.ones(2, 4, dtype=torch.bool))
