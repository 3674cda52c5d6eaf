"""Speed of s2s_lab's recurrent layers against PyTorch's own, and of two live widgets.

    python bench/bench_cells.py [--threads 2] [--repeat 20] [--layers-only]

Prints the machine (CPU, cores, the vector instructions PyTorch uses, load average), then, for LSTM and GRU at
T=30, B=64, I=128, H=256 on the CPU with 2 threads (``--threads``; the layers are timed by
:func:`s2s_lab.experiments.speed.layer_speed`, as in notebook 03b): the median time of one forward + backward
pass of ``s2s_lab`` and of ``torch.nn``, as wall-clock time and as the process's CPU time, and their ratio
(goal: <= 1.5x); for the LSTM both its paths, autograd through every step (the default) and the hand-written
BPTT of :mod:`s2s_lab.bptt` (``manual_backward = True``). The runs take turns, so a burst of load on a shared
machine slows all alike; the ratio still depends on the CPU and on what else the machine runs. Then the
LSTM's paths at a small size, T=30, B=8, I=16, H=32, where autograd's bookkeeping per step weighs more against
the matrix products. Last, the kernel-side step time of the step-through widget and of notebook 03b's
backprop-through-time demo: from setting ``slider.value`` until the artists are updated and a redraw is
requested (no browser shows the canvas; goal: <= 20 ms median); until the changed picture is rendered and sent
as a PNG, as when a browser shows the canvas (``FigureView`` then blits the changing artists over a stored
background); and, for comparison, a full Agg render of the figure and its PNG. What the learner feels, from a
key press to the picture on screen, is measured in a real browser by ``bench/browser_latency.py``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import matplotlib

matplotlib.use("module://ipympl.backend_nbagg")

import torch  # noqa: E402

import s2s_lab  # noqa: E402
from s2s_lab.experiments import speed  # noqa: E402
from s2s_lab.experiments.speed import machine  # noqa: E402
from s2s_lab.widgets import StepThrough, rnn_equation  # noqa: E402
from s2s_lab.widgets.bptt import BPTTDemo  # noqa: E402


def median_ms(fn, repeat: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def layer_speed(threads: int, repeat: int = 20, small: bool = False) -> None:
    T, B, I, H = (30, 8, 16, 32) if small else (30, 64, 128, 256)
    print(f"forward + backward, T={T}, B={B}, I={I}, H={H}, {threads} threads, median of {repeat}")
    print(f"machine: {machine()}")
    ms = speed.layer_speed(("LSTM",) if small else ("LSTM", "GRU"), T, B, I, H, threads=threads, repeat=repeat)
    print(f"{'layer':36s} {'clock':>5s} {'s2s_lab (ms)':>13s} {'torch.nn (ms)':>14s} {'ratio':>7s}")
    for label, t in ms.items():
        if not label.startswith("torch.nn"):
            ref = ms["torch.nn." + label.split(".")[1].split(",")[0]]
            for clock in ("wall", "cpu"):
                print(f"{label:36s} {clock:>5s} {t[clock]:13.1f} {ref[clock]:14.1f} {t[clock] / ref[clock]:6.2f}x")
    manual, default = ms["s2s_lab.LSTM, manual_backward=True"], ms["s2s_lab.LSTM"]
    print(
        "LSTM, hand-written backward / autograd through every step: "
        f"wall {manual['wall'] / default['wall']:.2f}x, cpu {manual['cpu'] / default['cpu']:.2f}x"
    )
    print(f"load average after: {os.getloadavg()[0]:.1f}")


def widget_speed(repeat: int = 50) -> None:
    torch.manual_seed(0)
    cell = s2s_lab.RNNCell(27, 6)
    demo = StepThrough(cell, text="hello world", bars=("x", "a", "h"), heatmaps=("h",), equation=rnn_equation(cell))
    step_time(demo, "step-through widget (RNN, 11 steps)", repeat)
    step_time(BPTTDemo(T=12), "backprop-through-time widget (notebook 03b, 12 steps)", repeat)


def step_time(demo, name: str, repeat: int) -> None:
    values = iter(range(10**6))

    def move():
        demo.slider.value = next(values) % demo.T + 1

    canvas = demo.view.fig.canvas
    print(f"\n{name}, median of {repeat}")
    print(f"  slider.value set -> artists updated, redraw requested: {median_ms(move, repeat):6.2f} ms")
    canvas.send = lambda content, buffers=None: None  # the PNGs go nowhere
    canvas.syncing_data_url = False  # as after a browser showed the canvas: redraw() renders and sends at once
    canvas.draw()
    print(f"  ... as with a browser: blitted, sent as PNG:          {median_ms(move, repeat):6.2f} ms")
    print(f"  a full render of the figure (Agg) and its PNG:         {median_ms(canvas.draw, repeat):6.2f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for the layers (default: 2)")
    parser.add_argument("--repeat", type=int, default=20, help="timed runs of each layer (default: 20)")
    parser.add_argument("--layers-only", action="store_true", help="skip the widget timing")
    args = parser.parse_args()
    layer_speed(args.threads, args.repeat)
    print()
    layer_speed(args.threads, 3 * args.repeat, small=True)
    if not args.layers_only:
        widget_speed()
