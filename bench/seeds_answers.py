"""The numbers behind two folded answers of notebooks 04 and 05, under several training seeds (min / median /
max, as ``bench/seeds.py`` prints them), the same code as the notebooks' cells:

* 04: which output positions of the plain encoder-decoder go wrong on the 8-letter reversal test inputs;
* 05: how often the dot, general and scaled-dot models put their largest weight where the additive model
  trained in the notebook does (over the demo's eight example dates, ``3rd of March 2021`` and ``03/03/21``).

    python bench/seeds_answers.py                   # seeds 0 1 2 3
    python bench/seeds_answers.py --seeds 0 1 --only 05

A seed here is what ``S2S_SEED_SHIFT`` adds to the notebook's: initialisation and batch order change, the
data stay the notebook's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from seeds import report  # noqa: E402  (bench/seeds.py: the same table)

import s2s_lab  # noqa: E402
from s2s_lab import collate  # noqa: E402
from s2s_lab.experiments import REVERSAL_RECIPE, load_trained, recipe_task, train_dates, train_seq2seq  # noqa: E402


def positions_04(seed: int) -> dict[str, float]:
    """Notebook 04: the share of right letters at each output position, 8-letter test inputs."""
    task = recipe_task(REVERSAL_RECIPE)
    model = train_seq2seq(task, REVERSAL_RECIPE, seed=seed).model
    eight = [(s, t) for s, t in task.test if len(s) == 8]
    b = collate([(task.src_vocab.encode(s), task.tgt_vocab.encode(t)) for s, t in eight])
    tokens, _ = model.greedy_decode(b.src, b.src_mask, max_len=9)  # (B, T')
    written = F.pad(tokens, (0, 9 - tokens.shape[1]))[:, :8]  # (B, 8)
    right = (written == b.tgt_out[:, :8]).float().mean(0).tolist()  # (8,)
    out = {f"position {k + 1}": r for k, r in enumerate(right)}
    out["positions 5-8, lowest"], out["positions 5-8, highest"] = min(right[4:]), max(right[4:])
    out["first minus mean of the last four"] = right[0] - sum(right[4:]) / 4
    return out


def agreement_05(seed: int) -> dict[str, float]:
    """Notebook 05: the share of output steps whose largest weight sits where the additive model's does."""
    dates = train_dates("additive", max_seconds=None, seed=seed, task_seed=0)
    sv, tv = dates.task.src_vocab, dates.task.tgt_vocab
    texts = [dates.task.test[i][0] for i in range(8)] + ["3rd of March 2021", "03/03/21"]
    out = {}
    for kind in ("dot", "general", "scaled_dot"):
        other, _ = load_trained(f"dates_{kind}")
        agree = []
        for text in texts:
            a, b = (s2s_lab.decode_text(m, text, sv, tv) for m in (dates.model, other))
            T = min(len(a.tokens), len(b.tokens))
            agree += (a.attention[:T].argmax(-1) == b.attention[:T].argmax(-1)).tolist()
        out[kind] = sum(agree) / len(agree)
    return out


EXPERIMENTS = {"04 positions": positions_04, "05 agreement": agreement_05}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--only", nargs="*", default=[], help="experiment name prefixes (default: both)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"seeds: {args.seeds}")
    for name, experiment in EXPERIMENTS.items():
        if args.only and not any(name.startswith(p) for p in args.only):
            continue
        report(name, [experiment(seed) for seed in args.seeds])


if __name__ == "__main__":
    main()
