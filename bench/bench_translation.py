"""Updates per second of the English → French models on this CPU, to choose their size for a 60-minute budget.

    python bench/bench_translation.py                        # the two recipes and smaller/larger variants
    python bench/bench_translation.py --threads 2 --only transformer

For each candidate (the recipes of :mod:`s2s_lab.experiments.translation` with another model size): build the
model, train it for ``--warmup`` updates (not timed), then time ``--updates`` updates (loss, backward, clip,
Adam step, as :func:`s2s_lab.fit` does) on batches of the recipe's size, grouped by length, from every 20th
training pair. Prints the parameters, the size in half precision, and the updates per second by wall clock and
by CPU time of this process (a busy machine disturbs the latter less; on an idle machine with one thread the
two agree). Also prints the load average before and after, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace

import torch

from s2s_lab.experiments.translation import RNN, TRANSFORMER, build_model
from s2s_lab.subwords import SubwordTokenizer
from s2s_lab.training import batch_loss, count_parameters
from s2s_lab.translation_data import TranslationDataset, load_pairs, make_translation_loader

TF = TRANSFORMER.model
CANDIDATES = {
    "transformer": TRANSFORMER,
    "transformer-192": replace(TRANSFORMER, model={**TF, "d_model": 192, "dim_feedforward": 768}),
    "transformer-128": replace(TRANSFORMER, model={**TF, "d_model": 128, "dim_feedforward": 512}),
    "rnn": RNN,
    "rnn-256": replace(RNN, model={**RNN.model, "hidden_size": 256}),
    "rnn-128": replace(RNN, model={**RNN.model, "emb_size": 128}),
}


def measure(recipe, data, warmup: int, updates: int) -> tuple[float, float]:
    torch.manual_seed(0)
    model = build_model(recipe, 4000, 4000).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4, betas=recipe.betas)
    batches = iter(make_translation_loader(data, recipe.batch_size, seed=0))
    for k in range(warmup + updates):
        if k == warmup:
            wall, cpu = time.perf_counter(), time.process_time()
        loss = batch_loss(model, next(batches), label_smoothing=recipe.label_smoothing)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), recipe.clip)
        opt.step()
        opt.zero_grad(set_to_none=True)
    return updates / (time.perf_counter() - wall), updates / (time.process_time() - cpu)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", nargs="+", choices=sorted(CANDIDATES), default=sorted(CANDIDATES))
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--updates", type=int, default=20)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    en, fr = SubwordTokenizer.shipped("en"), SubwordTokenizer.shipped("fr")
    data = TranslationDataset(load_pairs("train")[::20], en, fr, max_len=TRANSFORMER.max_len)
    print(f"load average before: {os.getloadavg()[0]:.1f}; {args.threads} thread(s), torch {torch.__version__}")
    for name in args.only:
        recipe = CANDIDATES[name]
        n = count_parameters(build_model(recipe, 4000, 4000))
        wall, cpu = measure(recipe, data, args.warmup, args.updates)
        print(
            f"{name:16s} {n / 1e6:5.1f} M parameters ({2 * n / 1e6:4.1f} MB in half precision), batch "
            f"{recipe.batch_size}: {wall:5.2f} updates/s (wall), {cpu:5.2f} updates/s (CPU time)"
        )
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
