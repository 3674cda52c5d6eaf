r"""The RNN encoder-decoder, with a fixed context vector or with attention.

**Encoder** (Cho et al., 2014; Sutskever et al., 2014). A recurrent cell reads the embedded source
:math:`e(x_1) \dots e(x_S)`:

.. math::
    h_j = \mathrm{cell}(e(x_j), h_{j-1}), \qquad j = 1 \dots S

With ``bidirectional=True`` a second cell reads the source backwards and :math:`h_j = [\overrightarrow{h}_j;
\overleftarrow{h}_j]` (Bahdanau et al., 2015). Padding is skipped: at a ``<pad>`` position the state is
carried over unchanged, so a padded sequence ends in exactly the state its unpadded self would.

**Decoder without attention** (Cho et al., 2014). The whole source is squeezed into one vector, the final
state :math:`c = h_S` (both directions' final states when bidirectional), whatever the source length.
The decoder starts from :math:`s_0 = \tanh(W_s c + b_s)` and sees :math:`c` at every step:

.. math::
    s_t = \mathrm{cell}([e(y_{t-1}); c], s_{t-1}), \qquad
    p(y_t \mid y_{<t}, x) = \mathrm{softmax}(W_o [s_t; c; e(y_{t-1})] + b_o)

**Decoder with attention** (Bahdanau et al., 2015). The same, with :math:`c` replaced by a context
:math:`c_t` recomputed at every step from *all* encoder states, weighted by how well each matches the
decoder's previous state :math:`s_{t-1}`:

.. math::
    \alpha_{tj} = \frac{\exp \mathrm{score}(s_{t-1}, h_j)}{\sum_{k} \exp \mathrm{score}(s_{t-1}, h_k)},
    \qquad c_t = \sum_j \alpha_{tj} h_j

with the score function of :mod:`s2s_lab.attention` (``"additive"``: Bahdanau et al., 2015;
``"dot"``, ``"general"``: Luong et al., 2015; ``"scaled_dot"``: Vaswani et al., 2017). The decoder's
hidden size equals the encoder's output size :math:`D \cdot H`, so every score function fits.

Whatever the score, the decoder is **Bahdanau's**: the query is the previous state :math:`s_{t-1}` and
:math:`c_t` enters the recurrent cell. Luong, Pham & Manning's own decoder differs: it scores the *new*
state :math:`s_t = \mathrm{cell}(\ldots, s_{t-1})` and predicts from an attentional state
:math:`\tilde h_t = \tanh(W_c [c_t; s_t])`, fed to the next step ("input feeding"). With ``"dot"`` or
``"general"`` this module therefore runs Luong's score functions inside Bahdanau's decoder.

**Dropout** (Srivastava et al., 2014; for translation as in Luong et al., 2015). With ``dropout`` :math:`p > 0`,
during training each unit of the embeddings :math:`e(x_j)`, :math:`e(y_{t-1})` and of the output layer's input
:math:`[s_t; c_t; e(y_{t-1})]` is zeroed with probability :math:`p` (and the others scaled by :math:`1/(1-p)`),
so that the model cannot rely on any single unit; in evaluation mode nothing changes.

Both models implement the collection's interface: ``forward(src, src_mask, tgt_in, teacher_forcing)``
and ``greedy_decode(src, src_mask, max_len)``; see :class:`Seq2Seq`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .cells import GRUCell, LSTMCell, gru_step, lstm_step
from .checkpoints import register_model
from .data import BOS, EOS, PAD
from .interface import check_max_len, check_src, check_tgt_in

CELLS = {"gru": GRUCell, "lstm": LSTMCell}
ATTENTION_KINDS = ("additive", "dot", "general", "scaled_dot")


def unroll(cell: nn.Module, x: Tensor, mask: Tensor, reverse: bool):
    """Run ``cell`` over ``x`` (S, B, E) where ``mask`` (S, B) is True; elsewhere carry the state over.

    Returns the states ``(S, B, H)`` (zero at padding) and the final state (``h``, or ``(h, c)`` for LSTM).
    The input projection :math:`W_{ih} x_j + b_{ih}` is one matrix product for all :math:`j`.
    """
    S, B, _ = x.shape
    gi = F.linear(x, cell.weight_ih, cell.bias_ih)  # (S, B, k*H)
    h = x.new_zeros(B, cell.hidden_size)  # (B, H)
    c = x.new_zeros(B, cell.hidden_size) if isinstance(cell, LSTMCell) else None
    outs = [None] * S
    for j in range(S - 1, -1, -1) if reverse else range(S):
        m = mask[j].unsqueeze(1)  # (B, 1)
        if c is None:
            h_new, _ = gru_step(gi[j], h, cell.weight_hh, cell.bias_hh)
        else:
            h_new, c_new, _ = lstm_step(gi[j], h, c, cell.weight_hh, cell.bias_hh)
            c = torch.where(m, c_new, c)
        h = torch.where(m, h_new, h)  # (B, H): unchanged at padding
        outs[j] = h * m
    return torch.stack(outs), (h if c is None else (h, c))


class Encoder(nn.Module):
    r"""Embedding + a GRU or LSTM cell (and a backward one if ``bidirectional``) over the source.

    Args:
        vocab_size: source vocabulary size; emb_size: :math:`E`; hidden_size: :math:`H` per direction;
        cell: ``"gru"`` or ``"lstm"``; bidirectional: add a cell reading right to left (:math:`D = 2`);
        dropout: dropout probability on the embeddings (training only).

    Inputs: ``src (B, S) long``, ``src_mask (B, S) bool`` (True = real token).

    Outputs: ``outputs, final``
        - **outputs** ``(B, S, D*H)``: :math:`h_1 \dots h_S` (zero at padding).
        - **final**: the last state of each direction concatenated, ``(B, D*H)``; for an LSTM a pair
          ``(h, c)`` of such tensors.
    """

    def __init__(
        self,
        vocab_size: int,
        emb_size: int,
        hidden_size: int,
        cell: str = "gru",
        bidirectional: bool = False,
        dropout: float = 0.0,
    ):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"expected cell 'gru' or 'lstm', got {cell!r}.")
        self.vocab_size, self.bidirectional = vocab_size, bidirectional
        self.embedding = nn.Embedding(vocab_size, emb_size, padding_idx=PAD)
        self.fwd = CELLS[cell](emb_size, hidden_size)
        self.bwd = CELLS[cell](emb_size, hidden_size) if bidirectional else None
        self.output_size = hidden_size * (2 if bidirectional else 1)
        self.dropout = nn.Dropout(dropout)

    def forward(self, src: Tensor, src_mask: Tensor):
        check_src(src, src_mask, self.vocab_size)
        x = self.dropout(self.embedding(src)).transpose(0, 1)  # (S, B, E)
        mask = src_mask.transpose(0, 1)  # (S, B)
        outs, final = unroll(self.fwd, x, mask, reverse=False)  # (S, B, H)
        if self.bwd is not None:
            outs_b, final_b = unroll(self.bwd, x, mask, reverse=True)
            outs = torch.cat([outs, outs_b], dim=-1)  # (S, B, 2H)
            final = (
                torch.cat([final, final_b], -1)
                if isinstance(final, Tensor)
                else tuple(torch.cat(p, -1) for p in zip(final, final_b))
            )
        return outs.transpose(0, 1), final  # (B, S, D*H)


class Decoder(nn.Module):
    r"""One step of the decoder: embedding, context (fixed or attention), cell, output layer.

    Args:
        vocab_size: target vocabulary size :math:`V`; emb_size: :math:`E`;
        hidden_size: :math:`H_s` of the decoder state :math:`s_t`; context_size: :math:`D \cdot H` of the
        encoder states; cell: ``"gru"`` or ``"lstm"``;
        attention: ``None`` (fixed context :math:`c`) or a score function in :data:`ATTENTION_KINDS`;
        attn_size: the hidden size of the additive score (default ``hidden_size``);
        dropout: dropout probability on the embedding and on the output layer's input (training only).

    :meth:`step` inputs: ``y_prev (B,) long``, ``state`` (``(B, H_s)``, or a pair for LSTM),
    ``enc_out (B, S, D*H)``, ``src_mask (B, S)``, ``summary (B, D*H)`` (the fixed :math:`c`).

    :meth:`step` outputs: ``logits (B, V)``, the new state, and the attention weights
    :math:`\alpha_{t\cdot}` ``(B, S)`` (``None`` without attention).
    """

    def __init__(
        self,
        vocab_size: int,
        emb_size: int,
        hidden_size: int,
        context_size: int,
        cell: str = "gru",
        attention: str | None = None,
        attn_size: int | None = None,
        dropout: float = 0.0,
    ):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"expected cell 'gru' or 'lstm', got {cell!r}.")
        self.dropout = nn.Dropout(dropout)
        self.embedding = nn.Embedding(vocab_size, emb_size, padding_idx=PAD)
        self.bridge = nn.Linear(context_size, hidden_size)  # s_0 = tanh(W_s c + b_s)
        self.bridge_c = nn.Linear(context_size, hidden_size) if cell == "lstm" else None
        self.cell = CELLS[cell](emb_size + context_size, hidden_size)
        self.out = nn.Linear(hidden_size + context_size + emb_size, vocab_size)  # W_o [s_t; c_t; e(y_{t-1})]
        self.attention = None
        if attention is not None:
            if attention not in ATTENTION_KINDS:
                raise ValueError(f"expected attention None or one of {ATTENTION_KINDS}, got {attention!r}.")
            from .attention import make_attention

            self.attention = make_attention(attention, hidden_size, context_size, attn_size or hidden_size)

    def init_state(self, final):
        """:math:`s_0 = \\tanh(W_s c + b_s)` from the encoder's final state (for an LSTM, both h and c)."""
        if isinstance(final, Tensor):
            return torch.tanh(self.bridge(final))  # (B, H_s)
        h, c = final
        return torch.tanh(self.bridge(h)), torch.tanh(self.bridge_c(c))

    def step(self, y_prev: Tensor, state, enc_out: Tensor, src_mask: Tensor, summary: Tensor):
        e = self.dropout(self.embedding(y_prev))  # (B, E)
        s_prev = state if isinstance(state, Tensor) else state[0]  # (B, H_s)
        weights = None
        if self.attention is None:
            context = summary  # (B, D*H): the same c at every step
        else:
            context, weights = self.attention(s_prev, enc_out, enc_out, src_mask)  # (B, D*H), (B, S)
        state = self.cell(torch.cat([e, context], dim=-1), state)
        s = state if isinstance(state, Tensor) else state[0]  # (B, H_s)
        logits = self.out(self.dropout(torch.cat([s, context, e], dim=-1)))  # (B, V)
        return logits, state, weights


@register_model
class Seq2Seq(nn.Module):
    r"""An RNN encoder-decoder (Cho et al., 2014; Sutskever et al., 2014), optionally with attention
    (Bahdanau et al., 2015); see the module docstring for the equations.

    Args:
        src_vocab_size, tgt_vocab_size: vocabulary sizes (specials included).
        emb_size: :math:`E` of both embeddings; hidden_size: :math:`H` of the encoder per direction
            (the decoder's state has :math:`D \cdot H`).
        cell: ``"gru"`` or ``"lstm"``; bidirectional: a bidirectional encoder.
        attention: ``None`` or ``"additive"``, ``"dot"``, ``"general"``, ``"scaled_dot"``.
        attn_size: hidden size of the additive score. max_src_len: the longest source (in tokens) the
            model is meant for; :func:`s2s_lab.decode_text` refuses longer ones (``None``: no limit).
        dropout: dropout probability :math:`p` on the embeddings and the output layer's input (training only;
            0: none, the default).

    ``forward(src (B, S), src_mask (B, S), tgt_in (B, T), teacher_forcing=1.0) -> logits (B, T, V)``:
    at step :math:`t` the decoder reads ``tgt_in[:, t]`` (the true previous token) with probability
    ``teacher_forcing``, else its own previous prediction (Williams & Zipser, 1989; Bengio et al., 2015).

    ``greedy_decode(src, src_mask, max_len) -> (tokens (B, T') long, extras)``: feed back the most likely
    token until every sequence has written ``<eos>`` (later positions are ``<pad>``) or ``max_len`` tokens.
    ``extras["probs"]`` ``(B, T', V)``: the output distributions; ``extras["attention"]`` ``(B, T', S)``:
    the weights :math:`\alpha_{tj}` (attention models only).
    """

    def __init__(
        self,
        src_vocab_size: int,
        tgt_vocab_size: int,
        emb_size: int = 32,
        hidden_size: int = 64,
        cell: str = "gru",
        bidirectional: bool = False,
        attention: str | None = None,
        attn_size: int | None = None,
        max_src_len: int | None = None,
        dropout: float = 0.0,
    ):
        super().__init__()
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0.0 <= dropout < 1.0:
            raise ValueError(f"expected dropout as a probability in [0, 1), got {dropout!r}.")
        self.config = dict(
            src_vocab_size=src_vocab_size,
            tgt_vocab_size=tgt_vocab_size,
            emb_size=emb_size,
            hidden_size=hidden_size,
            cell=cell,
            bidirectional=bidirectional,
            attention=attention,
            attn_size=attn_size,
            max_src_len=max_src_len,
            dropout=dropout,
        )
        self.max_src_len = max_src_len
        self.encoder = Encoder(src_vocab_size, emb_size, hidden_size, cell, bidirectional, dropout)
        d = self.encoder.output_size
        self.decoder = Decoder(tgt_vocab_size, emb_size, d, d, cell, attention, attn_size, dropout)

    def extra_repr(self) -> str:
        return f"attention={self.config['attention']!r}"

    def encode(self, src: Tensor, src_mask: Tensor):
        """Encoder outputs ``(B, S, D*H)``, the fixed context :math:`c` ``(B, D*H)``, the first state."""
        enc_out, final = self.encoder(src, src_mask)
        summary = final if isinstance(final, Tensor) else final[0]  # (B, D*H)
        return enc_out, summary, self.decoder.init_state(final)

    def check_inputs(self, src: Tensor, src_mask: Tensor, tgt_in: Tensor, teacher_forcing: float) -> None:
        """Refuse inputs :meth:`forward` cannot read, with a sentence saying what was expected."""
        check_src(src, src_mask, self.encoder.vocab_size)
        check_tgt_in(tgt_in, src.shape[0], self.config["tgt_vocab_size"])
        if not 0.0 <= teacher_forcing <= 1.0:
            raise ValueError(f"expected teacher_forcing in [0, 1], got {teacher_forcing}.")

    def forward(self, src: Tensor, src_mask: Tensor, tgt_in: Tensor, teacher_forcing: float = 1.0) -> Tensor:
        self.check_inputs(src, src_mask, tgt_in, teacher_forcing)
        enc_out, summary, state = self.encode(src, src_mask)
        y = tgt_in[:, 0]  # (B,) <bos>
        logits = []
        for t in range(tgt_in.shape[1]):
            if t > 0:
                y = tgt_in[:, t]
                if teacher_forcing < 1.0:  # with probability 1 - ratio, feed the model's own guess
                    own = logits[-1].argmax(-1)  # (B,)
                    y = torch.where(torch.rand(y.shape, device=y.device) < teacher_forcing, y, own)
            step_logits, state, _ = self.decoder.step(y, state, enc_out, src_mask, summary)
            logits.append(step_logits)
        return torch.stack(logits, dim=1)  # (B, T, V)

    @torch.no_grad()
    def greedy_decode(self, src: Tensor, src_mask: Tensor, max_len: int):
        check_max_len(max_len)
        enc_out, summary, state = self.encode(src, src_mask)
        B = src.shape[0]
        y = torch.full((B,), BOS, dtype=torch.long, device=src.device)
        done = torch.zeros(B, dtype=torch.bool, device=src.device)
        tokens, probs, weights = [], [], []
        for _ in range(max_len):
            step_logits, state, w = self.decoder.step(y, state, enc_out, src_mask, summary)
            y = step_logits.argmax(-1).masked_fill(done, PAD)  # (B,)
            tokens.append(y)
            probs.append(step_logits.softmax(-1))
            if w is not None:
                weights.append(w)
            done = done | (y == EOS)
            if done.all():
                break
        extras = {"probs": torch.stack(probs, 1)}  # (B, T', V)
        if weights:
            extras["attention"] = torch.stack(weights, 1)  # (B, T', S)
        return torch.stack(tokens, 1), extras  # (B, T')


class SameLengthTagger(nn.Module):
    r"""A **tagger**, not an encoder-decoder: the common mistake of notebook 04. A bidirectional LSTM reads
    the source and one dense layer (the same at every position) turns each state into an output token:

    .. math::
        h_j = [\overrightarrow{h}_j; \overleftarrow{h}_j], \qquad
        p(y_j \mid x) = \operatorname{softmax}(W h_j + b), \qquad j = 1, \dots, S

    One output per input token: the output has the input's length :math:`S`, whatever the target. That is
    the right model for *tagging*, where every input token gets one label (parts of speech, named entities;
    Huang, Xu & Yu, 2015, *Bidirectional LSTM-CRF Models for Sequence Tagging*), and it cannot even
    represent a target of another length; an encoder-decoder (:class:`Seq2Seq`) writes until ``<eos>``.

    Args:
        src_vocab_size, tgt_vocab_size: vocabulary sizes; emb_size: :math:`E`; hidden_size: :math:`H` per
            direction (the encoder is :class:`Encoder` with ``cell="lstm", bidirectional=True``).

    ``forward(src (B, S) long, src_mask (B, S) bool) -> logits (B, S, V)``: one distribution per *source*
    position.
    """

    def __init__(self, src_vocab_size: int, tgt_vocab_size: int, emb_size: int = 16, hidden_size: int = 32):
        super().__init__()
        self.encoder = Encoder(src_vocab_size, emb_size, hidden_size, cell="lstm", bidirectional=True)
        self.out = nn.Linear(self.encoder.output_size, tgt_vocab_size)  # W, b: the same at every position

    def forward(self, src: Tensor, src_mask: Tensor) -> Tensor:
        states, _ = self.encoder(src, src_mask)  # (B, S, 2H)
        return self.out(states)  # (B, S, V)


__all__ = ["unroll", "Encoder", "Decoder", "Seq2Seq", "SameLengthTagger", "ATTENTION_KINDS"]
