"""Incremental Transformer decoding with a key/value cache equals decoding the whole prefix every step."""

import pytest
import torch

from s2s_lab.attention import MultiHeadAttention
from s2s_lab.data import PAD, UNK
from s2s_lab.decoding import greedy
from s2s_lab.transformer import Seq2SeqTransformer, TransformerDecoderLayer, causal_mask

ATOL = 1e-5


def _perturb(module, seed=0):
    """Move every parameter off its initial value (LayerNorm's ones/zeros, the zero biases)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(0.2 * torch.randn(p.shape, generator=g))
    return module


def _source(B=3, S=7, V=11, seed=0):
    g = torch.Generator().manual_seed(seed)
    src = torch.randint(4, V, (B, S), generator=g)
    lengths = torch.tensor([S, max(S - 3, 1), 2][:B])
    mask = torch.arange(S) < lengths[:, None]  # (B, S) True = real token
    return src.masked_fill(~mask, 0), mask


def _model(norm_first, **kw):
    torch.manual_seed(0)
    args = dict(d_model=32, nhead=4, num_encoder_layers=2, num_decoder_layers=3, dim_feedforward=48, max_len=24)
    return _perturb(Seq2SeqTransformer(11, 13, norm_first=norm_first, **{**args, **kw})).eval()


def test_cached_attention_equals_multi_head_attention():
    mha = _perturb(MultiHeadAttention(16, 4)).eval()
    q, kv = torch.randn(2, 3, 16), torch.randn(2, 5, 16)
    real = torch.tensor([[True] * 5, [True, True, True, False, False]])  # True = real key
    out, w = mha(q, kv, kv, key_mask=real)
    out_c, w_c = mha.attend(q, *mha.project_kv(kv, kv), key_mask=real)
    torch.testing.assert_close(out_c, out, atol=ATOL, rtol=0)
    torch.testing.assert_close(w_c, w, atol=ATOL, rtol=0)


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_step_equals_its_causal_forward(norm_first):
    layer = _perturb(TransformerDecoderLayer(16, 4, dim_feedforward=24, norm_first=norm_first)).eval()
    x, memory = torch.randn(2, 6, 16), torch.randn(2, 5, 16)
    real = torch.tensor([[True] * 5, [True, True, False, False, False]])  # True = real token
    full, w_self, w_cross = layer.forward_with_weights(x, memory, memory_key_mask=real, self_mask=causal_mask(6))
    cache = layer.start_cache(memory)
    for t in range(6):
        out, cache, ws, wc = layer.forward_step(x[:, t : t + 1], cache, memory_key_mask=real)
        torch.testing.assert_close(out[:, 0], full[:, t], atol=ATOL, rtol=0)
        torch.testing.assert_close(ws[:, :, 0], w_self[:, :, t, : t + 1], atol=ATOL, rtol=0)
        torch.testing.assert_close(wc[:, :, 0], w_cross[:, :, t], atol=ATOL, rtol=0)
        assert cache["self"][0].shape == (2, 4, t + 1, 4)


@pytest.mark.parametrize("norm_first", [False, True])
def test_cached_logits_equal_uncached(norm_first):
    model = _model(norm_first)
    src, mask = _source()
    tgt_in = torch.randint(3, 13, (3, 10), generator=torch.Generator().manual_seed(1))
    tgt_in[:, 0] = 1
    with torch.no_grad():
        memory = model.encode(src, mask)
        full, w_self, w_cross = model.decode(tgt_in, memory, mask, return_weights=True)  # (B, T, V)
        cache, steps = model.start_cache(memory), []
        for t in range(tgt_in.shape[1]):
            logits, cache, ws, wc = model.decode_step(tgt_in[:, t], cache, mask)
            steps.append(logits)
            torch.testing.assert_close(wc[-1][:, :, 0], w_cross[-1][:, :, t], atol=ATOL, rtol=0)
    torch.testing.assert_close(torch.stack(steps, 1), full, atol=ATOL, rtol=0)


@pytest.mark.parametrize("norm_first", [False, True])
def test_cached_greedy_equals_uncached_greedy_decode(norm_first):
    model = _model(norm_first)
    with torch.no_grad():  # decoding.greedy never writes <pad> or <unk>; the model's own greedy_decode may
        model.generator.bias[[PAD, UNK]] -= 100.0
    src, mask = _source()
    tokens, extras = model.greedy_decode(src, mask, 15)
    probs, attention = extras["probs"], extras["attention"]  # (B, T', V), (B, T', S)
    for b, h in enumerate(greedy(model, src, mask, 15)):
        n = len(h)
        assert h.tokens == tokens[b, :n].tolist()
        assert n == tokens.shape[1] or tokens[b, n:].eq(0).all()  # <pad> after <eos>
        expected = probs[b, torch.arange(n), tokens[b, :n]].log()
        torch.testing.assert_close(h.token_log_probs, expected, atol=ATOL, rtol=0)
        torch.testing.assert_close(h.attention, attention[b, :n][:, mask[b]], atol=ATOL, rtol=0)


def test_decode_step_refuses_a_position_past_max_len():
    model = _model(False, max_len=3)
    src, mask = _source(S=3)
    cache = model.start_cache(model.encode(src, mask))
    y = torch.ones(3, dtype=torch.long)
    for _ in range(3):
        _, cache, _, _ = model.decode_step(y, cache, mask)
    with pytest.raises(ValueError, match=r"position 3 is past this model's max_len=3"):
        model.decode_step(y, cache, mask)
    with pytest.raises(ValueError, match=r"y_prev as token ids: a long tensor of shape \(B,\), got torch.float32"):
        model.decode_step(y.float(), cache, mask)
    with pytest.raises(ValueError, match=r"y_prev token ids in \[0, 12\], got ids up to 13"):
        model.decode_step(y + 12, model.start_cache(model.encode(src, mask)), mask)
    with pytest.raises(ValueError, match=r"a cache of 3 layers \(from start_cache\), got 1"):
        model.decode_step(y, cache[:1], mask)


def test_attend_names_the_shapes_it_expects():
    mha = MultiHeadAttention(16, 4)
    K, V = mha.project_kv(torch.randn(2, 5, 16), torch.randn(2, 5, 16))
    with pytest.raises(ValueError, match=r"cached K, V \(B, n_h=4, T_k, d_h=4\), got \(2, 1, 16\), \(2, 4, 5, 4\)"):
        mha.attend(torch.randn(2, 1, 16), K, V[:, :, :3])
    with pytest.raises(ValueError, match=r"cached K, V"):
        mha.attend(torch.randn(3, 1, 16), K, V)
