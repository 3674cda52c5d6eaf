"""s2s_lab.transformer: layers against PyTorch's (values and gradients), positions, masks and the model."""

import math

import pytest
import torch
from _helpers import random_linear_grads as _grads  # noqa: E402
from torch import nn

from s2s_lab.transformer import (
    LayerNorm,
    PositionalEncoding,
    Seq2SeqTransformer,
    TransformerDecoderLayer,
    TransformerEncoderLayer,
    causal_mask,
    sinusoidal_encoding,
    token_mask,
)

ATOL = 1e-5


def _perturb(module, seed):
    """Move every parameter off its initial value (LayerNorm's ones/zeros, MHA's zero biases)."""
    torch.manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(0.2 * torch.randn_like(p))
    return module


def _assert_close_with_grads(ours, ref, ours_inputs, ref_inputs, ours_out, ref_out):
    torch.testing.assert_close(ours_out, ref_out, atol=ATOL, rtol=0)
    names = [n for n, _ in ref.named_parameters()]
    assert sorted(names) == sorted(n for n, _ in ours.named_parameters())
    ours_params, ref_params = dict(ours.named_parameters()), dict(ref.named_parameters())
    a = _grads([ours_out], tuple(ours_inputs) + tuple(ours_params[n] for n in names))
    b = _grads([ref_out], tuple(ref_inputs) + tuple(ref_params[n] for n in names))
    for x, y in zip(a, b):
        torch.testing.assert_close(x, y, atol=ATOL, rtol=0)


def _lengths_mask(lengths, T):
    return torch.arange(T) < torch.tensor(lengths)[:, None]  # (B, T) True = real token


def _off(mask):
    """Our mask (True = takes part) in PyTorch's boolean convention (True = padding / NOT allowed)."""
    return None if mask is None else ~mask


# ---------------------------------------------------------------------------------------------
# Positional encoding and masks
# ---------------------------------------------------------------------------------------------
def test_sinusoidal_encoding_follows_the_formula():
    L, d = 50, 16
    pe = sinusoidal_encoding(L, d)
    assert pe.shape == (L, d) and pe.dtype == torch.float32
    for pos in (0, 1, 7, 49):
        for i in range(d // 2):
            angle = pos / 10000 ** (2 * i / d)
            assert abs(pe[pos, 2 * i].item() - math.sin(angle)) < 1e-6
            assert abs(pe[pos, 2 * i + 1].item() - math.cos(angle)) < 1e-6
    assert sinusoidal_encoding(4, 5).shape == (4, 5)  # odd width drops the last cosine


def test_sinusoidal_dot_product_depends_only_on_distance():
    pe = sinusoidal_encoding(64, 32).double()
    for k in (1, 3, 10):
        dots = (pe[:-k] * pe[k:]).sum(-1)  # PE_pos . PE_{pos+k} for every pos
        torch.testing.assert_close(dots, dots[:1].expand_as(dots), atol=1e-5, rtol=0)
    sims = [(pe[20] * pe[20 + k]).sum().item() for k in range(6)]
    assert sims[0] == max(sims) and sims[0] == pytest.approx(16.0)  # |PE|^2 = d/2


def test_positional_encoding_module_adds_and_checks_length():
    pos = PositionalEncoding(8, max_len=10)
    x = torch.randn(2, 6, 8)
    torch.testing.assert_close(pos(x), x + sinusoidal_encoding(10, 8)[:6])
    with pytest.raises(ValueError, match="11 positions .* max_len=10"):
        pos(torch.randn(1, 11, 8))
    with pytest.raises(ValueError, match=r"expected input of shape \(B, T, d_model=8\), got \(2, 6, 4\)"):
        pos(torch.randn(2, 6, 4))
    assert "pe" not in pos.state_dict()  # recomputed, not stored in checkpoints


def test_masks():
    m = causal_mask(4)  # True = may attend
    assert m.dtype == torch.bool and m.tolist() == [
        [True, False, False, False],
        [True, True, False, False],
        [True, True, True, False],
        [True, True, True, True],
    ]
    ref = nn.Transformer.generate_square_subsequent_mask(4)  # float: 0 = allowed, -inf = not
    assert torch.equal(m, ref == 0)
    assert token_mask(torch.tensor([[5, 6, 0], [7, 0, 0]])).tolist() == [[True, True, False], [True, False, False]]


def test_layer_norm_matches_torch():
    torch.manual_seed(0)
    ref = _perturb(nn.LayerNorm(6).double(), 1)
    ours = LayerNorm(6).double()
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(3, 4, 6, dtype=torch.float64, requires_grad=True) * 3
    _assert_close_with_grads(ours, ref, [x], [x], ours(x), ref(x))


# ---------------------------------------------------------------------------------------------
# Layers vs torch.nn.TransformerEncoderLayer / TransformerDecoderLayer
# ---------------------------------------------------------------------------------------------
CONFIGS = [  # d_model, nhead, dim_feedforward, norm_first, activation
    (16, 4, 32, False, "relu"),
    (16, 4, 32, True, "relu"),
    (12, 3, 20, False, "gelu"),
    (12, 2, 24, True, "gelu"),
]


def _layer_pair(kind, d, h, ff, norm_first, act):
    """PyTorch's Transformer{kind}Layer with perturbed weights, and ours loaded from it; both eval, float64."""
    ref = getattr(nn, f"Transformer{kind}Layer")(
        d, h, ff, dropout=0.0, activation=act, batch_first=True, norm_first=norm_first
    )
    ref = _perturb(ref.double(), 0).eval()
    ours = {"Encoder": TransformerEncoderLayer, "Decoder": TransformerDecoderLayer}[kind]
    ours = ours(d, h, ff, dropout=0.0, activation=act, norm_first=norm_first).double().eval()
    ours.load_state_dict(ref.state_dict())
    torch.manual_seed(1)
    return ours, ref


@pytest.mark.parametrize("d, h, ff, norm_first, act", CONFIGS)
@pytest.mark.parametrize("padded", [False, True])
def test_encoder_layer_matches_torch(d, h, ff, norm_first, act, padded):
    ours, ref = _layer_pair("Encoder", d, h, ff, norm_first, act)
    x = torch.randn(3, 7, d, dtype=torch.float64, requires_grad=True)
    key_mask = _lengths_mask([7, 4, 2], 7) if padded else None  # True = real token
    out = ours(x, src_key_mask=key_mask)
    ref_out = ref(x, src_key_padding_mask=_off(key_mask))
    _assert_close_with_grads(ours, ref, [x], [x], out, ref_out)
    with torch.no_grad():  # PyTorch's inference fast path gives the same numbers on real tokens
        fast = ref(x, src_key_padding_mask=_off(key_mask))
        real = key_mask if padded else torch.ones(3, 7, dtype=torch.bool)
        torch.testing.assert_close(ours(x, src_key_mask=key_mask)[real], fast[real], atol=ATOL, rtol=0)


def test_encoder_layer_causal_mask_and_weights():
    ref = _perturb(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True).double(), 2)
    ours = TransformerEncoderLayer(8, 2, 16, dropout=0.0).double()
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(2, 5, 8, dtype=torch.float64)
    mask = causal_mask(5)  # True = may attend; PyTorch's boolean src_mask is its opposite
    torch.testing.assert_close(ours(x, self_mask=mask), ref(x, src_mask=~mask), atol=ATOL, rtol=0)
    torch.testing.assert_close(ours(x, is_causal=True), ref(x, src_mask=~mask), atol=ATOL, rtol=0)
    _, w = ours.forward_with_weights(x, self_mask=mask)
    assert w.shape == (2, 2, 5, 5) and torch.all(w[..., ~mask] == 0)


@pytest.mark.parametrize("d, h, ff, norm_first, act", CONFIGS)
@pytest.mark.parametrize("padded", [False, True])
def test_decoder_layer_matches_torch(d, h, ff, norm_first, act, padded):
    ours, ref = _layer_pair("Decoder", d, h, ff, norm_first, act)
    tgt = torch.randn(3, 5, d, dtype=torch.float64, requires_grad=True)
    mem = torch.randn(3, 8, d, dtype=torch.float64, requires_grad=True)
    tgt_key, mem_key = (_lengths_mask([5, 3, 4], 5), _lengths_mask([8, 2, 6], 8)) if padded else (None, None)
    out = ours(tgt, mem, tgt_key_mask=tgt_key, memory_key_mask=mem_key, self_mask=causal_mask(5))
    ref_out = ref(  # PyTorch's boolean masks are the opposite of ours
        tgt, mem, tgt_mask=~causal_mask(5), tgt_key_padding_mask=_off(tgt_key), memory_key_padding_mask=_off(mem_key)
    )
    _assert_close_with_grads(ours, ref, [tgt, mem], [tgt, mem], out, ref_out)


def test_decoder_layer_weights_and_memory_mask():
    ref = _perturb(nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, batch_first=True).double(), 3)
    ours = TransformerDecoderLayer(8, 2, 16, dropout=0.0).double()
    ours.load_state_dict(ref.state_dict())
    tgt, mem = torch.randn(2, 4, 8, dtype=torch.float64), torch.randn(2, 6, 8, dtype=torch.float64)
    cross = torch.ones(4, 6, dtype=torch.bool)  # True = may attend
    cross[:, 5] = False
    torch.testing.assert_close(
        ours(tgt, mem, cross_mask=cross, tgt_is_causal=True),
        ref(tgt, mem, memory_mask=~cross, tgt_mask=~causal_mask(4)),  # PyTorch: True = NOT allowed
        atol=ATOL,
        rtol=0,
    )
    _, ws, wc = ours.forward_with_weights(tgt, mem, self_mask=causal_mask(4), cross_mask=cross)
    assert ws.shape == (2, 2, 4, 4) and wc.shape == (2, 2, 4, 6)
    assert torch.all(wc[..., 5] == 0) and torch.all(ws[..., ~causal_mask(4)] == 0)


def test_layer_errors():
    with pytest.raises(ValueError, match="batch_first=False"):
        TransformerEncoderLayer(8, 2, batch_first=False)
    with pytest.raises(ValueError, match="activation must be"):
        TransformerEncoderLayer(8, 2, activation="tanh")
    with pytest.raises(ValueError, match="divisible"):
        TransformerDecoderLayer(10, 3)
    layer = TransformerDecoderLayer(8, 2, 16)
    with pytest.raises(ValueError, match=r"expected memory of shape \(B, T, d_model=8\), got \(2, 3, 4\)"):
        layer(torch.randn(2, 3, 8), torch.randn(2, 3, 4))


# ---------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------
def _model(norm_first=False, seed=0, **kw):
    torch.manual_seed(seed)
    args = dict(
        d_model=16,
        nhead=2,
        num_encoder_layers=2,
        num_decoder_layers=2,
        dim_feedforward=32,
        dropout=0.0,
        max_len=20,
        norm_first=norm_first,
    )
    args.update(kw)
    return Seq2SeqTransformer(11, 9, **args).eval()


def _batch():
    src = torch.tensor([[4, 5, 6, 7, 8], [9, 10, 4, 0, 0]])
    tgt_in = torch.tensor([[1, 4, 5, 6], [1, 7, 8, 0]])
    return src, src != 0, tgt_in


@pytest.mark.parametrize("norm_first", [False, True])
def test_model_shapes_and_causality(norm_first):
    model = _model(norm_first)
    src, src_mask, tgt_in = _batch()
    logits = model(src, src_mask, tgt_in)
    assert logits.shape == (2, 4, 9)
    changed = tgt_in.clone()
    changed[:, 2:] = 3  # change the future: earlier positions' logits must not move
    torch.testing.assert_close(model(src, src_mask, changed)[:, :2], logits[:, :2], atol=1e-6, rtol=0)
    assert not torch.allclose(model(src, src_mask, changed)[:, 2:], logits[:, 2:])
    assert torch.equal(model(src, src_mask, tgt_in, teacher_forcing=0.0), logits)


def test_model_ignores_padding():
    model = _model()
    src, src_mask, tgt_in = _batch()
    logits = model(src, src_mask, tgt_in)
    more_pad = torch.cat([src, torch.zeros(2, 3, dtype=torch.long)], 1)  # same sentences, longer padding
    torch.testing.assert_close(model(more_pad, more_pad != 0, tgt_in), logits, atol=1e-5, rtol=0)
    alone = model(src[1:, :3], src_mask[1:, :3], tgt_in[1:])  # second sentence without any padding
    torch.testing.assert_close(alone, logits[1:], atol=1e-5, rtol=0)


def test_greedy_decode_agrees_with_forward():
    model = _model(seed=3)
    src, src_mask, _ = _batch()
    tokens, extras = model.greedy_decode(src, src_mask, max_len=6)
    assert tokens.dtype == torch.long and tokens.shape[0] == 2 and tokens.shape[1] <= 6
    tgt_in = torch.cat([torch.ones(2, 1, dtype=torch.long), tokens[:, :-1]], 1)
    expect = model(src, src_mask, tgt_in).argmax(-1)
    for b in range(2):  # up to and including the first <eos>
        row = tokens[b].tolist()
        n = row.index(2) + 1 if 2 in row else len(row)
        assert row[:n] == expect[b, :n].tolist()
        assert all(t == 0 for t in row[n:])  # <pad> after <eos>
    assert extras["attention"].shape == (2, tokens.shape[1], 5)
    torch.testing.assert_close(extras["attention"].sum(-1), torch.ones(2, tokens.shape[1]))
    assert torch.all(extras["attention"][1, :, 3:] == 0)  # padding of the second source
    assert len(extras["cross_attention"]) == 2 and extras["self_attention"][0].shape[1] == 2


@pytest.fixture
def one_thread():
    """Tiny matrices: one thread avoids the (large, on a busy 2-core machine) cost of waking a second one."""
    from s2s_lab.training import num_threads

    with num_threads(1):
        yield


def test_model_errors():
    model = _model()
    src, src_mask, tgt_in = _batch()
    with pytest.raises(ValueError, match=r"expected src as token ids: a long tensor of shape \(B, S\)"):
        model(src.float(), src_mask, tgt_in)
    with pytest.raises(ValueError, match=r"expected src_mask as a bool tensor of shape \(2, 5\)"):
        model(src, src_mask.long(), tgt_in)
    with pytest.raises(ValueError, match="at least one real token"):
        model(src, torch.zeros_like(src_mask), tgt_in)
    with pytest.raises(ValueError, match="25 tokens .* max_len=20"):
        model(torch.full((1, 25), 4), torch.ones(1, 25, dtype=torch.bool), tgt_in[:1])
    with pytest.raises(ValueError, match=r"source token ids in \[0, 10\], got ids from 6 to 16"):
        model(src + 6, src_mask, tgt_in)
    with pytest.raises(ValueError, match=r"target token ids in \[0, 8\], got ids from 0 to 16"):
        model(src, src_mask, tgt_in + tgt_in)
    with pytest.raises(ValueError, match="at least one real token"):
        model(src[:, :0], src_mask[:, :0], tgt_in)
    with pytest.raises(ValueError, match=r"expected tgt_in as token ids.*got a torch.int64 tensor of shape \(2, 0\)"):
        model(src, src_mask, tgt_in[:, :0])
    with pytest.raises(ValueError, match="max_len as a whole number >= 1"):
        model.greedy_decode(src, src_mask, max_len=0)
    assert model.greedy_decode(src, src_mask, max_len=50)[0].shape[1] <= 20  # capped at the model's max_len


def test_trains_with_the_training_engine_and_checkpoints(one_thread, tmp_path):
    """The same fit/evaluate/checkpoint code as the RNN models, on the reversal task: it must learn."""
    from s2s_lab import PairDataset, make_loader, make_task, seed_everything
    from s2s_lab.checkpoints import load_checkpoint, save_checkpoint
    from s2s_lab.interface import decode_text
    from s2s_lab.training import evaluate, fit

    seed_everything(0)
    t = make_task("reversal", 250, 50, 0, seed=0, min_len=3, max_len=3, alphabet="abcdefg")
    train = make_loader(PairDataset(t.train, t.src_vocab, t.tgt_vocab), 32, shuffle=True, seed=0)
    val = make_loader(PairDataset(t.val, t.src_vocab, t.tgt_vocab), 50)
    model = Seq2SeqTransformer(
        len(t.src_vocab),
        len(t.tgt_vocab),
        d_model=32,
        nhead=2,
        num_encoder_layers=1,
        num_decoder_layers=1,
        dim_feedforward=64,
        dropout=0.0,
        max_len=8,
    )
    before = evaluate(model, val)["exact_match"]
    hist = fit(model, train, val_loader=val, epochs=40, lr=5e-3, target=0.95, device="cpu")
    assert before < 0.1 and hist.best["exact_match"] >= 0.95
    assert decode_text(model, "abc", t.src_vocab, t.tgt_vocab).output == "cba"
    save_checkpoint(tmp_path / "tf.pt", model)
    rebuilt, _ = load_checkpoint(tmp_path / "tf.pt")
    assert isinstance(rebuilt, Seq2SeqTransformer) and rebuilt.config == model.config
    assert evaluate(rebuilt, val) == evaluate(model, val)
    with pytest.raises(ValueError, match="has 9 tokens .* max_len=8|at most 8"):
        decode_text(model, "abcdefgab", t.src_vocab, t.tgt_vocab)


@pytest.mark.parametrize("norm_first", [False, True])
def test_self_attention_parts_are_the_encoders(norm_first):
    model = _model(norm_first)
    src, src_mask, _ = _batch()
    _, weights = model.encode(src, src_mask, return_weights=True)
    for layer in range(2):
        s = model.self_attention_parts(src, src_mask, layer)
        torch.testing.assert_close(s["weights"], weights[layer])
        assert s["Q"].shape == (2, 2, 5, 8)
    s = model.self_attention_parts(src, src_mask, 1, causal=True)
    assert torch.all(s["weights"][..., ~causal_mask(5)] == 0)
    with pytest.raises(ValueError, match=r"encoder layer in 0..1, got 2"):
        model.self_attention_parts(src, src_mask, 2)
