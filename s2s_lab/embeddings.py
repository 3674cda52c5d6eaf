r"""Embeddings: a learned vector for every token.

A token is an id :math:`v \in \{0, \dots, V - 1\}` of a vocabulary of :math:`V` tokens. Its **one-hot**
vector :math:`o(v) \in \{0, 1\}^V` is all zeros but a 1 at position :math:`v`. Multiplying it by a matrix
:math:`W \in \mathbb{R}^{V \times E}` (one row per token) picks one row:

.. math::
    e(v) = o(v)^\top W = W_v \in \mathbb{R}^E

so an **embedding** is a linear layer without bias applied to one-hot vectors, computed as a *lookup*: no
:math:`V \cdot E` multiplications, just a row read. :math:`E` is the **embedding size**; the table has
:math:`V \cdot E` parameters, all learned with the rest of the model (Bengio et al., 2003, *A Neural
Probabilistic Language Model*). ``torch.nn.Embedding(V, E)`` holds :math:`W` as its ``weight``.

**Its gradient** is the one of a matrix product with one-hot rows: for a batch of ids :math:`x_{bt}` with
:math:`e_{bt} = W_{x_{bt}}`,

.. math::
    \frac{\partial \mathcal{L}}{\partial W_u}
    = \sum_{(b, t) \,:\, x_{bt} = u} \frac{\partial \mathcal{L}}{\partial e_{bt}}

only the rows of tokens that occur in the batch get a gradient, and a row gets the sum over its occurrences.

:class:`TokenClassifier` is the smallest model that learns such a table: embedding, vanilla RNN, read-out.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._checks import check_int
from .layers import RNN


def _check_ids(ids, weight) -> None:
    if not isinstance(weight, Tensor) or weight.dim() != 2 or not weight.is_floating_point():
        got = f"{weight.dtype} of shape {tuple(weight.shape)}" if isinstance(weight, Tensor) else type(weight).__name__
        raise ValueError(f"expected the embedding table as a float tensor of shape (V, E), got {got}.")
    if not isinstance(ids, Tensor) or ids.dtype != torch.long:
        got = f"{ids.dtype} tensor" if isinstance(ids, Tensor) else type(ids).__name__
        raise ValueError(f"expected token ids as a long tensor (e.g. torch.tensor([3, 1, 4])), got {got}.")
    V = weight.shape[0]
    if ids.numel() and (ids.min() < 0 or ids.max() >= V):
        raise ValueError(f"expected token ids in 0..{V - 1} (the table has V = {V} rows), got {int(ids.max())}.")


def one_hot_embedding(ids: Tensor, weight: Tensor) -> Tensor:
    r"""The definition: :math:`e(v) = o(v)^\top W`, a one-hot vector times the table.

    Inputs: ``ids`` ``(...)`` long, ``weight`` :math:`W` ``(V, E)``. Output: ``(..., E)``.
    """
    _check_ids(ids, weight)
    one_hot = F.one_hot(ids, num_classes=weight.shape[0]).to(weight.dtype)  # (..., V)
    return one_hot @ weight  # (..., E)


def embedding_lookup(ids: Tensor, weight: Tensor) -> Tensor:
    r"""The same, computed as a lookup: :math:`e(v) = W_v`, row :math:`v` of the table.

    Inputs: ``ids`` ``(...)`` long, ``weight`` :math:`W` ``(V, E)``. Output: ``(..., E)``.
    """
    _check_ids(ids, weight)
    return weight[ids]  # (..., E)


@torch.no_grad()
def principal_axes(weight: Tensor, k: int = 2) -> tuple[Tensor, Tensor, Tensor]:
    r"""The first ``k`` principal axes of the rows of an embedding table, to draw the rows in ``k`` dimensions.

    With :math:`\mu` the mean row, :math:`\bar W = W - \mu` and :math:`\bar W = U S V^\top` its singular value
    decomposition, the axes are the first ``k`` rows of :math:`V^\top`, and axis :math:`j` explains the fraction
    :math:`s_j^2 / \sum_i s_i^2` of the rows' variance. An axis's sign is arbitrary; it is chosen so that the
    last row (token :math:`V - 1`) lies on its positive side (or at 0).

    Inputs: ``weight`` ``(V, E)`` with :math:`k \le \min(V, E)`.
    Outputs: ``mean`` :math:`\mu` ``(E,)``, ``axes`` ``(k, E)``, ``explained`` ``(k,)``.
    """
    if not isinstance(weight, Tensor) or weight.dim() != 2 or not weight.is_floating_point():
        got = f"shape {tuple(weight.shape)}" if isinstance(weight, Tensor) else type(weight).__name__
        raise ValueError(f"expected the embedding table as a float tensor of shape (V, E), got {got}.")
    check_int(k, "k")
    if k > min(weight.shape):
        raise ValueError(f"expected k <= min(V, E) = {min(weight.shape)}, got k = {k}.")
    mean = weight.double().mean(dim=0)  # (E,)
    U, S, Vh = torch.linalg.svd(weight.double() - mean, full_matrices=False)  # (V, r), (r,), (r, E)
    sign = torch.where(U[-1, :k] < 0, -1.0, 1.0).double()  # (k,): the last row on the positive side
    explained = S[:k] ** 2 / (S**2).sum().clamp(min=1e-300)  # (k,)
    return mean.to(weight.dtype), (Vh[:k] * sign[:, None]).to(weight.dtype), explained.to(weight.dtype)


@torch.no_grad()
def principal_components(weight: Tensor, k: int = 2) -> tuple[Tensor, Tensor]:
    r"""The rows of ``weight`` in the coordinates of its :func:`principal_axes`: :math:`(W - \mu)\, V_{:k}`.

    Inputs: ``weight`` ``(V, E)``. Outputs: ``coords`` ``(V, k)``, ``explained`` ``(k,)`` (see :func:`principal_axes`).
    """
    mean, axes, explained = principal_axes(weight, k)
    return (weight - mean) @ axes.T, explained  # (V, k), (k,)


class TokenClassifier(nn.Module):
    r"""Read a sequence of token ids through an embedding and a vanilla RNN; classify it from the last state:

    .. math::
        e_t = W_{x_t}, \qquad h_t = \tanh(W_{ih} e_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}), \qquad
        \hat y = \operatorname{softmax}(W_{out} h_T + b_{out})

    Args:
        vocab_size: :math:`V`; emb_size: :math:`E`; hidden_size: :math:`H`; num_classes: :math:`C`.
        emb_std: the embedding table starts as :math:`\mathcal{N}(0, \mathrm{emb\_std}^2)` (``torch.nn.Embedding``'s
            own start is :math:`\mathcal{N}(0, 1)`; GPT-2 used 0.02). A small start lets what training writes
            into the table stand out from its random beginning.

    Inputs: **x** ``(B, T)`` long token ids. Outputs: **logits** ``(B, C)``.
    """

    def __init__(self, vocab_size: int, emb_size: int, hidden_size: int, num_classes: int, emb_std: float = 0.1):
        super().__init__()
        check_int(vocab_size, "vocab_size", minimum=2)
        check_int(emb_size, "emb_size")
        check_int(num_classes, "num_classes", minimum=2)
        if isinstance(emb_std, bool) or not isinstance(emb_std, (int, float)) or not emb_std > 0:
            raise ValueError(f"expected emb_std > 0 (the initial spread of the table), got {emb_std!r}.")
        self.embed = nn.Embedding(vocab_size, emb_size)
        nn.init.normal_(self.embed.weight, std=emb_std)
        self.rnn = RNN(emb_size, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        _check_ids(x, self.embed.weight)
        if x.dim() != 2:
            raise ValueError(f"expected token ids of shape (B, T), got {tuple(x.shape)}; for one sequence, x[None].")
        output, _ = self.rnn(self.embed(x))  # (B, T, H)
        return self.head(output[:, -1])  # (B, C)


__all__ = ["one_hot_embedding", "embedding_lookup", "principal_axes", "principal_components", "TokenClassifier"]
