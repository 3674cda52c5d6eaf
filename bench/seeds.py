"""Run every trained experiment the notebooks report under several seeds; print min / median / max of each
reported figure, so that the notebooks' prose states what held in every run, never one run's digits.

    python bench/seeds.py                      # seeds 0 1 2, every experiment
    python bench/seeds.py --seeds 0 1 2 3 4    # more seeds
    python bench/seeds.py --only 02 03         # experiments whose name starts with 02 or 03

Each experiment is a function ``seed -> {figure: value}`` in :mod:`s2s_lab.experiments` (``FIGURES``), the
same code the notebook runs; seed 0 is the notebook's own run (on this machine).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from s2s_lab.experiments import FIGURES  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--only", nargs="*", default=[], help="experiment name prefixes (default: all)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    names = [n for n in FIGURES if not args.only or any(n.startswith(p) for p in args.only)]
    print(f"seeds: {args.seeds}")
    for name in names:
        start = time.perf_counter()
        runs = [FIGURES[name](seed) for seed in args.seeds]
        report(f"{name}  ({time.perf_counter() - start:.0f} s for {len(args.seeds)} seeds)", runs)


def report(title: str, runs: list[dict[str, float]]) -> None:
    """Print min / median / max of each figure over the runs (one dict per seed), and every run's value."""
    print(f"\n{title}")
    print(f"  {'figure':44s} {'min':>9s} {'median':>9s} {'max':>9s}   per seed")
    for figure in runs[0]:
        values = [run[figure] for run in runs]
        each = " ".join(f"{v:.3g}" for v in values)
        print(f"  {figure:44s} {min(values):9.3g} {statistics.median(values):9.3g} {max(values):9.3g}   {each}")


if __name__ == "__main__":
    main()
