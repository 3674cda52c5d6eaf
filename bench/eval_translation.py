"""Score the English → French checkpoints on the test split and store their translations.

    python bench/eval_translation.py [--checkpoint NAME=PATH ...] [--threads 2] [--write]

For each checkpoint (default: the shipped ``transformer`` and ``rnn``), translate the test split's 1,000
distinct English sentences greedily and with beam search (k = 5, alpha = 0.6), time both, and print sacreBLEU
BLEU and chrF (with the signature) with one reference per test pair and with all references of each English
sentence. ``--write`` stores every translation in ``data/eng-fra-test-translations.tsv.gz``, which notebook 07
reads (it scores them, and checks a sample against fresh translations).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from s2s_lab.experiments.translation import SHIPPED, Translator
from s2s_lab.experiments.translation_eval import TRANSLATIONS_FILE, test_scores, write_translations
from s2s_lab.translation_data import load_references

DATA = Path(__file__).resolve().parent.parent / "data"
DECODINGS = {"greedy": dict(beam=1), "beam5": dict(beam=5, alpha=0.6)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", action="append", default=[], metavar="NAME=PATH")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--write", action="store_true", help=f"write data/{TRANSLATIONS_FILE}")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    checkpoints = dict(c.split("=", 1) for c in args.checkpoint) or {
        name.removeprefix("eng-fra-").removesuffix(".pt"): DATA / name for name in SHIPPED
    }
    english = [en for en, _ in load_references("test")]
    rows = []
    for name, path in checkpoints.items():
        translator = Translator.load(path)
        translator.translate(english[:20])  # warm-up
        for decoding, options in DECODINGS.items():
            start = time.perf_counter()
            out = translator.translate(english, batch_size=64, **options)
            seconds = time.perf_counter() - start
            scores = test_scores(dict(zip(english, out)))
            print(f"{name} {decoding}: {len(english)} sentences in {seconds:.1f} s ({args.threads} threads)")
            for refs, s in scores.items():
                print(f"  {refs}-reference  {s['BLEU']}\n  {refs}-reference  {s['chrF2']}")
            rows += [dict(model=name, decoding=decoding, english=e, french=f) for e, f in zip(english, out)]
    if args.write:
        write_translations(DATA / TRANSLATIONS_FILE, rows)
        print(f"wrote data/{TRANSLATIONS_FILE} ({len(rows)} translations)")


if __name__ == "__main__":
    main()
