"""Time to >= 99% exact match on held-out dates: the target of notebook 05 (<= 60 s of CPU training).

    python bench/bench_dates.py                  # the notebook's recipe (it trains with 1 CPU thread)
    python bench/bench_dates.py --threads 2      # with 2 threads instead (slower on a busy 2-core CPU)
    python bench/bench_dates.py --attention none # the same without attention, for comparison

Trains with :data:`s2s_lab.experiments.DATE_RECIPE` until the validation exact match reaches the recipe's
target (or the time budget runs out), then prints the measured wall time, steps and the exact match on the
1000 held-out test dates (whose inputs occur neither in training nor in validation).
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import torch

from s2s_lab.experiments import DATE_RECIPE, train_dates


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--attention", default="additive", help="additive, dot, general, scaled_dot or none")
    p.add_argument("--seconds", type=float, default=60.0, help="time budget (default 60)")
    p.add_argument("--threads", type=int, default=DATE_RECIPE.threads, help="CPU threads while training")
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--device", default="cpu")
    args = p.parse_args()
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])  # import the optimiser machinery (~2 s) outside the timing
    attention = None if args.attention == "none" else args.attention
    print(f"recipe {DATE_RECIPE}")
    print(
        f"attention={attention} device={args.device} threads={args.threads} "
        f"cpus={os.cpu_count()} load average={os.getloadavg()[0]:.1f} ({platform.processor() or platform.machine()})"
    )
    for seed in args.seeds:
        start = time.perf_counter()
        r = train_dates(attention, max_seconds=args.seconds, seed=seed, device=args.device, threads=args.threads)
        total = time.perf_counter() - start
        h = r.history
        print(
            f"seed {seed}: stopped by {h.stopped} after {len(h.updates)} updates, training {h.seconds:.1f} s "
            f"(with data generation {total:.1f} s); val exact match {h.best['exact_match']:.3f}; "
            f"TEST exact match {r.test['exact_match']:.4f}, token accuracy {r.test['token_accuracy']:.4f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
