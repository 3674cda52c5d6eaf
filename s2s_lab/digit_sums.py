r"""A small task for a model that reads token ids: is the sum of the digits above its mean?

Each sequence is :math:`T` digits :math:`x_1, \dots, x_T \in \{0, \dots, 9\}`, drawn uniformly; the label is

.. math::
    y = \big[\, x_1 + \dots + x_T > 4.5\, T \,\big]

(1 above the mean :math:`4.5\,T` of such a sum, 0 at or below it). The digits come in as token *ids*, not as
numbers: a model must learn from the labels alone that 9 counts more than 8, 8 more than 7 and so on, and an
embedding table (:mod:`s2s_lab.embeddings`) is where it can write that down.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.utils.data import TensorDataset

from ._checks import check_int

DIGITS = "0123456789"
"""The vocabulary: token id ``v`` is the digit ``v``."""


def above_mean(x: Tensor) -> Tensor:
    r"""The labels of digit sequences: :math:`[\sum_t x_t > 4.5\, T]`.

    Inputs: ``x`` ``(N, T)`` long, digits 0-9. Output: ``(N,)`` long, 1 above the mean sum, else 0.
    """
    if not isinstance(x, Tensor) or x.dim() != 2 or x.dtype != torch.long:
        got = f"{x.dtype} of shape {tuple(x.shape)}" if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"expected digit ids as a long tensor of shape (N, T), got {got}.")
    if x.numel() and (x.min() < 0 or x.max() > 9):
        raise ValueError(f"expected digits 0-9, got values from {int(x.min())} to {int(x.max())}.")
    return (2 * x.sum(dim=1) > 9 * x.shape[1]).long()  # (N,)


def digit_sums(num_sequences: int, length: int = 8, seed: int = 0) -> TensorDataset:
    """``num_sequences`` random digit sequences of ``length`` and their :func:`above_mean` labels, drawn
    deterministically from ``seed``.

    Returns: a ``TensorDataset`` of ``x`` ``(N, T)`` long token ids and ``y`` ``(N,)`` long labels.
    """
    check_int(num_sequences, "num_sequences")
    check_int(length, "length")
    check_int(seed, "seed", minimum=0)
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(len(DIGITS), (num_sequences, length), generator=g)  # (N, T)
    return TensorDataset(x, above_mean(x))


def decode_digits(x: Tensor) -> str:
    """One sequence of ids ``(T,)`` as a string of digits, e.g. ``"40291377"``."""
    if not isinstance(x, Tensor) or x.dim() != 1:
        got = f"shape {tuple(x.shape)}" if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"expected one sequence of ids of shape (T,), got {got}; for a batch, decode x[0].")
    return "".join(DIGITS[int(v)] for v in x)


__all__ = ["DIGITS", "above_mean", "digit_sums", "decode_digits"]
