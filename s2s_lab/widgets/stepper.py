"""The step-through widget: type a sequence, press Play (or drag the slider) and watch a recurrent cell
compute one time step after another.

It works for any cell of :mod:`s2s_lab.cells`: ``cell.trace(x)`` gives every quantity of the cell's
equations at every step, and the widget plots

* ``bars``: chosen quantities at the current step t, as bar charts (one bar per unit);
* ``heatmaps``: chosen quantities at all steps (units x steps), with step t outlined;
* the equations with the numbers of step t filled in (an ``equation(t, values)`` function).

Every heatmap has a colour bar with a fixed scale (gates in [0, 1], tanh-bounded values in [-1, 1]), so a
colour means the same at every step. Everything is drawn once; moving the slider only changes the bars'
heights, the outline's position and the equation text. Typing a new sequence recomputes the trace and swaps
the heatmaps' data. :meth:`StepThrough.snapshot` draws the equation's numbers under the figure, so a reader
without a kernel sees what the live read-out says.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import ipywidgets as widgets
import matplotlib.image as mimage
import matplotlib.patches as mpatches
import numpy as np
import torch
from IPython.display import Image
from matplotlib.ticker import MaxNLocator

from ..encoding import CharOneHot
from .base import FigureView, LiveDemo, play_controls, show, static_figure

# How each named quantity is labelled and coloured.
LABELS = {
    "x": r"input $x_t$",
    "a": r"pre-activation $a_t$",
    "h": r"hidden state $h_t$",
    "i": r"input gate $i_t$",
    "f": r"forget gate $f_t$",
    "g": r"candidate $g_t$",
    "o": r"output gate $o_t$",
    "c": r"cell state $c_t$",
    "r": r"reset gate $r_t$",
    "z": r"update gate $z_t$",
    "n": r"candidate $n_t$",
}
# Fixed value ranges: gates are sigmoids in (0, 1), candidates and h are tanh-bounded in (-1, 1).
RANGES = {
    "i": (0, 1),
    "f": (0, 1),
    "o": (0, 1),
    "r": (0, 1),
    "z": (0, 1),
    "g": (-1, 1),
    "n": (-1, 1),
    "h": (-1, 1),
    "x": (0, 1),
}


def _range(name: str, data: np.ndarray) -> tuple[float, float]:
    if name in RANGES:
        return RANGES[name]
    m = float(np.abs(data).max()) if data.size else 1.0
    return (-max(m, 1e-6), max(m, 1e-6))


def _cmap(name: str) -> str:
    lo, _ = _range(name, np.zeros(1))
    return "viridis" if lo == 0 else "RdBu_r"


class StepThrough(LiveDemo):
    """Step a recurrent cell through a text the learner types.

    Args:
        cell: an :class:`~s2s_lab.RNNCell`, :class:`~s2s_lab.LSTMCell` or :class:`~s2s_lab.GRUCell`.
        text: the starting sequence.
        one_hot: turns text into ``(T, I)`` one-hot inputs (default: one-hot over a-z and space); raises
            ``ValueError`` with a sentence for input it cannot take. If its ``encode`` does not read every
            character of the text (e.g. drops the spaces around it), its ``tokens(text)`` lists the characters
            it reads, one per step.
        bars: quantities drawn as bars at the current step (``"x"`` is the input).
        heatmaps: quantities drawn over all steps.
        equation: ``equation(t, values) -> str`` (LaTeX/HTML) with the numbers of step ``t`` (1-based);
            ``values`` maps each name to its vector at step t and ``name + "_prev"`` to step t-1
            (zeros at t = 1), plus ``"token"``: the character read at step t. If it also has
            ``equation.text(t, values) -> str`` (as :class:`~s2s_lab.widgets.equations.Equation` has), the
            snapshot shows that plain-text read-out under the figure.
        description: a few words naming the demo.
    """

    def __init__(
        self,
        cell,
        text: str = "hello",
        one_hot=None,
        bars=("x", "h"),
        heatmaps=("h",),
        equation: Callable[[int, dict], str] | None = None,
        description: str = "step-through",
        figsize=(9, 4.6),
    ):
        super().__init__()
        self.cell, self.one_hot = cell, one_hot or CharOneHot()
        size = getattr(self.one_hot, "size", None)
        if size is not None and getattr(cell, "input_size", size) != size:
            raise ValueError(
                f"the one-hot converter makes {size} features per step but the cell reads input_size="
                f"{cell.input_size}; build the cell with input_size=one_hot.size ({size})."
            )
        self.equation, self.description = equation, description
        self._compute(text)  # a bad starting text is a bug of the caller: let it raise
        known = tuple(self.values)  # "x" and what the cell's trace records
        for what, names in (("bars", bars), ("heatmaps", heatmaps)):
            if isinstance(names, str) or any(name not in known for name in names):
                raise ValueError(
                    f"expected {what} as a tuple of names among {known} (for this "
                    f"{type(cell).__name__}), got {names!r}."
                )
        self.bar_names, self.heat_names = tuple(bars), tuple(heatmaps)

        # -- controls ----------------------------------------------------------------------
        self.text = widgets.Text(value=text, description="sequence", continuous_update=False)
        self.play, self.slider = play_controls(self.T)
        self.equation_view = widgets.HTMLMath(value="")

        # -- figure, drawn once -------------------------------------------------------------
        self.view = FigureView(figsize=figsize)
        fig = self.view.fig
        n_heat_cols = 2 if len(self.heat_names) == 4 else min(3, max(1, len(self.heat_names)))  # 2 x 2, or rows of 3
        n_heat_rows = -(-len(self.heat_names) // n_heat_cols)
        grid = fig.add_gridspec(2, max(1, len(self.bar_names)), height_ratios=[1, 1.2 * n_heat_rows])
        heat_grid = grid[1, :].subgridspec(n_heat_rows, n_heat_cols)
        self.bar_axes, self.bars = {}, {}
        for k, name in enumerate(self.bar_names):
            ax = fig.add_subplot(grid[0, k])
            values = self._vector(name, 1)
            self.bars[name] = ax.bar(np.arange(len(values)), values, color="tab:blue")
            ax.set_ylim(*_range(name, self._all(name)))
            ax.axhline(0, color="black", lw=0.5)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # units are numbered 0, 1, ...
            self.bar_axes[name] = ax
        if "x" in self.bars and hasattr(self.one_hot, "alphabet"):
            ax = self.bar_axes["x"]
            ax.set_xticks(np.arange(self.one_hot.size), list(self.one_hot.alphabet.replace(" ", "␣")), fontsize=6)
        self.heat_axes, self.images, self.markers, self.colorbars = {}, {}, {}, {}
        for k, name in enumerate(self.heat_names):
            ax = fig.add_subplot(heat_grid[k // n_heat_cols, k % n_heat_cols])
            data = self._all(name).T  # (units, T)
            lo, hi = _range(name, data)
            self.images[name] = ax.imshow(
                data, aspect="auto", cmap=_cmap(name), vmin=lo, vmax=hi, interpolation="nearest"
            )
            self.markers[name] = ax.add_patch(
                mpatches.Rectangle((-0.5, -0.5), 1, data.shape[0], fill=False, edgecolor="black", lw=2)
            )
            ax.set_ylabel("unit")
            ax.set_title(LABELS.get(name, name) + ", all steps")
            self.colorbars[name] = fig.colorbar(self.images[name], ax=ax, fraction=0.05, pad=0.02)
            if name in RANGES:  # a fixed scale: the same colour means the same value at every step
                self.colorbars[name].set_ticks([lo, (lo + hi) / 2, hi])
            self.heat_axes[name] = ax
        self._update_axes_for_sequence()
        self._show_step(1)
        self.view.freeze_layout()

        self.observe(self.slider, lambda change: self._show_step(change["new"]))
        self.observe(self.text, lambda change: self._new_text(change["new"]))
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.text, self.play, self.slider]),
                self.message,
                self.view.widget,
                self.equation_view,
            ]
        )

    # -- math ----------------------------------------------------------------------------------
    def _compute(self, text: str) -> None:
        x = self.one_hot.encode(text)  # (T, I)
        tokens = self.one_hot.tokens(text) if hasattr(self.one_hot, "tokens") else list(text)
        if len(tokens) != x.shape[0]:  # a bug of the converter, not the learner's input
            raise RuntimeError(
                f"the one-hot converter made {x.shape[0]} steps of {text!r} but names {len(tokens)} tokens; "
                f"give it a tokens(text) method that lists what encode reads."
            )
        with torch.no_grad():
            trace = self.cell.trace(x)
        self.tokens = tokens
        self.values = {"x": x.numpy(), **{k: v.numpy() for k, v in trace.items()}}  # name -> (T, n)
        self.T = x.shape[0]

    def _all(self, name: str) -> np.ndarray:
        return self.values[name]  # (T, n)

    def _vector(self, name: str, t: int) -> np.ndarray:
        return self.values[name][t - 1]

    def step_values(self, t: int) -> dict:
        """Every quantity at step ``t`` (1-based), and at step ``t - 1`` as ``name + "_prev"``."""
        out = {"token": self.tokens[t - 1], "t": t}
        for name, data in self.values.items():
            out[name] = data[t - 1]
            out[name + "_prev"] = data[t - 2] if t > 1 else np.zeros_like(data[0])
        return out

    def readout_text(self) -> str:
        """The equation's plain-text read-out at the current step (empty if the equation has none)."""
        text = getattr(self.equation, "text", None)
        return text(self.t, self.step_values(self.t)) if text is not None else ""

    def snapshot(self, dpi: int = 80) -> Image:
        """A PNG of the figure as it is now with the read-out of the current step drawn under it (the
        numbers the live demo prints below the plot), for readers without a live kernel (e.g. on GitHub)."""
        figure = self.view.png(dpi=dpi)
        text = self.readout_text()
        if not text:
            return Image(data=figure)
        width = self.view.fig.get_figwidth()
        lines = text.count("\n") + 1
        fig = static_figure(figsize=(width, 0.18 * lines + 0.15))
        fig.text(0.01, 0.5, text, family="DejaVu Sans Mono", fontsize=9, va="center", ha="left")
        return Image(data=stack_png(figure, show(fig, dpi).data))

    # -- callbacks -----------------------------------------------------------------------------
    def _show_step(self, t: int) -> None:
        t = min(max(int(t), 1), self.T)
        for name, rects in self.bars.items():
            for rect, v in zip(rects, self._vector(name, t)):
                rect.set_height(float(v))
            self.bar_axes[name].set_title(
                f"{LABELS.get(name, name)} at t={t}" + (f" ('{self.tokens[t - 1]}')" if name == "x" else "")
            )
        for marker in self.markers.values():
            marker.set_x(t - 1.5)
        if self.equation is not None:
            self.equation_view.value = self.equation(t, self.step_values(t))
        self.t = t
        self.view.redraw()

    def _new_text(self, text: str) -> None:
        try:
            self._compute(text)
        except ValueError as exc:  # the learner's input, not a bug: say what to type
            self.warn(str(exc))
            return
        self.warn("")
        self._update_axes_for_sequence()
        self.slider.max = self.play.max = self.T
        if self.slider.value > self.T:
            self.slider.value = self.T  # fires _show_step
        self._show_step(self.slider.value)

    def _update_axes_for_sequence(self) -> None:
        labels = [tok.replace(" ", "␣") for tok in self.tokens]
        for name, image in self.images.items():
            data = self._all(name).T
            image.set_data(data)
            image.set_extent((-0.5, self.T - 0.5, data.shape[0] - 0.5, -0.5))
            if name not in RANGES:
                image.set_clim(*_range(name, data))
            ax = self.heat_axes[name]
            ax.set_xlim(-0.5, self.T - 0.5)
            ax.set_xticks(np.arange(self.T), labels)


def stack_png(top: bytes, bottom: bytes) -> bytes:
    """Two PNG images one above the other (the narrower one padded with white on the right)."""
    a, b = (mimage.imread(io.BytesIO(png))[..., :3] for png in (top, bottom))  # (height, width, RGB)
    width = max(a.shape[1], b.shape[1])
    a, b = (np.pad(m, ((0, 0), (0, width - m.shape[1]), (0, 0)), constant_values=1.0) for m in (a, b))
    buf = io.BytesIO()
    mimage.imsave(buf, np.concatenate([a, b]), format="png")
    return buf.getvalue()
