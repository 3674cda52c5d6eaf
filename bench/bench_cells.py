"""Speed of s2s_lab's recurrent layers against PyTorch's own, and of the step-through widget.

    python bench/bench_cells.py

Prints, for LSTM and GRU at T=30, B=64, I=128, H=256 on the CPU: the median time of one forward +
backward pass of ``s2s_lab`` and of ``torch.nn``, and their ratio (goal: <= 1.5x); for the LSTM both its paths,
autograd through every step (the default) and the hand-written BPTT of :mod:`s2s_lab.bptt`
(``manual_backward = True``). The runs take turns, so a burst of load on a shared machine slows all alike; the
ratio still depends on the CPU and on what else the machine runs. Then the widget's
kernel-side step time: from setting ``slider.value`` until the artists are updated and a redraw is
requested (no browser shows the canvas; goal: <= 20 ms median); until the changed picture is rendered
and sent as a PNG, as when a browser shows the canvas (``FigureView`` then blits the changing artists
over a stored background); and, for comparison, a full Agg render of the figure and its PNG. What the learner feels,
from a key press to the picture on screen, is measured in a real browser by ``bench/browser_latency.py``.
"""

from __future__ import annotations

import statistics
import time

import matplotlib

matplotlib.use("module://ipympl.backend_nbagg")

import torch  # noqa: E402

import s2s_lab  # noqa: E402
from s2s_lab.widgets import StepThrough, rnn_equation  # noqa: E402


def median_ms(fn, repeat: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def interleaved_ms(fns: dict, repeat: int, warmup: int = 3) -> dict:
    """Median time (ms) of each function, running them in turn ``repeat`` times: on a shared machine a burst of
    load then slows all of them alike instead of only the one being measured."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: 1000 * statistics.median(t) for name, t in times.items()}


def layer_speed(repeat: int = 20) -> None:
    T, B, I, H = 30, 64, 128, 256
    print(f"forward + backward, T={T}, B={B}, I={I}, H={H}, {torch.get_num_threads()} threads, median of {repeat}")
    print(f"{'layer':34s} {'s2s_lab (ms)':>13s} {'torch.nn (ms)':>14s} {'ratio':>7s}")
    x = torch.randn(T, B, I)

    def step(model):
        model.zero_grad(set_to_none=True)
        out, _ = model(x)
        out.sum().backward()

    for name in ("LSTM", "GRU"):
        ref = getattr(torch.nn, name)(I, H)
        ours = getattr(s2s_lab, name)(I, H)
        ours.load_state_dict(ref.state_dict())
        fns = {"torch": lambda ref=ref: step(ref), name: lambda ours=ours: step(ours)}
        if name == "LSTM":  # the default, autograd through every step, and the BPTT by hand of s2s_lab.bptt
            manual = s2s_lab.LSTM(I, H)
            manual.load_state_dict(ref.state_dict())
            manual.manual_backward = True
            fns[f"{name} (manual_backward=True)"] = lambda manual=manual: step(manual)
        ms = interleaved_ms(fns, repeat)
        for label, t in ms.items():
            if label != "torch":
                print(f"{label:34s} {t:13.1f} {ms['torch']:14.1f} {t / ms['torch']:6.2f}x")


def widget_speed(repeat: int = 50) -> None:
    torch.manual_seed(0)
    cell = s2s_lab.RNNCell(27, 6)
    demo = StepThrough(cell, text="hello world", bars=("x", "a", "h"), heatmaps=("h",), equation=rnn_equation(cell))
    values = iter(range(10**6))

    def move():
        demo.slider.value = next(values) % demo.T + 1

    canvas = demo.view.fig.canvas
    print(f"\nstep-through widget (RNN, 11 steps), median of {repeat}")
    print(f"  slider.value set -> artists updated, redraw requested: {median_ms(move, repeat):6.2f} ms")
    canvas.send = lambda content, buffers=None: None  # the PNGs go nowhere
    canvas.syncing_data_url = False  # as after a browser showed the canvas: redraw() renders and sends at once
    canvas.draw()
    print(f"  ... as with a browser: blitted, sent as PNG:          {median_ms(move, repeat):6.2f} ms")
    print(f"  a full render of the figure (Agg) and its PNG:         {median_ms(canvas.draw, repeat):6.2f} ms")


if __name__ == "__main__":
    layer_speed()
    widget_speed()
