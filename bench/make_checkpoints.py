"""Train the two models of the length sweep (notebooks 04 and 05) and save them in data/.

    python bench/make_checkpoints.py                 # both models, 600 s of training each (1 CPU thread)
    python bench/make_checkpoints.py --seconds 60    # a quick, worse version

Both read reversal task inputs of 3..24 letters (:data:`s2s_lab.experiments.SWEEP`) and train for the same
wall-clock budget; one decodes from the fixed context vector alone, one with additive attention. The
script prints, for each, the held-out exact match overall and per source length.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from s2s_lab.experiments import accuracy_by_length, save_sweep_model, train_reversal

DATA = Path(__file__).resolve().parents[1] / "data"
MODELS = {"plain": None, "attention": "additive"}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("which", nargs="*", choices=[*MODELS, []], help="which models (default: all)")
    p.add_argument("--seconds", type=float, default=600.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    args = p.parse_args()
    for name in args.which or list(MODELS):
        r = train_reversal(MODELS[name], args.seconds, seed=args.seed, device=args.device)
        path = DATA / f"reversal_{name}.pt"
        save_sweep_model(path, r, args.seed)
        h = r.history
        curve = accuracy_by_length(r.model, r.task)
        print(f"{name}: {len(h.steps)} steps in {h.seconds:.0f} s, best at step {h.best['step']}; test exact "
              f"match {r.test['exact_match']:.3f}; saved {path.name} ({path.stat().st_size // 1024} KiB)")
        print("  by length:", " ".join(f"{n}:{a:.2f}" for n, a in curve.items()), flush=True)


if __name__ == "__main__":
    main()
