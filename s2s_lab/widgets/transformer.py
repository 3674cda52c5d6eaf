"""Live demos and pictures for notebook 06 (the Transformer).

- :class:`PositionalEncodingDemo`: the sinusoidal encodings as a heatmap; pick two positions and see
  their vectors and their dot product against the distance between them.
- :class:`SelfAttentionDemo`: type a short input and follow one encoder layer's self-attention, head by
  head: Q, K, V, the scores, the mask, the softmax weights and the weighted sum, with one query's numbers
  filled into the formula.
- :func:`causal_mask_figure`, :func:`attention_figure`, :func:`learning_curves_figure`: static pictures.

Every heatmap has a colour bar; attention weights are always drawn on the fixed scale [0, 1]. Each demo's
:meth:`snapshot` carries its equation read-out under the figure, so the static copy reads like the live one.
"""

from __future__ import annotations

import io

import ipywidgets as widgets
import matplotlib
import numpy as np
import torch
from IPython.display import Image
from matplotlib.patches import Rectangle

from ..interface import prepare_text
from ..transformer import causal_mask, sinusoidal_encoding
from .base import FigureView, LiveDemo, show, static_figure


def with_readout(fig, readout: str, dpi: int = 80) -> Image:
    """A PNG of ``fig`` with the text ``readout`` (matplotlib mathtext, one or more lines) set under it."""
    from PIL import Image as PILImage

    lines = readout.split("\n")
    text_fig = static_figure(figsize=(fig.get_figwidth(), 0.1 + 0.28 * len(lines)))
    text_fig.text(0.01, 0.5, readout, ha="left", va="center", fontsize=9)
    top, bottom = (PILImage.open(io.BytesIO(show(f, dpi).data)).convert("RGB") for f in (fig, text_fig))
    both = PILImage.new("RGB", (max(top.width, bottom.width), top.height + bottom.height), "white")
    both.paste(top, (0, 0))
    both.paste(bottom, (0, top.height))
    buf = io.BytesIO()
    both.save(buf, format="png")
    return Image(data=buf.getvalue())


def _label(tok: str) -> str:
    return tok.replace(" ", "␣")


def dot_products(pe: np.ndarray, p: int) -> np.ndarray:
    """:math:`PE_p \\cdot PE_q` for every position :math:`q` (rows of ``pe``)."""
    return pe @ pe[p]


class PositionalEncodingDemo(LiveDemo):
    r"""Pick two positions :math:`p, q`: see :math:`PE_p` and :math:`PE_q` and their dot product.

    Left: the encodings of all positions (rows) and dimensions (columns), with rows :math:`p` and :math:`q`
    marked. Top right: the two vectors. Bottom right: :math:`PE_p \cdot PE_{q'}` against the distance
    :math:`q' - p` for every position :math:`q'`, with the chosen :math:`q` marked.
    """

    description = "positional-encoding explorer"

    def __init__(self, max_len: int = 64, d_model: int = 32, p: int = 10, q: int = 20, figsize=(9, 3.8)):
        super().__init__()
        self.pe = sinusoidal_encoding(max_len, d_model).double().numpy()  # (L, d); checks max_len and d_model
        for name, pos in (("p", p), ("q", q)):
            if isinstance(pos, bool) or not isinstance(pos, int) or not 0 <= pos < max_len:
                raise ValueError(f"expected position {name} in 0..{max_len - 1} (max_len={max_len}), got {pos!r}.")
        self.max_len, self.d_model = max_len, d_model
        self.p_slider = widgets.IntSlider(value=p, min=0, max=max_len - 1, description="position p")
        self.q_slider = widgets.IntSlider(value=q, min=0, max=max_len - 1, description="position q")

        self.view = FigureView(figsize=figsize)
        fig = self.view.fig
        grid = fig.add_gridspec(2, 2, width_ratios=[1, 1.3])
        self.ax_heat = fig.add_subplot(grid[:, 0])
        self.ax_vec = fig.add_subplot(grid[0, 1])
        self.ax_dot = fig.add_subplot(grid[1, 1])
        self.image = self.ax_heat.imshow(
            self.pe, aspect="auto", cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest"
        )
        self.ax_heat.set_xlabel("dimension $i$")
        self.ax_heat.set_ylabel("position $pos$")
        self.ax_heat.set_title("$PE_{pos,i}$")
        fig.colorbar(self.image, ax=self.ax_heat, shrink=0.8)
        self.p_line = self.ax_heat.axhline(p, color="tab:orange", lw=1.5)
        self.q_line = self.ax_heat.axhline(q, color="tab:green", lw=1.5)
        dims = np.arange(d_model)
        (self.p_vec,) = self.ax_vec.plot(dims, self.pe[p], "o-", ms=3, color="tab:orange", label="$PE_p$")
        (self.q_vec,) = self.ax_vec.plot(dims, self.pe[q], "s-", ms=3, color="tab:green", label="$PE_q$")
        self.ax_vec.set_ylim(-1.1, 1.1)
        self.ax_vec.set_xlabel("dimension $i$")
        self.ax_vec.legend(loc="upper right", fontsize=7)
        (self.dot_curve,) = self.ax_dot.plot([], [], color="tab:gray", lw=1)
        (self.dot_marker,) = self.ax_dot.plot([], [], "o", color="tab:green", ms=7)
        self.ax_dot.set_xlim(-(max_len - 1), max_len - 1)
        self.ax_dot.set_ylim(-0.1 * d_model / 2, 1.1 * d_model / 2)
        self.ax_dot.axvline(0, color="black", lw=0.5)
        self.ax_dot.set_xlabel("distance $q' - p$")
        self.ax_dot.set_ylabel(r"$PE_p \cdot PE_{q'}$")
        self.readout = widgets.HTMLMath(value="")
        self.update()
        self.view.freeze_layout()

        self.observe(self.p_slider, lambda change: self.update())
        self.observe(self.q_slider, lambda change: self.update())
        self.widget = widgets.VBox(
            [widgets.HBox([self.p_slider, self.q_slider]), self.message, self.view.widget, self.readout]
        )

    def similarity(self) -> float:
        """:math:`PE_p \\cdot PE_q` for the current sliders."""
        return float(self.pe[self.p_slider.value] @ self.pe[self.q_slider.value])

    def update(self) -> None:
        p, q = self.p_slider.value, self.q_slider.value
        self.p_line.set_ydata([p, p])
        self.q_line.set_ydata([q, q])
        self.p_vec.set_ydata(self.pe[p])
        self.q_vec.set_ydata(self.pe[q])
        dots = dot_products(self.pe, p)
        self.dot_curve.set_data(np.arange(self.max_len) - p, dots)
        self.dot_marker.set_data([q - p], [dots[q]])
        self.ax_dot.set_title(f"p = {p}: similarity to every position")
        self.ax_vec.set_title(f"$PE_{{{p}}}$ and $PE_{{{q}}}$")
        self.readout.value = self.readout_text()
        self.view.redraw()

    def readout_text(self) -> str:
        """The formula with this frame's numbers: :math:`PE_p \\cdot PE_q` and the distance."""
        p, q = self.p_slider.value, self.q_slider.value
        return (
            f"$PE_{{{p}}} \\cdot PE_{{{q}}} = {dot_products(self.pe, p)[q]:.2f}$ at distance $q - p = {q - p}$ "
            f"(the maximum, $d_{{model}}/2 = {self.d_model / 2:g}$, is at distance 0)."
        )

    def snapshot(self, dpi: int = 80) -> Image:
        """A PNG of the figure with the read-out under it."""
        return with_readout(self.view.fig, self.readout_text(), dpi)


# Panels of the self-attention demo: name -> title.
PANELS = {
    "Q": "queries $Q_h = X W^Q_h$",
    "K": "keys $K_h = X W^K_h$",
    "V": "values $V_h = X W^V_h$",
    "mask": "mask (1: may attend, $M = 0$;\n0: $M = -\\infty$)",
    "scores": "$Q_h K_h^\\top / \\sqrt{d_h}$ (grey: masked)",
    "weights": "weights $A = \\mathrm{softmax}(\\cdot + M)$",
    "heads": "output $A V_h$",
}


def _vector(values, limit: int = 12) -> str:
    """``(0.12, -0.30, ...)`` for mathtext: at most ``limit`` entries, masked ones (``nan``) as :math:`-\\infty`."""
    shown = [r"-\infty" if np.isnan(v) else f"{v:.2f}" for v in values[:limit]]
    return "(" + ", ".join(shown) + (r", \ldots" if len(values) > limit else "") + ")"


class SelfAttentionDemo(LiveDemo):
    r"""One head of one encoder layer's self-attention, step by step, for a text the learner types.

    Args:
        model: a :class:`~s2s_lab.transformer.Seq2SeqTransformer`.
        src_vocab: its source :class:`~s2s_lab.data.Vocab` (turns the text into token ids).
        text: the starting input.
        causal: start with the causal mask on (a decoder's view) or off (the encoder's).
        query: the position :math:`t` whose row the read-out spells out (and the panels frame).

    Controls: the text, the layer, the head, the query and a causal-mask checkbox. Every panel is updated in
    place, each with its colour bar (the weights always on [0, 1]). Under the figure, the read-out fills
    query :math:`t`'s numbers into the formula: its scores :math:`e_{tj} = q_t \cdot k_j / \sqrt{d_h}`,
    its weights :math:`\alpha_{tj} = \mathrm{softmax}_j(e_{tj} + M_{tj})` and the key it attends to most.
    The text box takes any string: the spaces around it are dropped, and an empty, too long or unknown input
    is explained in a sentence while the panels keep the last good input.
    ``parts`` holds the current :meth:`~s2s_lab.transformer.Seq2SeqTransformer.self_attention_parts`.
    """

    description = "self-attention explorer"

    def __init__(
        self,
        model,
        src_vocab,
        text: str = "3 May 2021",
        layer: int = 0,
        head: int = 0,
        causal: bool = False,
        query: int = 0,
        figsize=(10, 5.4),
    ):
        super().__init__()
        self.model, self.src_vocab = model, src_vocab
        self.n_layers = len(model.encoder_layers)
        self.n_heads = model.encoder_layers[0].self_attn.num_heads
        self.text = widgets.Text(value=text, description="input", continuous_update=False)
        self.layer = widgets.Dropdown(options=list(range(self.n_layers)), value=layer, description="layer")
        self.head = widgets.Dropdown(options=list(range(self.n_heads)), value=head, description="head")
        self.causal = widgets.Checkbox(value=causal, description="causal mask")
        self._compute(text)  # a bad starting text is the caller's bug: let it raise
        if isinstance(query, bool) or not isinstance(query, int) or not 0 <= query < len(self.tokens):
            raise ValueError(f"expected query in 0..{len(self.tokens) - 1} (a position of {text!r}), got {query!r}.")
        self.query = widgets.IntSlider(value=query, min=0, max=len(self.tokens) - 1, description="query t")

        self.view = FigureView(figsize=figsize)
        fig = self.view.fig
        grid = fig.add_gridspec(2, 4)
        places = {
            "Q": grid[0, 0],
            "K": grid[0, 1],
            "V": grid[0, 2],
            "mask": grid[0, 3],
            "scores": grid[1, 0],
            "weights": grid[1, 1:3],
            "heads": grid[1, 3],
        }
        self.axes, self.images, self.colorbars = {}, {}, {}
        for name, place in places.items():
            ax = fig.add_subplot(place)
            cmap = "viridis" if name == "weights" else ("Greens" if name == "mask" else "RdBu_r")
            cmap = matplotlib.colormaps[cmap].with_extremes(bad="#bbbbbb")  # NaN = masked out
            image = ax.imshow(np.zeros((1, 1)), aspect="auto", cmap=cmap, interpolation="nearest")
            ax.set_title(PANELS[name], fontsize=8)
            self.axes[name], self.images[name] = ax, image
            self.colorbars[name] = fig.colorbar(image, ax=ax, shrink=0.8, pad=0.02)
            self.colorbars[name].ax.tick_params(labelsize=6)
        self.images["weights"].set_clim(0, 1)  # fixed: the colours mean the same in every frame
        self.images["mask"].set_clim(0, 1)
        self.colorbars["mask"].set_ticks([0, 1])
        self.row_boxes = {
            name: self.axes[name].add_patch(Rectangle((0, 0), 1, 1, fill=False, edgecolor="tab:red", lw=1.2))
            for name in ("scores", "weights")
        }
        self.weight_texts = []
        self.readout = widgets.HTMLMath(value="")
        self.update()
        self.view.freeze_layout()

        for control in (self.layer, self.head, self.causal):
            self.observe(control, lambda change: self.update())
        self.observe(self.query, lambda change: self._move_query())
        self.observe(self.text, lambda change: self._new_text(change["new"]))
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.text, self.layer, self.head]),
                widgets.HBox([self.query, self.causal]),
                self.message,
                self.view.widget,
                self.readout,
            ]
        )

    # -- math ----------------------------------------------------------------------------------
    def _compute(self, text: str) -> None:
        text = prepare_text(text, self.src_vocab, self.model.max_len)  # spaces around dropped; a sentence if bad
        ids = torch.tensor([self.src_vocab.encode(text)])  # (1, S)
        self.tokens, self.ids = [self.src_vocab.itos[i] for i in ids[0]], ids

    def head_values(self) -> dict[str, np.ndarray]:
        """The current head's panels as arrays: Q, K, V, heads ``(S, d_h)``; mask, scores, weights ``(S, S)``
        (the mask is 1 where the query may attend, 0 where not; masked scores are NaN)."""
        was_training = self.model.training
        self.model.eval()
        with torch.no_grad():
            s = self.model.self_attention_parts(
                self.ids, torch.ones_like(self.ids, dtype=torch.bool), self.layer.value, self.causal.value
            )
        self.model.train(was_training)
        self.parts = s
        h = self.head.value
        S = self.ids.shape[1]
        allowed = causal_mask(S) if self.causal.value else torch.ones(S, S, dtype=torch.bool)  # True = may attend
        scores = s["scores"][0, h].masked_fill(~allowed, float("nan"))
        return {
            "Q": s["Q"][0, h].numpy(),
            "K": s["K"][0, h].numpy(),
            "V": s["V"][0, h].numpy(),
            "mask": allowed.double().numpy(),
            "scores": scores.numpy(),
            "weights": s["weights"][0, h].numpy(),
            "heads": s["heads"][0, h].numpy(),
        }

    def readout_text(self, values: dict[str, np.ndarray] | None = None) -> str:
        """Query :math:`t`'s row of the formula with this frame's numbers (mathtext, three lines)."""
        values = self.head_values() if values is None else values
        t, d_h = self.query.value, values["Q"].shape[1]
        e, a = values["scores"][t], values["weights"][t]
        best = int(np.argmax(a))
        tok = _label(self.tokens[t])
        return (
            f"query $t = {t}$ ('{tok}'): $e_{{{t}j}} = q_{{{t}}} \\cdot k_j / \\sqrt{{{d_h}}} = {_vector(e)}$\n"
            f"$\\alpha_{{{t}j}} = \\mathrm{{softmax}}_j(e_{{{t}j}} + M_{{{t}j}}) = {_vector(a)}$\n"
            f"largest weight: $\\alpha_{{{t},{best}}} = {a[best]:.2f}$ on key {best} ('{_label(self.tokens[best])}'); "
            f"$\\mathrm{{head}}_{{{t}}} = \\sum_j \\alpha_{{{t}j}} v_j$"
        )

    # -- callbacks -----------------------------------------------------------------------------
    def _new_text(self, text: str) -> None:
        try:
            self._compute(text)
        except ValueError as exc:  # the learner's input: say what to type, keep the old plot
            self.warn(str(exc))
            return
        self.warn("")
        self.query.max = len(self.tokens) - 1  # clips the value (moving the frame, with the old panels)
        self.update()

    def update(self) -> None:
        values = self.head_values()
        S = len(self.tokens)
        t = min(self.query.value, S - 1)
        labels = [_label(tok) for tok in self.tokens]
        for name, data in values.items():
            image, ax = self.images[name], self.axes[name]
            image.set_data(np.ma.masked_invalid(data))
            rows, cols = data.shape
            image.set_extent((-0.5, cols - 0.5, rows - 0.5, -0.5))
            finite = data[np.isfinite(data)]
            if name not in ("weights", "mask"):  # weights and mask keep their fixed [0, 1]
                m = float(np.abs(finite).max()) if finite.size else 1.0
                image.set_clim(-max(m, 1e-6), max(m, 1e-6))
            ax.set_ylim(rows - 0.5, -0.5)
            ax.set_xlim(-0.5, cols - 0.5)
            ax.set_yticks(np.arange(S), labels, fontsize=7)
            if cols == S:  # a (query, key) panel: keys along x
                ax.set_xticks(np.arange(S), labels, fontsize=7)
            else:
                ax.set_xticks([])
        self._frame_row(t, S)
        self.axes["weights"].set_xlabel("key (attended to)")
        self.axes["weights"].set_ylabel("query")
        for txt in self.weight_texts:
            txt.remove()
        w = values["weights"]
        self.weight_texts = [
            self.axes["weights"].text(
                j,
                i,
                f"{w[i, j]:.2f}"[1:] if w[i, j] < 1 else "1",
                ha="center",
                va="center",
                fontsize=5,
                color="white" if w[i, j] < 0.6 else "black",
            )
            for i in range(S)
            for j in range(S)
            if S <= 12 and w[i, j] >= 0.005
        ]
        self.view.fig.suptitle(
            f"encoder layer {self.layer.value}, head {self.head.value} of {self.n_heads}"
            + (" — causal mask on" if self.causal.value else ""),
            fontsize=9,
        )
        self._values = values
        self.readout.value = self.readout_text(values).replace("\n", "<br>")
        self.view.redraw()

    def _frame_row(self, t: int, S: int) -> None:
        for box in self.row_boxes.values():  # frame the read-out's query row
            box.set_bounds(-0.5, t - 0.5, S, 1)

    def _move_query(self) -> None:
        """Another query: the panels stay, only the frame and the read-out move (no model run, no full redraw)."""
        S = len(self.tokens)
        t = min(self.query.value, S - 1)
        if self._values["weights"].shape[0] != S:  # the text changed: update() follows and draws it all
            return
        self._frame_row(t, S)
        self.readout.value = self.readout_text(self._values).replace("\n", "<br>")
        self.view.redraw()

    def snapshot(self, dpi: int = 80) -> Image:
        """A PNG of the figure with the read-out of the current query under it."""
        return with_readout(self.view.fig, self.readout_text(self._values), dpi)


def causal_mask_figure(T: int = 6, labels=None):
    """The causal mask as a picture: query :math:`t` (row) may attend to keys :math:`t' \\le t` (columns):
    :func:`~s2s_lab.transformer.causal_mask` is True (1) there and :math:`M_{tt'} = 0`; elsewhere False (0) and
    :math:`M_{tt'} = -\\infty`."""
    fig = static_figure(figsize=(3.6, 2.8))
    ax = fig.add_subplot()
    allowed = causal_mask(T).double().numpy()  # 1 = may attend
    im = ax.imshow(allowed, cmap="Greens", vmin=0, vmax=1.3)
    for i in range(T):
        for j in range(T):
            ax.text(j, i, "0" if allowed[i, j] else r"$-\infty$", ha="center", va="center", fontsize=7)
    labels = labels or [f"$y_{{{t}}}$" for t in range(T)]
    ax.set_xticks(range(T), labels)
    ax.set_yticks(range(T), labels)
    ax.set_xlabel("key position $t'$")
    ax.set_ylabel("query position $t$")
    ax.set_title("causal_mask(T) and $M_{tt'}$")
    bar = fig.colorbar(im, ax=ax, shrink=0.8, ticks=[0, 1])
    bar.ax.set_yticklabels(["False\n($-\\infty$)", "True\n(0)"], fontsize=7)
    return fig


def attention_figure(weights, x_labels, y_labels, title: str = "", figsize=(5, 2.6)):
    """A heatmap of attention weights ``(len(y_labels), len(x_labels))`` with token labels."""
    w = np.asarray(weights)
    expected = (len(y_labels), len(x_labels))
    if w.shape != expected:
        raise ValueError(f"expected weights of shape (len(y_labels), len(x_labels)) = {expected}, got {w.shape}.")
    fig = static_figure(figsize=figsize)
    ax = fig.add_subplot()
    im = ax.imshow(w, cmap="viridis", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(x_labels)), [_label(t) for t in x_labels], fontsize=7)
    ax.set_yticks(range(len(y_labels)), [_label(t) for t in y_labels], fontsize=7)
    ax.set_title(title)
    fig.colorbar(im, ax=ax, shrink=0.8)
    return fig


def learning_curves_figure(histories: dict, level: float | None = None, metric: str = "exact_match", figsize=(6, 2.6)):
    """Validation ``metric`` against the number of updates, one line per model: ``histories`` maps a label
    to the :class:`~s2s_lab.training.History` of a :func:`~s2s_lab.fit` with a validation loader; ``level``
    draws a dashed line at that value."""
    fig = static_figure(figsize=figsize)
    ax = fig.add_subplot()
    for (label, history), marker in zip(histories.items(), "osd^v"):
        points = [(e["update"], e[metric]) for e in history.evals if metric in e]
        ax.plot(*zip(*points), marker=marker, ms=3, label=label)
    if level is not None:
        ax.axhline(level, color="grey", ls="--", lw=1)
    ax.set_xlabel("updates")
    ax.set_ylabel(f"validation {metric.replace('_', ' ')}")
    ax.set_ylim(-0.03, 1.03)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    return fig
