"""How fast a trained English → French model translates, against the speed targets of issue 10.

    python bench/bench_translation_speed.py [--checkpoint PATH] [--threads N] [--repeat 3]

Three measurements with beam 5, each printed as the median (and min, max) of ``--repeat`` runs:

1. **the test split**: its 1,000 distinct English sentences (``data/eng-fra-test.tsv.gz`` holds 1,418 pairs)
   translated as ``python -m s2s_lab evaluate`` does, ``--batch-size`` sentences at once
   (target: at most 30 s on an idle 2-core CPU);
2. **one sentence**: ``--sentences`` test sentences spread evenly over the split (which runs from short to
   long), each translated on its own; the median over them is one run's figure (target: at most 100 ms);
3. **start-up and one sentence**: ``python -m s2s_lab translate`` in a fresh process, fed one line, from
   start to exit (target: at most 3 s); it imports torch, loads the checkpoint and the subword models.

The checkpoint defaults to the shipped model. ``--threads`` sets PyTorch's threads (default: PyTorch's own,
one per core) here and in the ``translate`` process. The load average is printed before and after: on a
machine busy with other work the times are only comparable with times taken under the same load (and
``--threads 1`` is then often faster).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

import torch

from s2s_lab.experiments.translation import Translator, default_checkpoint
from s2s_lab.translation_data import load_references


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def summary(times: list[float], unit: str = "s", scale: float = 1.0) -> str:
    t = [x * scale for x in times]
    return f"median {statistics.median(t):7.2f} {unit} (min {min(t):.2f}, max {max(t):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", help="a checkpoint of `python -m s2s_lab train` (default: the shipped one)")
    parser.add_argument("--threads", type=int, help="torch threads (default: PyTorch's own)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement")
    parser.add_argument("--batch-size", type=int, default=32, help="sentences at once for the test split")
    parser.add_argument("--sentences", type=int, default=50, help="single sentences timed one by one")
    args = parser.parse_args()
    checkpoint = args.checkpoint or str(default_checkpoint())
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    translator = Translator.load(checkpoint, device="cpu")
    sources = [en for en, _ in load_references("test")]
    print(
        f"{checkpoint}: {type(translator.model).__name__} after {translator.extra.get('update')} updates; "
        f"{torch.get_num_threads()} threads; median of {args.repeat}; "
        f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    translator.translate(sources[:: len(sources) // 20], beam=5)  # warm-up

    # 1. the test split
    outputs = []
    times = [
        timed(lambda: outputs.append(translator.translate(sources, beam=5, batch_size=args.batch_size)))
        for _ in range(args.repeat)
    ]
    words = sum(len(t.split()) for t in outputs[0])
    print(f"test split, {len(sources)} sentences (batches of {args.batch_size}): {summary(times)}  [{words} words out]")

    # 2. one sentence at a time
    few = sources[:: max(1, len(sources) // args.sentences)][: args.sentences]
    runs = [
        statistics.median([timed(lambda s=s: translator.translate([s], beam=5)) for s in few])
        for _ in range(args.repeat)
    ]
    print(f"one sentence ({len(few)} sentences, the median of each run): {summary(runs, 'ms', 1000)}")

    # 3. a fresh `translate` process: start-up and one sentence
    command = [sys.executable, "-m", "s2s_lab", "translate", "--checkpoint", checkpoint]
    if args.threads is not None:
        command += ["--threads", str(args.threads)]
    times, out = [], None
    for _ in range(args.repeat):
        start = time.perf_counter()
        proc = subprocess.run(command, input="I am hungry.\n", capture_output=True, text=True, check=True)
        times.append(time.perf_counter() - start)
        out = proc.stdout.strip()
    print(f"python -m s2s_lab translate, start-up + 1 sentence: {summary(times)}  [{out!r}]")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
