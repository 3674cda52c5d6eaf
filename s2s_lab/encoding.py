"""One-hot encoding of short texts, for the step-through demos of notebooks 01-03."""

from __future__ import annotations

import string

import torch
from torch import Tensor

LOWERCASE = string.ascii_lowercase + " "

# Characters a message cannot show as they are.
_INVISIBLE = {" ": "' ' (a space)", "\t": "a tab", "\n": "a line break", "\r": "a carriage return"}


def describe_tokens(tokens, max_shown: int = 8) -> str:
    r"""Tokens listed for a message: ``'a', 'B', a tab, a line break`` (invisible characters named), at most
    ``max_shown`` of them, then how many more there are.

    >>> describe_tokens(["x", " ", "\n"])
    "'x', ' ' (a space), a line break"
    """
    tokens = list(tokens)
    shown = ", ".join(_INVISIBLE.get(t, repr(t)) for t in tokens[:max_shown])
    more = len(tokens) - max_shown
    return shown + (f" and {more} more" if more > 0 else "")


class CharOneHot:
    """Turn a short text into a sequence of one-hot vectors :math:`x_1, ..., x_T \\in \\{0, 1\\}^I`.

    Args:
        alphabet: the characters it knows; :math:`I` = ``len(alphabet)``.
        max_len: the longest text it accepts (a demo must stay readable and fast).

    ``encode(text)`` returns a float tensor of shape ``(T, I)``; a text that is empty, too long or has a
    character outside the alphabet raises ``ValueError`` with a sentence that says what to type instead.
    """

    def __init__(self, alphabet: str = LOWERCASE, max_len: int = 20):
        if not isinstance(alphabet, str) or not alphabet or len(set(alphabet)) != len(alphabet):
            raise ValueError(f"the alphabet must be a non-empty string without repeated characters, got {alphabet!r}.")
        if isinstance(max_len, bool) or not isinstance(max_len, int) or max_len < 1:
            raise ValueError(f"max_len must be a positive int, got {max_len!r}.")
        self.alphabet, self.max_len = alphabet, max_len
        self.index = {ch: i for i, ch in enumerate(alphabet)}

    @property
    def size(self) -> int:
        return len(self.alphabet)

    def describe(self) -> str:
        if self.alphabet == LOWERCASE:
            return "lowercase letters a-z and spaces"
        return "the characters " + repr(self.alphabet)

    def check(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"Expected the text as a str, got {type(text).__name__}.")
        if not text:
            raise ValueError(f"Type at least one character ({self.describe()}).")
        if len(text) > self.max_len:
            raise ValueError(f"That is {len(text)} characters; this demo takes at most {self.max_len}.")
        unknown = sorted({ch for ch in text if ch not in self.index})
        if unknown:
            raise ValueError(f"This demo does not know {describe_tokens(unknown)}; use {self.describe()}.")

    def encode(self, text: str) -> Tensor:
        self.check(text)
        x = torch.zeros(len(text), self.size)  # (T, I)
        x[torch.arange(len(text)), torch.tensor([self.index[ch] for ch in text])] = 1.0
        return x
