"""How fast the recurrent layers are, measured the same way in notebook 03b and in ``bench/bench_cells.py``:
one forward + backward pass of ``s2s_lab``'s layers against ``torch.nn``'s, the runs taking turns so that a burst
of load on a shared machine slows all of them alike. Imported on its own (``s2s_lab.experiments.speed``)."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable

import torch

from ..layers import GRU, LSTM


def interleaved_ms(fns: dict[str, Callable[[], object]], repeat: int, warmup: int = 3) -> dict[str, dict[str, float]]:
    """Median times (ms) of each function, running them in turn ``repeat`` times: on a shared machine a burst of
    load then slows all of them alike instead of only the one being measured.

    Returns ``{name: {"wall": ms, "cpu": ms}}``: the wall-clock time (what you wait) and the CPU time of this
    process, all threads together (what it computes; it counts waiting for a busy core less, but a thread that
    spins while waiting for another one more)."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times = {name: {"wall": [], "cpu": []} for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            wall, cpu = time.perf_counter(), time.process_time()
            fn()
            times[name]["cpu"].append(time.process_time() - cpu)
            times[name]["wall"].append(time.perf_counter() - wall)
    return {name: {k: 1000 * statistics.median(v) for k, v in t.items()} for name, t in times.items()}


def cpu_model() -> str:
    """The CPU's model name (from ``/proc/cpuinfo`` on Linux, else what ``platform`` knows)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    """One line on what a timing depends on: CPU, cores, the vector instructions PyTorch's kernels use, the
    load average (how busy the machine was) and PyTorch's version."""
    load = f"{os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "unknown"
    return (
        f"{cpu_model()}, {os.cpu_count()} cores, PyTorch kernels for {torch.backends.cpu.get_cpu_capability()}, "
        f"load average {load}, torch {torch.__version__}"
    )


def layer_speed(
    kinds=("LSTM",),
    T: int = 30,
    B: int = 64,
    I: int = 128,
    H: int = 256,
    threads: int = 2,
    repeat: int = 10,
    warmup: int = 3,
    seed=0,
) -> dict[str, dict[str, float]]:
    """Median milliseconds of one forward + backward pass (loss ``output.sum()``) over ``x`` of shape ``(T, B, I)``.

    For each kind (``"LSTM"``, ``"GRU"``) it times ``torch.nn``'s layer (label ``"torch.nn.LSTM"``) and
    ``s2s_lab``'s with the same weights (``"s2s_lab.LSTM"``: autograd through every step, the default); for the
    LSTM also ``"s2s_lab.LSTM, manual_backward=True"``, the backpropagation through time written by hand
    (:class:`s2s_lab.bptt.LSTMSequenceFunction`). Runs with ``threads`` CPU threads, then restores the number;
    ``warmup`` untimed rounds come first.

    Returns ``{label: {"wall": ms, "cpu": ms}}`` (see :func:`interleaved_ms`).
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        gen = torch.Generator().manual_seed(seed)
        x = torch.randn(T, B, I, generator=gen)
        fns = {}

        def step(model):
            model.zero_grad(set_to_none=True)
            out, _ = model(x)
            out.sum().backward()

        for kind in kinds:
            ours_cls = {"LSTM": LSTM, "GRU": GRU}.get(kind)
            if ours_cls is None:
                raise ValueError(f"expected kinds among 'LSTM' and 'GRU', got {kind!r}.")
            torch.manual_seed(seed)
            ref = getattr(torch.nn, kind)(I, H)
            ours = ours_cls(I, H)
            ours.load_state_dict(ref.state_dict())
            fns[f"torch.nn.{kind}"] = lambda ref=ref: step(ref)
            fns[f"s2s_lab.{kind}"] = lambda ours=ours: step(ours)
            if kind == "LSTM":
                manual = LSTM(I, H)
                manual.load_state_dict(ref.state_dict())
                manual.manual_backward = True
                fns["s2s_lab.LSTM, manual_backward=True"] = lambda manual=manual: step(manual)
        return interleaved_ms(fns, repeat, warmup)
    finally:
        torch.set_num_threads(previous)


__all__ = ["interleaved_ms", "cpu_model", "machine", "layer_speed"]
