r"""From text to batches of token ids: tokenise, a vocabulary, numericalise, pad, mask, batch.

A sequence-to-sequence model reads a *source* sequence :math:`x_1 \dots x_S` and writes a *target*
sequence :math:`y_1 \dots y_T`. Both are turned into integers by a :class:`Vocab`; four special tokens
have fixed ids in every vocabulary of the collection:

=========  ====  ==================================================================
token      id    meaning
=========  ====  ==================================================================
``<pad>``  0     filler after the end of a shorter sequence in a batch (masked out)
``<bos>``  1     "begin of sequence": the decoder's first input :math:`y_0`
``<eos>``  2     "end of sequence": the decoder says it has finished
``<unk>``  3     a token the vocabulary does not know
=========  ====  ==================================================================

A batch (:class:`Batch`) of :math:`B` pairs is padded to the longest sequence; a boolean mask
(``True`` = real token) says which positions count. Teacher forcing needs the target twice, shifted:
the decoder reads ``tgt_in`` = :math:`(\langle bos\rangle, y_1, \dots, y_T)` and must predict
``tgt_out`` = :math:`(y_1, \dots, y_T, \langle eos\rangle)`.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset

SPECIALS = ("<pad>", "<bos>", "<eos>", "<unk>")
PAD, BOS, EOS, UNK = 0, 1, 2, 3
LEVELS = ("char", "word")
_WORD_RE = re.compile(r"\w+|[^\w\s]")


def tokenise(text: str, level: str = "char") -> list[str]:
    """Split ``text`` into tokens: characters (``level="char"``) or words and punctuation (``"word"``).

    >>> tokenise("3 May")
    ['3', ' ', 'M', 'a', 'y']
    >>> tokenise("Hello, world!", "word")
    ['Hello', ',', 'world', '!']
    """
    if not isinstance(text, str):
        raise ValueError(f"expected the text as a str, got {type(text).__name__}.")
    if level == "char":
        return list(text)
    if level == "word":
        return _WORD_RE.findall(text)
    raise ValueError(f"expected level 'char' or 'word', got {level!r}.")


def detokenise(tokens: Sequence[str], level: str = "char") -> str:
    """The inverse of :func:`tokenise` (for ``"word"``, tokens are joined with single spaces)."""
    return ("" if level == "char" else " ").join(tokens)


class Vocab:
    """A bijection between tokens and ids, with the four specials first (``<pad>`` = 0, ... ``<unk>`` = 3).

    Args:
        tokens: the ordinary tokens, each once, in the order they get ids 4, 5, ... (a string is its
            characters); a repeated token, a special one or, at ``level="char"``, a token longer than one
            character raises ``ValueError``. :meth:`from_texts` collects the distinct tokens of texts.
        level: ``"char"`` or ``"word"``, the tokenisation :meth:`encode` applies to a string.

    >>> v = Vocab("abc")
    >>> v.encode("cab", bos=True, eos=True)
    [1, 6, 4, 5, 2]
    >>> v.decode([6, 4, 5, 2, 0])
    'cab'
    """

    def __init__(self, tokens: Iterable[str], level: str = "char"):
        if level not in LEVELS:
            raise ValueError(f"expected level 'char' or 'word', got {level!r}.")
        if isinstance(tokens, Tensor) or not isinstance(tokens, Iterable):
            raise ValueError(f"expected the tokens as a str or a list of str, got {_describe(tokens)}.")
        self.level = level
        self.itos: list[str] = list(SPECIALS)
        self.stoi = {tok: i for i, tok in enumerate(self.itos)}
        for tok in tokens:
            if not isinstance(tok, str) or not tok:
                raise ValueError(f"expected every token to be a non-empty str, got {tok!r}.")
            if tok in SPECIALS:
                raise ValueError(
                    f"{tok!r} is a special token that every Vocab already has (id {SPECIALS.index(tok)}); "
                    f"leave it out of the tokens."
                )
            if level == "char" and len(tok) != 1:
                raise ValueError(
                    f"a level='char' vocabulary holds single characters, got the token {tok!r}; "
                    f"use level='word' for longer tokens."
                )
            if tok in self.stoi:
                raise ValueError(
                    f"the token {tok!r} appears twice; every token gets one id "
                    f"(Vocab.from_texts collects the distinct tokens of texts)."
                )
            self.stoi[tok] = len(self.itos)
            self.itos.append(tok)

    @classmethod
    def from_texts(cls, texts: Iterable[str], level: str = "char") -> Vocab:
        """Every token that occurs in ``texts``, sorted (so the ids do not depend on the texts' order)."""
        if isinstance(texts, str):
            raise ValueError(
                f"expected a list of texts, got a single str {texts[:40]!r}; "
                f"wrap it in a list: Vocab.from_texts([text])."
            )
        return cls(sorted({tok for text in texts for tok in tokenise(text, level)}), level)

    def __len__(self) -> int:
        return len(self.itos)

    def __repr__(self) -> str:
        shown = "".join(self.itos[4:40]) if self.level == "char" else " ".join(self.itos[4:16])
        return f"Vocab({len(self)} tokens, level={self.level!r}: {shown!r}{'...' if len(self) > 40 else ''})"

    @property
    def tokens(self) -> list[str]:
        """The ordinary tokens (no specials): ``Vocab(v.tokens, v.level)`` rebuilds ``v``."""
        return self.itos[len(SPECIALS) :]

    def unknown(self, text: str) -> list[str]:
        """The tokens of ``text`` that this vocabulary does not know, each once, in order of appearance."""
        return list(dict.fromkeys(t for t in tokenise(text, self.level) if t not in self.stoi))

    def encode(
        self, text: str | Sequence[str], bos: bool = False, eos: bool = False, strict: bool = False
    ) -> list[int]:
        """Token ids of ``text`` (a string, tokenised at :attr:`level`, or a list of tokens).

        Unknown tokens become ``<unk>`` (id 3), or raise ``ValueError`` if ``strict``.
        """
        if isinstance(text, str):
            toks = tokenise(text, self.level)
        elif isinstance(text, (list, tuple)) and all(isinstance(t, str) for t in text):
            toks = list(text)
        else:
            raise ValueError(
                f"expected the text as a str or a list of tokens (str), got {_describe(text)}; "
                f"to turn ids back into text, use decode."
            )
        if strict:
            bad = list(dict.fromkeys(t for t in toks if t not in self.stoi))
            if bad:
                known = "".join(self.tokens) if self.level == "char" else " ".join(self.tokens[:30])
                raise ValueError(
                    f"unknown {self.level}{'s' if len(bad) > 1 else ''} {', '.join(map(repr, bad))}: "
                    f"this vocabulary only knows {known!r}."
                )
        ids = [self.stoi.get(t, UNK) for t in toks]
        return ([BOS] if bos else []) + ids + ([EOS] if eos else [])

    def decode(self, ids: Iterable[int] | Tensor, keep_specials: bool = False) -> str:
        """Text of the ids of *one* sequence (a list, or a 1-D integer tensor ``(T,)``), stopping at the first
        ``<eos>`` and dropping ``<pad>``/``<bos>`` (unless ``keep_specials``).

        A batch ``(B, T)``, such as ``greedy_decode``'s tokens, raises ``ValueError``: decode one row,
        ``vocab.decode(tokens[0])``, or every row, ``[vocab.decode(row) for row in tokens]``.
        """
        one_row = "decode one row, e.g. vocab.decode(tokens[0]), or each: [vocab.decode(row) for row in tokens]"
        if isinstance(ids, Tensor):
            if ids.dim() != 1:
                if ids.dim() == 0:
                    raise ValueError(
                        f"expected a sequence of token ids of shape (T,), got a single id {ids.item()}; "
                        f"wrap it in a list: vocab.decode([id])."
                    )
                raise ValueError(
                    f"expected the token ids of one sequence, shape (T,), got a {ids.dim()}-D tensor of "
                    f"shape {tuple(ids.shape)}; {one_row}."
                )
            if ids.is_floating_point() or ids.is_complex() or ids.dtype == torch.bool:
                raise ValueError(
                    f"expected integer token ids, got a {ids.dtype} tensor; the model's tokens are "
                    f"long tensors (for probabilities, take .argmax(-1) first)."
                )
            ids = ids.tolist()
        elif isinstance(ids, str) or not isinstance(ids, Iterable):
            raise ValueError(
                f"expected a list or 1-D tensor of token ids, got {_describe(ids)}"
                + ("; to turn text into ids, use encode." if isinstance(ids, str) else ".")
            )
        ids = list(ids)
        out = []
        for i in ids:
            if isinstance(i, Tensor) and i.dim() == 0 and not i.is_floating_point() and i.dtype != torch.bool:
                i = int(i)  # one element of an id tensor
            if isinstance(i, (list, tuple, Tensor)):
                raise ValueError(f"expected the token ids of one sequence, got a nested sequence; {one_row}.")
            if isinstance(i, bool) or not isinstance(i, numbers.Integral):
                raise ValueError(f"expected integer token ids, got {i!r} ({type(i).__name__}).")
            if not 0 <= i < len(self):
                raise ValueError(f"expected token ids in [0, {len(self) - 1}], got {i}.")
            if not keep_specials:
                if i == EOS:
                    break
                if i in (PAD, BOS):
                    continue
            out.append(self.itos[i])
        return detokenise(out, self.level)


def _describe(x) -> str:
    """A value as a message names it: ``a str 'ab'``, ``an int 5``, ``a float32 tensor of shape (2, 3)``."""
    if isinstance(x, Tensor):
        return f"a {str(x.dtype).replace('torch.', '')} tensor of shape {tuple(x.shape)}"
    if x is None:
        return "None"
    text = repr(x)
    name = type(x).__name__
    article = "an" if name[0] in "aeiou" else "a"
    return f"{article} {name} {text}" if len(text) <= 40 else f"{article} {name}"


def _check_id_sequences(seqs, what: str) -> None:
    """Each of ``seqs`` must be a list, tuple or 1-D integer tensor of ids (not a str, not a number)."""
    for b, s in enumerate(seqs):
        ok = (isinstance(s, Tensor) and s.dim() == 1 and not s.is_floating_point() and s.dtype != torch.bool) or (
            isinstance(s, (list, tuple)) and all(isinstance(i, numbers.Integral) and not isinstance(i, bool) for i in s)
        )
        if not ok:
            raise ValueError(
                f"expected every {what} as a list of int token ids, got {_describe(s)} at position {b}"
                + ("; encode text with vocab.encode first." if isinstance(s, str) else ".")
            )


def pad(seqs: Sequence[Sequence[int]], value: int = PAD) -> tuple[Tensor, Tensor]:
    """Pad lists of ids to the longest one; return ``ids (B, L) long`` and ``mask (B, L) bool``
    (``True`` = real token)."""
    if isinstance(seqs, (str, Tensor)) or not isinstance(seqs, Sequence):
        raise ValueError(f"expected a list of sequences of token ids, got {_describe(seqs)}.")
    if len(seqs) == 0:
        raise ValueError("expected at least one sequence to pad, got an empty list.")
    _check_id_sequences(seqs, "sequence")
    L = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), L), value, dtype=torch.long)  # (B, L)
    mask = torch.zeros(len(seqs), L, dtype=torch.bool)  # (B, L)
    for b, s in enumerate(seqs):
        ids[b, : len(s)] = torch.as_tensor(list(s), dtype=torch.long)
        mask[b, : len(s)] = True
    return ids, mask


class Batch(NamedTuple):
    """A padded batch of source/target pairs (all ``(B, ·)``; masks ``True`` = real token).

    - **src** ``(B, S) long``: :math:`x_1 \\dots x_S`, padded with ``<pad>``.
    - **src_mask** ``(B, S) bool``.
    - **tgt_in** ``(B, T) long``: :math:`\\langle bos\\rangle, y_1 \\dots y_{T-1}`: what the decoder reads.
    - **tgt_out** ``(B, T) long``: :math:`y_1 \\dots y_{T-1}, \\langle eos\\rangle`: what it must predict.
    - **tgt_mask** ``(B, T) bool``: which positions of ``tgt_out`` count in the loss.
    """

    src: Tensor
    src_mask: Tensor
    tgt_in: Tensor
    tgt_out: Tensor
    tgt_mask: Tensor

    def to(self, device) -> Batch:
        return Batch(*(t.to(device, non_blocking=True) for t in self))


def collate(pairs: Sequence[tuple[Sequence[int], Sequence[int]]]) -> Batch:
    """Turn a list of ``(source ids, target ids)`` (no specials) into a padded :class:`Batch`."""
    if len(pairs) == 0:
        raise ValueError("expected at least one (source, target) pair, got an empty batch.")
    for k, pair in enumerate(pairs):
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            raise ValueError(f"expected (source ids, target ids) pairs, got {_describe(pair)} at position {k}.")
    _check_id_sequences([s for s, _ in pairs], "source")
    _check_id_sequences([t for _, t in pairs], "target")
    src, src_mask = pad([s for s, _ in pairs])
    tgt_in, tgt_mask = pad([[BOS] + list(t) for _, t in pairs])
    tgt_out, _ = pad([list(t) + [EOS] for _, t in pairs])
    return Batch(src, src_mask, tgt_in, tgt_out, tgt_mask)


class PairDataset(Dataset):
    """Text pairs, numericalised once: ``dataset[i]`` is ``(source ids, target ids)`` (lists, no specials).

    Args:
        pairs: ``(source text, target text)`` pairs.
        src_vocab, tgt_vocab: their vocabularies; an unknown token raises ``ValueError`` (a dataset with
            ``<unk>`` in it is almost always a bug in the task).
    """

    def __init__(self, pairs: Sequence[tuple[str, str]], src_vocab: Vocab, tgt_vocab: Vocab):
        self.pairs = list(pairs)
        self.src_vocab, self.tgt_vocab = src_vocab, tgt_vocab
        self.items = []
        for i, pair in enumerate(self.pairs):
            if not (isinstance(pair, (tuple, list)) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
                raise ValueError(
                    f"expected (source text, target text) pairs of str, got {_describe(pair)} at position {i}."
                )
            s, t = pair
            if len(s) == 0 or len(t) == 0:
                raise ValueError(f"pair {i} has an empty source or target: {(s, t)!r}.")
            self.items.append((src_vocab.encode(s, strict=True), tgt_vocab.encode(t, strict=True)))

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> tuple[list[int], list[int]]:
        return self.items[i]


def make_loader(dataset: Dataset, batch_size: int = 64, shuffle: bool = False, seed: int = 0) -> DataLoader:
    """A ``DataLoader`` yielding :class:`Batch` es; with ``shuffle``, its order depends only on ``seed``."""
    gen = torch.Generator().manual_seed(seed) if shuffle else None
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, collate_fn=collate, generator=gen)


__all__ = [
    "SPECIALS",
    "PAD",
    "BOS",
    "EOS",
    "UNK",
    "tokenise",
    "detokenise",
    "Vocab",
    "pad",
    "Batch",
    "collate",
    "PairDataset",
    "make_loader",
]
