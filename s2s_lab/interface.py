r"""What every sequence-to-sequence model of the collection offers, and what works for any of them.

The RNN encoder-decoder (:class:`s2s_lab.Seq2Seq`) and the Transformer (:class:`s2s_lab.Seq2SeqTransformer`)
have the same interface, :class:`Seq2SeqModel`, so that one trainer (:func:`s2s_lab.fit`), one evaluation
and one text decoder (:func:`decode_text`) serve both:

- ``forward(src, src_mask, tgt_in, teacher_forcing=1.0) -> logits (B, T, V)``;
- ``greedy_decode(src, src_mask, max_len) -> (tokens (B, T') long, extras)``;
- ``max_src_len``: the longest source (in tokens) the model is meant for (``None``: not recorded).

**Mask convention** (one for the whole collection): a boolean mask is **True where a position takes
part** — ``src_mask (B, S)`` is True at real tokens, False at ``<pad>``; an attention mask ``(T_q, T_k)`` is
True where the query may attend. The Transformer's layers take these masks as they are (``key_mask``,
``self_mask``, ...); PyTorch's ``key_padding_mask`` and boolean ``attn_mask`` are the opposite (True =
padding / NOT allowed), so ``~`` is written only where our masks are given to PyTorch's modules.

This module imports only torch and the collection's data conventions, so models may import it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import torch
from torch import Tensor, nn

from ._checks import shape_str
from .data import EOS, Vocab, tokenise
from .encoding import describe_tokens


@runtime_checkable
class Seq2SeqModel(Protocol):
    """The interface :func:`s2s_lab.fit`, :func:`s2s_lab.evaluate` and :func:`decode_text` rely on."""

    max_src_len: int | None

    def forward(self, src: Tensor, src_mask: Tensor, tgt_in: Tensor, teacher_forcing: float = 1.0) -> Tensor: ...

    def greedy_decode(self, src: Tensor, src_mask: Tensor, max_len: int) -> tuple[Tensor, dict]: ...


def _describe(x) -> str:
    return f"a {x.dtype} tensor of shape {shape_str(x.shape)}" if isinstance(x, Tensor) else type(x).__name__


def check_src(src: Tensor, src_mask: Tensor, vocab_size: int) -> None:
    """``src`` must be ``(B, S)`` token ids below ``vocab_size``; ``src_mask`` ``(B, S)`` bool with a real
    token in every row."""
    if not isinstance(src, Tensor) or src.dim() != 2 or src.dtype != torch.long:
        raise ValueError(f"expected src as token ids: a long tensor of shape (B, S), got {_describe(src)}.")
    if not isinstance(src_mask, Tensor) or src_mask.dtype != torch.bool or src_mask.shape != src.shape:
        raise ValueError(
            f"expected src_mask as a bool tensor of shape {shape_str(src.shape)} "
            f"(True = real token), got {_describe(src_mask)}."
        )
    if src.numel() == 0 or not src_mask.any(1).all():
        raise ValueError("every source sequence needs at least one real token, got an empty one.")
    if src.min() < 0 or src.max() >= vocab_size:
        raise ValueError(
            f"expected source token ids in [0, {vocab_size - 1}], got ids from {int(src.min())} to {int(src.max())}."
        )


def check_tgt_in(tgt_in: Tensor, batch_size: int, vocab_size: int) -> None:
    """``tgt_in`` must be ``(B, T)`` token ids (``T >= 1``) below ``vocab_size``, with the source's ``B``."""
    if not isinstance(tgt_in, Tensor) or tgt_in.dtype != torch.long or tgt_in.dim() != 2 or tgt_in.shape[1] == 0:
        raise ValueError(
            f"expected tgt_in as token ids: a long tensor of shape (B={batch_size}, T) with "
            f"T >= 1, got {_describe(tgt_in)}."
        )
    if tgt_in.shape[0] != batch_size:
        raise ValueError(f"expected tgt_in with batch size B={batch_size} like src, got {shape_str(tgt_in.shape)}.")
    if tgt_in.min() < 0 or tgt_in.max() >= vocab_size:
        raise ValueError(
            f"expected target token ids in [0, {vocab_size - 1}], got ids from "
            f"{int(tgt_in.min())} to {int(tgt_in.max())}."
        )


def check_max_len(max_len) -> int:
    """``max_len`` (how many tokens a decoder may write) must be a whole number >= 1."""
    if isinstance(max_len, bool) or not isinstance(max_len, int) or max_len < 1:
        raise ValueError(
            f"expected max_len as a whole number >= 1 (how many tokens to write at most), got {max_len!r}."
        )
    return max_len


def prepare_text(text: str, vocab: Vocab, limit: int | None) -> str:
    """What a learner typed (into :func:`decode_text` or a demo's text box), ready for the model.

    The whitespace around the text is dropped (a stray space is invisible in a text box, and no task has
    inputs that start or end with one). Raises ``ValueError`` with a sentence for the learner if what is
    left is empty, longer than ``limit`` tokens of ``vocab`` or has tokens ``vocab`` does not know (in that
    order: a 500-character paste is "too long", not a list of 500 unknown characters).
    """
    if not isinstance(text, str):
        raise TypeError(f"the input must be a str, got {type(text).__name__}.")
    text = text.strip()
    if not text:
        raise ValueError("the input is empty: type a sequence for the model to read.")
    n = len(tokenise(text, vocab.level))
    if limit is not None and n > limit:
        unit = "characters" if vocab.level == "char" else "words"
        raise ValueError(f"the input has {n} {unit}; this model reads at most {limit}, so shorten it.")
    bad = vocab.unknown(text)
    if bad:
        if vocab.level == "char":
            known = "".join(vocab.tokens)
        else:
            known = " ".join(vocab.tokens[:30]) + (" ..." if len(vocab.tokens) > 30 else "")
        raise ValueError(f"the model has never seen {describe_tokens(bad)}; it only knows {known!r}.")
    return text


@dataclass
class Decoded:
    """What :func:`decode_text` read and wrote, for one input (widgets show it step by step).

    ``attention``: ``(T', S)`` or ``None``; ``probs``: ``(T', V)``; ``tokens``: the output ids (with ``<eos>``).
    """

    source: list[str]
    output: str
    tokens: list[int]
    probs: Tensor
    attention: Tensor | None


def decode_text(model: nn.Module, text: str, src_vocab: Vocab, tgt_vocab: Vocab, max_len: int = 50) -> Decoded:
    """Greedy-decode one input string with any :class:`Seq2SeqModel`.

    The text is checked by :func:`prepare_text`: a ``ValueError`` with a sentence for a student for an
    empty input, one longer than ``model.max_src_len``, or characters/words the model has never seen. A
    model that does not record ``max_src_len`` cannot tell whether an input is longer than its training
    data: that gives a warning.
    """
    check_max_len(max_len)
    limit = getattr(model, "max_src_len", None)
    if limit is None:
        warnings.warn(
            "this model does not record the longest input it was trained on (max_src_len), so an "
            "input longer than its training data may give a wrong output without an error.",
            stacklevel=2,
        )
    ids = src_vocab.encode(prepare_text(text, src_vocab, limit))
    device = next(model.parameters()).device
    src = torch.tensor([ids], device=device)  # (1, S)
    was_training = model.training
    model.eval()
    tokens, extras = model.greedy_decode(src, torch.ones_like(src, dtype=torch.bool), max_len)
    model.train(was_training)
    toks = tokens[0].tolist()
    n = toks.index(EOS) + 1 if EOS in toks else len(toks)
    attn = extras.get("attention")
    return Decoded(
        [src_vocab.itos[i] for i in ids],
        tgt_vocab.decode(toks),
        toks[:n],
        extras["probs"][0, :n].cpu(),
        None if attn is None else attn[0, :n].cpu(),
    )


__all__ = ["Seq2SeqModel", "check_src", "check_tgt_in", "check_max_len", "prepare_text", "Decoded", "decode_text"]
