"""Train the models that notebooks 04 and 05 load from data/, and save them there.

    python bench/make_checkpoints.py                     # all of them (about 25 minutes on a 2-core CPU)
    python bench/make_checkpoints.py reversal_plain      # just one
    python bench/make_checkpoints.py --seconds 60        # quicker, worse reversal models

- ``reversal_plain`` / ``reversal_attention``: the length sweep. Both read reversal inputs of 3..24 letters
  (:data:`s2s_lab.experiments.SWEEP`) and train for the same wall-clock budget (``--seconds``, default 600);
  one decodes from the fixed context vector alone, one with additive attention.
- ``dates_dot`` / ``dates_general`` / ``dates_scaled_dot``: the date recipe of notebook 05
  (:data:`s2s_lab.experiments.DATE_RECIPE`) with the other score functions, for the attention explorer
  (notebook 05 trains the additive one itself). The recipe stops at 100% validation exact match, after its
  epochs, or at the time budget (``--date-seconds``, default 120 s); each checkpoint records its
  updates, seconds and (since this was added) why it stopped — notebook 05 prints them.

Everything runs with one CPU thread, seeded, so the same command gives the same numbers on the same machine;
a different budget or a busier machine means a different number of steps, hence a different model.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from s2s_lab.experiments import accuracy_by_length, save_trained, train_dates, train_reversal

DATA = Path(__file__).resolve().parents[1] / "data"
REVERSAL = {"reversal_plain": None, "reversal_attention": "additive"}
DATES = {"dates_dot": "dot", "dates_general": "general", "dates_scaled_dot": "scaled_dot"}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("which", nargs="*", help=f"names among {[*DATES, *REVERSAL]} (default: all)")
    p.add_argument("--seconds", type=float, default=600.0, help="training budget of each reversal model")
    p.add_argument("--date-seconds", type=float, default=120.0, help="budget of each date model")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    names = args.which or [*DATES, *REVERSAL]
    unknown = [n for n in names if n not in DATES and n not in REVERSAL]
    if unknown:
        p.error(f"unknown model names {unknown}; choose among {[*DATES, *REVERSAL]}")
    for name in names:
        if name in DATES:
            r = train_dates(DATES[name], max_seconds=args.date_seconds, seed=args.seed)
        else:
            r = train_reversal(REVERSAL[name], args.seconds, seed=args.seed)
        path = DATA / f"{name}.pt"
        save_trained(path, r, args.seed)
        h = r.history
        print(
            f"{name}: {len(h.updates)} updates in {h.seconds:.0f} s ({h.stopped}), best at update {h.best['update']}; "
            f"test exact match {r.test['exact_match']:.3f}; saved {path.name} ({path.stat().st_size // 1024} KiB)"
        )
        if name in REVERSAL:
            curve = accuracy_by_length(r.model, r.task)
            print("  by length:", " ".join(f"{n}:{a:.2f}" for n, a in curve.items()))
        print(flush=True)


if __name__ == "__main__":
    main()
