"""The beam search curse on the test split: BLEU and output length against the beam width, with and without
length normalisation; with ``--sampling`` also BLEU and diversity against the sampling temperature.

    python bench/beam_curse.py [--checkpoint NAME=PATH ...] [--widths 1 2 4 8 16] [--alphas 0 0.6]
                               [--n 1000] [--threads 2] [--sampling] [--temperatures 0.25 0.5 1 1.5]

For each checkpoint (default: the shipped ``transformer`` and ``rnn``) it runs
:func:`s2s_lab.experiments.decoding_eval.beam_curse` (and :func:`~.temperature_sweep`) on the first ``--n`` of
the test split's distinct English sentences, scored against all their references, and prints one row per
setting with its time. Notebook 08 runs the same functions on a subset.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from s2s_lab.experiments.decoding_eval import BEAM_WIDTHS, TEMPERATURES, beam_curse, temperature_sweep
from s2s_lab.experiments.translation import SHIPPED, Translator
from s2s_lab.translation_data import load_references

DATA = Path(__file__).resolve().parent.parent / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", action="append", default=[], metavar="NAME=PATH")
    parser.add_argument("--widths", type=int, nargs="+", default=list(BEAM_WIDTHS))
    parser.add_argument("--alphas", type=float, nargs="+", default=[0.0, 0.6])
    parser.add_argument("--n", type=int, default=1000, help="how many test sentences (default: all 1,000)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sampling", action="store_true", help="also the temperature table")
    parser.add_argument("--temperatures", type=float, nargs="+", default=list(TEMPERATURES))
    parser.add_argument("--samples", type=int, default=4, help="samples per sentence and temperature")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    checkpoints = dict(c.split("=", 1) for c in args.checkpoint) or {
        name.removeprefix("eng-fra-").removesuffix(".pt"): DATA / name for name in SHIPPED
    }
    groups = load_references("test")[: args.n]
    for name, path in checkpoints.items():
        translator = Translator.load(path)
        print(f"\n{name}: {len(groups)} test sentences, all references, {args.threads} threads")
        print(f"{'alpha':>5} {'k':>3} {'BLEU':>6} {'words':>6} {'ref words':>9} {'empty':>6} {'seconds':>8}")
        for alpha in args.alphas:
            for k in args.widths:
                start = time.perf_counter()
                (r,) = beam_curse(translator, groups, widths=(k,), alphas=(alpha,), batch_size=64)
                seconds = time.perf_counter() - start
                print(
                    f"{alpha:>5.2f} {k:>3} {r['bleu'].score:>6.2f} {r['words']:>6.2f} {r['ref_words']:>9.2f} "
                    f"{100 * r['empty']:>5.1f}% {seconds:>8.1f}"
                )
        print(r["bleu"].signature)
        if args.sampling:
            print(f"\n{'T':>5} {'BLEU':>6} {'distinct-1':>10} {'distinct-2':>10} {'words':>6} {'seconds':>8}")
            for temperature in args.temperatures:
                start = time.perf_counter()
                (r,) = temperature_sweep(translator, groups, (temperature,), n_samples=args.samples, batch_size=64)
                seconds = time.perf_counter() - start
                print(
                    f"{temperature:>5.2f} {r['bleu']:>6.2f} {r['distinct_1']:>10.3f} {r['distinct_2']:>10.3f} "
                    f"{r['words']:>6.2f} {seconds:>8.1f}"
                )
            print(f"(BLEU: the mean over {args.samples} seeded draws; distinct-n: of each sentence's draws together)")


if __name__ == "__main__":
    main()
