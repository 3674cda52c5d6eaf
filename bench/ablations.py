r"""What each ingredient of the Transformer recipe is worth: train it with one ingredient taken out at a time,
for the same minutes (issue 10).

    python bench/ablations.py --minutes 60                      # all six arms, one after the other
    python bench/ablations.py --minutes 60 --jobs 2             # two arms at once, 1 thread each
    python bench/ablations.py --minutes 60 --arms base no-warmup
    python bench/ablations.py --minutes 0.3 --train-pairs 2000 --valid-sentences 20 --test-sentences 50
                                                                # a smoke test: checks it runs, measures nothing

**What is compared.** The recipe :data:`~s2s_lab.experiments.translation.TRANSFORMER` (``base``) and five
copies of it with exactly one setting changed (:data:`ARMS`), each trained by
:func:`~s2s_lab.experiments.translation.train_translation` for ``--minutes`` of wall clock on the shipped
English → French split, with the same seed:

- ``no-label-smoothing``: :math:`\varepsilon = 0.1 \to 0` (the plain cross-entropy);
- ``no-warmup``: warm-up :math:`w = 1000 \to 0`. With :math:`w = 0` the schedule
  (:func:`~s2s_lab.experiments.translation.inverse_sqrt_schedule`) is a constant :math:`\eta`, so this arm also
  loses the inverse-square-root *decay*: it compares "warm-up then decay" with "constant rate";
- ``random-batches``: random batches instead of batches of similar length (on this split 56% of the positions
  are padding instead of 9.5%: :func:`~s2s_lab.translation_data.make_translation_loader`), so each update costs
  more;
- ``no-clipping``: no gradient-norm clipping (instead of at most 1);
- ``no-dropout``: dropout :math:`p = 0.1 \to 0` everywhere in the model.

Six arms of 60 minutes take six hours of training one after the other (three with ``--jobs 2``), plus the
tests. For each arm it reports the updates made, the final training loss (mean over the updates since the
evaluation before the last; label-smoothed where the arm smooths, so ``no-label-smoothing``'s is lower by
construction: compare the validation loss, which is never smoothed), the validation loss and BLEU of the
kept model (greedy, on the recipe's ``n_valid`` = 300 validation sentences; the best of the evaluations
every ``eval_every`` updates), and its test BLEU (beam 5 on the 1,000 test sentences, sacreBLEU, against the
first reference and against all; ``bench/translation_arms.py``), with the difference to ``base``. Results go
to ``OUT_DIR.json`` and ``OUT_DIR.md`` (a markdown table), checkpoints to ``OUT_DIR/`` (default
``bench/results/ablations-mM-sSEED``).

**Caveats.**

- A short budget favours the ingredients that help early and hides those that pay off late: dropout and
  label smoothing fight over-fitting, which a short run may never reach, so without them a short run can
  even look better. What holds at 10 minutes need not hold at 60.
- The budget is wall-clock time, evaluations included: a busy machine gives fewer updates. The JSON records
  the updates, the CPU time each training got and the load average; compare arms run on the same, otherwise
  idle machine. With ``--jobs 2`` two arms share the memory bandwidth of one machine.
- One seed is one draw: differences of a few tenths of BLEU between arms can come from the initialisation and
  the batch order alone. Repeat with ``--seed 1``, ``2`` before believing a small difference.
- ``--train-pairs``, ``--valid-sentences`` and ``--test-sentences`` are for smoke tests only: their numbers
  measure nothing.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from translation_arms import RESULTS, machine, run_arms, write_json  # noqa: E402

from s2s_lab.experiments.translation import TRANSFORMER  # noqa: E402

T = TRANSFORMER
# name: (what changes, the change), each one setting of the TRANSFORMER recipe
ARMS = {
    "base": ("nothing: the TRANSFORMER recipe", {}),
    "no-label-smoothing": (f"label_smoothing {T.label_smoothing} -> 0", {"label_smoothing": 0.0}),
    "no-warmup": (f"warmup {T.warmup} -> 0 (a constant learning rate: no decay either)", {"warmup": 0}),
    "random-batches": ("batches by length -> random batches", {"by_length": False}),
    "no-clipping": (f"clip {T.clip} -> none", {"clip": None}),
    "no-dropout": (f"dropout {T.dropout} -> 0", {"dropout": 0.0}),
}


def table(results: list[dict], beam: int) -> str:
    """The results as a markdown table, with each arm's difference to ``base`` where ``base`` ran."""
    base = next((r for r in results if r["arm"] == "base"), None)
    n_valid, n_test = results[0]["valid"]["sentences"], results[0]["test"]["sentences"]
    lines = [
        f"| arm | change | updates | final train loss | valid loss | valid BLEU (greedy, {n_valid}) "
        f"| test BLEU 1 ref (beam {beam}, {n_test}) | test BLEU all refs | Δ all refs vs base |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        multi = r["test"]["multi"]["bleu"]
        delta = f"{multi - base['test']['multi']['bleu']:+.2f}" if base is not None else "—"
        lines.append(
            f"| {r['arm']} | {r['change']} | {r['updates']} | {r['final_train_loss']:.3f} | "
            f"{r['valid']['loss']:.3f} | {r['valid']['bleu']:.2f} | {r['test']['single']['bleu']:.2f} | "
            f"{multi:.2f} | {delta} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, metavar="M", required=True, help="training budget of each arm (wall clock)")
    p.add_argument(
        "--arms",
        nargs="+",
        choices=list(ARMS),
        default=list(ARMS),
        metavar="ARM",
        help=f"any of {', '.join(ARMS)} (default: all)",
    )
    p.add_argument("--jobs", type=int, metavar="N", default=1, help="arms trained at once, 1 thread each (default 1)")
    p.add_argument("--seed", type=int, metavar="N", default=0, help="initialisation and batch order (default 0)")
    p.add_argument(
        "--out-dir", type=Path, metavar="OUT_DIR", help="checkpoints here, results in OUT_DIR.json and OUT_DIR.md"
    )
    p.add_argument("--beam", type=int, metavar="N", default=5, help="beam width of the test translations (default 5)")
    p.add_argument("--eval-every", type=int, metavar="N", help=f"updates between evaluations (default {T.eval_every})")
    p.add_argument("--valid-sentences", type=int, metavar="N", help=f"validation BLEU sentences (default {T.n_valid})")
    p.add_argument("--train-pairs", type=int, metavar="N", help="smoke tests: train on the first N pairs only")
    p.add_argument("--test-sentences", type=int, metavar="N", help="smoke tests: test on the first N sentences only")
    args = p.parse_args()
    if not args.minutes > 0:
        p.error(f"expected --minutes > 0, got {args.minutes}")
    if args.jobs < 1:
        p.error(f"expected --jobs as a whole number >= 1, got {args.jobs}")

    common = {"minutes": args.minutes, "threads": 1, "seed": args.seed, "n_train": args.train_pairs}
    if args.eval_every is not None:
        common["eval_every"] = args.eval_every
    if args.valid_sentences is not None:
        common["n_valid"] = args.valid_sentences
    arms = {name: replace(T, **common, **ARMS[name][1]) for name in dict.fromkeys(args.arms)}
    out_dir = args.out_dir or RESULTS / f"ablations-m{args.minutes:g}-s{args.seed}"
    before = machine()
    print(f"{len(arms)} arm(s) of {args.minutes:g} minutes, {args.jobs} at once, 1 thread each, seed {args.seed}")
    print(f"load average before: {before['load_average']}, torch {before['torch']}", flush=True)
    results = run_arms(
        arms,
        out_dir,
        jobs=args.jobs,
        beam=args.beam,
        test_sentences=args.test_sentences,
        command="python " + " ".join(sys.argv),
    )
    after = machine()
    for r in results:
        r["change"] = ARMS[r["arm"]][0]
    markdown = table(results, args.beam)
    print(f"\nload average after: {after['load_average']}\n")
    print(markdown)
    print(f"signature, 1 reference: {results[0]['test']['single']['bleu_signature']}")
    print(f"signature, all references: {results[0]['test']['multi']['bleu_signature']}")
    stem = out_dir.parent / out_dir.name
    json_path = write_json(
        f"{stem}.json",
        {
            "benchmark": "ablations of the TRANSFORMER recipe, same minutes",
            "command": "python " + " ".join(sys.argv),
            "minutes": args.minutes,
            "seed": args.seed,
            "jobs": args.jobs,
            "before": before,
            "after": after,
            "arms": results,
        },
    )
    md_path = Path(f"{stem}.md")
    header = f"{args.minutes:g} minutes per arm, seed {args.seed}, load average before {before['load_average']}, "
    md_path.write_text(header + f"after {after['load_average']}\n\n" + markdown, encoding="utf-8")
    print(f"written: {json_path}, {md_path}")


if __name__ == "__main__":
    main()
