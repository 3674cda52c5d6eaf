r"""A long-delay memory task: remember the marked token.

Each sequence is a string of symbols from a small alphabet (``"abcd"``); exactly one position is
*marked* (written in upper case: ``"cbAdbcadbb"``). The model reads the whole sequence and must say, at
the last step, which symbol was marked (here ``a``). Every other symbol is a distractor.

The mark sits somewhere in the first ``lead + 1`` positions and at least ``delay`` distractors follow it,
so the answer has to be carried over ``delay`` or more steps. This is the kind of long time lag
Hochreiter & Schmidhuber (1997) built the LSTM for; a vanilla RNN's gradient through that lag vanishes
(Bengio, Simard & Frasconi, 1994).

Encoding: :math:`x_t \in \{0, 1\}^{V+1}` is the one-hot symbol followed by one *mark bit* (1 at the
marked step, 0 elsewhere); :math:`V` = ``len(alphabet)``.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.utils.data import TensorDataset

from .encoding import describe_tokens

ALPHABET = "abcd"


def _check_alphabet(alphabet: str) -> None:
    if (
        not isinstance(alphabet, str)
        or len(alphabet) < 2
        or len(set(alphabet)) != len(alphabet)
        or not all(ch.islower() and len(ch.upper()) == 1 for ch in alphabet)
    ):
        raise ValueError(f"expected an alphabet of at least two distinct lower-case letters, got {alphabet!r}.")


def input_size(alphabet: str = ALPHABET) -> int:
    """Features per step: one-hot symbol plus the mark bit, ``len(alphabet) + 1``."""
    return len(alphabet) + 1


def encode_marked(text: str, alphabet: str = ALPHABET) -> Tensor:
    """Encode one sequence like ``"cbAdbca"`` (one upper-case letter = the mark) as ``(T, V+1)`` floats.

    Raises ``ValueError`` with a sentence a student understands for an empty string, an unknown symbol,
    or a number of marks other than one.
    """
    if not isinstance(text, str) or not text.strip():
        got = type(text).__name__ if not isinstance(text, str) else "nothing" if not text else "only whitespace"
        raise ValueError(f"expected a non-empty sequence of letters from {alphabet!r} (e.g. 'cbAdbca'), got {got}.")
    text = text.strip()  # spaces around the sequence are not part of it
    known = set(alphabet)
    unknown = list(dict.fromkeys(ch for ch in text if ch.lower() not in known))  # in order, each once
    if unknown:
        raise ValueError(
            f"expected letters from {alphabet!r} only (one of them in upper case), "
            f"got {describe_tokens(unknown)} in {text!r}."
        )
    marks = [k for k, ch in enumerate(text) if ch.isupper()]
    if len(marks) != 1:
        raise ValueError(
            f"expected exactly one upper-case (marked) letter in {text!r}, got {len(marks)}; "
            f"e.g. 'cbAdbca' marks the 'a'."
        )
    x = torch.zeros(len(text), len(alphabet) + 1)  # (T, V+1)
    for t, ch in enumerate(text.lower()):
        x[t, alphabet.index(ch)] = 1.0
    x[marks[0], -1] = 1.0
    return x


def marked_answer(text: str, alphabet: str = ALPHABET) -> int:
    """The class index of the marked symbol of ``text`` (after checking it like :func:`encode_marked`)."""
    encode_marked(text, alphabet)
    return alphabet.index(next(ch for ch in text.strip() if ch.isupper()).lower())


def decode_marked(x: Tensor, alphabet: str = ALPHABET) -> str:
    """Inverse of :func:`encode_marked`: ``(T, V+1)`` back to a string with the mark in upper case."""
    V = len(alphabet)
    if not isinstance(x, Tensor) or x.dim() != 2 or x.shape[1] != V + 1:
        got = f"shape {tuple(x.shape)}" if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(
            f"expected one encoded sequence of shape (T, V+1={V + 1}) (one-hot symbol and mark bit), "
            f"got {got}; for a batch (N, T, V+1), decode x[0]."
        )
    symbols = x[:, : len(alphabet)].argmax(-1).tolist()
    return "".join(alphabet[s].upper() if x[t, -1] > 0.5 else alphabet[s] for t, s in enumerate(symbols))


class MarkedOneHot:
    """The one-hot converter for the step-through demos: ``encode(text)`` is :func:`encode_marked` with a length limit.

    ``alphabet`` labels the ``size = V + 1`` input features (the symbols, then ``"*"`` for the mark bit).
    """

    def __init__(self, alphabet: str = ALPHABET, max_len: int = 40):
        _check_alphabet(alphabet)
        if isinstance(max_len, bool) or not isinstance(max_len, int) or max_len < 1:
            raise ValueError(f"max_len must be a positive int, got {max_len!r}.")
        self.symbols, self.max_len = alphabet, max_len
        self.alphabet = alphabet + "*"
        self.size = len(alphabet) + 1

    def tokens(self, text: str) -> list[str]:
        """The symbols :meth:`encode` reads, one per time step (the spaces around ``text`` are dropped)."""
        return list(text.strip())

    def encode(self, text: str) -> Tensor:
        if isinstance(text, str) and len(text.strip()) > self.max_len:
            raise ValueError(f"That is {len(text.strip())} symbols; this demo takes at most {self.max_len}.")
        return encode_marked(text, self.symbols)


def remember_marked(
    num_sequences: int, delay: int, lead: int = 4, alphabet: str = ALPHABET, seed: int = 0
) -> TensorDataset:
    r"""Generate the "remember the marked token" data set, deterministically from ``seed``.

    Args:
        num_sequences: :math:`N`, how many sequences.
        delay: the smallest number of distractor steps after the mark (the time lag to bridge).
        lead: the mark is at a uniformly random position in ``0 .. lead``.
        alphabet: the symbols; the number of classes is ``len(alphabet)``.
        seed: the data depend on nothing else.

    Returns:
        A ``TensorDataset`` of ``x`` with shape ``(N, T, V+1)`` (batch first, ``T = lead + 1 + delay``)
        and ``y`` with shape ``(N,)`` (long, the marked symbol's index).
    """
    for name, value in (("num_sequences", num_sequences), ("delay", delay), ("lead", lead), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} should be of type int, got {type(value).__name__} {value!r}.")
    if num_sequences <= 0:
        raise ValueError(f"expected a positive num_sequences, got {num_sequences}.")
    if delay < 0 or lead < 0:
        raise ValueError(f"expected delay >= 0 and lead >= 0, got delay={delay} and lead={lead}.")
    _check_alphabet(alphabet)
    g = torch.Generator().manual_seed(seed)
    T, V = lead + 1 + delay, len(alphabet)
    symbols = torch.randint(V, (num_sequences, T), generator=g)  # (N, T)
    where = torch.randint(lead + 1, (num_sequences,), generator=g)  # (N,) mark positions
    x = torch.zeros(num_sequences, T, V + 1)  # (N, T, V+1)
    x.scatter_(2, symbols.unsqueeze(-1), 1.0)
    x[torch.arange(num_sequences), where, -1] = 1.0
    y = symbols[torch.arange(num_sequences), where]  # (N,)
    return TensorDataset(x, y)


__all__ = [
    "ALPHABET",
    "MarkedOneHot",
    "input_size",
    "encode_marked",
    "decode_marked",
    "marked_answer",
    "remember_marked",
]
