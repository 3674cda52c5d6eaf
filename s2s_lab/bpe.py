r"""Byte-pair encoding, step by step: how a subword vocabulary is learned (Sennrich, Haddow & Birch, 2016,
"Neural Machine Translation of Rare Words with Subword Units", Algorithm 1).

A teaching version on a handful of sentences; the collection's real tokeniser is SentencePiece's BPE
(:mod:`s2s_lab.subwords`), the same algorithm with a fast implementation.

**Learning the merges.** Every word is written as its characters followed by an end-of-word marker
``</w>``, and counted: :math:`f(w)` is how often word :math:`w` occurs. Then, ``num_merges`` times:

1. count every pair of adjacent symbols :math:`(a, b)` over the words, weighted by frequency:
   :math:`c(a, b) = \sum_w f(w) \cdot \#\{\text{positions of } a\,b \text{ in } w\}`;
2. take the most frequent pair :math:`(a^*, b^*) = \arg\max_{(a, b)} c(a, b)` (ties: the pair met first when
   reading the words in order of first appearance, as the paper's reference code does);
3. replace every :math:`a^*\,b^*` in every word by the new symbol :math:`a^*b^*` and record the merge.

Frequent words end up as one symbol, rare words as a few frequent pieces.

**Applying the merges** to any word, also one never seen: split it into characters and ``</w>``, then apply
the recorded merges in the order they were learned. ``lowest``, unseen after learning on
``low lower newest widest``, becomes ``low`` + ``est</w>``.
"""

from __future__ import annotations

from collections.abc import Sequence

EOW = "</w>"  # end-of-word marker: "est</w>" (a word ending) differs from "est" (inside a word)


def word_counts(texts: Sequence[str]) -> dict[tuple[str, ...], int]:
    """:math:`f(w)`: each word of ``texts`` (split at spaces) as its symbols ``(c_1, ..., c_n, "</w>")``, with
    its count, in order of first appearance."""
    if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
        raise ValueError(f"expected a list of sentences (str), got {type(texts).__name__}.")
    counts: dict[tuple[str, ...], int] = {}
    for text in texts:
        for word in text.split():
            symbols = (*word, EOW)
            counts[symbols] = counts.get(symbols, 0) + 1
    return counts


def pair_counts(words: dict[tuple[str, ...], int]) -> dict[tuple[str, str], int]:
    """:math:`c(a, b)`: how often each pair of adjacent symbols occurs, weighted by the words' counts."""
    pairs: dict[tuple[str, str], int] = {}
    for symbols, n in words.items():
        for pair in zip(symbols, symbols[1:]):
            pairs[pair] = pairs.get(pair, 0) + n
    return pairs


def merge_pair(symbols: tuple[str, ...], pair: tuple[str, str]) -> tuple[str, ...]:
    """Replace each occurrence of ``pair`` in ``symbols`` (left to right) by the joined symbol."""
    out, i = [], 0
    while i < len(symbols):
        if symbols[i : i + 2] == pair:
            out.append(pair[0] + pair[1])
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return tuple(out)


def learn_bpe(texts: Sequence[str], num_merges: int) -> list[tuple[str, str]]:
    """Learn up to ``num_merges`` merges from ``texts`` (fewer if every word becomes one symbol first).

    >>> learn_bpe(["low"] * 5 + ["lower"] * 2 + ["newest"] * 6 + ["widest"] * 3, 4)
    [('e', 's'), ('es', 't'), ('est', '</w>'), ('l', 'o')]
    """
    if isinstance(num_merges, bool) or not isinstance(num_merges, int) or num_merges < 0:
        raise ValueError(f"expected num_merges as a whole number >= 0, got {num_merges!r}.")
    words = word_counts(texts)
    merges = []
    for _ in range(num_merges):
        pairs = pair_counts(words)
        if not pairs:
            break
        best = max(pairs, key=pairs.get)  # max keeps the first of equals: dicts keep the reading order
        merges.append(best)
        words = {merge_pair(symbols, best): n for symbols, n in words.items()}
    return merges


def apply_bpe(word: str, merges: Sequence[tuple[str, str]]) -> list[str]:
    """Split ``word`` into subwords with the learned ``merges``, applied in the order learned.

    >>> apply_bpe("lowest", [("e", "s"), ("es", "t"), ("est", "</w>"), ("l", "o"), ("lo", "w")])
    ['low', 'est</w>']
    """
    if not isinstance(word, str) or not word or word != "".join(word.split()):
        raise ValueError(f"expected one word (a non-empty str without spaces), got {word!r}.")
    symbols = (*word, EOW)
    for pair in merges:
        symbols = merge_pair(symbols, tuple(pair))
    return list(symbols)


__all__ = ["EOW", "word_counts", "pair_counts", "merge_pair", "learn_bpe", "apply_bpe"]
