"""Measure what data/README.md reports about the English–French data: subword vocabulary sizes, round trips,
padding, load times.

    python bench/bench_subwords.py                  # everything (about a minute on a 2-core CPU)
    python bench/bench_subwords.py --sizes 4000 8000

1. For each vocabulary size: train SentencePiece BPE (:data:`s2s_lab.subwords.OPTIONS`) on the training split
   (one model per language, and a joint model on both), then on the validation split count subwords per
   sentence, ``<unk>`` pieces and byte-fallback pieces (characters the model never saw), and the fraction of
   sentences that decode back to exactly their text. The word-level row is the alternative: a vocabulary of
   every training word (split at spaces and punctuation), and the share of validation words it lacks.
2. With the shipped models: the time (wall clock, and CPU time, which a busy machine disturbs less) to load the
   training split and to encode it as a dataset, and the fraction of padding in one epoch of batches of 64,
   random vs grouped by length.
"""

from __future__ import annotations

import argparse
import time

from s2s_lab.data import UNK, tokenise
from s2s_lab.subwords import SubwordTokenizer, train_tokenizer
from s2s_lab.translation_data import (
    TranslationDataset,
    load_pairs,
    make_translation_loader,
    padding_fraction,
)


def rare(tok: SubwordTokenizer, texts: list[str], below: int = 20) -> str:
    """How many of the vocabulary's ordinary pieces occur fewer than ``below`` times in ``texts``."""
    counts = [0] * len(tok)
    for s in tok.encode_batch(texts):
        for i in s:
            counts[i] += 1
    n = sum(c < below and not tok.piece(i).startswith("<") for i, c in enumerate(counts))
    return f"{n:,} pieces seen < {below} times in training"


def stats(tok: SubwordTokenizer, texts: list[str]) -> str:
    ids = tok.encode_batch(texts)
    n = sum(map(len, ids))
    unk = sum(i == UNK for s in ids for i in s)
    byte = sum(tok.piece(i).startswith("<0x") for s in ids for i in s)
    same = sum(tok.decode(s) == t for s, t in zip(ids, texts))
    return (
        f"{n / len(texts):5.2f} subwords/sentence, <unk> {unk / n:.2%}, bytes {byte / n:.3%}, "
        f"round trip {same / len(texts):.2%}"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="*", default=[4000, 8000, 16000])
    args = p.parse_args()
    t0, c0 = time.perf_counter(), time.process_time()
    train = load_pairs("train")  # the first load reads and unzips the file
    load = f"{time.perf_counter() - t0:.2f} s ({time.process_time() - c0:.2f} s CPU)"
    valid = load_pairs("valid")
    side = {lang: ([pair[k] for pair in train], [pair[k] for pair in valid]) for k, lang in enumerate(("en", "fr"))}
    for lang, (tr, va) in side.items():
        words = {w for t in dict.fromkeys(tr) for w in tokenise(t, "word")}
        va_words = [w for t in va for w in tokenise(t, "word")]
        oov = sum(w not in words for w in va_words) / len(va_words)
        print(
            f"{lang} word level: {len(words):,} training words, {len(va_words) / len(va):.2f} words/sentence, "
            f"unknown on validation {oov:.2%}"
        )
    for size in args.sizes:
        for lang, (tr, va) in side.items():
            t0 = time.perf_counter()
            tok = train_tokenizer(dict.fromkeys(tr), size)
            took = time.perf_counter() - t0
            print(f"{lang} {size:>6}: {stats(tok, va)}, {rare(tok, tr)}  (trained in {took:.0f} s)")
        t0 = time.perf_counter()
        joint = train_tokenizer(dict.fromkeys(side["en"][0] + side["fr"][0]), size)
        took = time.perf_counter() - t0
        for lang, (_, va) in side.items():
            print(f"joint {size:>6} on {lang}: {stats(joint, va)}  (trained in {took:.0f} s)")

    t1, c1 = time.perf_counter(), time.process_time()
    en, fr = SubwordTokenizer.shipped("en"), SubwordTokenizer.shipped("fr")
    ds = TranslationDataset(train, en, fr)
    encode = f"{time.perf_counter() - t1:.2f} s ({time.process_time() - c1:.2f} s CPU)"
    print(f"shipped models: en {stats(en, side['en'][1])}")
    print(f"shipped models: fr {stats(fr, side['fr'][1])}")
    print(f"load the training split: {load}; encode it as a dataset ({len(ds):,} pairs): {encode}")
    for by_length in (False, True):
        loader = make_translation_loader(ds, batch_size=64, shuffle=True, seed=0, by_length=by_length)
        print(f"padding, batches of 64, {'by length' if by_length else 'random'}: {padding_fraction(loader):.1%}")


if __name__ == "__main__":
    main()
