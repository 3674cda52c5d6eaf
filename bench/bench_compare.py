"""The learning-rate sweep behind notebook 06's comparison: for each model and learning rate, how many
updates it needs to get 90% of the validation dates exactly right (checked every 25 updates, within the
notebook's 314 updates), one number per seed. Each model then trains at the rate that needed the fewest
(``s2s_lab.experiments.compare.LEARNING_RATES``).

    python bench/bench_compare.py                          # seeds 0 1 2, the rates below
    python bench/bench_compare.py --seeds 0 --rnn 1e-2     # one seed, one rate of the RNN only

Runs on one CPU thread, as the notebook; ``inf``: not reached within the updates.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from s2s_lab.experiments.compare import RNN, TRANSFORMER, learning_rate_sweep  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--rnn", type=float, nargs="*", default=[2e-3, 5e-3, 1e-2, 2e-2])
    parser.add_argument("--transformer", type=float, nargs="*", default=[1e-3, 3e-3, 5e-3, 1e-2])
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"seeds: {args.seeds}; updates to 90% validation exact match (per seed), median")
    for name, lrs in ((RNN, args.rnn), (TRANSFORMER, args.transformer)):
        for lr in lrs:
            start = time.perf_counter()
            (counts,) = learning_rate_sweep(name, [lr], args.seeds).values()
            each = " ".join(f"{c:g}" for c in counts)
            print(
                f"{name:16s} lr {lr:<7g} {each:24s} median {statistics.median(counts):g}"
                f"   ({time.perf_counter() - start:.0f} s)",
                flush=True,
            )


if __name__ == "__main__":
    main()
