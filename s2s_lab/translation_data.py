r"""Real translation data: English–French sentence pairs from the Tatoeba Project, ready for a model.

The collection ships about 160,000 pairs (``data/eng-fra-{train,valid,test}.tsv.gz``; source, license and
how they were made: ``data/README.md``). This module reads them and turns them into batches:

1. :func:`normalise` — the one text clean-up applied to every sentence (and to what a user types);
2. :func:`load_pairs` — one split as ``(English, French)`` pairs; :func:`load_references` — the same grouped by
   English sentence, with *all* its French translations, for multi-reference BLEU (:mod:`s2s_lab.bleu`);
3. :class:`TranslationDataset` — the pairs as subword ids (:mod:`s2s_lab.subwords`);
4. :class:`LengthBatchSampler` — batches of sentences of similar length, so that little of each padded batch
   is ``<pad>``; :func:`make_translation_loader` puts 3 and 4 into a ``torch.utils.data.DataLoader`` yielding
   :class:`~s2s_lab.data.Batch` es.

**The split** (:func:`make_split`) is by *English sentence*: Tatoeba often has several French translations of
one English sentence, and a test sentence whose twin (same English, other French) is in training would
measure memory, not translation. The distinct English sentences (compared by :func:`english_key`) are ranked
by the SHA-256 of their key; the first ``n_test`` are the test set, the next ``n_valid`` the validation set,
the rest training. The rank depends on nothing but the sentence itself, so the split is the same on every
machine and every Python.
"""

from __future__ import annotations

import gzip
import hashlib
import unicodedata
from collections.abc import Iterator, Sequence
from functools import lru_cache

import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from .checkpoints import shipped
from .data import collate

SPLITS = ("train", "valid", "test")
MAX_WORDS = 30  # longer pairs (multi-sentence paragraphs at the end of the source file) are dropped
_REPLACE = (
    ("\u2019", "'"),  # typographic apostrophe ’ -> '
    ("\u2018", "'"),  # ‘ (used as an apostrophe in the data) -> '
    ("\u200b", ""),  # zero-width space: deleted
    ("\u00ad", ""),  # soft hyphen: deleted
    ("\ufeff", ""),  # byte-order mark: deleted
)


def normalise(text: str) -> str:
    """The text clean-up of the collection's translation data: real text, one spelling per character.

    1. Unicode NFC: an accented letter is one code point (``é`` = U+00E9, never ``e`` + U+0301);
    2. the typographic apostrophes ``’`` ``‘`` become ``'`` (the data has both ``J’ai`` and ``J'ai``);
    3. zero-width spaces, soft hyphens and byte-order marks are deleted;
    4. every run of white space (including the no-break spaces U+00A0 and U+202F and the thin space U+2009
       that French puts before ``! ? : ;``) becomes one plain space, and the ends are stripped.

    Accents, case, punctuation and the French spacing (``Va !``) are kept.

    >>> normalise("J’ai faim\u202f!  ")
    "J'ai faim !"
    """
    if not isinstance(text, str):
        raise ValueError(f"expected the text as a str, got {type(text).__name__}.")
    text = unicodedata.normalize("NFC", text)
    for old, new in _REPLACE:
        text = text.replace(old, new)
    return " ".join(text.split())  # str.split() splits at every Unicode space, U+00A0 and U+202F included


def english_key(english: str) -> str:
    """What makes two English sentences "the same" for the split: normalised and case-folded."""
    return normalise(english).casefold()


def _rank(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def clean_pairs(pairs: Sequence[tuple[str, str]], max_words: int = MAX_WORDS) -> list[tuple[str, str]]:
    """Normalise the pairs, drop those with more than ``max_words`` words on either side, and drop pairs
    that became exact duplicates (first occurrence kept, order kept)."""
    out = {}
    for en, fr in pairs:
        en, fr = normalise(en), normalise(fr)
        if en and fr and len(en.split()) <= max_words and len(fr.split()) <= max_words:
            out.setdefault((en, fr), None)
    return list(out)


def make_split(
    pairs: Sequence[tuple[str, str]], n_test: int = 1000, n_valid: int = 1000
) -> dict[str, list[tuple[str, str]]]:
    """Split ``(English, French)`` pairs into ``{"train", "valid", "test"}`` by English sentence (see the
    module's docstring): every pair of one English sentence lands in the same split; order is kept."""
    keys = sorted({english_key(en) for en, _ in pairs}, key=_rank)
    if len(keys) <= n_test + n_valid:
        raise ValueError(
            f"expected more than n_test + n_valid = {n_test + n_valid} distinct English sentences, got {len(keys)}."
        )
    where = {k: "test" for k in keys[:n_test]} | {k: "valid" for k in keys[n_test : n_test + n_valid]}
    out = {s: [] for s in SPLITS}
    for en, fr in pairs:
        out[where.get(english_key(en), "train")].append((en, fr))
    return out


def split_file(split: str) -> str:
    """The name of a split's shipped file, e.g. ``"eng-fra-train.tsv.gz"``."""
    if split not in SPLITS:
        raise ValueError(f"expected a split among {SPLITS}, got {split!r}.")
    return f"eng-fra-{split}.tsv.gz"


@lru_cache(maxsize=3)
def _read(split: str) -> tuple[tuple[str, str], ...]:
    path = shipped(split_file(split))
    lines = gzip.decompress(path.read_bytes()).decode("utf-8").splitlines()
    pairs = tuple(tuple(line.split("\t")) for line in lines)
    bad = next((i for i, p in enumerate(pairs) if len(p) != 2 or not p[0] or not p[1]), None)
    if bad is not None:
        raise ValueError(f"{path.name} line {bad + 1}: expected 'English<TAB>French', got {lines[bad]!r}.")
    return pairs


def load_pairs(split: str = "train") -> list[tuple[str, str]]:
    """The shipped ``(English, French)`` pairs of ``split`` (``"train"``, ``"valid"`` or ``"test"``), already
    normalised, in the source file's order (roughly shortest first)."""
    return list(_read(split))


def group_references(pairs: Sequence[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    """``(English, [every French translation])`` for each distinct English sentence, in order of first
    appearance: the source sentences and references of a multi-reference BLEU."""
    groups: dict[str, list[str]] = {}
    for en, fr in pairs:
        groups.setdefault(en, []).append(fr)
    return list(groups.items())


def load_references(split: str = "test") -> list[tuple[str, list[str]]]:
    """:func:`group_references` of a shipped split (about 1,000 sentences for ``"valid"`` and ``"test"``)."""
    return group_references(_read(split))


class TranslationDataset(Dataset):
    """Sentence pairs as subword ids: ``dataset[i]`` is ``(source ids, target ids)`` (lists, no specials), as
    :func:`s2s_lab.data.collate` expects.

    Args:
        pairs: ``(source text, target text)`` pairs, e.g. ``load_pairs("train")`` for English → French.
        src_tokenizer, tgt_tokenizer: anything with ``encode_batch(texts) -> list of id lists``, e.g.
            :class:`s2s_lab.subwords.SubwordTokenizer`.
        max_len: if given, pairs with more than ``max_len`` subwords on either side are left out
            (:attr:`pairs` keeps the ones kept).

    The ids are stored in two flat tensors with offsets (a few MB for the whole training split) instead of
    160,000 Python lists; :attr:`src_lengths` and :attr:`tgt_lengths` give each pair's lengths.
    """

    def __init__(self, pairs: Sequence[tuple[str, str]], src_tokenizer, tgt_tokenizer, max_len: int | None = None):
        if max_len is not None and (isinstance(max_len, bool) or not isinstance(max_len, int) or max_len < 1):
            raise ValueError(f"expected max_len as a whole number >= 1 (or None), got {max_len!r}.")
        if len(pairs) == 0:
            raise ValueError("expected at least one (source, target) pair, got none.")
        src = src_tokenizer.encode_batch([s for s, _ in pairs])
        tgt = tgt_tokenizer.encode_batch([t for _, t in pairs])
        keep = [i for i in range(len(pairs)) if max_len is None or max(len(src[i]), len(tgt[i])) <= max_len]
        if not keep:
            raise ValueError(f"no pair has at most max_len={max_len} subwords on both sides; raise max_len.")
        self.pairs = [tuple(pairs[i]) for i in keep]
        self.src_lengths = torch.tensor([len(src[i]) for i in keep])  # (N,)
        self.tgt_lengths = torch.tensor([len(tgt[i]) for i in keep])  # (N,)
        self._src = torch.tensor([t for i in keep for t in src[i]], dtype=torch.int32)  # (sum of lengths,)
        self._tgt = torch.tensor([t for i in keep for t in tgt[i]], dtype=torch.int32)
        self._src_start = torch.cat([torch.zeros(1, dtype=torch.long), self.src_lengths.cumsum(0)])  # (N + 1,)
        self._tgt_start = torch.cat([torch.zeros(1, dtype=torch.long), self.tgt_lengths.cumsum(0)])

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, i: int) -> tuple[list[int], list[int]]:
        if not -len(self) <= i < len(self):
            raise IndexError(f"pair index {i} out of range for a dataset of {len(self)} pairs.")
        i %= len(self)
        s0, s1, t0, t1 = self._src_start[i], self._src_start[i + 1], self._tgt_start[i], self._tgt_start[i + 1]
        return self._src[s0:s1].tolist(), self._tgt[t0:t1].tolist()


class LengthBatchSampler(Sampler[list[int]]):
    """Batches of indices of similar length (a ``batch_sampler`` for ``DataLoader``).

    Each epoch: shuffle all indices with the seed, cut them into pools of ``pool`` batches, sort each pool by
    length, cut it into batches, and shuffle the order of all batches. Batches are random (different every
    epoch, the same for the same seed) yet hold items of nearly equal length, so a padded batch is mostly
    real tokens. Without ``shuffle``, the batches are consecutive runs of the indices sorted by length.

    Args:
        lengths: one sort key per item, e.g. its length; :func:`make_translation_loader` sorts by source
            length, then target length.
        batch_size: items per batch (the last batch of a pool may be smaller).
        seed: the shuffling seed; epoch ``e`` uses ``seed + e`` (:meth:`set_epoch` sets ``e``; otherwise each
            new iteration moves to the next epoch).
        pool: how many batches' worth of items are sorted together (larger: less padding, less randomness).
    """

    def __init__(self, lengths, batch_size: int, seed: int = 0, shuffle: bool = True, pool: int = 100):
        for name, v in (("batch_size", batch_size), ("pool", pool)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"expected {name} as a whole number >= 1, got {v!r}.")
        self.lengths = torch.as_tensor(lengths)
        if self.lengths.dim() != 1 or self.lengths.numel() == 0:
            got = tuple(self.lengths.shape)
            raise ValueError(f"expected one length per item (a non-empty 1-D list), got shape {got}.")
        self.batch_size, self.seed, self.shuffle, self.pool = batch_size, seed, shuffle, pool
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration use the order of ``epoch``."""
        self.epoch = epoch

    def __len__(self) -> int:
        n, per_pool = len(self.lengths), self.batch_size * self.pool
        full, rest = divmod(n, per_pool)
        return full * self.pool + -(-rest // self.batch_size) if self.shuffle else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[list[int]]:
        if not self.shuffle:
            order = torch.sort(self.lengths, stable=True).indices  # (N,)
            yield from (b.tolist() for b in order.split(self.batch_size))
            return
        gen = torch.Generator().manual_seed(self.seed + self.epoch)
        self.epoch += 1
        order = torch.randperm(len(self.lengths), generator=gen)  # (N,)
        batches = []
        for chunk in order.split(self.batch_size * self.pool):
            chunk = chunk[torch.sort(self.lengths[chunk], stable=True).indices]  # sorted by length
            batches += chunk.split(self.batch_size)
        for k in torch.randperm(len(batches), generator=gen).tolist():
            yield batches[k].tolist()


def make_translation_loader(
    dataset: TranslationDataset,
    batch_size: int = 64,
    shuffle: bool = True,
    seed: int = 0,
    by_length: bool = True,
    pool: int = 100,
) -> DataLoader:
    """A ``DataLoader`` of :class:`~s2s_lab.data.Batch` es over ``dataset``.

    ``by_length`` (the default) groups pairs of similar length with :class:`LengthBatchSampler` (sorted by
    source length, then target length, within pools of ``pool`` batches); ``by_length=False`` is plain random
    batching. On the training split, batches of 64: 56% of the positions are padding with random batching,
    9.5% by length (``python bench/bench_subwords.py``).
    """
    if by_length:
        key = dataset.src_lengths * (int(dataset.tgt_lengths.max()) + 1) + dataset.tgt_lengths  # (N,)
        sampler = LengthBatchSampler(key, batch_size, seed, shuffle, pool)
        return DataLoader(dataset, batch_sampler=sampler, collate_fn=collate)
    gen = torch.Generator().manual_seed(seed) if shuffle else None
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, collate_fn=collate, generator=gen)


def padding_fraction(batches) -> float:
    """The fraction of the positions of ``src`` and ``tgt_in`` over all ``batches`` that are ``<pad>`` (mask
    False): the share of a model's work spent on padding."""
    pads = total = 0
    for b in batches:
        pads += int((~b.src_mask).sum() + (~b.tgt_mask).sum())
        total += b.src.numel() + b.tgt_in.numel()
    if total == 0:
        raise ValueError("expected at least one batch, got none.")
    return pads / total


__all__ = [
    "SPLITS",
    "MAX_WORDS",
    "normalise",
    "english_key",
    "clean_pairs",
    "make_split",
    "split_file",
    "load_pairs",
    "group_references",
    "load_references",
    "TranslationDataset",
    "LengthBatchSampler",
    "make_translation_loader",
    "padding_fraction",
]
