"""Live demos for the translation notebook (07).

* :class:`TranslationMonitor`: pass it to :func:`s2s_lab.fit` as ``callback=``; the loss curve grows, and at
  every evaluation the validation BLEU is plotted and a few sentences are translated again, so the learner
  watches the translations improve.
* :class:`TranslateDemo`: type English; see the French, the other beam hypotheses with their scores, and the
  attention over the English pieces while each French piece is written (for a Transformer: pick the decoder
  layer and the head).

Each figure is drawn once and updated in place.
"""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np

from ..experiments.translation import Translator, translate_texts
from ..experiments.translation_eval import beam_hypotheses, cross_attention
from .base import FigureView, LiveDemo, static_figure
from .seq2seq import LossCurve


def _piece(p: str) -> str:
    """A subword as the heatmap labels it (``▁`` starts a word; ``</s>`` is the end of the sentence)."""
    return {"</s>": "⟨eos⟩", "<eos>": "⟨eos⟩", "<s>": "⟨bos⟩", "<bos>": "⟨bos⟩"}.get(p, p)


class TranslationMonitor(LossCurve):
    """A :class:`~s2s_lab.widgets.LossCurve` of the training loss and the validation BLEU that also translates
    ``sentences`` greedily at every evaluation, so the learner watches the translations improve.

    Use: ``monitor = TranslationMonitor(model, sentences, src_tokenizer, tgt_tokenizer); monitor``, then
    ``fit(model, ..., val_metric=..., callback=monitor)``; :attr:`samples` keeps ``(update, translations)``.
    """

    description = "live training monitor"

    def __init__(self, model, sentences, src_tokenizer, tgt_tokenizer, every: int = 10, figsize=(7, 2.4)):
        if isinstance(sentences, str) or not sentences:
            raise ValueError("expected a list of English sentences to translate during training.")
        super().__init__(every, figsize, title="", metric="bleu", metric_label="validation BLEU", metric_max=None)
        self.model, self.sentences = model, list(sentences)
        self.tokenizers = src_tokenizer, tgt_tokenizer
        self.samples: list[tuple[int, list[str]]] = []
        self.bleu_line = self.acc_line
        self.table = widgets.HTML()
        self.widget = widgets.VBox([self.message, self.view.widget, self.table])

    def __call__(self, history) -> None:
        if len(history.evals) != self._evals_drawn:  # a new evaluation: translate the sentences again
            self.model.eval()
            out = translate_texts(self.model, self.sentences, *self.tokenizers, beam=1)
            self.model.train()
            self.samples.append((history.evals[-1]["update"], out))
            self.table.value = self.samples_html()
        super().__call__(history)

    def samples_html(self) -> str:
        """The translations at each evaluation, one row per evaluation."""
        head = "".join(f"<th>{html.escape(s)}</th>" for s in self.sentences)
        rows = "".join(
            f"<tr><td>{u}</td>" + "".join(f"<td>{html.escape(t) or '∅'}</td>" for t in out) + "</tr>"
            for u, out in self.samples
        )
        return f"<table><tr><th>update</th>{head}</tr>{rows}</table>"

    def snapshot(self, dpi: int = 80):
        """The curve and the translations at the first, middle and last evaluation, as one PNG."""
        from .base import show

        fig = static_figure(figsize=(7.5, 3.6))
        ax, text_ax = fig.subplots(2, 1, height_ratios=[1.3, 1])
        ax.plot(*self.loss_line.get_data(), color="tab:blue", lw=1)
        ax.set_xlabel("update")
        ax.set_ylabel("training loss", color="tab:blue")
        twin = ax.twinx()
        twin.plot(*self.bleu_line.get_data(), "o-", color="tab:orange", ms=3)
        twin.set_ylabel("validation BLEU", color="tab:orange")
        text_ax.axis("off")
        picked = [self.samples[i] for i in sorted({0, len(self.samples) // 2, len(self.samples) - 1})]
        lines = [f"{s!r}" for s in self.sentences]
        for u, out in picked:
            lines.append(f"update {u}: " + "  |  ".join(t or "∅" for t in out))
        text_ax.text(0, 1, "\n".join(lines), va="top", family="monospace", fontsize=7, transform=text_ax.transAxes)
        return show(fig, dpi)


class TranslateDemo(LiveDemo):
    """Translate your own sentence: the French, the beam's hypotheses with their scores, and the attention.

    Args:
        translators: ``{name: Translator}`` (the buttons switch between them).
        text: the first sentence; examples: sentences to pick from; beam: the first beam width.

    The heatmap shows, for the best hypothesis, the weights over the English pieces (columns) while each French
    piece (rows) is written: a Transformer's cross-attention of the chosen decoder layer and head (or the mean
    of the heads), an RNN's :math:`\\alpha_{tj}`. Any text is taken: an empty one is explained in a sentence and
    the demo keeps the last translation.
    """

    description = "translate your own sentence"

    def __init__(self, translators: dict, text: str, examples=(), beam: int = 5, figsize=(7.5, 3.8)):
        super().__init__()
        if not translators or not all(isinstance(t, Translator) for t in translators.values()):
            raise ValueError("expected {name: Translator}, e.g. {'Transformer': Translator.load()}.")
        self.translators = translators
        self.name = next(iter(translators))
        self.text = widgets.Text(value=text, description="English", continuous_update=False)
        self.text.layout.width = "28em"
        self.pick = widgets.Dropdown(options=["(type above)", *examples], value="(type above)", description="or pick")
        self.model = widgets.ToggleButtons(options=list(translators), value=self.name, description="model")
        self.beam = widgets.IntSlider(value=beam, min=1, max=8, description="beam k", continuous_update=False)
        self.layer = widgets.Dropdown(description="layer")
        self.head = widgets.Dropdown(description="head")
        self.output = widgets.HTML()
        self._updating = False
        self.view = FigureView(figsize=figsize)
        self.ax = self.view.fig.add_subplot(1, 1, 1)
        self.image = self.ax.imshow(np.zeros((2, 2)), vmin=0, vmax=1, cmap="viridis", aspect="auto")
        self.view.fig.colorbar(self.image, ax=self.ax, fraction=0.04, label="attention weight")
        self.ax.set_xlabel("English piece (read)")
        self.ax.set_ylabel("French piece (written)")
        self._translate(text, self.name, beam)  # a bad first sentence is the caller's bug: let it raise
        self.observe(self.text, lambda c: self._new_input())
        self.observe(self.model, lambda c: self._new_input())
        self.observe(self.beam, lambda c: self._new_input())
        self.observe(self.layer, lambda c: self._show_map())
        self.observe(self.head, lambda c: self._show_map())
        self.observe(self.pick, self._picked)
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.text, self.pick]),
                widgets.HBox([self.model, self.beam]),
                self.message,
                self.output,
                widgets.HBox([self.layer, self.head]),
                self.view.widget,
            ]
        )

    # -- callbacks -----------------------------------------------------------------------------
    def _picked(self, change) -> None:
        if change["new"] != "(type above)":
            self.text.value = change["new"]

    def _new_input(self) -> None:
        try:
            self._translate(self.text.value, self.model.value, self.beam.value)
        except ValueError as err:
            self.warn(str(err))  # keep showing the last translation
            return
        self.warn("")

    def _translate(self, text: str, name: str, k: int) -> None:
        translator = self.translators[name]
        self.source, self.result = beam_hypotheses(translator, text, k=k)
        best = self.result.best
        self.target = [translator.tgt_tokenizer.piece(i) for i in best.tokens]
        self.maps = cross_attention(translator, text, best.tokens).numpy()  # (L, n_h, T, S)
        self.name, self.k = name, k
        self.french = translator.tgt_tokenizer.decode(best.tokens)
        rows = "".join(
            f"<tr><td>{r + 1}</td><td>{html.escape(translator.tgt_tokenizer.decode(h.tokens)) or '∅'}</td>"
            f"<td>{h.log_prob:.2f}</td><td>{len(h.tokens)}</td><td>{h.score:.3f}</td></tr>"
            for r, h in enumerate(self.result.hypotheses[:8])
        )
        self.output.value = (
            f"<p style='font-size:1.2em'><b>{html.escape(self.french) or '∅'}</b></p>"
            "<table><tr><th>rank</th><th>hypothesis</th><th>log P(y|x)</th><th>pieces</th>"
            f"<th>score = log P / lp</th></tr>{rows}</table>"
        )
        L, H = self.maps.shape[:2]
        layers = [(f"{i + 1} of {L}", i) for i in range(L)]
        heads = [("mean of heads", -1)] + [(f"{h + 1}", h) for h in range(H)] if H > 1 else [("-", 0)]
        self._updating = True  # new options reset the values: draw once, at the end
        try:
            if [v for _, v in self.layer.options] != [v for _, v in layers]:
                self.layer.options = layers
                self.layer.value = L - 1
            if [v for _, v in self.head.options] != [v for _, v in heads]:
                self.head.options = heads
                self.head.value = heads[0][1]
        finally:
            self._updating = False
        self.layer.disabled = self.head.disabled = H == 1 and L == 1
        self._show_map()

    def _show_map(self) -> None:
        if self._updating or self.layer.value is None or self.head.value is None:
            return
        maps = self.maps[self.layer.value]  # (n_h, T, S)
        a = maps.mean(0) if self.head.value == -1 else maps[self.head.value]  # (T, S)
        T, S = a.shape
        self.image.set_data(a)
        self.image.set_extent((-0.5, S - 0.5, T - 0.5, -0.5))
        self.ax.set_xticks(np.arange(S), [_piece(p) for p in self.source], rotation=60, fontsize=7)
        self.ax.set_yticks(np.arange(T), [_piece(p) for p in self.target], fontsize=7)
        what = "α_tj" if self.maps.shape[:2] == (1, 1) else f"layer {self.layer.label}, head {self.head.label}"
        self.ax.set_title(f"{self.name}, beam k={self.k}: {what}", fontsize=8)
        self.view.redraw()


def bleu_by_length_figure(curves: dict, figsize=(6.5, 2.6)):
    """BLEU against English sentence length: ``curves`` maps a model's name to the rows of
    :func:`~s2s_lab.experiments.translation_eval.bleu_by_length`; bars give the number of sentences."""
    fig = static_figure(figsize=figsize)
    ax = fig.add_subplot(1, 1, 1)
    first = next(iter(curves.values()))
    x = np.arange(len(first))
    count_ax = ax.twinx()
    count_ax.bar(x, [r["sentences"] for r in first], color="0.9", zorder=0)
    count_ax.set_ylabel("test sentences", color="0.5")
    ax.set_zorder(count_ax.get_zorder() + 1)
    ax.patch.set_visible(False)
    for name, rows in curves.items():
        ax.plot(x, [np.nan if r["bleu"] is None else r["bleu"].score for r in rows], "o-", label=name)
    ax.set_xticks(x, [r["words"] for r in first])
    ax.set_xlabel("English sentence length (words)")
    ax.set_ylabel("BLEU (beam 5, one reference)")
    ax.set_ylim(0, None)
    ax.legend(loc="lower left", fontsize=8)
    return fig


__all__ = ["TranslationMonitor", "TranslateDemo", "bleu_by_length_figure"]
