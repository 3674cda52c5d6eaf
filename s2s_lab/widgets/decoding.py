"""Live demos for the decoding notebook (08).

* :class:`BeamTreeDemo`: type English (and, if you like, the start of the French); see beam search's tree grow
  one step at a time: each node a French piece with its cumulative :math:`\\log P`, kept hypotheses in colour,
  pruned ones grey, finished ones marked; beam width and :math:`\\alpha` re-run the search; pick a node to see
  the model's ten most probable next pieces there.
* :class:`SamplingDemo`: the next-piece distribution as bars that reshape with the temperature, top-k and
  top-p, and several seeded samples of the whole translation.

Each figure is drawn once; moving a control updates its artists in place (a pool of labels is reused).
"""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.collections import LineCollection

from ..decoding import forbid_special, path_to, sample, sampling_distribution
from ..experiments.decoding_eval import continue_prefix, next_token_log_probs, prefix_ids
from ..experiments.translation import Translator
from ..experiments.translation_eval import source_pieces
from .base import FigureView, LiveDemo

COLOURS = {
    "root": "0.3",
    "forced": "tab:purple",
    "open": "tab:blue",
    "finished": "tab:green",
    "cut": "tab:orange",
    "pruned": "0.75",
}
"""Node colours of the beam tree, by :attr:`s2s_lab.decoding.Node.status`."""

WINDOW = 12
"""The tree shows at most this many steps at once (the last ones up to the step slider), so that 20 steps
stay readable."""


PRUNED = 3
"""How many pruned candidates per step the tree shows (the most probable of those that fell out)."""


def _piece(p: str) -> str:
    return {"</s>": "⟨eos⟩", "<eos>": "⟨eos⟩", "<s>": "⟨bos⟩", "<bos>": "⟨bos⟩", "<unk>": "⟨unk⟩"}.get(p, p)


def _check(translator) -> None:
    if not isinstance(translator, Translator):
        raise ValueError(f"expected a Translator (Translator.load(...)), got {type(translator).__name__}.")


def tree_layout(tree, upto: int) -> dict[int, tuple[int, int]]:
    """Positions ``{node id: (step, row)}`` of the nodes up to step ``upto``: at each step the children of a
    higher node come first, and siblings by falling log-probability, so that edges rarely cross."""
    rows: dict[int, tuple[int, int]] = {0: (0, 0)}
    by_step: dict[int, list] = {}
    for n in tree[1:]:
        if n.step <= upto:
            by_step.setdefault(n.step, []).append(n)
    for t in sorted(by_step):
        nodes = sorted(by_step[t], key=lambda n: (rows[n.parent][1], n.status == "pruned", -n.log_prob))
        rows.update({n.id: (t, r) for r, n in enumerate(nodes)})
    return rows


class BeamTreeDemo(LiveDemo):
    """Beam search's tree, grown one step at a time, for a sentence you type.

    Args:
        translator: a :class:`~s2s_lab.experiments.translation.Translator`.
        text: the first English sentence; prefix: the first forced French prefix ("" for none);
        k, alpha: the first beam width (1 to 8) and length normalisation.

    Controls: ``text``, ``prefix`` (what if the French began so), ``k``, ``alpha`` (re-run the search),
    ``step`` (how many steps of the search to show) and ``node`` (whose next-piece distribution the bars show;
    :meth:`select` does the same, and so does a click on a node under ``%matplotlib widget``). Bad input (an
    empty sentence, a prefix too long for the model) is answered by a sentence; the demo keeps the last tree.
    """

    description = "beam search tree"

    def __init__(self, translator, text: str, prefix: str = "", k: int = 3, alpha: float = 0.6, figsize=(10, 5)):
        super().__init__()
        _check(translator)
        self.translator = translator
        self.text = widgets.Text(value=text, description="English", continuous_update=False)
        self.text.layout.width = "26em"
        self.prefix = widgets.Text(value=prefix, description="French starts", continuous_update=False)
        self.prefix.layout.width = "20em"
        self.k = widgets.IntSlider(value=k, min=1, max=8, description="beam k", continuous_update=False)
        self.alpha = widgets.FloatSlider(
            value=alpha, min=0.0, max=1.5, step=0.1, description="α", continuous_update=False
        )
        self.step = widgets.IntSlider(value=1, min=1, max=1, description="step t", continuous_update=True)
        self.node = widgets.Dropdown(description="node")
        self.node.layout.width = "24em"
        self.output = widgets.HTML()
        self._updating = False
        self.view = FigureView(figsize=figsize)
        self.ax, self.bar_ax = self.view.fig.subplots(1, 2, gridspec_kw={"width_ratios": [4.2, 1]})
        self.edges = LineCollection([], linewidths=0.8)
        self.ax.add_collection(self.edges)
        self.dots = self.ax.scatter([], [], s=22, zorder=3)
        self.ends = self.ax.scatter([], [], s=40, marker="s", color=COLOURS["finished"], zorder=4)
        (self.ring,) = self.ax.plot([], [], "o", ms=12, mfc="none", mec="crimson", mew=1.5, zorder=5)
        self.labels = []  # a pool of text artists, reused from one drawing to the next
        self.ax.set_xlabel(
            "step t · under each piece log P(y≤t|x) · blue: in the beam · grey: pruned · green ■: finished · "
            "orange: cut · purple: forced",
            fontsize=7,
        )
        self.ax.set_yticks([])
        for side in ("top", "right", "left"):
            self.ax.spines[side].set_visible(False)
        self.bars = self.bar_ax.barh(np.arange(10), np.zeros(10), color="0.7")
        self.bar_ax.set_xlim(0, 1)
        self.bar_ax.invert_yaxis()
        self.bar_ax.set_xlabel("p(next piece)")
        self.view.fig.canvas.mpl_connect("pick_event", self._on_pick)
        self.dots.set_picker(5)
        self._search(text, prefix, k, alpha)  # a bad first sentence is the caller's bug: let it raise
        self._draw()  # titles and labels first, so that the frozen layout leaves room for them
        self.view.freeze_layout()
        for control in (self.text, self.prefix, self.k, self.alpha):
            self.observe(control, lambda c: self._new_search())
        self.observe(self.step, lambda c: self._draw())
        self.observe(self.node, lambda c: self._show_node())
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.text, self.prefix]),
                widgets.HBox([self.k, self.alpha]),
                widgets.HBox([self.step, self.node]),
                self.message,
                self.view.widget,
                self.output,
            ]
        )

    # -- the search ----------------------------------------------------------------------------
    def _new_search(self) -> None:
        try:
            self._search(self.text.value, self.prefix.value, self.k.value, self.alpha.value)
        except ValueError as err:
            self.warn(str(err))  # keep showing the last tree
            return
        self.warn("")
        self._draw()

    def _search(self, text: str, prefix: str, k: int, alpha: float) -> None:
        self.source, _, _ = source_pieces(self.translator, text)
        self.forced, self.result = continue_prefix(self.translator, text, prefix, k=k, alpha=round(alpha, 2),
                                                   tree_pruned=PRUNED)  # fmt: skip
        self.english, self.tree = text, self.result.tree
        last = max(n.step for n in self.tree)
        self._updating = True  # the new range moves the slider: draw once, at the end
        try:
            self.step.max = max(last, 1)
            self.step.value = self.step.max
        finally:
            self._updating = False
        tok = self.translator.tgt_tokenizer
        rows = "".join(
            f"<tr><td>{r + 1}</td><td>{html.escape(tok.decode(h.tokens)) or '∅'}</td><td>{h.log_prob:.2f}</td>"
            f"<td>{len(h.tokens)}</td><td>{h.score:.3f}</td><td>{'yes' if h.finished else 'cut'}</td></tr>"
            for r, h in enumerate(self.result.hypotheses[:6])
        )
        self.output.value = (
            "<table><tr><th>rank</th><th>hypothesis</th><th>log P(y|x)</th><th>pieces</th>"
            f"<th>score = log P / lp</th><th>finished</th></tr>{rows}</table>"
        )

    # -- drawing -------------------------------------------------------------------------------
    def _label(self, i: int):
        while len(self.labels) <= i:
            self.labels.append(self.ax.text(0, 0, "", fontsize=6.5, ha="left", va="center", zorder=6))
        return self.labels[i]

    def _draw(self) -> None:
        if self._updating:
            return
        t = self.step.value
        xy = self.pos = tree_layout(self.tree, t)  # {id: (step, row)}
        first = max(0, t - WINDOW + 1)
        shown = self.shown = [n for n in self.tree if n.id in xy and xy[n.id][0] >= first]
        tok = self.translator.tgt_tokenizer
        linked = [n for n in shown if n.parent >= 0 and n.step > first]
        self.edges.set_segments([[xy[n.parent], xy[n.id]] for n in linked])
        self.edges.set_color(["0.8" if n.status == "pruned" else "0.35" for n in linked])
        dots = [n for n in shown if n.status != "finished"]
        self.dots.set_offsets(np.array([xy[n.id] for n in dots], dtype=float).reshape(-1, 2))
        self.dots.set_facecolors([COLOURS[n.status] for n in dots])
        self._dot_ids = [n.id for n in dots]
        ends = [n for n in shown if n.status == "finished"]
        self.ends.set_offsets(np.array([xy[n.id] for n in ends], dtype=float).reshape(-1, 2))
        for i, n in enumerate(shown):
            label = self._label(i)
            word = "⟨bos⟩" if n.status == "root" else _piece(tok.piece(n.token))
            label.set_text(f"{word}\n{n.log_prob:.2f}")
            label.set_position((xy[n.id][0] + 0.08, xy[n.id][1]))
            label.set_color("0.6" if n.status == "pruned" else COLOURS[n.status])
            label.set_visible(True)
        for label in self.labels[len(shown) :]:
            label.set_visible(False)
        rows = max(r for s, r in xy.values() if s >= first) + 1
        self.ax.set_xlim(first - 0.3, max(t, first + 4) + 0.9)
        self.ax.set_ylim(max(rows, 4) - 0.5, -0.7)
        finished = sum(n.status == "finished" for n in shown)
        self.ax.set_title(
            f"k={self.k.value}, α={self.alpha.value:.1f}: step {t} of {self.step.max}, {finished} finished so far",
            fontsize=8,
        )
        self._node_options()

    def _node_options(self) -> None:
        """The nodes one can inspect: those kept (or forced, or the root) up to the current step, where the
        model can still write a next piece."""
        tok = self.translator.tgt_tokenizer
        limit = self.translator.model.config.get("max_len") or float("inf")  # a Transformer's last position
        nodes = [n for n in self.shown if n.status in ("root", "forced", "open", "cut") and n.step < limit]
        options = [
            (f"t={n.step}: {'⟨bos⟩' if n.status == 'root' else _piece(tok.piece(n.token))} ({n.log_prob:.2f})", n.id)
            for n in nodes
        ]
        now = [n for n in nodes if n.step == self.step.value] or nodes[-1:]
        best = max(now, key=lambda n: n.log_prob).id if now else None
        keep = self.node.value if self.node.value in [i for _, i in options] else best
        self._updating = True
        try:
            self.node.options = options
            self.node.value = keep
        finally:
            self._updating = False
        if keep is None:  # nothing kept to inspect in the window
            self.view.redraw()
        self._show_node()

    def select(self, node: int) -> None:
        """Show the next-piece distribution at ``node`` (an id of :attr:`tree` among the shown, kept nodes)."""
        ids = [i for _, i in self.node.options]
        if node not in ids:
            self.warn(f"node {node} is not one of the kept nodes shown; pick one from the list.")
            return
        self.node.value = node

    def _on_pick(self, event) -> None:
        if event.artist is self.dots and len(event.ind):
            self.select(self._dot_ids[int(event.ind[0])])

    def _show_node(self) -> None:
        if self._updating or self.node.value is None:
            return
        node = self.tree[self.node.value]
        path = path_to(self.tree, node.id)
        self.next_log_probs = next_token_log_probs(self.translator, self.english, path)  # (V,)
        p = self.next_log_probs.exp()
        top = p.topk(10)
        tok = self.translator.tgt_tokenizer
        children = {c.token: c.status for c in self.tree if c.parent == node.id}
        self.top = [(tok.piece(int(i)), float(v)) for v, i in zip(top.values, top.indices)]
        for bar, (i, v) in zip(self.bars, zip(top.indices.tolist(), top.values.tolist())):
            bar.set_width(v)
            bar.set_color(COLOURS.get(children.get(i, "pruned"), "0.75"))
        self.bar_ax.set_yticks(np.arange(10), [_piece(w) for w, _ in self.top], fontsize=7)
        self.bar_ax.set_xlim(0, max(0.05, float(top.values[0]) * 1.1))
        text = tok.decode(path) or "⟨bos⟩"
        self.bar_ax.set_title(f"after “{text[-24:]}”", fontsize=8)
        self.ring.set_data([self.pos[node.id][0]], [self.pos[node.id][1]])
        self.view.redraw()


class SamplingDemo(LiveDemo):
    """The next French piece's distribution under temperature, top-k and top-p, and seeded samples.

    Args:
        translator; text: the English sentence; prefix: the French written so far (the bars are the next
        piece's distribution after it; the samples are whole translations from the start); n_samples: how many
        translations to draw; seed: the first seed.

    The grey outline is the model's own distribution :math:`p` (:math:`T = 1`, nothing cut; over the pieces a
    decoder writes, i.e. without ``<pad>`` and ``<unk>``), the bars the distribution :math:`q` that sampling draws
    from (:func:`s2s_lab.decoding.sampling_distribution`), for the
    15 pieces the model finds most probable. ``top_k = 0`` and ``top_p = 1`` switch the cuts off.
    """

    description = "sampling with a temperature"
    SHOWN = 15

    def __init__(self, translator, text: str, prefix: str = "", n_samples: int = 5, seed: int = 0, figsize=(8, 3.2)):
        super().__init__()
        _check(translator)
        if isinstance(n_samples, bool) or not isinstance(n_samples, int) or not 1 <= n_samples <= 20:
            raise ValueError(f"expected n_samples as a whole number from 1 to 20, got {n_samples!r}.")
        self.translator, self.n_samples = translator, n_samples
        self.text = widgets.Text(value=text, description="English", continuous_update=False)
        self.text.layout.width = "26em"
        self.prefix = widgets.Text(value=prefix, description="French so far", continuous_update=False)
        self.temperature = widgets.FloatLogSlider(
            value=1.0, base=10, min=-1, max=0.5, step=0.05, description="temperature", continuous_update=False
        )
        self.top_k = widgets.IntSlider(value=0, min=0, max=50, description="top-k (0: off)", continuous_update=False)
        self.top_p = widgets.FloatSlider(
            value=1.0, min=0.05, max=1.0, step=0.05, description="top-p (1: off)", continuous_update=False
        )
        self.seed = widgets.IntText(value=seed, description="seed")
        self.output = widgets.HTML()
        self.view = FigureView(figsize=figsize)
        self.ax = self.view.fig.add_subplot(1, 1, 1)
        x = np.arange(self.SHOWN)
        self.bars = self.ax.bar(x, np.zeros(self.SHOWN), color="tab:blue", label="q: sampled from")
        self.model_bars = self.ax.bar(
            x, np.zeros(self.SHOWN), fill=False, edgecolor="0.4", linewidth=1, label="p: the model (T=1)"
        )
        self.ax.set_ylabel("probability")
        self.ax.legend(loc="upper right", fontsize=7)
        self._new_text(text, prefix)
        self._reshape()  # the title first, so that the frozen layout leaves room for it
        self.view.freeze_layout()
        self.observe(self.text, lambda c: self._new_input())
        self.observe(self.prefix, lambda c: self._new_input())
        for control in (self.temperature, self.top_k, self.top_p, self.seed):
            self.observe(control, lambda c: self._reshape())
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.text, self.prefix]),
                widgets.HBox([self.temperature, self.top_k, self.top_p]),
                widgets.HBox([self.seed]),
                self.message,
                self.view.widget,
                self.output,
            ]
        )

    def _new_input(self) -> None:
        try:
            self._new_text(self.text.value, self.prefix.value)
        except ValueError as err:
            self.warn(str(err))
            return
        self.warn("")
        self._reshape()

    def _new_text(self, text: str, prefix: str) -> None:
        _, src, src_mask = source_pieces(self.translator, text)
        ids = prefix_ids(self.translator, prefix)
        limit = self.translator.model.config.get("max_len")
        if limit is not None and len(ids) >= limit - 1:
            raise ValueError(f"the French so far has {len(ids)} pieces; this model writes at most {limit - 1}.")
        self.log_probs = forbid_special(next_token_log_probs(self.translator, text, ids)[None])[0]  # (V,)
        self.p = self.log_probs.softmax(-1)  # (V,): the model's distribution over the pieces a decoder writes
        self.src, self.src_mask, self.prefix_text = src, src_mask, prefix
        self.order = self.log_probs.topk(self.SHOWN).indices  # the model's most probable pieces, fixed order
        tok = self.translator.tgt_tokenizer
        self.ax.set_xticks(np.arange(self.SHOWN), [_piece(tok.piece(int(i))) for i in self.order], rotation=60)
        for bar, v in zip(self.model_bars, self.p[self.order].tolist()):
            bar.set_height(v)

    def settings(self) -> dict:
        """The sampling options as :func:`~s2s_lab.decoding.sample` takes them."""
        return dict(
            temperature=float(self.temperature.value),
            top_k=self.top_k.value or None,
            top_p=None if self.top_p.value >= 1 else float(self.top_p.value),
        )

    def _reshape(self) -> None:
        s = self.settings()
        self.q = sampling_distribution(self.log_probs, **s)  # (V,)
        shown = self.q[self.order]
        for bar, v in zip(self.bars, shown.tolist()):
            bar.set_height(v)
        top = max(float(shown.max()), float(self.p[self.order].max()))
        self.ax.set_ylim(0, min(1.0, top * 1.15 + 0.02))
        kept = int((self.q > 0).sum())
        self.ax.set_title(
            f"next piece after “{self.prefix_text[-30:] or '⟨bos⟩'}”: T={s['temperature']:.2f}, "
            f"{kept} pieces can be drawn, the 15 shown hold {float(shown.sum()):.0%} of q",
            fontsize=8,
        )
        self._samples()
        self.view.redraw()

    def _samples(self) -> None:
        s = self.settings()
        n = self.n_samples
        gen = torch.Generator().manual_seed(int(self.seed.value))
        src, mask = self.src.repeat(n, 1), self.src_mask.repeat(n, 1)  # (n, S)
        hyps = sample(self.translator.model, src, mask, 2 * src.shape[1] + 10, generator=gen, **s)
        tok = self.translator.tgt_tokenizer
        self.samples = [(tok.decode(h.tokens), h.log_prob) for h in hyps]
        rows = "".join(
            f"<tr><td>{i + 1}</td><td>{html.escape(t) or '∅'}</td><td>{lp:.2f}</td></tr>"
            for i, (t, lp) in enumerate(self.samples)
        )
        self.output.value = (
            f"<p>{n} samples (seed {int(self.seed.value)}), whole translations:</p>"
            f"<table><tr><th></th><th>sample</th><th>log P(y|x)</th></tr>{rows}</table>"
        )


def beam_curse_figure(rows, figsize=(7.5, 2.6)):
    """BLEU (left) and mean output length in words (right) against the beam width, one line per :math:`\alpha`:
    ``rows`` from :func:`~s2s_lab.experiments.decoding_eval.beam_curse`. The dashed line is the references'
    mean length."""
    from .base import static_figure

    fig = static_figure(figsize=figsize)
    bleu_ax, len_ax = fig.subplots(1, 2)
    for alpha in dict.fromkeys(r["alpha"] for r in rows):
        mine = [r for r in rows if r["alpha"] == alpha]
        label = f"α = {alpha:g}" + (" (no normalisation)" if alpha == 0 else "")
        bleu_ax.plot([r["k"] for r in mine], [r["bleu"].score for r in mine], "o-", label=label)
        len_ax.plot([r["k"] for r in mine], [r["words"] for r in mine], "o-", label=label)
    len_ax.axhline(rows[0]["ref_words"], color="0.5", ls="--", lw=1, label="references")
    for ax in (bleu_ax, len_ax):
        ax.set_xscale("log", base=2)
        ax.set_xticks(sorted({r["k"] for r in rows}), [str(k) for k in sorted({r["k"] for r in rows})])
        ax.set_xlabel("beam width k")
    bleu_ax.set_ylabel("BLEU (all references)")
    len_ax.set_ylabel("mean output length (words)")
    len_ax.legend(fontsize=7)
    return fig


__all__ = ["BeamTreeDemo", "SamplingDemo", "beam_curse_figure", "tree_layout", "COLOURS", "WINDOW", "PRUNED"]
