r"""The Transformer (Vaswani et al., 2017, *Attention Is All You Need*) from its parts.

- :func:`sinusoidal_encoding` / :class:`PositionalEncoding`: where each token is, added to its embedding.
- :func:`causal_mask` and :func:`token_mask`: which keys a query may look at.
- :class:`LayerNorm`, :class:`TransformerEncoderLayer`, :class:`TransformerDecoderLayer`: the layers of
  PyTorch's ``nn.LayerNorm``, ``nn.TransformerEncoderLayer`` and ``nn.TransformerDecoderLayer``
  (``batch_first=True``): same constructor arguments, parameter names and outputs, so their
  ``state_dict`` loads and both compute the same numbers; only the masks differ (below). Attention is
  :class:`s2s_lab.attention.MultiHeadAttention`.
- :class:`Seq2SeqTransformer`: a small encoder-decoder Transformer with the collection's seq2seq interface
  (``forward(src, src_mask, tgt_in)`` -> logits, ``greedy_decode``), trained by :func:`s2s_lab.fit`.

**Post-norm or pre-norm.** The paper (and PyTorch's default, ``norm_first=False``) normalises *after* each
residual addition, :math:`x \leftarrow \operatorname{LN}(x + \operatorname{Sublayer}(x))` ("post-norm").
``norm_first=True`` normalises the sublayer's *input* instead, :math:`x \leftarrow x +
\operatorname{Sublayer}(\operatorname{LN}(x))` ("pre-norm", Xiong et al., 2020, *On Layer Normalization in
the Transformer Architecture*), which trains more stably without a learning-rate warm-up; the residual
stream is then never normalised, so :class:`Seq2SeqTransformer` adds a final LayerNorm after the last
encoder and decoder layer. Both are implemented and both are tested against PyTorch.

**Mask convention** (the collection's one): a boolean mask is **True where a position takes part**.
``src_key_mask`` / ``tgt_key_mask`` / ``memory_key_mask`` are ``(B, T)`` with **True = real token**
(:func:`token_mask`; the seq2seq interface's ``src_mask (B, S)`` is one); ``self_mask`` / ``cross_mask``
are ``(T_q, T_k)`` with **True = may attend** (:func:`causal_mask`). ``torch.nn.Transformer``'s
``*_key_padding_mask`` and boolean ``*_mask`` say the opposite (True = padding, True = NOT allowed): hence
other names, and ``~`` where our masks are given to PyTorch's layers (the tests do).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._checks import check_bool, check_float, check_int, check_probability, shape_str
from .attention import MultiHeadAttention
from .checkpoints import register_model
from .data import BOS, EOS, PAD
from .interface import check_max_len, check_src, check_tgt_in


# ----------------------------------------------------------------------------------------------
# Positions and masks
# ----------------------------------------------------------------------------------------------
def sinusoidal_encoding(max_len: int, d_model: int) -> Tensor:
    r"""The sinusoidal positional encodings of Vaswani et al. (2017, section 3.5), shape ``(max_len, d_model)``.

    .. math::
        PE_{(pos,\,2i)} = \sin\!\left(\frac{pos}{10000^{2i/d_{model}}}\right), \qquad
        PE_{(pos,\,2i+1)} = \cos\!\left(\frac{pos}{10000^{2i/d_{model}}}\right)

    Each pair of dimensions :math:`(2i, 2i+1)` is a point turning on a circle with its own wavelength,
    from :math:`2\pi` (:math:`i = 0`) to :math:`10000 \cdot 2\pi`; :math:`PE_{pos+k}` is a rotation of
    :math:`PE_{pos}` that depends only on :math:`k`, so :math:`PE_{pos} \cdot PE_{pos+k}` depends only on
    the distance :math:`k`. (An odd ``d_model`` drops the last cosine.)
    """
    _check_encoding_size(max_len, d_model)
    pos = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)  # (L, 1)
    two_i = torch.arange(0, d_model, 2, dtype=torch.float64)  # (ceil(d/2),)
    angle = pos / 10000.0 ** (two_i / d_model)  # (L, ceil(d/2))
    pe = torch.zeros(max_len, d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle[:, : d_model // 2])
    return pe.float()  # (L, d_model)


def _check_encoding_size(max_len: int, d_model: int) -> None:
    check_int(max_len, "max_len")
    check_int(d_model, "d_model")


class PositionalEncoding(nn.Module):
    r"""Add :func:`sinusoidal_encoding` to a batch of embeddings, then dropout: :math:`x_t + PE_t`.

    Args:
        d_model: the embedding size :math:`d_{model}`.
        max_len: the longest sequence it can encode.
        dropout: dropout probability after the addition (the paper uses 0.1).

    Inputs: **x** of shape ``(B, T, d_model)``, ``T <= max_len``. Outputs: same shape.
    """

    def __init__(self, d_model: int, max_len: int = 512, dropout: float = 0.0):
        super().__init__()
        self.d_model, self.max_len = d_model, max_len
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("pe", sinusoidal_encoding(max_len, d_model), persistent=False)

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, max_len={self.max_len}"

    def forward(self, x: Tensor) -> Tensor:
        check_float(x, "PositionalEncoding input")
        if x.dim() != 3 or x.shape[-1] != self.d_model:
            raise ValueError(f"expected input of shape (B, T, d_model={self.d_model}), got {shape_str(x.shape)}.")
        if x.shape[1] > self.max_len:
            raise ValueError(
                f"the sequence has {x.shape[1]} positions but the positional encoding only covers "
                f"max_len={self.max_len}; use shorter inputs or build the model with a larger max_len."
            )
        return self.dropout(x + self.pe[: x.shape[1]].to(x.dtype))  # (B, T, d_model)


def causal_mask(T: int, device=None) -> Tensor:
    r"""``(T, T)`` boolean, **True = may attend**: query :math:`t` (row) may look at keys :math:`t' \le t`
    (columns), the lower triangle with its diagonal.

    The decoder predicts :math:`y_{t+1}` from :math:`y_{\le t}`; during training all positions are computed
    at once, so the mask hides the future that the decoder will not have when it generates.
    (``torch.nn.Transformer.generate_square_subsequent_mask`` writes the same as a float mask: ``0`` where
    this is True, ``-inf`` where it is False. PyTorch's *boolean* ``attn_mask`` is ``~causal_mask(T)``.)
    """

    check_int(T, "T (the sequence length)")
    return torch.ones(T, T, dtype=torch.bool, device=device).tril()  # (T, T)


def token_mask(tokens: Tensor, pad_id: int = 0) -> Tensor:
    """``(B, T)`` boolean, **True = real token** (False at ``pad_id``) for token ids ``(B, T)``: the ``src_mask``
    of the seq2seq interface and the ``key_mask`` of :class:`~s2s_lab.attention.MultiHeadAttention`."""

    if (
        not isinstance(tokens, Tensor)
        or tokens.dim() != 2
        or tokens.is_floating_point()
        or tokens.is_complex()
        or tokens.dtype == torch.bool
    ):
        got = (
            f"a {tokens.dtype} tensor of shape {shape_str(tokens.shape)}"
            if isinstance(tokens, Tensor)
            else type(tokens).__name__
        )
        hint = (
            "; pass the token ids, not their embeddings"
            if isinstance(tokens, Tensor) and tokens.is_floating_point()
            else ""
        )
        raise ValueError(f"token_mask expects token ids: an integer tensor of shape (B, T), got {got}{hint}.")
    check_int(pad_id, "pad_id", minimum=0)
    return tokens != pad_id  # (B, T)


# ----------------------------------------------------------------------------------------------
# Layers
# ----------------------------------------------------------------------------------------------
class LayerNorm(nn.Module):
    r"""Layer normalisation (Ba, Kiros & Hinton, 2016), over the last dimension; drop-in for ``nn.LayerNorm``.

    .. math::
        \mu = \frac{1}{d}\sum_k x_k, \qquad \sigma^2 = \frac{1}{d}\sum_k (x_k - \mu)^2, \qquad
        y = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} \odot \gamma + \beta

    Args: **normalized_shape** :math:`d`; **eps** :math:`\epsilon`; **bias**: if ``False``, no :math:`\beta`.
    Inputs: ``(..., d)``. Outputs: same shape. Attributes: ``weight`` :math:`\gamma`, ``bias`` :math:`\beta`.
    """

    def __init__(self, normalized_shape: int, eps: float = 1e-5, bias: bool = True):

        super().__init__()
        if isinstance(normalized_shape, (tuple, list, torch.Size)) and len(normalized_shape) == 1:
            normalized_shape = normalized_shape[0]  # nn.LayerNorm's (d,) form
        elif isinstance(normalized_shape, (tuple, list, torch.Size)):
            raise ValueError(
                f"this LayerNorm normalises over the last dimension only: expected an int d or (d,), "
                f"got normalized_shape={tuple(normalized_shape)}."
            )
        check_int(normalized_shape, "normalized_shape")
        check_bool(bias, "bias")
        self.normalized_shape, self.eps = normalized_shape, eps
        self.weight = nn.Parameter(torch.ones(normalized_shape))
        self.bias = nn.Parameter(torch.zeros(normalized_shape)) if bias else None

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}"

    def _check_input(self, x: Tensor) -> None:
        check_float(x, "LayerNorm input")
        if x.dim() == 0 or x.shape[-1] != self.normalized_shape:
            raise ValueError(
                f"expected LayerNorm input of shape (..., d={self.normalized_shape}), got {shape_str(x.shape)}."
            )

    def forward(self, x: Tensor) -> Tensor:
        r""":math:`y = (x - \mu) / \sqrt{\sigma^2 + \epsilon} \odot \gamma + \beta` over the last dimension
        (Ba, Kiros & Hinton, 2016): ``(..., d) -> (..., d)``; ``weight`` is :math:`\gamma`, ``bias`` :math:`\beta`."""
        self._check_input(x)
        mu = x.mean(-1, keepdim=True)  # (..., 1)
        var = (x - mu).pow(2).mean(-1, keepdim=True)  # (..., 1), biased as in the formula
        y = (x - mu) / torch.sqrt(var + self.eps) * self.weight
        return y + self.bias if self.bias is not None else y


_ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


class TransformerLayerBase(nn.Module):
    """What the encoder and decoder layers share: the feed-forward block, the residual connection around
    each sublayer (:meth:`residual`), dropout and the input checks."""

    def __init__(
        self,
        d_model,
        nhead,
        dim_feedforward,
        dropout,
        activation,
        layer_norm_eps,
        batch_first,
        norm_first,
        bias,
        n_norms,
    ):

        super().__init__()
        for name, flag in (("batch_first", batch_first), ("norm_first", norm_first), ("bias", bias)):
            check_bool(flag, name)
        if not batch_first:
            raise ValueError("s2s_lab's Transformer layers take (B, T, d_model) only; got batch_first=False.")
        if not isinstance(activation, str) or activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be 'relu' or 'gelu', got {activation!r}.")
        check_int(d_model, "d_model")
        check_int(nhead, "nhead")
        check_int(dim_feedforward, "dim_feedforward")
        check_probability(dropout, "dropout")
        self.d_model, self.nhead, self.norm_first, self.activation_name = d_model, nhead, norm_first, activation
        self.activation = _ACTIVATIONS[activation]
        self.self_attn = MultiHeadAttention(d_model, nhead, bias=bias, dropout=dropout)
        self.linear1 = nn.Linear(d_model, dim_feedforward, bias=bias)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model, bias=bias)
        for k in range(1, n_norms + 1):
            setattr(self, f"norm{k}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias))
            setattr(self, f"dropout{k}", nn.Dropout(dropout))

    def _ff_block(self, x: Tensor) -> Tensor:
        r""":math:`\operatorname{FFN}(x) = W_2\, \operatorname{act}(W_1 x + b_1) + b_2` (section 3.3), then dropout."""
        return self.dropout_last(self.linear2(self.dropout(self.activation(self.linear1(x)))))  # (B, T, d)

    def residual(self, x: Tensor, sublayer, norm) -> tuple[Tensor, Tensor | None]:
        r"""A residual connection around ``sublayer``, with the layer norm ``norm`` after the sum (post-norm,
        Vaswani et al., 2017) or before the sublayer (pre-norm, Xiong et al., 2020):

        .. math::
            \text{post-norm: } x \leftarrow \operatorname{LN}(x + \operatorname{Sublayer}(x)), \qquad
            \text{pre-norm: } x \leftarrow x + \operatorname{Sublayer}(\operatorname{LN}(x))

        ``x (B, T, d_model)``; ``sublayer`` maps ``(B, T, d_model)`` to ``(output (B, T, d_model), weights)``
        (attention weights, or ``None``). Returns ``(x (B, T, d_model), weights)``."""
        if self.norm_first:
            out, weights = sublayer(norm(x))  # (B, T, d_model)
            return x + out, weights
        out, weights = sublayer(x)  # (B, T, d_model)
        return norm(x + out), weights

    def feed_forward(self, x: Tensor) -> tuple[Tensor, None]:
        """The feed-forward block as a sublayer for :meth:`residual` (it has no attention weights)."""
        return self._ff_block(x), None

    def _check(self, x: Tensor, what: str) -> None:
        check_float(x, what, self.linear1.weight)
        if x.dim() != 3 or x.shape[-1] != self.d_model:
            raise ValueError(f"expected {what} of shape (B, T, d_model={self.d_model}), got {shape_str(x.shape)}.")


class TransformerEncoderLayer(TransformerLayerBase):
    r"""One encoder layer (Vaswani et al., 2017, section 3.1): self-attention, then a feed-forward network,
    each wrapped in a residual connection and layer normalisation. Same constructor, parameters and outputs
    as ``torch.nn.TransformerEncoderLayer(..., batch_first=True)``; the masks are ours (True = takes part).

    .. math::
        \text{post-norm:}\quad
        \begin{aligned} x &\leftarrow \operatorname{LN}_1(x + \operatorname{SelfAttn}(x)) \\
                        x &\leftarrow \operatorname{LN}_2(x + \operatorname{FFN}(x)) \end{aligned}
        \qquad
        \text{pre-norm:}\quad
        \begin{aligned} x &\leftarrow x + \operatorname{SelfAttn}(\operatorname{LN}_1(x)) \\
                        x &\leftarrow x + \operatorname{FFN}(\operatorname{LN}_2(x)) \end{aligned}

    Args:
        d_model: the model width :math:`d_{model}`; nhead: the number of attention heads.
        dim_feedforward: the hidden width :math:`d_{ff}` of the feed-forward network.
        dropout: on the attention weights, inside the FFN, and on each sublayer's output.
        activation: ``"relu"`` (the paper's, default) or ``"gelu"``.
        layer_norm_eps: :math:`\epsilon` of the layer norms.
        norm_first: ``False`` = post-norm (the paper, PyTorch's default); ``True`` = pre-norm.
        bias: if ``False``, no biases in the linear layers and layer norms.

    Inputs: ``src, src_key_mask=None, self_mask=None, is_causal=False``
        - **src** of shape ``(B, S, d_model)``.
        - **src_key_mask** ``(B, S)``: boolean, **True = real token** (:func:`token_mask`).
        - **self_mask** ``(S, S)``: boolean, **True = may attend** (:func:`causal_mask`), or float added to
          the scores.
        - **is_causal**: if True and ``self_mask`` is None, use :func:`causal_mask`.

        PyTorch's layer takes the opposite booleans: ``src_key_padding_mask=~src_key_mask``,
        ``src_mask=~self_mask``.

    Outputs: of shape ``(B, S, d_model)``. :meth:`forward_with_weights` also returns the self-attention
    weights ``(B, nhead, S, S)``.
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str = "relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = True,
        norm_first: bool = False,
        bias: bool = True,
    ):
        super().__init__(
            d_model,
            nhead,
            dim_feedforward,
            dropout,
            activation,
            layer_norm_eps,
            batch_first,
            norm_first,
            bias,
            n_norms=2,
        )
        self.dropout_last = self.dropout2

    def forward_with_weights(self, src, src_key_mask=None, self_mask=None, is_causal=False):
        r"""Self-attention, then the feed-forward network, each through :meth:`residual`:
        ``src (B, S, d_model) -> (x (B, S, d_model), self-attention weights (B, nhead, S, S))``;
        ``src_key_mask (B, S)`` True = real token, ``self_mask (S, S)`` True = may attend."""
        self._check(src, "src")
        if is_causal and self_mask is None:
            self_mask = causal_mask(src.shape[1], src.device)
        x = src  # (B, S, d)

        def sa(y):
            out, w = self.self_attn(y, y, y, key_mask=src_key_mask, mask=self_mask)
            return self.dropout1(out), w

        x, w = self.residual(x, sa, self.norm1)
        x, _ = self.residual(x, self.feed_forward, self.norm2)
        return x, w  # (B, S, d), (B, nhead, S, S)

    def forward(self, src, src_key_mask=None, self_mask=None, is_causal=False):
        return self.forward_with_weights(src, src_key_mask, self_mask, is_causal)[0]


class TransformerDecoderLayer(TransformerLayerBase):
    r"""One decoder layer (Vaswani et al., 2017, section 3.1): masked self-attention, cross-attention to the
    encoder's output ("memory"), and a feed-forward network, each with a residual connection and layer norm.
    Same constructor, parameters and outputs as ``torch.nn.TransformerDecoderLayer(..., batch_first=True)``;
    the masks are ours (True = takes part).

    .. math::
        \text{post-norm:}\quad
        \begin{aligned} x &\leftarrow \operatorname{LN}_1(x + \operatorname{SelfAttn}(x)) \\
                        x &\leftarrow \operatorname{LN}_2(x + \operatorname{CrossAttn}(x, m)) \\
                        x &\leftarrow \operatorname{LN}_3(x + \operatorname{FFN}(x)) \end{aligned}
        \qquad
        \text{pre-norm:}\quad
        \begin{aligned} x &\leftarrow x + \operatorname{SelfAttn}(\operatorname{LN}_1(x)) \\
                        x &\leftarrow x + \operatorname{CrossAttn}(\operatorname{LN}_2(x), m) \\
                        x &\leftarrow x + \operatorname{FFN}(\operatorname{LN}_3(x)) \end{aligned}

    In the cross-attention the queries come from the decoder (:math:`x`), keys and values from the memory
    :math:`m`.

    Args: as :class:`TransformerEncoderLayer`.

    Inputs: ``tgt, memory, tgt_key_mask=None, memory_key_mask=None, self_mask=None, cross_mask=None,
    tgt_is_causal=False``
        - **tgt** ``(B, T, d_model)``; **memory** ``(B, S, d_model)``.
        - **tgt_key_mask** ``(B, T)``, **memory_key_mask** ``(B, S)``: boolean, **True = real token**.
        - **self_mask** ``(T, T)`` (usually :func:`causal_mask`), **cross_mask** ``(T, S)``: boolean,
          **True = may attend**, or float added to the scores.
        - **tgt_is_causal**: if True and ``self_mask`` is None, use :func:`causal_mask`.

        PyTorch's layer takes the opposite booleans: ``tgt_key_padding_mask=~tgt_key_mask``,
        ``memory_key_padding_mask=~memory_key_mask``, ``tgt_mask=~self_mask``, ``memory_mask=~cross_mask``.

    Outputs: of shape ``(B, T, d_model)``. :meth:`forward_with_weights` also returns the self- and
    cross-attention weights ``(B, nhead, T, T)`` and ``(B, nhead, T, S)``.
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str = "relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = True,
        norm_first: bool = False,
        bias: bool = True,
    ):
        super().__init__(
            d_model,
            nhead,
            dim_feedforward,
            dropout,
            activation,
            layer_norm_eps,
            batch_first,
            norm_first,
            bias,
            n_norms=3,
        )
        self.multihead_attn = MultiHeadAttention(d_model, nhead, bias=bias, dropout=dropout)
        self.dropout_last = self.dropout3

    def forward_with_weights(
        self,
        tgt,
        memory,
        tgt_key_mask=None,
        memory_key_mask=None,
        self_mask=None,
        cross_mask=None,
        tgt_is_causal=False,
    ):
        r"""Self-attention, cross-attention to ``memory``, then the feed-forward network, each through
        :meth:`residual`: ``(x (B, T, d_model), self-attention weights (B, nhead, T, T), cross-attention
        weights (B, nhead, T, S))``. The masks as in the class docstring (True = takes part)."""
        self._check(tgt, "tgt")
        self._check(memory, "memory")
        if tgt_is_causal and self_mask is None:
            self_mask = causal_mask(tgt.shape[1], tgt.device)
        x = tgt  # (B, T, d)

        def sa(y):
            out, w = self.self_attn(y, y, y, key_mask=tgt_key_mask, mask=self_mask)
            return self.dropout1(out), w

        def ca(y):
            out, w = self.multihead_attn(y, memory, memory, key_mask=memory_key_mask, mask=cross_mask)
            return self.dropout2(out), w

        x, w_self = self.residual(x, sa, self.norm1)
        x, w_cross = self.residual(x, ca, self.norm2)
        x, _ = self.residual(x, self.feed_forward, self.norm3)
        return x, w_self, w_cross  # (B, T, d), (B, nhead, T, T), (B, nhead, T, S)

    def forward(
        self,
        tgt,
        memory,
        tgt_key_mask=None,
        memory_key_mask=None,
        self_mask=None,
        cross_mask=None,
        tgt_is_causal=False,
    ):
        return self.forward_with_weights(
            tgt, memory, tgt_key_mask, memory_key_mask, self_mask, cross_mask, tgt_is_causal
        )[0]

    # -- incremental decoding (a key/value cache; used by s2s_lab.decoding) ----------------------
    def start_cache(self, memory: Tensor) -> dict:
        r"""The cache for :meth:`forward_step`: the cross-attention's keys and values of the memory
        :math:`m` (``"memory"``, computed once), and the self-attention's of the positions decoded so far
        (``"self"``, none yet). Each entry is a pair ``(K, V)`` of shape ``(B, nhead, T_k, d_model / nhead)``."""
        self._check(memory, "memory")
        K, V = self.multihead_attn.project_kv(memory, memory)  # (B, n_h, S, d_h)
        empty = K.new_zeros(K.shape[0], K.shape[1], 0, K.shape[3])  # (B, n_h, 0, d_h)
        return {"memory": (K, V), "self": (empty, empty)}

    def forward_step(self, x: Tensor, cache: dict, memory_key_mask: Tensor | None = None):
        r"""Incremental decoding: the layer's output at the newest position only, ``x (B, 1, d_model)``.

        Position :math:`t` attends to itself and to the earlier positions, whose self-attention keys and
        values are in ``cache["self"]``: appending its own :math:`k_t, v_t` gives exactly the row :math:`t`
        of :meth:`forward` under the causal mask, at the cost of one position instead of :math:`t`.

        Inputs: **x** ``(B, 1, d_model)``; **cache** from :meth:`start_cache` or the previous step;
        **memory_key_mask** ``(B, S)`` bool, True = real token.

        Outputs: ``(x (B, 1, d_model), new cache (self part one position longer), self-attention weights
        (B, nhead, 1, t), cross-attention weights (B, nhead, 1, S))``.
        """
        self._check(x, "x")
        new_cache = {"memory": cache["memory"]}

        def sa(y):
            k, v = self.self_attn.project_kv(y, y)  # (B, n_h, 1, d_h)
            K, V = (torch.cat([old, new], dim=2) for old, new in zip(cache["self"], (k, v)))  # (B, n_h, t, d_h)
            new_cache["self"] = (K, V)
            out, w = self.self_attn.attend(y, K, V)
            return self.dropout1(out), w

        def ca(y):
            out, w = self.multihead_attn.attend(y, *cache["memory"], key_mask=memory_key_mask)
            return self.dropout2(out), w

        x, w_self = self.residual(x, sa, self.norm1)
        x, w_cross = self.residual(x, ca, self.norm2)
        x, _ = self.residual(x, self.feed_forward, self.norm3)
        return x, new_cache, w_self, w_cross  # (B, 1, d), dict, (B, n_h, 1, t), (B, n_h, 1, S)


# ----------------------------------------------------------------------------------------------
# The encoder-decoder model
# ----------------------------------------------------------------------------------------------
@register_model
class Seq2SeqTransformer(nn.Module):
    r"""A small encoder-decoder Transformer for sequence-to-sequence tasks (Vaswani et al., 2017, figure 1).

    .. math::
        \begin{aligned}
        h^{(0)} &= \sqrt{d_{model}}\, E_{src}[x] + PE, \qquad h^{(l)} = \operatorname{EncoderLayer}_l(h^{(l-1)}),
            \qquad m = h^{(N)} \\
        g^{(0)} &= \sqrt{d_{model}}\, E_{tgt}[y_{<t}] + PE, \qquad
            g^{(l)} = \operatorname{DecoderLayer}_l(g^{(l-1)}, m), \\
        p(y_t \mid y_{<t}, x) &= \operatorname{softmax}(W_o\, g^{(N)}_t + b_o)
        \end{aligned}

    (with a final LayerNorm on :math:`m` and :math:`g^{(N)}` when ``norm_first``). Unlike an RNN, every
    position of the encoder, and of the decoder under teacher forcing, is computed at once: the causal mask,
    not a loop over time, keeps the decoder from seeing the future.

    Args:
        src_vocab_size, tgt_vocab_size: vocabulary sizes :math:`V_{src}, V`.
        d_model, nhead, num_encoder_layers, num_decoder_layers, dim_feedforward, dropout, activation,
        norm_first: as :class:`TransformerEncoderLayer`; the layer counts are :math:`N`.
        max_len: the longest source or target the positional encoding covers (also ``max_src_len``, the
            longest input :func:`s2s_lab.decode_text` accepts).
        pad_id, bos_id, eos_id: special token ids (the collection's :mod:`s2s_lab.data`: 0, 1, 2).

    Inputs of :meth:`forward`: ``src, src_mask, tgt_in, teacher_forcing=1.0``
        - **src** ``(B, S) long`` and **src_mask** ``(B, S) bool`` (**True = real token**).
        - **tgt_in** ``(B, T) long``: :math:`\langle bos\rangle, y_1, \dots` (teacher forcing).
        - **teacher_forcing**: ignored; a Transformer is always trained with teacher forcing (1.0).

    Outputs of :meth:`forward`: **logits** ``(B, T, V)``.

    :meth:`greedy_decode` ``(src, src_mask, max_len) -> (tokens (B, <= max_len) long, extras)``: tokens
    after ``<bos>``, ``<pad>`` after each ``<eos>`` (at most the model's ``max_len``); ``extras["probs"]``
    ``(B, T', V)``: the output distributions; ``extras["attention"]`` ``(B, T', S)``: the last decoder
    layer's cross-attention averaged over heads; ``extras["cross_attention"]`` and
    ``extras["self_attention"]``: every layer's per-head weights ``(B, nhead, T', S)`` and ``(B, nhead, T', T')``.
    """

    def __init__(
        self,
        src_vocab_size: int,
        tgt_vocab_size: int,
        d_model: int = 64,
        nhead: int = 4,
        num_encoder_layers: int = 2,
        num_decoder_layers: int = 2,
        dim_feedforward: int = 128,
        dropout: float = 0.1,
        max_len: int = 128,
        activation: str = "relu",
        norm_first: bool = False,
        pad_id: int = PAD,
        bos_id: int = BOS,
        eos_id: int = EOS,
    ):
        super().__init__()
        self.config = dict(
            src_vocab_size=src_vocab_size,
            tgt_vocab_size=tgt_vocab_size,
            d_model=d_model,
            nhead=nhead,
            num_encoder_layers=num_encoder_layers,
            num_decoder_layers=num_decoder_layers,
            dim_feedforward=dim_feedforward,
            dropout=dropout,
            max_len=max_len,
            activation=activation,
            norm_first=norm_first,
            pad_id=pad_id,
            bos_id=bos_id,
            eos_id=eos_id,
        )

        for name in (
            "src_vocab_size",
            "tgt_vocab_size",
            "d_model",
            "nhead",
            "num_encoder_layers",
            "num_decoder_layers",
            "dim_feedforward",
            "max_len",
        ):
            check_int(self.config[name], name)
        for name in ("pad_id", "bos_id", "eos_id"):
            check_int(self.config[name], name, minimum=0)
            if self.config[name] >= min(src_vocab_size, tgt_vocab_size):
                raise ValueError(
                    f"{name}={self.config[name]} is not a token id of both vocabularies "
                    f"(sizes {src_vocab_size} and {tgt_vocab_size})."
                )
        self.d_model, self.max_len, self.max_src_len, self.norm_first = d_model, max_len, max_len, norm_first
        self.pad_id, self.bos_id, self.eos_id = pad_id, bos_id, eos_id
        self.src_embed = nn.Embedding(src_vocab_size, d_model, padding_idx=pad_id)
        self.tgt_embed = nn.Embedding(tgt_vocab_size, d_model, padding_idx=pad_id)
        self.pos = PositionalEncoding(d_model, max_len, dropout)
        layer_args = dict(
            d_model=d_model,
            nhead=nhead,
            dim_feedforward=dim_feedforward,
            dropout=dropout,
            activation=activation,
            norm_first=norm_first,
        )
        self.encoder_layers = nn.ModuleList(TransformerEncoderLayer(**layer_args) for _ in range(num_encoder_layers))
        self.decoder_layers = nn.ModuleList(TransformerDecoderLayer(**layer_args) for _ in range(num_decoder_layers))
        self.encoder_norm = LayerNorm(d_model) if norm_first else nn.Identity()
        self.decoder_norm = LayerNorm(d_model) if norm_first else nn.Identity()
        self.generator = nn.Linear(d_model, tgt_vocab_size)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Xavier-uniform for every weight matrix (as ``nn.Transformer``), zero for the padding embeddings."""
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)
        with torch.no_grad():
            self.src_embed.weight[self.pad_id].zero_()
            self.tgt_embed.weight[self.pad_id].zero_()

    # -- checks --------------------------------------------------------------------------------
    def _check_length(self, ids: Tensor, what: str) -> None:
        if ids.shape[1] > self.max_len:
            raise ValueError(
                f"{what} has {ids.shape[1]} tokens but this model handles at most max_len={self.max_len}; "
                f"use a shorter sequence or build the model with a larger max_len."
            )

    def _check_src(self, src: Tensor, src_mask: Tensor) -> None:
        check_src(src, src_mask, self.src_embed.num_embeddings)
        self._check_length(src, "src")

    def _check_tgt(self, tgt_in: Tensor, batch_size: int) -> None:
        check_tgt_in(tgt_in, batch_size, self.tgt_embed.num_embeddings)
        self._check_length(tgt_in, "tgt_in")

    # -- the model -----------------------------------------------------------------------------
    def embed(self, ids: Tensor, table: nn.Embedding) -> Tensor:
        r""":math:`\sqrt{d_{model}}\, E[ids] + PE` (section 3.4), then dropout: ``(B, T) -> (B, T, d_model)``."""
        return self.pos(table(ids) * math.sqrt(self.d_model))

    def encode(self, src: Tensor, src_mask: Tensor, return_weights: bool = False):
        r"""The memory :math:`m = \operatorname{LN}_{enc}(h^{(N)})`, ``(B, S, d_model)``, for ``src (B, S)``;
        with ``return_weights``, also every layer's self-attention weights ``(B, nhead, S, S)``. The final
        LayerNorm ``encoder_norm`` is there with pre-norm only (Xiong et al., 2020): each pre-norm layer adds
        to :math:`x` without normalising it. With post-norm it is the identity."""
        self._check_src(src, src_mask)
        x, weights = self.embed(src, self.src_embed), []  # (B, S, d)
        for layer in self.encoder_layers:
            x, w = layer.forward_with_weights(x, src_key_mask=src_mask)
            weights.append(w)
        x = self.encoder_norm(x)  # (B, S, d)
        return (x, weights) if return_weights else x

    def self_attention_parts(self, src: Tensor, src_mask: Tensor, layer: int = 0, causal: bool = False) -> dict:
        """Every quantity of encoder layer ``layer``'s self-attention (see :meth:`MultiHeadAttention.parts`):
        ``Q``, ``K``, ``V``, ``scores``, ``mask``, ``weights``, ``heads``, ... for ``src (B, S)``.

        The layer's input is the output of the layers below it (LayerNorm'd first when ``norm_first``).
        ``causal=True`` adds :func:`causal_mask`, as a decoder's self-attention would (the trained encoder
        does not use it; this shows what the mask does).
        """
        check_src(src, src_mask, self.src_embed.num_embeddings)
        self._check_length(src, "src")
        if not 0 <= layer < len(self.encoder_layers):
            raise ValueError(f"expected an encoder layer in 0..{len(self.encoder_layers) - 1}, got {layer}.")
        x = self.embed(src, self.src_embed)  # (B, S, d)
        for below in self.encoder_layers[:layer]:
            x = below(x, src_key_mask=src_mask)
        lay = self.encoder_layers[layer]
        a = lay.norm1(x) if lay.norm_first else x
        mask = causal_mask(src.shape[1], src.device) if causal else None
        return lay.self_attn.parts(a, a, a, key_mask=src_mask, mask=mask)

    def decode(self, tgt_in: Tensor, memory: Tensor, src_mask: Tensor, return_weights: bool = False):
        """Logits ``(B, T, V)`` for every position of ``tgt_in`` at once (causal mask); with ``return_weights``,
        also lists of every layer's self- ``(B, nhead, T, T)`` and cross-attention ``(B, nhead, T, S)``."""
        self._check_tgt(tgt_in, memory.shape[0])
        mask = causal_mask(tgt_in.shape[1], tgt_in.device)  # (T, T)
        x, w_self, w_cross = self.embed(tgt_in, self.tgt_embed), [], []
        for layer in self.decoder_layers:
            x, ws, wc = layer.forward_with_weights(x, memory, memory_key_mask=src_mask, self_mask=mask)
            w_self.append(ws)
            w_cross.append(wc)
        logits = self.generator(self.decoder_norm(x))  # (B, T, V)
        return (logits, w_self, w_cross) if return_weights else logits

    def forward(self, src: Tensor, src_mask: Tensor, tgt_in: Tensor, teacher_forcing: float = 1.0) -> Tensor:
        return self.decode(tgt_in, self.encode(src, src_mask), src_mask)  # (B, T, V)

    @torch.no_grad()
    def greedy_decode(self, src: Tensor, src_mask: Tensor, max_len: int):
        r"""Generate one token at a time, :math:`\hat y_t = \arg\max_y p(y \mid \hat y_{<t}, x)`, feeding each
        back in, until every sequence has written ``<eos>`` or ``max_len`` tokens are out (at most the model's
        own ``max_len``, which its positional encoding covers).

        Returns ``(tokens (B, <= max_len) long, extras)`` (see the class docstring).
        """
        check_max_len(max_len)
        memory = self.encode(src, src_mask)  # (B, S, d)
        B = src.shape[0]
        ys = torch.full((B, 1), self.bos_id, dtype=torch.long, device=src.device)  # (B, 1)
        done = torch.zeros(B, dtype=torch.bool, device=src.device)
        probs = []
        for _ in range(min(max_len, self.max_len)):
            logits, w_self, w_cross = self.decode(ys, memory, src_mask, return_weights=True)
            probs.append(logits[:, -1].softmax(-1))  # (B, V)
            nxt = logits[:, -1].argmax(-1)  # (B,)
            nxt = nxt.masked_fill(done, self.pad_id)
            ys = torch.cat([ys, nxt[:, None]], dim=1)  # (B, t + 1)
            done |= nxt == self.eos_id
            if bool(done.all()):
                break
        # the weights of the last step cover every generated position (the causal mask hides nothing of it)
        extras = {
            "probs": torch.stack(probs, 1),
            "attention": w_cross[-1].mean(1),
            "cross_attention": w_cross,
            "self_attention": w_self,
        }
        return ys[:, 1:], extras

    # -- incremental decoding (a key/value cache; used by s2s_lab.decoding) ----------------------
    def start_cache(self, memory: Tensor) -> list[dict]:
        """One :meth:`TransformerDecoderLayer.start_cache` per decoder layer, for :meth:`decode_step`."""
        return [layer.start_cache(memory) for layer in self.decoder_layers]

    def decode_step(self, y_prev: Tensor, cache: list[dict], src_mask: Tensor):
        r"""One step of incremental decoding with a key/value cache: the logits of the next token after
        ``y_prev``, which sits at position :math:`t` = the number of positions already in ``cache``.

        Equal to ``decode(tgt_in, memory, src_mask)[:, t]`` for ``tgt_in`` the tokens fed so far, but each
        layer computes its self-attention for the new position only (its keys and values are appended to the
        cache) and reuses the memory's cross-attention keys and values: :math:`O(t)` work per step instead
        of :math:`O(t^2)`.

        Inputs: **y_prev** ``(B,) long``; **cache** from :meth:`start_cache` or a previous step;
        **src_mask** ``(B, S) bool`` (True = real token).

        Outputs: ``(logits (B, V), new cache, self-attention weights, cross-attention weights)``, the weights
        a list over layers of ``(B, nhead, 1, t + 1)`` and ``(B, nhead, 1, S)``.
        """
        V = self.tgt_embed.num_embeddings
        if not isinstance(y_prev, Tensor) or y_prev.dtype != torch.long or y_prev.dim() != 1:
            got = f"{y_prev.dtype} of shape {shape_str(y_prev.shape)}" if isinstance(y_prev, Tensor) else y_prev
            raise ValueError(f"expected y_prev as token ids: a long tensor of shape (B,), got {got}.")
        if y_prev.numel() and (y_prev.min() < 0 or y_prev.max() >= V):
            raise ValueError(f"expected y_prev token ids in [0, {V - 1}], got ids up to {int(y_prev.max())}.")
        if len(cache) != len(self.decoder_layers):
            raise ValueError(
                f"expected a cache of {len(self.decoder_layers)} layers (from start_cache), got {len(cache)}."
            )
        t = cache[0]["self"][0].shape[2]
        if t >= self.max_len:
            raise ValueError(
                f"position {t} is past this model's max_len={self.max_len} (its positional encoding); "
                f"decode at most {self.max_len} tokens or build the model with a larger max_len."
            )
        x = self.tgt_embed(y_prev[:, None]) * math.sqrt(self.d_model)  # (B, 1, d)
        x = self.pos.dropout(x + self.pos.pe[t].to(x.dtype))  # (B, 1, d): sqrt(d) E[y] + PE_t
        new_cache, w_self, w_cross = [], [], []
        for layer, c in zip(self.decoder_layers, cache):
            x, c, ws, wc = layer.forward_step(x, c, memory_key_mask=src_mask)
            new_cache.append(c)
            w_self.append(ws)
            w_cross.append(wc)
        logits = self.generator(self.decoder_norm(x))[:, 0]  # (B, V)
        return logits, new_cache, w_self, w_cross
