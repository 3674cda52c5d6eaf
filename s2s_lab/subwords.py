r"""Subword tokenisation with SentencePiece: any sentence becomes a short sequence of known pieces.

A word-level vocabulary cannot know every word (names, rare forms, typos: ``<unk>``), and characters make
sequences long. Byte-pair encoding (Sennrich et al., 2016, "Neural Machine Translation of Rare Words with
Subword Units"; the algorithm step by step: :mod:`s2s_lab.bpe`) learns a vocabulary of frequent words and
word pieces, so that every word can be written: the shipped French model keeps ``incroyable`` whole and
splits the rarer ``inoubliable`` into ``▁in oubli able``. ``▁`` marks the start of a word, so the pieces join
back into the exact text.

**Why SentencePiece** (Kudo & Richardson, 2018) rather than Hugging Face ``tokenizers``: it trains on raw
sentences without a language-specific pre-tokeniser, keeps the whole tokeniser (pieces, merges, normalisation,
special ids) in one small ``.model`` file and decodes pieces back to the exact text; it is one package with no
further dependencies (``tokenizers`` brings ``huggingface-hub``), and it is the tokeniser that Marian and T5
ship with their translation models.

**One model per language**, not one joint model: the decoder's output layer then spans French pieces only,
and each language has the whole budget. On the validation split, two 4,000-piece models give 8.83 English and
10.49 French pieces per sentence; a joint model needs 8,000 pieces (an 8,000-way output layer) for about the
same (8.75 and 10.08). A joint vocabulary pays off when encoder and decoder share their embeddings, which the
collection's models do not. 4,000 pieces rather than 8,000: sentences only 6-7% longer, half the embedding
and output parameters, eight to ten times fewer pieces too rare to learn (numbers: ``data/README.md``).

**The shipped models** (``data/eng-fra-en.model``, ``data/eng-fra-fr.model``) were trained on the training
split only (:mod:`s2s_lab.translation_data`) with :data:`OPTIONS`: BPE, the collection's
special ids (``<pad>`` 0, ``<bos>`` 1, ``<eos>`` 2, ``<unk>`` 3), every character of the training text in the
vocabulary, and *byte fallback*: a character never seen in training is written as its UTF-8 bytes
(``<0xE2>`` ...), so nothing becomes ``<unk>``. SentencePiece's own normalisation is switched off
(``identity``): :func:`s2s_lab.translation_data.normalise` is the only one, so ``decode(encode(x))`` gives
back ``normalise(x)``.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from pathlib import Path

import sentencepiece as spm
from torch import Tensor

from .checkpoints import shipped
from .data import BOS, EOS, PAD, SPECIALS, UNK
from .translation_data import normalise

LANGUAGES = ("en", "fr")
VOCAB_SIZE = 4000
OPTIONS = {
    "model_type": "bpe",
    "character_coverage": 1.0,
    "byte_fallback": True,
    "normalization_rule_name": "identity",
    "pad_id": PAD,
    "bos_id": BOS,
    "eos_id": EOS,
    "unk_id": UNK,
    "pad_piece": SPECIALS[PAD],
    "bos_piece": SPECIALS[BOS],
    "eos_piece": SPECIALS[EOS],
    "unk_piece": SPECIALS[UNK],
}


def train_tokenizer(sentences: Iterable[str], vocab_size: int = VOCAB_SIZE, **options) -> SubwordTokenizer:
    """Train a SentencePiece model with :data:`OPTIONS` (``options`` override them) on ``sentences``
    (normalised first) and return it; save it with :meth:`SubwordTokenizer.save`."""
    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=(normalise(s) for s in sentences),
        model_writer=buf,
        vocab_size=vocab_size,
        num_threads=1,
        minloglevel=2,
        **{**OPTIONS, **options},
    )
    return SubwordTokenizer(buf.getvalue())


class SubwordTokenizer:
    """A trained SentencePiece model with the collection's conventions (ids like :class:`s2s_lab.data.Vocab`).

    Args:
        model: a ``.model`` file (path) or its bytes.

    >>> tok = SubwordTokenizer.shipped("fr")
    >>> tok.pieces("Je n'ai pas faim.")
    ['▁Je', '▁n', "'", 'ai', '▁pas', '▁faim', '.']
    >>> tok.decode(tok.encode("Je n'ai pas faim."))
    "Je n'ai pas faim."
    """

    def __init__(self, model: str | Path | bytes):
        if isinstance(model, (str, Path)):
            if not Path(model).is_file():
                raise FileNotFoundError(f"no SentencePiece model at '{model}'.")
            model = Path(model).read_bytes()
        if not isinstance(model, bytes):
            raise ValueError(f"expected a .model file path or its bytes, got {type(model).__name__}.")
        self.model = model
        self.sp = spm.SentencePieceProcessor(model_proto=model)
        got = [self.sp.id_to_piece(i) for i in range(len(SPECIALS))]
        if got != list(SPECIALS):
            raise ValueError(f"expected the special pieces {list(SPECIALS)} at ids 0-3, got {got}.")

    @classmethod
    def shipped(cls, language: str) -> SubwordTokenizer:
        """The shipped model of ``"en"`` (English) or ``"fr"`` (French)."""
        if language not in LANGUAGES:
            raise ValueError(f"expected a language among {LANGUAGES}, got {language!r}.")
        return cls(shipped(f"eng-fra-{language}.model"))

    def save(self, path: str | Path) -> None:
        """Write the ``.model`` file."""
        Path(path).write_bytes(self.model)

    def __len__(self) -> int:
        return self.sp.get_piece_size()

    def __repr__(self) -> str:
        first = next(i for i in range(len(SPECIALS), len(self)) if not self.sp.is_byte(i))  # after the bytes
        shown = " ".join(self.piece(i) for i in range(first, min(first + 12, len(self))))
        return f"SubwordTokenizer({len(self)} pieces: {shown} ...)"

    def piece(self, i: int) -> str:
        """The piece of id ``i``."""
        return self.sp.id_to_piece(self._check_id(i))

    def _check_id(self, i) -> int:
        if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < len(self):
            raise ValueError(f"expected token ids in [0, {len(self) - 1}], got {i!r}.")
        return i

    def pieces(self, text: str) -> list[str]:
        """The subwords of ``text`` (normalised first), e.g. ``['▁Je', '▁n', "'", 'ai', ...]``."""
        return self.sp.encode(normalise(text), out_type=str)

    def encode(self, text: str, bos: bool = False, eos: bool = False) -> list[int]:
        """The ids of ``text`` (normalised first), with ``<bos>``/``<eos>`` around them if asked."""
        return ([BOS] if bos else []) + self.sp.encode(normalise(text)) + ([EOS] if eos else [])

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        """:meth:`encode` of many texts at once (much faster than one by one)."""
        if isinstance(texts, str):
            raise ValueError("expected a list of texts, got one str; use encode(text) for a single text.")
        return self.sp.encode([normalise(t) for t in texts])

    def decode(self, ids: Iterable[int] | Tensor) -> str:
        """The text of ``ids``: stops at the first ``<eos>``, skips ``<pad>`` and ``<bos>``, joins the pieces
        into real text (spaces where ``▁`` was)."""
        if isinstance(ids, Tensor):
            if ids.dim() != 1:
                raise ValueError(f"expected one sequence of ids (a 1-D tensor), got shape {tuple(ids.shape)}.")
            ids = ids.tolist()
        out = []
        for i in ids:
            if self._check_id(i) == EOS:
                break
            if i not in (PAD, BOS):
                out.append(i)
        return self.sp.decode(out)


__all__ = ["LANGUAGES", "VOCAB_SIZE", "OPTIONS", "train_tokenizer", "SubwordTokenizer"]
