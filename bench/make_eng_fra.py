"""Make the shipped English–French data from the Tatoeba/manythings file: the split and the subword models.

    python bench/make_eng_fra.py path/to/eng-fra.tsv              # everything (about 10 seconds)
    python bench/make_eng_fra.py path/to/eng-fra.tsv --no-subwords  # only the split

Reads ``eng-fra.tsv`` (``English<TAB>French``, see data/README.md for where it comes from) and writes to data/:

- ``eng-fra-{train,valid,test}.tsv.gz``: the pairs normalised (:func:`s2s_lab.translation_data.normalise`), pairs
  with more than 30 words on a side dropped, duplicates dropped, split by English sentence
  (:func:`s2s_lab.translation_data.make_split`: 1,000 test and 1,000 validation sentences); gzip with no
  timestamp, so the same input gives the same bytes;
- ``eng-fra-en.model``, ``eng-fra-fr.model``: SentencePiece BPE models (:data:`s2s_lab.subwords.OPTIONS`)
  trained on the distinct English, respectively French, sentences of the training split only.

It prints the counts that data/README.md states (a test checks the README against the shipped files).
"""

from __future__ import annotations

import argparse
import gzip
import shutil
from pathlib import Path

from s2s_lab.subwords import VOCAB_SIZE, train_tokenizer
from s2s_lab.translation_data import MAX_WORDS, clean_pairs, english_key, make_split, split_file

DATA = Path(__file__).resolve().parents[1] / "data"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", type=Path, help="eng-fra.tsv (English<TAB>French, one pair per line)")
    p.add_argument("--vocab-size", type=int, default=VOCAB_SIZE, help="subword vocabulary size of each language")
    p.add_argument("--no-subwords", action="store_true", help="write the split only")
    args = p.parse_args()
    lines = args.source.read_text(encoding="utf-8").splitlines()
    raw = [tuple(line.split("\t")) for line in lines]
    bad = next((i for i, r in enumerate(raw) if len(r) != 2), None)
    if bad is not None:
        p.error(f"{args.source} line {bad + 1}: expected 'English<TAB>French', got {lines[bad]!r}")
    pairs = clean_pairs(raw)
    print(f"{len(raw):,} pairs read; {len(pairs):,} kept (longer than {MAX_WORDS} words or duplicates dropped)")
    splits = make_split(pairs)
    for split, rows in splits.items():
        text = "".join(f"{en}\t{fr}\n" for en, fr in rows).encode("utf-8")
        path = DATA / split_file(split)
        with open(path, "wb") as f, gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0, compresslevel=9) as gz:
            gz.write(text)
        n_en = len({english_key(en) for en, _ in rows})
        print(f"{path.name}: {len(rows):,} pairs, {n_en:,} English sentences, {path.stat().st_size:,} bytes")
    about = args.source.with_name("eng-fra.manythings_about.txt")
    if about.is_file():
        shutil.copyfile(about, DATA / about.name)
    if args.no_subwords:
        return
    train = splits["train"]
    for k, lang in enumerate(("en", "fr")):
        sentences = list(dict.fromkeys(pair[k] for pair in train))  # distinct, in order
        path = DATA / f"eng-fra-{lang}.model"
        train_tokenizer(sentences, args.vocab_size).save(path)
        print(f"{path.name}: {args.vocab_size} pieces from {len(sentences):,} sentences, {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
