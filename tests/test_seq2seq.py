"""The RNN encoder-decoder (s2s_lab.seq2seq): masking, agreement with PyTorch, decoding, bad input."""

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from s2s_lab.data import EOS, PAD, Vocab, collate
from s2s_lab.interface import decode_text
from s2s_lab.seq2seq import Encoder, Seq2Seq


def _batch(seed=0, V=9, B=4, S=6):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([S, 2, 5, 1][:B])
    src = torch.randint(4, V, (B, S), generator=g)
    mask = torch.arange(S)[None] < lengths[:, None]
    return src.masked_fill(~mask, PAD), mask, lengths


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_encoder_matches_torch_packed_bidirectional(cell):
    """Our masked encoder = torch.nn.GRU/LSTM on a packed (unpadded) batch: values and gradients."""
    torch.manual_seed(0)
    enc = Encoder(9, 5, 7, cell, bidirectional=True)
    ref = (torch.nn.GRU if cell == "gru" else torch.nn.LSTM)(5, 7, batch_first=True, bidirectional=True)
    for suffix, ours in (("_l0", enc.fwd), ("_l0_reverse", enc.bwd)):
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(ref, name + suffix).data.copy_(getattr(ours, name))
    src, mask, lengths = _batch()
    out, final = enc(src, mask)
    x = enc.embedding(src)
    packed, h_n = ref(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
    ref_out, _ = pad_packed_sequence(packed, batch_first=True, total_length=src.shape[1])
    h_n = h_n if cell == "gru" else h_n[0]
    ours_h = final if cell == "gru" else final[0]
    torch.testing.assert_close(out, ref_out, atol=1e-5, rtol=0)
    torch.testing.assert_close(ours_h, torch.cat([h_n[0], h_n[1]], -1), atol=1e-5, rtol=0)
    g_ours = torch.autograd.grad((out**2).sum() + ours_h.sum(), enc.fwd.weight_hh, retain_graph=True)[0]
    g_ref = torch.autograd.grad((ref_out**2).sum() + h_n.sum(), ref.weight_hh_l0)[0]
    torch.testing.assert_close(g_ours, g_ref, atol=1e-5, rtol=0)


def test_padding_does_not_change_a_sequence():
    torch.manual_seed(0)
    enc = Encoder(9, 5, 7, "gru", bidirectional=True)
    src, mask, _ = _batch()
    out, final = enc(src, mask)
    alone_out, alone_final = enc(src[1:2, :2], mask[1:2, :2])
    torch.testing.assert_close(final[1:2], alone_final)
    torch.testing.assert_close(out[1:2, :2], alone_out)
    assert out[1, 2:].abs().max() == 0  # zero at padding


def _model(attention=None, cell="gru"):
    torch.manual_seed(0)
    return Seq2Seq(9, 8, emb_size=6, hidden_size=5, cell=cell, bidirectional=True, attention=attention, max_src_len=6)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_forward_shapes_and_free_running_equals_greedy(cell):
    m = _model(cell=cell).eval()
    src, mask, _ = _batch()
    tgt_in = torch.full((4, 5), 1)
    logits = m(src, mask, tgt_in)
    assert logits.shape == (4, 5, 8)
    tokens, extras = m.greedy_decode(src, mask, max_len=5)
    free = m(src, mask, tgt_in, teacher_forcing=0.0)  # always feeds its own argmax
    n = tokens.shape[1]
    first_eos = min([row.tolist().index(EOS) for row in tokens if EOS in row.tolist()] + [n - 1])
    torch.testing.assert_close(free[:, : first_eos + 1].softmax(-1), extras["probs"][:, : first_eos + 1])
    assert "attention" not in extras


def test_teacher_forcing_ratio_mixes():
    m = _model()
    src, mask, _ = _batch()
    tgt_in = torch.randint(4, 8, (4, 6), generator=torch.Generator().manual_seed(1))
    tgt_in[:, 0] = 1
    full, none = m(src, mask, tgt_in, 1.0), m(src, mask, tgt_in, 0.0)
    assert not torch.allclose(full, none)
    torch.testing.assert_close(full[:, 0], none[:, 0])  # step 0 always reads <bos>
    with pytest.raises(ValueError, match="teacher_forcing in"):
        m(src, mask, tgt_in, 1.5)


def test_greedy_decode_pads_after_eos():
    m = _model()
    with torch.no_grad():
        m.decoder.out.bias.fill_(-10.0)
        m.decoder.out.bias[EOS] = 10.0  # always says <eos>
    src, mask, _ = _batch()
    tokens, extras = m.greedy_decode(src, mask, max_len=7)
    assert tokens.tolist() == [[EOS]] * 4 and extras["probs"].shape == (4, 1, 8)


def test_bad_source_input():
    m = _model()
    src, mask, _ = _batch()
    with pytest.raises(ValueError, match="long tensor of shape"):
        m(src.float(), mask, src)
    with pytest.raises(ValueError, match="bool tensor of shape"):
        m(src, mask[:, :2], src)
    with pytest.raises(ValueError, match="at least one real token"):
        m(src, mask & False, src)
    with pytest.raises(ValueError, match=r"ids in \[0, 8\]"):
        m(src + 100, mask, src)
    with pytest.raises(ValueError, match="tgt_in with batch size B=4"):
        m(src, mask, src[:2])
    with pytest.raises(ValueError, match=r"tgt_in as token ids: .* T >= 1, got a torch.int64 tensor of shape \(4, 0\)"):
        m(src, mask, src[:, :0])
    with pytest.raises(ValueError, match=r"target token ids in \[0, 7\], got ids from"):
        m(src, mask, src.clamp(max=7) + 1)
    with pytest.raises(ValueError, match="tgt_in as token ids: a long tensor"):
        m(src, mask, src.float())
    with pytest.raises(ValueError, match=r"max_len as a whole number >= 1 .* got 2.5"):
        m.greedy_decode(src, mask, 2.5)
    with pytest.raises(ValueError, match="'gru' or 'lstm'"):
        Seq2Seq(9, 8, cell="rnn")


def test_decode_text_messages():
    v = Vocab("abcde")
    m = Seq2Seq(len(v), len(v), 6, 5, max_src_len=6)
    out = decode_text(m, "abc", v, v, max_len=4)
    assert out.source == ["a", "b", "c"] and out.probs.shape[1] == len(v) and out.attention is None
    with pytest.raises(ValueError, match="empty"):
        decode_text(m, "  ", v, v)
    with pytest.raises(ValueError, match="never seen 'z', 'X'"):
        decode_text(m, "azX", v, v)
    with pytest.raises(ValueError, match="7 characters; this model reads at most 6"):
        decode_text(m, "abcdeab", v, v)


def test_batch_from_collate_runs():
    b = collate([([4, 5], [6]), ([7], [5, 6, 7])])
    logits = _model()(b.src, b.src_mask, b.tgt_in)
    assert logits.shape == (2, 4, 8)


@pytest.mark.parametrize("kind", ["additive", "dot", "general", "scaled_dot"])
def test_attention_weights_are_a_distribution_over_real_source_tokens(kind):
    m = _model(attention=kind).eval()
    src, mask, _ = _batch()
    tokens, extras = m.greedy_decode(src, mask, max_len=4)
    a = extras["attention"]
    assert a.shape == (4, tokens.shape[1], src.shape[1])
    torch.testing.assert_close(a.sum(-1), torch.ones(a.shape[:2]))
    assert a.masked_select(~mask[:, None, :].expand_as(a)).abs().max() == 0
    free = m(src, mask, torch.full((4, 4), 1), teacher_forcing=0.0)
    torch.testing.assert_close(free[:, :1].softmax(-1), extras["probs"][:, :1])


def test_attention_context_is_the_weighted_sum_of_encoder_states():
    m = _model(attention="additive").eval()
    src, mask, _ = _batch()
    enc_out, summary, state = m.encode(src, mask)
    y = torch.full((4,), 1)
    _, _, w = m.decoder.step(y, state, enc_out, mask, summary)
    context, weights = m.decoder.attention(state, enc_out, enc_out, mask)
    torch.testing.assert_close(weights, w)
    torch.testing.assert_close(context, (w.unsqueeze(-1) * enc_out).sum(1))
    with pytest.raises(ValueError, match="attention None or one of"):
        Seq2Seq(9, 8, attention="cosine")


def test_decode_text_warns_when_the_model_does_not_know_its_longest_input():
    v = Vocab("abcde")
    torch.manual_seed(0)
    model = Seq2Seq(len(v), len(v), emb_size=6, hidden_size=5)  # no max_src_len
    with pytest.warns(UserWarning, match="longest input it was trained on"):
        decode_text(model, "abc", v, v, max_len=5)


def test_decode_text_drops_surrounding_spaces_and_names_invisible_characters():
    v = Vocab("abcde")
    m = _model()
    m.eval()
    assert decode_text(m, "  abc \n", v, v, max_len=4).source == ["a", "b", "c"]
    with pytest.raises(ValueError, match=r"never seen ' ' \(a space\)"):
        decode_text(m, "a b", v, v)
    with pytest.raises(ValueError, match="reads at most 6"):  # too long is said before unknown
        decode_text(m, "zzzzzzzzzz", v, v)


def test_same_length_tagger_writes_one_token_per_source_token():
    """The tagger of notebook 04's common mistake: its output length is the input length, padding apart."""
    from s2s_lab.seq2seq import SameLengthTagger

    torch.manual_seed(0)
    tagger = SameLengthTagger(9, 5, emb_size=4, hidden_size=6)
    src, mask, lengths = _batch()
    logits = tagger(src, mask)
    assert logits.shape == (*src.shape, 5)
    one = tagger(src[2:3, :5], mask[2:3, :5])  # the same sequence, unpadded
    torch.testing.assert_close(logits[2:3, :5], one, atol=1e-6, rtol=0)


def test_forward_checks_in_one_helper():
    model = Seq2Seq(9, 7, 4, 6)
    src, mask, _ = _batch()
    with pytest.raises(ValueError, match="teacher_forcing"):
        model(src, mask, torch.ones(4, 3, dtype=torch.long), teacher_forcing=1.5)
