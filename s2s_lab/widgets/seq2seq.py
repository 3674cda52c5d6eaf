"""Live demos for the encoder-decoder notebooks (04, 05).

* :class:`LossCurve`: pass it to :func:`s2s_lab.training.fit` as ``callback=``; the loss curve (and the
  validation exact match) grows while the model trains.
* :class:`DecodeStepper`: type an input; step through greedy decoding and see, at each output step, the
  distribution over the next token (and the attention weights, for an attention model).
* :class:`AttentionExplorer`: type or pick an input, choose an output step and a score function; see the
  attention weights over the source as bars and the whole alignment matrix as a heatmap.

Each figure is drawn once and updated in place. Under the figure, the two step-through demos write the
step's formula with its numbers (the *read-out*); their :meth:`snapshot` carries it under the figure.
"""

from __future__ import annotations

import html
import io

import ipywidgets as widgets
import matplotlib.image as mimage
import matplotlib.patches as mpatches
import numpy as np
from IPython.display import Image

from ..data import BOS, PAD
from ..interface import decode_text, prepare_text
from .base import FigureView, LiveDemo, play_controls, show, static_figure


def _show_token(tok: str) -> str:
    return {" ": "␣", "<eos>": "⟨eos⟩", "<bos>": "⟨bos⟩", "<unk>": "⟨unk⟩", "<pad>": "⟨pad⟩"}.get(tok, tok)


def _mathtext_safe(text: str) -> str:
    """A token as plain text inside a read-out line (matplotlib would read ``$`` as the start of math)."""
    return text.replace("$", r"\$")


def readout_html(lines: list[str]) -> str:
    """The read-out lines for an ``HTMLMath`` widget: HTML-escaped text, ``$...$`` left to MathJax."""
    return "<br>".join(html.escape(line, quote=False) for line in lines)


def readout_png(lines: list[str], width: float, dpi: int = 80) -> bytes:
    """The read-out lines (text with ``$...$`` math, as matplotlib's mathtext reads it) as a PNG ``width``
    inches wide, for a static snapshot."""
    fig = static_figure(figsize=(width, 0.2 + 0.3 * len(lines)))
    fig.text(0.01, 0.5, "\n".join(lines), ha="left", va="center", fontsize=8, linespacing=2.2)
    return show(fig, dpi).data


def stack_png(top: bytes, bottom: bytes) -> bytes:
    """Two PNG images one above the other (the narrower one padded with white) as one PNG."""
    a, b = (mimage.imread(io.BytesIO(png), format="png") for png in (top, bottom))  # (h, w, 4) floats
    width = max(a.shape[1], b.shape[1])
    a, b = (np.pad(x, ((0, 0), (0, width - x.shape[1]), (0, 0)), constant_values=1.0) for x in (a, b))
    buf = io.BytesIO()
    mimage.imsave(buf, np.concatenate([a, b]), format="png")
    return buf.getvalue()


def _top_weights(a: np.ndarray, k: int = 3) -> list[int]:
    """The positions of the ``k`` largest weights, largest first."""
    return [int(j) for j in np.argsort(-a, kind="stable")[:k]]


def context_line(t: int, a: np.ndarray, source: list[str], k: int = 3) -> str:
    r"""':math:`c_t = \sum_j \alpha_{tj} h_j = 0.91\,h_3 + 0.05\,h_4 + \ldots`' with the ``k`` largest terms
    of step ``t``'s weights ``a`` (S,) and the source token each :math:`h_j` sits on."""
    top = _top_weights(a, k)
    terms = " + ".join(f"{a[j]:.2f}\\,h_{{{j + 1}}}" for j in top) + (r" + \ldots" if len(a) > k else "")
    where = ", ".join(f"$h_{{{j + 1}}}$ on '{_mathtext_safe(_show_token(source[j]))}'" for j in top)
    return f"$c_{{{t}}} = \\sum_j \\alpha_{{{t}j}}\\, h_j = {terms}$   ({where})"


class _ReadoutDemo(LiveDemo):
    """A demo with a read-out under its figure (``self.readout_lines``, shown by ``self.readout``); its
    snapshot is the figure with the read-out under it."""

    readout_lines: list[str] = []

    def _set_readout(self, lines: list[str]) -> None:
        self.readout_lines = lines
        self.readout.value = readout_html(lines)

    def snapshot(self, dpi: int = 80) -> Image:
        """A PNG of the figure as it is now and, under it, the read-out with this step's numbers."""
        width = self.view.fig.get_figwidth()
        return Image(data=stack_png(self.view.png(dpi=dpi), readout_png(self.readout_lines, width, dpi)))


class LossCurve(LiveDemo):
    """The training loss of every update and a validation score of every evaluation, live.

    Use: ``curve = LossCurve(); curve`` (display it), then ``fit(..., callback=curve)``. It redraws every
    ``every`` updates and after each evaluation. ``metric``: the key of the evaluations to plot (default the
    exact match, between 0 and 1; ``metric_max=None``: the axis grows with the score, e.g. for BLEU).
    """

    description = "live loss curve"

    def __init__(
        self,
        every: int = 10,
        figsize=(7, 2.6),
        title: str = "training",
        metric: str = "exact_match",
        metric_label: str = "validation exact match",
        metric_max: float | None = 1.0,
    ):
        super().__init__()
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive int (redraw every that many updates), got {every!r}.")
        self.every, self.metric, self.metric_max = every, metric, metric_max
        self.view = FigureView(figsize=figsize)
        self.ax = self.view.fig.add_subplot(1, 1, 1)
        (self.loss_line,) = self.ax.plot([], [], color="tab:blue", lw=1, label="training loss")
        self.ax.set_xlabel("update")
        self.ax.set_ylabel("masked cross-entropy", color="tab:blue")
        self.ax.set_title(title)
        self.acc_ax = self.ax.twinx()
        (self.acc_line,) = self.acc_ax.plot([], [], "o-", color="tab:orange", ms=3, label=metric_label)
        self.acc_ax.set_ylim(-0.02 * (metric_max or 5), 1.02 * (metric_max or 5))
        self.acc_ax.set_ylabel(metric_label, color="tab:orange")
        self._evals_drawn = 0
        self.view.freeze_layout()
        self.widget = widgets.VBox([self.message, self.view.widget])

    def __call__(self, history) -> None:
        new_eval = len(history.evals) != self._evals_drawn
        if not history.updates or (history.updates[-1] % self.every and not new_eval):
            return
        self.loss_line.set_data(history.updates, history.losses)
        self.ax.set_xlim(0, max(history.updates[-1], 1))
        self.ax.set_ylim(0, max(history.losses) * 1.05)
        evals = [e for e in history.evals if self.metric in e]
        scores = [e[self.metric] for e in evals]
        self.acc_line.set_data([e["update"] for e in evals], scores)
        if self.metric_max is None:
            self.acc_ax.set_ylim(0, max([5.0] + [v * 1.15 for v in scores]))
        self._evals_drawn = len(history.evals)
        self.view.redraw(now=True)  # called from inside the training loop: the kernel is busy


class DecodeStepper(_ReadoutDemo):
    """Greedy decoding of a typed input, one output step at a time.

    The bars are :math:`p(y_t \\mid y_{<t}, x)` over the target vocabulary at step ``t`` (the chosen token
    in orange); with an attention model a second panel shows :math:`\\alpha_{t\\cdot}` over the source.
    The read-out under the figure gives the step's numbers: the chosen token's probability and the runner-up,
    and the context (:math:`c = h_S`, or :math:`c_t = \\sum_j \\alpha_{tj} h_j` with its largest terms).

    Args:
        model: a trained model of the collection's interface; src_vocab, tgt_vocab: its vocabularies.
        text: the first input; max_len: the longest output decoded.

    The text box takes any string: the spaces around it are dropped, and an empty, too long or unknown input
    is explained in a sentence while the plot keeps the last good input.
    """

    description = "decoder step-through"

    def __init__(self, model, src_vocab, tgt_vocab, text: str, max_len: int = 30, figsize=(8, 2.8)):
        super().__init__()
        self.model, self.src_vocab, self.tgt_vocab, self.max_len = model, src_vocab, tgt_vocab, max_len
        self.limit = limit = getattr(model, "max_src_len", None) or 40  # the attention panel has this many bars
        self.result = self._decode(text)  # a bad starting text is the caller's bug: let it raise
        self.has_attention = self.result.attention is not None

        self.text = widgets.Text(value=text, description="input", continuous_update=False)
        self.play, self.slider = play_controls(len(self.result.tokens), description="output step t")
        self.sequence_view = widgets.HTML()
        self.readout = widgets.HTMLMath()
        self.view = FigureView(figsize=figsize)
        fig = self.view.fig
        self.shown = [i for i in range(len(tgt_vocab)) if i not in (PAD, BOS)]  # tokens the decoder can write
        self.prob_ax = fig.add_subplot(1, 2 if self.has_attention else 1, 1)
        self.prob_bars = self.prob_ax.bar(np.arange(len(self.shown)), np.zeros(len(self.shown)), color="tab:blue")
        self.prob_ax.set_xticks(
            np.arange(len(self.shown)), [_show_token(tgt_vocab.itos[i]) for i in self.shown], fontsize=7
        )
        self.prob_ax.set_ylim(0, 1)
        self.prob_ax.set_ylabel("probability")
        if self.has_attention:
            self.attn_ax = fig.add_subplot(1, 2, 2)
            self.attn_bars = self.attn_ax.bar(np.arange(limit), np.zeros(limit), color="tab:green")
            self.attn_ax.set_ylim(0, 1)
            self.attn_ax.set_title(r"attention $\alpha_{t\cdot}$ over the source")
        self._new_source()
        self._show_step(1)
        self.view.freeze_layout()
        self.observe(self.slider, lambda change: self._show_step(change["new"]))
        self.observe(self.text, lambda change: self._new_text(change["new"]))
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.text, self.play, self.slider]),
                self.message,
                self.sequence_view,
                self.view.widget,
                self.readout,
            ]
        )

    def _new_source(self) -> None:
        if self.has_attention:
            S = len(self.result.source)
            self.attn_ax.set_xlim(-0.5, S - 0.5)
            self.attn_ax.set_xticks(np.arange(S), [_show_token(t) for t in self.result.source])

    def _decode(self, text: str):
        text = prepare_text(text, self.src_vocab, self.limit)
        return decode_text(self.model, text, self.src_vocab, self.tgt_vocab, self.max_len)

    def _new_text(self, text: str) -> None:
        try:
            result = self._decode(text)
        except ValueError as err:
            self.warn(str(err))  # keep showing the last good input
            return
        self.warn("")
        self.result = result
        self._new_source()
        n = len(result.tokens)
        self.slider.value = min(self.slider.value, n)
        self.slider.max = self.play.max = n
        self._show_step(self.slider.value)

    def _show_step(self, t: int) -> None:
        r = self.result
        t = min(max(int(t), 1), len(r.tokens))
        p = r.probs[t - 1].numpy()
        chosen = r.tokens[t - 1]
        for rect, i in zip(self.prob_bars, self.shown):
            rect.set_height(float(p[i]))
            rect.set_color("tab:orange" if i == chosen else "tab:blue")
        prev = "<bos>" if t == 1 else self.tgt_vocab.itos[r.tokens[t - 2]]
        word = self.tgt_vocab.itos[chosen]
        self.prob_ax.set_title(
            f"step t={t}: reads {_show_token(prev)!r}, writes {_show_token(word)!r} (p={p[chosen]:.2f})"
        )
        runner_up = max((i for i in self.shown if i != chosen), key=lambda i: p[i])
        written_text = "".join(_show_token(self.tgt_vocab.itos[i]) for i in r.tokens)
        lines = [
            f"input '{_mathtext_safe(''.join(_show_token(s) for s in r.source))}' → greedy output "
            f"'{_mathtext_safe(written_text)}', {len(r.tokens)} steps",
            f"step t = {t} reads '{_mathtext_safe(_show_token(prev))}' and writes "
            f"'{_mathtext_safe(_show_token(word))}' $= \\arg\\max_y\\, p(y \\mid y_{{<{t}}}, x)$ with "
            f"$p = {p[chosen]:.2f}$; next best: '{_mathtext_safe(_show_token(self.tgt_vocab.itos[runner_up]))}' "
            f"with $p = {p[runner_up]:.2f}$",
        ]
        if self.has_attention:
            a = r.attention[t - 1].numpy()
            for j, rect in enumerate(self.attn_bars):
                rect.set_height(float(a[j]) if j < len(a) else 0.0)
            lines.append(context_line(t, a, r.source))
        else:
            S = len(r.source)
            lines.append(f"the context is the same at every step: $c = h_{{{S}}}$, the encoder's last state")
        self._set_readout(lines)
        written = [_show_token(self.tgt_vocab.itos[i]) for i in r.tokens]
        parts = [
            f"<b style='background:#ffd9a0'>{html.escape(w)}</b>"
            if k == t - 1
            else html.escape(w)
            if k < t - 1
            else f"<span style='color:#bbb'>{html.escape(w)}</span>"
            for k, w in enumerate(written)
        ]
        self.sequence_view.value = (
            f"<code>{html.escape(''.join(_show_token(s) for s in r.source))}</code>"
            f" &nbsp;→&nbsp; <code>{' '.join(parts)}</code>"
        )
        self.view.redraw()


class AttentionExplorer(_ReadoutDemo):
    """Attention weights of a trained encoder-decoder: bars for one output step, heatmap for all (its colour
    bar fixed to [0, 1], drawn once), and a read-out of the step's weights and context under the figure.

    Args:
        models: ``{score function name: trained attention model}`` (same vocabularies); the buttons switch.
        src_vocab, tgt_vocab: the vocabularies; text: the first input; examples: inputs to pick from.

    The text box takes any string, as :class:`DecodeStepper`'s. An input or a score button the models cannot
    take is explained in a sentence that stays until the next good input; the plot keeps the last good one.
    """

    description = "attention explorer"

    def __init__(self, models: dict, src_vocab, tgt_vocab, text: str, examples=(), max_len: int = 30, figsize=(8, 4.4)):
        super().__init__()
        if not models:
            raise ValueError("expected at least one model, got none.")
        self.models, self.src_vocab, self.tgt_vocab, self.max_len = models, src_vocab, tgt_vocab, max_len
        self.kind = next(iter(models))
        self.limit = max(getattr(m, "max_src_len", None) or 40 for m in models.values())
        self._reverting = False  # True while the score buttons are put back after a refused switch
        self.result = self._decode(self.kind, text)

        self.text = widgets.Text(value=text, description="input", continuous_update=False)
        self.pick = widgets.Dropdown(options=["(type above)", *examples], value="(type above)", description="or pick")
        self.score = widgets.ToggleButtons(options=list(models), value=self.kind, description="score")
        self.play, self.slider = play_controls(self.T, description="output step t")
        self.view = FigureView(figsize=figsize)
        fig = self.view.fig
        grid = fig.add_gridspec(2, 1, height_ratios=[1, 1.6])
        self.bar_ax, self.heat_ax = fig.add_subplot(grid[0]), fig.add_subplot(grid[1])
        self.bars = self.bar_ax.bar(np.arange(self.limit), np.zeros(self.limit), color="tab:green")
        self.bar_ax.set_ylim(0, 1)
        self.bar_ax.set_ylabel(r"$\alpha_{tj}$")
        self.image = self.heat_ax.imshow(
            self.result.attention.numpy(), vmin=0, vmax=1, cmap="viridis", aspect="auto", interpolation="nearest"
        )
        self.heat_ax.set_xlabel("source position j")
        self.heat_ax.set_ylabel("output step t")
        self.marker = self.heat_ax.add_patch(mpatches.Rectangle((-0.5, -0.5), 1, 1, fill=False, edgecolor="red", lw=2))
        self.colorbar = fig.colorbar(self.image, ax=self.heat_ax, fraction=0.03, ticks=[0, 0.5, 1])
        self.colorbar.set_label(r"$\alpha_{tj}$")
        self.readout = widgets.HTMLMath()
        self._new_result()
        self._show_step(1)
        self.observe(self.slider, lambda change: self._show_step(change["new"]))
        self.observe(self.text, lambda change: self._new_input(change["new"], self.kind))
        self.observe(self.score, lambda change: self._new_input(self.text.value, change["new"]))
        self.observe(self.pick, self._picked)
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.text, self.pick]),
                self.score,
                widgets.HBox([self.play, self.slider]),
                self.message,
                self.view.widget,
                self.readout,
            ]
        )

    @property
    def T(self) -> int:
        return len(self.result.tokens)

    def _decode(self, kind: str, text: str):
        model = self.models[kind]
        text = prepare_text(text, self.src_vocab, getattr(model, "max_src_len", None) or self.limit)
        result = decode_text(model, text, self.src_vocab, self.tgt_vocab, self.max_len)
        if result.attention is None:
            raise ValueError(f"the model {kind!r} has no attention; pass attention models only.")
        return result

    def _picked(self, change) -> None:
        if change["new"] != "(type above)":
            self.text.value = change["new"]

    def _new_input(self, text: str, kind: str) -> None:
        if self._reverting:
            return
        try:
            result = self._decode(kind, text)
        except ValueError as err:
            self.warn(str(err))  # stays until the next good input
            if self.score.value != self.kind:  # put the buttons back without decoding again (that would clear it)
                self._reverting = True
                try:
                    self.score.value = self.kind
                finally:
                    self._reverting = False
            return
        self.warn("")
        self.kind, self.result = kind, result
        self._new_result()
        self.slider.value = min(self.slider.value, self.T)
        self.slider.max = self.play.max = self.T
        self._show_step(self.slider.value)

    def _new_result(self) -> None:
        r = self.result
        S, T = len(r.source), self.T
        src = [_show_token(s) for s in r.source]
        out = [_show_token(self.tgt_vocab.itos[i]) for i in r.tokens]
        self.image.set_data(r.attention.numpy())  # (T, S)
        self.image.set_extent((-0.5, S - 0.5, T - 0.5, -0.5))
        self.heat_ax.set_xticks(np.arange(S), src)
        self.heat_ax.set_yticks(np.arange(T), out)
        self.heat_ax.set_title(f"alignment ({self.kind} score): {''.join(r.source)!r} → {r.output!r}")
        self.bar_ax.set_xlim(-0.5, S - 0.5)
        self.bar_ax.set_xticks(np.arange(S), src)

    def _show_step(self, t: int) -> None:
        t = min(max(int(t), 1), self.T)
        a = self.result.attention[t - 1].numpy()
        for j, rect in enumerate(self.bars):
            rect.set_height(float(a[j]) if j < len(a) else 0.0)
        word = self.tgt_vocab.itos[self.result.tokens[t - 1]]
        self.bar_ax.set_title(
            f"step t={t} writes {_show_token(word)!r}: where it looks "
            f"(max at {_show_token(self.result.source[int(a.argmax())])!r}, "
            f"weight {a.max():.2f})"
        )
        self.marker.set_bounds(-0.5, t - 1.5, len(a), 1)
        top = _top_weights(a)
        largest = ", ".join(
            f"$\\alpha_{{{t},{j + 1}}} = {a[j]:.2f}$ on '{_mathtext_safe(_show_token(self.result.source[j]))}'"
            for j in top
        )
        self._set_readout(
            [
                f"step t = {t} writes '{_mathtext_safe(_show_token(word))}': "
                f"$\\alpha_{{{t}j}} = \\exp e_{{{t}j}} / \\sum_k \\exp e_{{{t}k}}$ over the {len(a)} source "
                f"positions (they sum to {a.sum():.2f})",
                f"largest: {largest}",
                context_line(t, a, self.result.source),
            ]
        )
        self.view.redraw()


def encoder_decoder_diagram(source="abc", target="cba", attention: bool = False, figsize=(7.5, 2.6)):
    """A static picture of the RNN encoder-decoder reading ``source`` and writing ``target``: with
    ``attention=False`` everything passes through the one context vector c; with ``attention=True``
    each decoder step draws its own c_t from all encoder states (line width ~ a plausible weight)."""

    fig = static_figure(figsize)
    ax = fig.add_subplot(1, 1, 1)
    ax.set_axis_off()
    S, T = len(source), len(target) + 1
    box = dict(boxstyle="round,pad=0.3", fc="#dbe9f6", ec="tab:blue")
    dbox = dict(boxstyle="round,pad=0.3", fc="#fde4cf", ec="tab:orange")
    arrow = dict(arrowstyle="->", color="0.3", lw=1)
    enc_x = np.arange(S) * 1.2
    dec_x = enc_x[-1] + 2.6 + np.arange(T) * 1.2
    for j, x in enumerate(enc_x):
        ax.annotate(f"$h_{j + 1}$", (x, 0), ha="center", va="center", bbox=box)
        ax.annotate(f"'{source[j]}'", (x, -1.1), ha="center", va="center")
        ax.annotate("", (x, -0.25), (x, -0.9), arrowprops=arrow)
        if j:
            ax.annotate("", (x - 0.3, 0), (enc_x[j - 1] + 0.3, 0), arrowprops=arrow)
    reads = ["<bos>", *target]
    writes = [*target, "<eos>"]
    for t, x in enumerate(dec_x):
        ax.annotate(f"$s_{t + 1}$", (x, 0), ha="center", va="center", bbox=dbox)
        ax.annotate(reads[t].replace("<", "⟨").replace(">", "⟩"), (x, -1.1), ha="center", va="center")
        ax.annotate(
            writes[t].replace("<", "⟨").replace(">", "⟩"), (x, 1.1), ha="center", va="center", fontweight="bold"
        )
        ax.annotate("", (x, -0.25), (x, -0.9), arrowprops=arrow)
        ax.annotate("", (x, 0.9), (x, 0.25), arrowprops=arrow)
        if t:
            ax.annotate("", (x - 0.3, 0), (dec_x[t - 1] + 0.3, 0), arrowprops=arrow)
    if attention:  # the context of step t = 2: arcs from every h_j, width ~ weight (reversal: mostly h_{S-1})
        t = 1
        u = np.linspace(0, 1, 40)
        for j, xe in enumerate(enc_x):
            w = 3.0 if j == S - 1 - t else 0.6
            ax.plot(
                xe + (dec_x[t] - 0.2 - xe) * u,
                0.25 + 0.7 * np.sin(np.pi * u) * (0.6 + 0.2 * j),
                color="tab:green",
                lw=w,
                alpha=0.8,
            )
        ax.annotate(
            r"$c_2 = \sum_j \alpha_{2j} h_j$", ((enc_x[-1] + dec_x[0]) / 2, 1.3), ha="center", color="tab:green"
        )
        ax.set_title("with attention: every step t builds its own context $c_t$ from all $h_j$ (shown: t = 2)")
    else:
        ax.annotate(
            "$c$",
            ((enc_x[-1] + dec_x[0]) / 2, 0),
            ha="center",
            va="center",
            bbox=dict(boxstyle="circle", fc="#e0f0d9", ec="tab:green"),
            fontsize=11,
        )
        ax.annotate("", ((enc_x[-1] + dec_x[0]) / 2 - 0.3, 0), (enc_x[-1] + 0.3, 0), arrowprops=arrow)
        ax.annotate("", (dec_x[0] - 0.3, 0), ((enc_x[-1] + dec_x[0]) / 2 + 0.3, 0), arrowprops=arrow)
        ax.set_title("without attention: the whole input must fit into one context vector $c = h_S$")
    ax.set_xlim(enc_x[0] - 0.7, dec_x[-1] + 0.7)
    ax.set_ylim(-1.5, 1.6)
    return fig


def length_curve_figure(curves: dict, title: str = "", figsize=(6.5, 2.8)):
    """Exact match against source length, one line per model: ``curves`` maps a label to
    ``{length: exact match}`` (from :func:`s2s_lab.experiments.accuracy_by_length`)."""

    fig = static_figure(figsize)
    ax = fig.add_subplot(1, 1, 1)
    for (label, curve), marker in zip(curves.items(), "osd^v"):
        ax.plot(list(curve), list(curve.values()), marker=marker, ms=4, label=label)
    ax.set_xlabel("source length (tokens)")
    ax.set_ylabel("exact match (held-out)")
    ax.set_ylim(-0.03, 1.03)
    ax.grid(alpha=0.3)
    ax.legend(loc="best")
    ax.set_title(title)
    return fig


def alignment_figure(result, tgt_vocab, ax, colorbar: bool = True):
    """Draw one :class:`~s2s_lab.seq2seq.Decoded` alignment matrix on ``ax`` (static pictures), with a colour
    bar for :math:`\\alpha_{tj}` fixed to [0, 1] unless ``colorbar=False``."""
    src = [_show_token(s) for s in result.source]
    out = [_show_token(tgt_vocab.itos[i]) for i in result.tokens]
    image = ax.imshow(result.attention.numpy(), vmin=0, vmax=1, cmap="viridis", aspect="auto", interpolation="nearest")
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.05, ticks=[0, 0.5, 1], label=r"$\alpha_{tj}$")
    ax.set_xticks(np.arange(len(src)), src)
    ax.set_yticks(np.arange(len(out)), out)
    return ax


__all__ = [
    "LossCurve",
    "DecodeStepper",
    "AttentionExplorer",
    "alignment_figure",
    "encoder_decoder_diagram",
    "length_curve_figure",
]
