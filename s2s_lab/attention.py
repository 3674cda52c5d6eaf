r"""Attention written from its formulas: additive, Luong dot/general, scaled dot-product, multi-head.

Every attention mechanism here does the same three things:

1. **score** each key against the query, :math:`e_{j} = \operatorname{score}(q, k_j)`;
2. turn the scores into weights that sum to one, :math:`\alpha_{j} = \operatorname{softmax}_j(e_{j})`,
   after removing the keys the query may not look at (padding, or the future) by setting their score to
   :math:`-\infty`, so their weight is exactly :math:`0`;
3. return the **context**, the weighted average of the values, :math:`c = \sum_j \alpha_{j} v_j`.

They differ only in the score:

==================  ================================================  ===============================
kind                score                                             paper
==================  ================================================  ===============================
``"additive"``      :math:`v^\top \tanh(W_q q + W_k k)`               Bahdanau, Cho & Bengio (2015)
``"dot"``           :math:`q^\top k`                                  Luong, Pham & Manning (2015)
``"general"``       :math:`q^\top W_a k`                              Luong, Pham & Manning (2015)
``"scaled_dot"``    :math:`q^\top k / \sqrt{d}`                       Vaswani et al. (2017)
==================  ================================================  ===============================

Two families of interfaces:

- :class:`AdditiveAttention` and :class:`LuongAttention` (and :func:`make_attention`) serve an RNN decoder:
  one query vector per sequence, ``query (B, D_q)``, ``keys (B, T, D_k)``; their ``mask`` is ``(B, T)``
  with **True = a real token that may be attended to**.
- :func:`scaled_dot_product` and :class:`MultiHeadAttention` serve the Transformer: whole sequences of
  queries at once; :func:`split_heads` and :func:`merge_heads` cut the model width into heads and back.

**One mask convention.** Every boolean mask here is **True where a position takes part**: ``key_mask
(B, T_k)`` is True at a real key, ``mask (T_q, T_k)`` is True where the query may attend to the key.
``torch.nn.functional.scaled_dot_product_attention``'s boolean ``attn_mask`` means the same; but
``torch.nn.MultiheadAttention``'s ``key_padding_mask`` and boolean ``attn_mask`` mean the opposite
(**True = NOT allowed**), which is why our arguments have other names: pass ``~key_mask`` and ``~mask``
to PyTorch's module. A float mask is *added* to the scores (``-inf`` removes a key) in both.

None of this calls PyTorch's attention kernels; the tests compare against them.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._checks import broadcast_shapes, check_bool, check_float, check_int, check_probability, shape_str

ATTENTION_KINDS = ("additive", "dot", "general", "scaled_dot")


# ----------------------------------------------------------------------------------------------
# The shared core: masked softmax and scaled dot-product attention
# ----------------------------------------------------------------------------------------------
def masked_softmax(scores: Tensor, mask: Tensor | None = None) -> Tensor:
    r"""Softmax over the last dimension that gives masked positions exactly zero weight.

    .. math::
        \alpha_j = \frac{\exp(e_j)\,[m_j]}{\sum_{j'} \exp(e_{j'})\,[m_{j'}]}

    Args:
        scores: :math:`e`, any shape ``(..., T_k)``.
        mask: ``None``; a boolean tensor broadcastable to ``scores``, **True = may attend**; or a float
            tensor broadcastable to ``scores`` that is *added* to the scores (``-inf`` removes a key).

    Returns:
        weights of the shape of ``scores``, summing to 1 over the allowed keys. A row in which no key
        is allowed gets all-zero weights (not NaN), as in PyTorch's scaled_dot_product_attention.
    """
    check_float(scores, "scores")
    if mask is not None:
        _check_mask(mask, scores.shape, "mask", "the scores' shape")
        if mask.dtype == torch.bool:
            scores = scores.masked_fill(~mask, float("-inf"))
        else:
            scores = scores + mask
    dead = torch.isneginf(scores)  # keys that get zero weight
    all_dead = dead.all(dim=-1, keepdim=True)  # rows with nothing to attend to
    if bool(all_dead.any()):
        # a softmax over only -inf is NaN; give such rows finite scores, then zero them below
        scores = scores.masked_fill(all_dead, 0.0)
    weights = torch.softmax(scores, dim=-1)
    return weights.masked_fill(all_dead, 0.0) if bool(all_dead.any()) else weights


def scaled_dot_product(query: Tensor, key: Tensor, value: Tensor, mask: Tensor | None = None):
    r"""Scaled dot-product attention (Vaswani et al., 2017, *Attention Is All You Need*, eq. 1).

    .. math::
        \operatorname{Attention}(Q, K, V) = \operatorname{softmax}\!\left(\frac{Q K^\top}{\sqrt{d}} + M\right) V

    :math:`M` is :math:`0` where a query may attend to a key and :math:`-\infty` where it may not (a boolean
    ``mask``), or a float ``mask`` itself; without a mask, :math:`M = 0`.

    Args:
        query: :math:`Q`, shape ``(..., T_q, d)``.
        key: :math:`K`, shape ``(..., T_k, d)``.
        value: :math:`V`, shape ``(..., T_k, d_v)``.
        mask: optional, broadcastable to ``(..., T_q, T_k)``. Boolean: **True = may attend** (as
            ``torch.nn.functional.scaled_dot_product_attention``); masked keys get exactly zero weight.
            Float: added to the scores :math:`QK^\top/\sqrt{d}` before the softmax.

    Returns:
        ``(context, weights)``: context of shape ``(..., T_q, d_v)``, weights of shape ``(..., T_q, T_k)``.
    """
    _check_scaled_dot_product(query, key, value, mask)
    scores = query @ key.transpose(-2, -1) / math.sqrt(query.shape[-1])  # (..., T_q, T_k)
    weights = masked_softmax(scores, mask)  # (..., T_q, T_k)
    return weights @ value, weights  # (..., T_q, d_v), (..., T_q, T_k)


def _check_scaled_dot_product(query: Tensor, key: Tensor, value: Tensor, mask: Tensor | None = None) -> None:
    """Raise ``ValueError`` naming what was expected and what was received unless the arguments of
    :func:`scaled_dot_product` fit together: float ``query (..., T_q, d)``, ``key (..., T_k, d)``,
    ``value (..., T_k, d_v)`` of one dtype, and ``mask`` ``None`` or broadcastable to ``(..., T_q, T_k)``."""
    check_float(query, "query")
    check_float(key, "key", query)
    check_float(value, "value", query)
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise ValueError(
            "expected query (..., T_q, d), key (..., T_k, d) and value (..., T_k, d_v) with at least 2 "
            f"dimensions each, got {shape_str(query.shape)}, {shape_str(key.shape)} and {shape_str(value.shape)}."
        )
    d = query.shape[-1]
    if key.shape[-1] != d:
        raise ValueError(f"expected key of shape (..., T_k, d={d}) like the query, got {shape_str(key.shape)}.")
    if value.shape[-2] != key.shape[-2]:
        raise ValueError(
            f"expected value of shape (..., T_k={key.shape[-2]}, d_v) like the key, got {shape_str(value.shape)}."
        )
    try:
        broadcast_shapes(query.shape[:-2], key.shape[:-2], value.shape[:-2])
    except RuntimeError:
        raise ValueError(
            "expected query, key and value with the same leading (batch, head) dimensions '...' (or ones that "
            f"broadcast), got {shape_str(query.shape)}, {shape_str(key.shape)} and {shape_str(value.shape)}."
        ) from None
    if mask is not None:
        try:
            batch = broadcast_shapes(query.shape[:-2], key.shape[:-2])
        except RuntimeError:
            raise ValueError(
                f"expected query (..., T_q, d) and key (..., T_k, d) whose leading dimensions broadcast, "
                f"got {shape_str(query.shape)} and {shape_str(key.shape)}."
            ) from None
        scores_shape = torch.Size((*batch, query.shape[-2], key.shape[-2]))
        _check_mask(mask, scores_shape, "mask", "(..., T_q, T_k)")


def _check_mask(mask: Tensor, target: torch.Size, what: str, layout: str, meaning: str = "True = may attend") -> None:
    if not isinstance(mask, Tensor):
        raise ValueError(
            f"{what} must be a torch.Tensor (bool, {meaning}; or float, added to the scores), "
            f"got {type(mask).__name__}."
        )
    if mask.dtype != torch.bool and not mask.is_floating_point():
        raise ValueError(f"{what} must be boolean ({meaning}) or float (added to the scores), got dtype {mask.dtype}.")
    try:
        shape = broadcast_shapes(mask.shape, target)
    except RuntimeError:
        shape = None
    if shape != target:
        raise ValueError(
            f"expected {what} broadcastable to {layout} = {shape_str(target)}, got {shape_str(mask.shape)}."
        )


# ----------------------------------------------------------------------------------------------
# Multi-head attention (the Transformer's)
# ----------------------------------------------------------------------------------------------
def split_heads(x: Tensor, n_heads: int) -> Tensor:
    r"""Cut the model width into :math:`n_h` heads: ``(B, T, d_model) -> (B, n_h, T, d_h)``, :math:`d_h =
    d_{model} / n_h`. Head :math:`h` gets the features :math:`h\,d_h, \dots, (h + 1)\,d_h - 1` of every
    position, so that :math:`X W^Q_h` is the slice :math:`h` of :math:`X W^Q` (Vaswani et al., 2017,
    section 3.2.2). The heads then sit before the time axis, and one batched matrix product serves all.

    Inputs: **x** ``(B, T, d_model)``, **n_heads** :math:`n_h` (dividing ``d_model``).
    Outputs: ``(B, n_h, T, d_h)``.
    """
    if not isinstance(x, Tensor) or x.dim() != 3 or isinstance(n_heads, bool) or not isinstance(n_heads, int):
        got = shape_str(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"expected x of shape (B, T, d_model) and an int n_heads, got {got} and {n_heads!r}.")
    B, T, d_model = x.shape
    if n_heads < 1 or d_model % n_heads:
        raise ValueError(f"expected n_heads >= 1 dividing d_model={d_model}, got n_heads={n_heads}.")
    return x.view(B, T, n_heads, d_model // n_heads).transpose(1, 2)  # (B, n_h, T, d_h)


def merge_heads(x: Tensor) -> Tensor:
    r"""The inverse of :func:`split_heads`, :math:`\operatorname{Concat}(\operatorname{head}_1, \dots,
    \operatorname{head}_{n_h})` for every position: ``(B, n_h, T, d_h) -> (B, T, n_h d_h)``."""
    if not isinstance(x, Tensor) or x.dim() != 4:
        got = shape_str(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"expected x of shape (B, n_h, T, d_h), got {got}.")
    B, n_h, T, d_h = x.shape
    return x.transpose(1, 2).reshape(B, T, n_h * d_h)  # (B, T, d_model)


class MultiHeadAttention(nn.Module):
    r"""Multi-head attention (Vaswani et al., 2017, section 3.2.2), with the parameters of
    ``torch.nn.MultiheadAttention(embed_dim, num_heads, batch_first=True)`` (its ``state_dict`` loads).

    .. math::
        \begin{aligned}
        Q_h &= X_q W^Q_h + b^Q_h, \quad K_h = X_k W^K_h + b^K_h, \quad V_h = X_v W^V_h + b^V_h \\
        \operatorname{head}_h &= \operatorname{softmax}\!\left(\frac{Q_h K_h^\top}{\sqrt{d_h}} + M\right) V_h,
            \qquad d_h = d_{model} / n_h \\
        \operatorname{MultiHead}(X_q, X_k, X_v) &= \operatorname{Concat}(\operatorname{head}_1, \dots,
            \operatorname{head}_{n_h})\, W^O + b^O
        \end{aligned}

    :math:`M` is :math:`0` where the query may attend to the key and :math:`-\infty` where it may not.

    Args:
        embed_dim: :math:`d_{model}`, the model width (of queries, keys, values and output).
        num_heads: :math:`n_h`; must divide ``embed_dim`` (:math:`d_{model}`).
        bias: if ``False``, no :math:`b^Q, b^K, b^V, b^O`.
        dropout: dropout probability on the attention weights (training mode only).

    Inputs: ``query, key, value, key_mask=None, mask=None``
        - **query** :math:`X_q` of shape ``(B, T_q, d_model)``.
        - **key** :math:`X_k` of shape ``(B, T_k, d_model)``; **value** :math:`X_v` of shape ``(B, T_k, d_model)``.
        - **key_mask** of shape ``(B, T_k)``, boolean, **True = real key** (False = padding, ignored), or
          float (added to the scores).
        - **mask** of shape ``(T_q, T_k)`` or ``(B * n_h, T_q, T_k)``, boolean, **True = may attend**, or
          float (added to the scores).

        Both are the *opposite* of ``torch.nn.MultiheadAttention``'s boolean ``key_padding_mask`` and
        ``attn_mask`` (True = NOT allowed): give PyTorch ``~key_mask`` and ``~mask``.

    Outputs: ``(output, weights)``
        - **output** of shape ``(B, T_q, d_model)``.
        - **weights** of shape ``(B, n_h, T_q, T_k)``: every head's attention weights (PyTorch's
          ``average_attn_weights=False``).

    Attributes (PyTorch's names, so its ``state_dict`` loads):
        in_proj_weight: :math:`(W^Q | W^K | W^V)^\top` stacked, shape ``(3 d_model, d_model)``.
        in_proj_bias: :math:`(b^Q | b^K | b^V)`, shape ``(3 d_model,)``.
        out_proj: ``nn.Linear(d_model, d_model)`` holding :math:`W^{O\top}` and :math:`b^O`.
    """

    def __init__(self, embed_dim: int, num_heads: int, bias: bool = True, dropout: float = 0.0):
        super().__init__()
        check_int(embed_dim, "embed_dim")
        check_int(num_heads, "num_heads")
        check_bool(bias, "bias")
        if embed_dim % num_heads != 0:
            divisors = [h for h in range(1, embed_dim + 1) if embed_dim % h == 0][:8]
            raise ValueError(
                f"expected embed_dim divisible by num_heads (each head gets embed_dim / num_heads dimensions), "
                f"got embed_dim={embed_dim} and num_heads={num_heads}; num_heads could be one of {divisors}."
            )
        dropout = check_probability(dropout, "dropout")
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.dropout = float(dropout)
        self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim))
        if bias:
            self.in_proj_bias = nn.Parameter(torch.empty(3 * embed_dim))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Xavier-uniform projections and zero biases, as PyTorch initialises them."""
        nn.init.xavier_uniform_(self.in_proj_weight)
        if self.in_proj_bias is not None:
            nn.init.zeros_(self.in_proj_bias)
            nn.init.zeros_(self.out_proj.bias)

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"

    def _check_inputs(self, query, key, value):
        d_model = self.embed_dim
        for what, x in (("query", query), ("key", key), ("value", value)):
            check_float(x, what, self.in_proj_weight)
            if x.dim() != 3 or x.shape[-1] != d_model:
                t = "T_q" if what == "query" else "T_k"
                raise ValueError(f"expected {what} of shape (B, {t}, d_model={d_model}), got {shape_str(x.shape)}.")
        if key.shape[:2] != value.shape[:2] or key.shape[0] != query.shape[0]:
            raise ValueError(
                f"expected key and value of shape (B={query.shape[0]}, T_k, d_model={d_model}) with the same T_k, "
                f"got {shape_str(key.shape)} and {shape_str(value.shape)}."
            )

    def _combined_mask(self, B, T_q, T_k, key_mask, mask):
        """Merge ``key_mask (B, T_k)`` and ``mask (T_q, T_k)`` into one mask for :func:`masked_softmax`,
        shape (B, n_h, T_q, T_k). Boolean: True = may attend (a real key the query may see). Float: added."""
        n_h = self.num_heads
        parts = []
        for what, m, meaning in (
            ("mask", mask, "(T_q, T_k) bool, True = may attend"),
            ("key_mask", key_mask, "(B, T_k) bool, True = real key"),
        ):
            if m is not None and not isinstance(m, Tensor):
                raise ValueError(f"{what} must be a torch.Tensor ({meaning}), got {type(m).__name__}.")
        if mask is not None:
            if mask.dim() == 2 and tuple(mask.shape) == (T_q, T_k):
                _check_mask(mask, mask.shape, "mask", "(T_q, T_k)")
                mask = mask.view(1, 1, T_q, T_k)
            elif mask.dim() == 3 and tuple(mask.shape) == (B * n_h, T_q, T_k):
                _check_mask(mask, mask.shape, "mask", "(B * n_h, T_q, T_k)")
                mask = mask.view(B, n_h, T_q, T_k)
            else:
                raise ValueError(
                    f"expected mask of shape (T_q, T_k) = ({T_q}, {T_k}) or (B * n_h, T_q, T_k) = "
                    f"({B * n_h}, {T_q}, {T_k}), bool with True = may attend, got {shape_str(mask.shape)}."
                )
            parts.append(mask)
        if key_mask is not None:
            if tuple(key_mask.shape) != (B, T_k):
                raise ValueError(
                    f"expected key_mask of shape (B, T_k) = ({B}, {T_k}), bool with True = real key, "
                    f"got {shape_str(key_mask.shape)}."
                )
            _check_mask(key_mask, key_mask.shape, "key_mask", "(B, T_k)", "True = real key")
            parts.append(key_mask.view(B, 1, 1, T_k))
        if not parts:
            return None
        if all(p.dtype == torch.bool for p in parts):
            return parts[0] if len(parts) == 1 else parts[0] & parts[1]  # True = may attend
        # at least one float mask: add everything up, booleans as -inf where False
        total = 0.0
        for p in parts:
            if p.dtype == torch.bool:
                p = torch.zeros(p.shape, dtype=self.in_proj_weight.dtype, device=p.device).masked_fill(
                    ~p, float("-inf")
                )
            total = total + p
        return total

    def parts(self, query, key, value, key_mask=None, mask=None) -> dict[str, Tensor]:
        r"""Every intermediate quantity of the formula, for plotting and teaching.

        Returns a dict with ``Q``, ``K``, ``V`` (each ``(B, n_h, T, d_h)``), ``scores``
        (:math:`Q_h K_h^\top / \sqrt{d_h}` before masking, ``(B, n_h, T_q, T_k)``), ``mask`` (``None``, or
        ``key_mask`` and ``mask`` combined, broadcastable to ``(B, n_h, T_q, T_k)``: boolean True = may
        attend, or float), ``weights`` (``(B, n_h, T_q, T_k)``), ``heads`` (``(B, n_h, T_q, d_h)``),
        ``concat`` (``(B, T_q, d_model)``) and ``output`` (``(B, T_q, d_model)``).
        """
        self._check_inputs(query, key, value)
        B, T_q, d_model = query.shape
        T_k = key.shape[1]
        w_q, w_k, w_v = self.in_proj_weight.chunk(3)
        b_q = b_k = b_v = None
        if self.in_proj_bias is not None:
            b_q, b_k, b_v = self.in_proj_bias.chunk(3)
        n_h = self.num_heads
        Q = split_heads(F.linear(query, w_q, b_q), n_h)  # (B, n_h, T_q, d_h)
        K = split_heads(F.linear(key, w_k, b_k), n_h)  # (B, n_h, T_k, d_h)
        V = split_heads(F.linear(value, w_v, b_v), n_h)  # (B, n_h, T_k, d_h)
        combined = self._combined_mask(B, T_q, T_k, key_mask, mask)
        scores = Q @ K.transpose(-2, -1) / math.sqrt(self.head_dim)  # (B, n_h, T_q, T_k)
        weights = masked_softmax(scores, combined)  # (B, n_h, T_q, T_k)
        dropped = F.dropout(weights, self.dropout, self.training) if self.dropout > 0 else weights
        heads = dropped @ V  # (B, n_h, T_q, d_h)
        concat = merge_heads(heads)  # (B, T_q, d_model)
        output = self.out_proj(concat)  # (B, T_q, d_model)
        return {
            "Q": Q,
            "K": K,
            "V": V,
            "scores": scores,
            "mask": combined,
            "weights": weights,
            "heads": heads,
            "concat": concat,
            "output": output,
        }

    def forward(self, query, key, value, key_mask=None, mask=None):
        s = self.parts(query, key, value, key_mask, mask)
        return s["output"], s["weights"]  # (B, T_q, d_model), (B, n_h, T_q, T_k)

    # -- incremental decoding (a key/value cache; used by s2s_lab.decoding) ----------------------
    def project_kv(self, key: Tensor, value: Tensor) -> tuple[Tensor, Tensor]:
        r"""Every head's keys and values, :math:`K_h = X_k W^K_h + b^K_h` and :math:`V_h = X_v W^V_h + b^V_h`,
        computed once so that later queries can reuse them (see :meth:`attend`).

        Inputs: **key** ``(B, T_k, d_model)``, **value** ``(B, T_k, d_model)``.
        Outputs: ``(K, V)``, each ``(B, n_h, T_k, d_h)``.
        """
        self._check_inputs(key, key, value)
        _, w_k, w_v = self.in_proj_weight.chunk(3)
        b_k = b_v = None
        if self.in_proj_bias is not None:
            _, b_k, b_v = self.in_proj_bias.chunk(3)
        n_h = self.num_heads
        return split_heads(F.linear(key, w_k, b_k), n_h), split_heads(F.linear(value, w_v, b_v), n_h)

    def attend(self, query: Tensor, K: Tensor, V: Tensor, key_mask: Tensor | None = None):
        r"""Attention of ``query`` to keys and values already projected by :meth:`project_kv`: the same
        output and weights as :meth:`forward` (without ``mask``), for incremental decoding with a
        key/value cache, where each new query reuses the :math:`K_h, V_h` of every earlier position.

        Inputs: **query** ``(B, T_q, d_model)``; **K**, **V** ``(B, n_h, T_k, d_h)``; **key_mask** ``(B, T_k)``
        bool, True = real key. Outputs: ``(output (B, T_q, d_model), weights (B, n_h, T_q, T_k))``.
        """
        check_float(query, "query", self.in_proj_weight)
        n_h, d_h = self.num_heads, self.head_dim
        ok = query.dim() == 3 and query.shape[-1] == self.embed_dim and K.dim() == 4 and K.shape == V.shape
        if not (ok and tuple(K.shape[:2]) == (query.shape[0], n_h) and K.shape[3] == d_h):
            raise ValueError(
                f"expected query (B, T_q, d_model={self.embed_dim}) and cached K, V (B, n_h={self.num_heads}, T_k, "
                f"d_h={self.head_dim}), got {shape_str(query.shape)}, {shape_str(K.shape)} and {shape_str(V.shape)}."
            )
        B, T_q, d_model = query.shape
        w_q, _, _ = self.in_proj_weight.chunk(3)
        b_q = None if self.in_proj_bias is None else self.in_proj_bias.chunk(3)[0]
        Q = split_heads(F.linear(query, w_q, b_q), n_h)  # (B, n_h, T_q, d_h)
        combined = self._combined_mask(B, T_q, K.shape[2], key_mask, None)
        scores = Q @ K.transpose(-2, -1) / math.sqrt(self.head_dim)  # (B, n_h, T_q, T_k)
        weights = masked_softmax(scores, combined)  # (B, n_h, T_q, T_k)
        dropped = F.dropout(weights, self.dropout, self.training) if self.dropout > 0 else weights
        return self.out_proj(merge_heads(dropped @ V)), weights  # (B, T_q, d_model), (B, n_h, T_q, T_k)


# ----------------------------------------------------------------------------------------------
# Attention for an RNN decoder: one query vector per sequence
# ----------------------------------------------------------------------------------------------
class _SingleQueryAttention(nn.Module):
    """Checks, masking and the weighted sum shared by :class:`AdditiveAttention` and :class:`LuongAttention`."""

    def __init__(self, query_size: int, key_size: int):
        super().__init__()
        check_int(query_size, "query_size")
        check_int(key_size, "key_size")
        self.query_size, self.key_size = query_size, key_size

    def score(self, query: Tensor, keys: Tensor) -> Tensor:  # (B, D_q), (B, T, D_k) -> (B, T)
        raise NotImplementedError

    def forward(self, query: Tensor, keys: Tensor, values: Tensor | None = None, mask: Tensor | None = None):
        name = type(self).__name__
        check_float(query, f"{name} query")
        check_float(keys, f"{name} keys", query)
        if query.dim() != 2 or query.shape[-1] != self.query_size:
            raise ValueError(
                f"{name} expected query of shape (B, D_q={self.query_size}), got {shape_str(query.shape)}."
            )
        B = query.shape[0]
        if keys.dim() != 3 or keys.shape[0] != B or keys.shape[-1] != self.key_size:
            raise ValueError(
                f"{name} expected keys of shape (B={B}, T, D_k={self.key_size}), got {shape_str(keys.shape)}."
            )
        T = keys.shape[1]
        if values is None:
            values = keys
        check_float(values, f"{name} values", query)
        if values.dim() != 3 or values.shape[:2] != keys.shape[:2]:
            raise ValueError(
                f"{name} expected values of shape (B={B}, T={T}, D_v) like the keys, got {shape_str(values.shape)}."
            )
        if mask is not None and (
            not isinstance(mask, Tensor) or mask.dtype != torch.bool or tuple(mask.shape) != (B, T)
        ):
            got = f"{mask.dtype} {shape_str(mask.shape)}" if isinstance(mask, Tensor) else type(mask).__name__
            raise ValueError(f"{name} expected a boolean mask of shape (B={B}, T={T}) (True = real token), got {got}.")
        scores = self.score(query, keys)  # (B, T)
        weights = masked_softmax(scores, mask)  # (B, T)
        context = (weights.unsqueeze(1) @ values).squeeze(1)  # (B, D_v)
        return context, weights


class AdditiveAttention(_SingleQueryAttention):
    r"""Additive ("concat") attention (Bahdanau, Cho & Bengio, 2015, *Neural Machine Translation by Jointly
    Learning to Align and Translate*, appendix A.1.2).

    .. math::
        e_j = v_a^\top \tanh(W_q\, q + W_k\, k_j), \qquad
        \alpha_j = \frac{\exp(e_j)}{\sum_{j'} \exp(e_{j'})}, \qquad c = \sum_j \alpha_j\, \mathrm{value}_j

    (the values are by default the keys themselves; Bahdanau et al. write :math:`W_a, U_a` for
    :math:`W_q, W_k`).

    Args:
        query_size: :math:`D_q`, the size of the query (the decoder state :math:`s_{i-1}`).
        key_size: :math:`D_k`, the size of each key (an encoder output :math:`h_j`).
        attn_size: :math:`A`, the size of the hidden layer inside the score.

    Inputs: ``query, keys, values=None, mask=None``
        - **query** of shape ``(B, D_q)``; **keys** of shape ``(B, T, D_k)``;
        - **values** of shape ``(B, T, D_v)``, defaults to ``keys``;
        - **mask** of shape ``(B, T)``, boolean, **True = real token (may attend)**.

    Outputs: ``(context, weights)`` of shapes ``(B, D_v)`` and ``(B, T)``; the weights sum to 1 over the
    unmasked positions and are exactly 0 on the masked ones.

    Attributes: ``W_q`` (``nn.Linear(D_q, A, bias=False)``), ``W_k`` (``nn.Linear(D_k, A, bias=False)``),
    ``v`` (``nn.Linear(A, 1, bias=False)``, holding :math:`v_a^\top`).
    """

    def __init__(self, query_size: int, key_size: int, attn_size: int):
        super().__init__(query_size, key_size)
        check_int(attn_size, "attn_size")
        self.attn_size = attn_size
        self.W_q = nn.Linear(query_size, attn_size, bias=False)
        self.W_k = nn.Linear(key_size, attn_size, bias=False)
        self.v = nn.Linear(attn_size, 1, bias=False)

    def score(self, query, keys):
        hidden = torch.tanh(self.W_q(query).unsqueeze(1) + self.W_k(keys))  # (B, T, A)
        return self.v(hidden).squeeze(-1)  # (B, T)


class LuongAttention(_SingleQueryAttention):
    r"""Multiplicative attention (Luong, Pham & Manning, 2015, *Effective Approaches to Attention-based Neural
    Machine Translation*, eq. 8), plus the scaled variant of Vaswani et al. (2017).

    .. math::
        e_j = \begin{cases}
            q^\top k_j & \text{score="dot"} \ (D_q = D_k) \\
            q^\top W_a\, k_j & \text{score="general"} \\
            q^\top k_j / \sqrt{D_k} & \text{score="scaled\_dot"} \ (D_q = D_k)
        \end{cases}, \qquad
        \alpha = \operatorname{softmax}(e), \qquad c = \sum_j \alpha_j\, v_j

    Args:
        query_size: :math:`D_q`; key_size: :math:`D_k`.
        score: ``"dot"``, ``"general"`` or ``"scaled_dot"``.

    Inputs and outputs: as :class:`AdditiveAttention`.

    Attributes: ``W_a`` (``nn.Linear(D_k, D_q, bias=False)``) for ``score="general"`` only.
    """

    def __init__(self, query_size: int, key_size: int, score: str = "dot"):
        super().__init__(query_size, key_size)
        if not isinstance(score, str) or score not in ("dot", "general", "scaled_dot"):
            raise ValueError(f"score must be 'dot', 'general' or 'scaled_dot', got {score!r}.")
        if score != "general" and query_size != key_size:
            raise ValueError(
                f"score={score!r} needs query_size == key_size, got {query_size} and {key_size}; "
                f"use score='general' for different sizes."
            )
        self.score_name = score
        self.W_a = nn.Linear(key_size, query_size, bias=False) if score == "general" else None

    def extra_repr(self) -> str:
        return f"{self.query_size}, {self.key_size}, score={self.score_name!r}"

    def score(self, query, keys):
        if self.W_a is not None:
            keys = self.W_a(keys)  # (B, T, D_q)
        scores = (keys @ query.unsqueeze(-1)).squeeze(-1)  # (B, T)
        return scores / math.sqrt(self.key_size) if self.score_name == "scaled_dot" else scores


def make_attention(kind: str, query_size: int, key_size: int, attn_size: int | None = None) -> nn.Module:
    """Build the single-query attention named ``kind``: ``"additive"``, ``"dot"``, ``"general"`` or
    ``"scaled_dot"`` (see the module table). ``attn_size`` (additive only) defaults to ``query_size``."""
    if kind == "additive":
        return AdditiveAttention(query_size, key_size, query_size if attn_size is None else attn_size)
    if kind in ("dot", "general", "scaled_dot"):
        return LuongAttention(query_size, key_size, score=kind)
    raise ValueError(f"expected attention kind in {ATTENTION_KINDS}, got {kind!r}.")
