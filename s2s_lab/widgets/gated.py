"""Pictures and a live demo for notebooks 02 (LSTM) and 03 (GRU): accuracy against delay, gradient
norms through time, model comparison, and the optimiser comparison."""

from __future__ import annotations

import numbers

import ipywidgets as widgets
import numpy as np

from ..training import count_parameters
from .base import FigureView, LiveDemo, static_figure

COLORS = {
    "RNN": "tab:gray",
    "LSTM": "tab:blue",
    "GRU": "tab:orange",
    "SGD": "tab:gray",
    "RMSprop": "tab:green",
    "Adam": "tab:purple",
}


def delay_figure(delays, accuracies: dict, chance: float):
    """Validation accuracy against the delay, one line per model kind, chance level dashed.

    ``accuracies``: ``kind -> [accuracy for each delay]``, or ``kind -> [[accuracy of each run] for each
    delay]`` (as :func:`s2s_lab.experiments.accuracy_vs_delay` returns): then the line is the mean and a dot
    marks every run."""
    fig = static_figure(figsize=(5.5, 3))
    ax = fig.add_subplot()
    for kind, acc in accuracies.items():
        runs = [a if isinstance(a, (list, tuple)) else [a] for a in acc]
        ax.plot(
            delays,
            [sum(r) / len(r) for r in runs],
            "o-" if len(runs[0]) == 1 else "-",
            color=COLORS.get(kind),
            label=kind,
        )
        if len(runs[0]) > 1:
            xs = [d for d, r in zip(delays, runs) for _ in r]
            ax.plot(xs, [a for r in runs for a in r], "o", ms=4, alpha=0.5, color=COLORS.get(kind))
    ax.axhline(chance, ls="--", color="black", lw=0.8, label="chance")
    ax.set_xlabel("delay (steps between the mark and the answer)")
    ax.set_ylabel("validation accuracy")
    ax.set_ylim(0, 1.05)
    ax.set_xticks(list(delays))
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower left")
    return fig


def state_gradient_figure(norms: dict[str, np.ndarray]):
    r"""Gradient norms :math:`\lVert \partial L / \partial s_t \rVert` against t on a log scale, one line each."""
    fig = static_figure(figsize=(5.5, 3))
    ax = fig.add_subplot()
    for label, n in norms.items():
        ax.semilogy(np.arange(1, len(n) + 1), np.maximum(np.asarray(n), 1e-30), "o-", ms=3, label=label)
    ax.set_xlabel("time step t (the loss is computed at the last step)")
    ax.set_ylabel("gradient norm")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def comparison_figure(runs: dict):
    """``runs``: kind -> (model, History). Left: validation accuracy per epoch; right: parameter counts."""
    fig = static_figure(figsize=(8, 3))
    ax, bx = fig.subplots(1, 2, width_ratios=[2, 1])
    for kind, (_, hist) in runs.items():
        ax.plot(np.arange(1, len(hist.accuracies) + 1), hist.accuracies, "o-", color=COLORS.get(kind), label=kind)
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation accuracy")
    ax.set_ylim(0, 1.05)
    ax.grid(True, alpha=0.3)
    ax.legend()
    kinds = list(runs)
    counts = [count_parameters(runs[k][0]) for k in kinds]
    bars = bx.bar(kinds, counts, color=[COLORS.get(k) for k in kinds])
    bx.bar_label(bars)
    bx.set_title("parameters")
    return fig


def _check_runs(runs) -> None:
    """``runs`` must map ``(optimizer name, lr)`` to a History with losses, with a run for every pair."""
    if not isinstance(runs, dict) or not runs:
        got = "an empty dict" if isinstance(runs, dict) else type(runs).__name__
        raise ValueError(f"expected at least one run, as compare_optimizers returns them, got {got}.")
    for key, hist in runs.items():
        if not (
            isinstance(key, tuple)
            and len(key) == 2
            and isinstance(key[0], str)
            and isinstance(key[1], numbers.Real)
            and not isinstance(key[1], bool)
        ):
            raise ValueError(
                f"expected runs keyed by (optimizer name, learning rate), e.g. ('Adam', 0.01), got the key {key!r}."
            )
        if len(getattr(hist, "losses", ())) == 0:
            raise ValueError(
                f"the run {key!r} has no losses (expected a History of at least one training step), "
                f"got {type(hist).__name__}."
            )
    names = list(dict.fromkeys(name for name, _ in runs))
    lrs = sorted({lr for _, lr in runs})
    missing = [(name, lr) for name in names for lr in lrs if (name, lr) not in runs]
    if missing:
        raise ValueError(
            f"expected a run for every optimizer at every learning rate, but there is no run for "
            f"{missing[0]!r}" + (f" (and {len(missing) - 1} more)." if len(missing) > 1 else ".")
        )


class OptimizerDemo(LiveDemo):
    """Loss curves of SGD, RMSprop and Adam on the same model; pick the learning rate.

    Args:
        runs: ``(optimizer, lr) -> History``, as :func:`s2s_lab.experiments.compare_optimizers`
            returns (the training happens there; the demo only shows it).
        window: the curves are running means over this many optimiser steps.
    """

    description = "optimisers and learning rates"

    def __init__(self, runs: dict, window: int = 8):
        super().__init__()
        _check_runs(runs)
        if isinstance(window, bool) or not isinstance(window, int) or window < 1:
            raise ValueError(f"window must be a positive int (optimiser steps per running mean), got {window!r}.")
        self.runs, self.window = runs, window
        self.optimizers = list(dict.fromkeys(name for name, _ in runs))
        lrs = sorted({lr for _, lr in runs})
        self.lr = widgets.SelectionSlider(
            options=[(f"{lr:g}", lr) for lr in lrs],
            value=lrs[len(lrs) // 2],
            description="learning rate",
            continuous_update=False,
        )
        self.view = FigureView(figsize=(6.5, 3))
        ax = self.ax = self.view.fig.add_subplot()
        self.lines = {}
        for name in self.optimizers:
            (self.lines[name],) = ax.plot([], [], color=COLORS.get(name), label=name)
        ax.set_xlabel("optimiser step")
        ax.set_ylabel(f"training loss (mean of {window} steps)")
        ax.grid(True, alpha=0.3)
        ax.legend(loc="upper right")
        self.update()
        self.view.freeze_layout()
        self.observe(self.lr, lambda change: self.update())
        self.widget = widgets.VBox([self.lr, self.message, self.view.widget])

    def curve(self, name: str, lr: float) -> np.ndarray:
        """The running mean of the losses of one run (what the plot shows)."""
        losses = np.asarray(self.runs[name, lr].losses)
        w = min(self.window, len(losses))
        return np.convolve(losses, np.ones(w) / w, mode="valid")

    def update(self) -> None:
        lr, top = self.lr.value, 0.0
        for name, line in self.lines.items():
            y = self.curve(name, lr)
            line.set_data(np.arange(1, len(y) + 1), y)
            top = max(top, float(y.max()))
        self.ax.set_xlim(0, max(len(line.get_xdata()) for line in self.lines.values()) + 1)
        self.ax.set_ylim(0, 1.1 * top)
        finals = ", ".join(f"{name} {self.curve(name, lr)[-1]:.2f}" for name in self.optimizers)
        self.ax.set_title(f"lr = {lr:g}; final loss: {finals}")
        self.view.redraw()
