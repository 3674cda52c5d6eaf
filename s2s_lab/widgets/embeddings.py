"""A live demo for notebook 01b: an embedding table taking shape while the training loop runs (its rows drawn
on the table's final principal axes, :func:`s2s_lab.embeddings.principal_axes`), beside the loss curve."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import torch

from ..embeddings import principal_axes
from .base import FigureView, LiveDemo, play_controls


class EmbeddingTrajectory(LiveDemo):
    """Step through the updates of a training run: left, every token's embedding at update ``k``; right, the loss
    of every update with update ``k`` marked.

    The rows are projected on the two principal axes of the *final* table, the same axes at every update, so
    that what moves on the screen is what training moved.

    Args:
        tables: the embedding table before the first update and after each update, ``N + 1`` tensors ``(V, E)``.
        losses: the loss of each of the ``N`` updates.
        labels: one short label per token (``V`` of them), e.g. ``"0123456789"``.
    """

    description = "an embedding table during training"

    def __init__(self, tables, losses, labels):
        super().__init__()
        if not isinstance(tables, (list, tuple)) or len(tables) < 2:
            raise ValueError("expected tables as a list of at least two (V, E) tensors: before and after updates.")
        if len(losses) != len(tables) - 1:
            raise ValueError(
                f"expected one loss per update, len(tables) - 1 = {len(tables) - 1}, got {len(losses)} losses."
            )
        shapes = {tuple(t.shape) for t in tables}
        if len(shapes) != 1 or len(next(iter(shapes))) != 2:
            raise ValueError(f"expected every table with the same shape (V, E), got shapes {sorted(shapes)}.")
        V = tables[0].shape[0]
        if len(labels) != V:
            raise ValueError(f"expected one label per token, V = {V}, got {len(labels)}.")
        stack = torch.stack([t.detach().float() for t in tables])  # (N+1, V, E)
        mean, axes, self.explained = principal_axes(stack[-1], 2)
        self.coords = ((stack - mean) @ axes.T).numpy()  # (N+1, V, 2)
        self.losses, self.labels = np.asarray(losses, dtype=float), list(labels)
        N = len(self.losses)

        self.play, self.slider = play_controls(N, description="update k", interval_ms=80)
        self.slider.min = self.play.min = 0
        self.slider.value = self.play.value = 0
        self.view = FigureView(figsize=(8, 3.2))
        ax, self.loss_ax = self.view.fig.subplots(1, 2, width_ratios=(1, 1.2))
        self.ax = ax
        colours = [(0.1 + 0.8 * v / max(V - 1, 1), 0.3, 0.9 - 0.8 * v / max(V - 1, 1)) for v in range(V)]
        self.points = ax.scatter(*self.coords[0].T, c=colours, s=30)
        self.texts = [
            ax.annotate(lab, xy, xytext=(4, 4), textcoords="offset points") for lab, xy in zip(labels, self.coords[0])
        ]
        low, high = self.coords.reshape(-1, 2).min(0), self.coords.reshape(-1, 2).max(0)
        centre, half = (low + high) / 2, 0.6 * (high - low).max()  # one scale on both axes: true distances
        ax.set_xlim(centre[0] - half, centre[0] + half)
        ax.set_ylim(centre[1] - half, centre[1] + half)
        ax.set_aspect("equal", adjustable="box")
        ax.set_xlabel(f"final PC1 ({self.explained[0]:.0%} of the final variance)")
        ax.set_ylabel(f"final PC2 ({self.explained[1]:.0%})")
        ax.grid(True, alpha=0.3)
        self.loss_ax.plot(np.arange(1, N + 1), self.losses, lw=0.8, color="tab:gray")
        self.marker = self.loss_ax.axvline(0, color="tab:red", lw=1)
        self.loss_ax.set_xlabel("update")
        self.loss_ax.set_ylabel("training loss of the batch")
        self.loss_ax.set_xlim(0, N + 1)
        self.loss_ax.grid(True, alpha=0.3)
        self.update()
        self.view.freeze_layout()
        self.observe(self.slider, lambda change: self.update())
        self.widget = widgets.VBox([widgets.HBox([self.play, self.slider]), self.message, self.view.widget])

    def update(self) -> None:
        k = self.slider.value
        xy = self.coords[k]  # (V, 2)
        self.points.set_offsets(xy)
        for text, pos in zip(self.texts, xy):
            text.xy = pos
        self.marker.set_xdata([k, k])
        loss = f", loss {self.losses[k - 1]:.3f}" if k else ""
        self.ax.set_title(
            f"the table after update {k} of {len(self.losses)}{loss}" if k else "the table before training"
        )
        self.view.redraw()


__all__ = ["EmbeddingTrajectory"]
