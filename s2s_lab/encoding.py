"""One-hot encoding of short texts, for the step-through demos of notebooks 01-03."""

from __future__ import annotations

import string

import torch
from torch import Tensor

LOWERCASE = string.ascii_lowercase + " "


class CharOneHot:
    """Turn a short text into a sequence of one-hot vectors :math:`x_1, ..., x_T \\in \\{0, 1\\}^I`.

    Args:
        alphabet: the characters it knows; :math:`I` = ``len(alphabet)``.
        max_len: the longest text it accepts (a demo must stay readable and fast).

    ``encode(text)`` returns a float tensor of shape ``(T, I)``; a text that is empty, too long or has a
    character outside the alphabet raises ``ValueError`` with a sentence that says what to type instead.
    """

    def __init__(self, alphabet: str = LOWERCASE, max_len: int = 20):
        if len(set(alphabet)) != len(alphabet) or not alphabet:
            raise ValueError("the alphabet must be a non-empty string without repeated characters.")
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
        if not text:
            raise ValueError(f"Type at least one character ({self.describe()}).")
        if len(text) > self.max_len:
            raise ValueError(f"That is {len(text)} characters; this demo takes at most {self.max_len}.")
        unknown = sorted({ch for ch in text if ch not in self.index})
        if unknown:
            shown = ", ".join(repr(ch) for ch in unknown)
            raise ValueError(f"This demo does not know {shown}; use {self.describe()}.")

    def encode(self, text: str) -> Tensor:
        self.check(text)
        x = torch.zeros(len(text), self.size)  # (T, I)
        x[torch.arange(len(text)), torch.tensor([self.index[ch] for ch in text])] = 1.0
        return x
