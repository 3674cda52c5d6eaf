r"""Backpropagation through time, one step at a time: the gradient :math:`\delta h_t` of a small vanilla RNN
flowing from :math:`t = T` back to :math:`t = 1`, with the numbers of each step filled into the equations of
:func:`s2s_lab.bptt.rnn_bptt` (notebook 03b)."""

from __future__ import annotations

import numbers

import ipywidgets as widgets
import numpy as np
import torch

from .._checks import check_int
from ..bptt import rnn_bptt
from ..gradient_flow import demo_inputs, rnn_with_spectral_radius
from .base import FigureView, LiveDemo
from .gradients import log_grid

LOSSES = ("every step", "last step only")


def row(values, digits: int = 2) -> str:
    """A row vector in LaTeX: ``\\begin{pmatrix} +0.12 & -0.50 \\end{pmatrix}`` (rows are batch items, as in
    the code)."""
    return (
        r"\begin{pmatrix}"
        + " & ".join(f"{float(v):+.{digits}f}" for v in np.asarray(values).ravel())
        + r"\end{pmatrix}"
    )


def matrix(values, digits: int = 2) -> str:
    """A matrix in LaTeX, one row of ``values`` per line."""
    rows = [" & ".join(f"{float(v):+.{digits}f}" for v in r) for r in np.atleast_2d(np.asarray(values))]
    return r"\begin{pmatrix}" + r" \\ ".join(rows) + r"\end{pmatrix}"


class BPTTDemo(LiveDemo):
    r"""Step backward through time. A one-layer tanh RNN (:func:`~s2s_lab.gradient_flow.rnn_with_spectral_radius`:
    :math:`W_{hh}` with spectral radius :math:`\rho`, zero biases) reads ``T`` random inputs; the loss is
    :math:`L = \tfrac12 \sum_t \lVert h_t - y_t \rVert^2` over every step, or over the last step only, for fixed
    random targets :math:`y_t`. The slider picks the step :math:`t` of the backward pass (it starts at
    :math:`t = T`; Play walks from :math:`T` down to 1). Shown: the equations of step :math:`t` with its numbers
    (:math:`\delta h_t`, :math:`\delta a_t`, :math:`\delta h_{t-1}` and this step's share of
    :math:`\delta W_{hh}`), :math:`\lVert \delta h_k \rVert` for every :math:`k` (the steps already done,
    :math:`k \ge t`, in colour) and every step's share of :math:`\delta W_{hh}`.

    Args:
        T: sequence length; input_size: :math:`I`; hidden_size: :math:`H` (at most 6: the numbers are shown);
        rho: the spectral radius of :math:`W_{hh}` (0.25 to 3, the slider's range);
        loss: ``"every step"`` or ``"last step only"``; seed: for the weights, inputs and targets.
    """

    description = "backprop through time"

    def __init__(
        self,
        T: int = 12,
        input_size: int = 3,
        hidden_size: int = 4,
        rho: float = 1.0,
        loss: str = "every step",
        seed: int = 0,
        figsize=(9, 3.2),
    ):
        super().__init__()
        for name, value in (("T", T), ("input_size", input_size), ("hidden_size", hidden_size)):
            check_int(value, name)
        if hidden_size > 6:
            raise ValueError(f"expected hidden_size at most 6 (every number is shown), got {hidden_size}.")
        if isinstance(rho, bool) or not isinstance(rho, numbers.Real) or not 0.25 <= rho <= 3.0:
            raise ValueError(f"expected rho in [0.25, 3], the slider's range, got {rho!r}.")
        if loss not in LOSSES:
            raise ValueError(f"expected loss 'every step' or 'last step only', got {loss!r}.")
        self.T, self.input_size, self.hidden_size, self.seed = T, input_size, hidden_size, seed
        self.x = demo_inputs(T, input_size, input_scale=1.0, seed=seed).double()  # (T, I)
        gen = torch.Generator().manual_seed(seed + 1)
        self.y = 0.5 * torch.randn(T, hidden_size, generator=gen, dtype=torch.float64)  # (T, H) targets y_t

        # -- controls ----------------------------------------------------------------------
        self.slider = widgets.IntSlider(value=T, min=1, max=T, step=1, description="step t", continuous_update=True)
        self.play = widgets.Play(value=1, min=1, max=T, step=1, interval=700, description="Play backward")
        self.rho = widgets.FloatSlider(
            value=rho, min=0.25, max=3.0, step=0.05, description="ρ (radius)", continuous_update=False
        )
        self.loss = widgets.Dropdown(options=list(LOSSES), value=loss, description="loss at")
        self.equation_view = widgets.HTMLMath(value="")

        # -- figure, drawn once -------------------------------------------------------------
        self.view = FigureView(figsize=figsize)
        self.ax_norm, self.ax_share = self.view.fig.subplots(1, 2)
        steps = np.arange(1, T + 1)
        ax = self.ax_norm
        (self.all_line,) = ax.plot(steps, np.ones(T), "o-", color="lightgray", ms=3, label="not reached yet")
        (self.done_line,) = ax.plot(steps, np.ones(T), "o-", color="tab:blue", ms=4, label=r"done: $k \geq t$")
        (self.current,) = ax.plot([T], [1.0], "o", color="tab:red", ms=8, label="step t")
        ax.set_yscale("log")
        ax.set_xlim(0.5, T + 0.5)
        ax.set_xlabel("time step k")
        ax.legend(loc="lower right", fontsize=7)
        ax.grid(True, which="major", alpha=0.3)
        self.share_bars = self.ax_share.bar(steps, np.zeros(T), color="lightgray")
        self.ax_share.set_xlim(0.5, T + 0.5)
        self.ax_share.set_xlabel("time step k")
        self.ax_share.set_ylabel(r"$\|\delta a_k^\top h_{k-1}\|_F$")
        self._compute()
        self._new_curves()
        self._show_step(T)
        self.view.freeze_layout()

        self.observe(self.slider, lambda change: self._show_step(change["new"]))
        self.observe(self.play, lambda change: setattr(self.slider, "value", self.T + 1 - change["new"]))
        self.observe(self.rho, lambda change: self._recompute())
        self.observe(self.loss, lambda change: self._recompute())
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.play, self.slider]),
                widgets.HBox([self.rho, self.loss]),
                self.message,
                self.view.widget,
                self.equation_view,
            ]
        )

    # -- math ----------------------------------------------------------------------------------
    def _compute(self) -> None:
        """Forward, the loss's :math:`\\delta h_t^{out} = h_t - y_t` (zero where the loss does not look), then
        :func:`~s2s_lab.bptt.rnn_bptt`; keeps every step's numbers (batch of one)."""
        rnn = rnn_with_spectral_radius(self.input_size, self.hidden_size, self.rho.value, seed=self.seed).double()
        self.params = {
            name: getattr(rnn, f"{name}_l0").detach() for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        }
        p, x = self.params, self.x.unsqueeze(1)  # x: (T, 1, I)
        h0 = x.new_zeros(1, self.hidden_size)
        args = (x, h0, p["weight_ih"], p["weight_hh"], p["bias_ih"], p["bias_hh"])
        h = rnn_bptt(*args, torch.zeros(self.T, 1, self.hidden_size, dtype=torch.float64))["h"]  # forward only
        dh_out = h - self.y.unsqueeze(1)  # (T, 1, H) dL/dh_t for the loss at every step
        if self.loss.value == "last step only":
            dh_out[:-1] = 0
        r = rnn_bptt(*args, dh_out)
        self.result = r
        self.loss_value = 0.5 * float((dh_out**2).sum())
        h_prev = torch.cat([h0.unsqueeze(0), r["h"][:-1]])  # (T, 1, H)
        self.values = {  # name -> (T, H) or (T, H, H), numpy, step t at index t - 1
            "h": r["h"][:, 0].numpy(),
            "h_prev": h_prev[:, 0].numpy(),
            "dh_out": dh_out[:, 0].numpy(),
            "dh": r["dh"][:, 0].numpy(),
            "from_next": (r["dh"] - dh_out)[:, 0].numpy(),  # delta a_{t+1} W_hh
            "dphi": (1 - r["h"] ** 2)[:, 0].numpy(),
            "da": r["da"][:, 0].numpy(),
            "dh_prev": (r["da"][:, 0] @ p["weight_hh"]).numpy(),  # delta h_{t-1} = delta a_t W_hh
            "share": torch.einsum("tbi,tbj->tij", r["da"], h_prev).numpy(),  # (T, H, H) delta a_t^T h_{t-1}
        }
        self.dh_norms = np.linalg.norm(self.values["dh"], axis=1)  # (T,)
        self.share_norms = np.linalg.norm(self.values["share"], axis=(1, 2))  # (T,)

    def gradients(self) -> dict[str, torch.Tensor]:
        """The sums over time: ``dW_ih`` ``(H, I)``, ``dW_hh`` ``(H, H)``, ``db`` ``(H,)``, and ``dh0`` ``(1, H)``."""
        return {k: self.result[k] for k in ("dW_ih", "dW_hh", "db", "dh0")}

    # -- callbacks -----------------------------------------------------------------------------
    def _new_curves(self) -> None:
        norms = np.maximum(self.dh_norms, 1e-30)  # a gradient may be exactly 0: keep the log scale finite
        self.all_line.set_ydata(norms)
        low, high = min(norms.min() / 3, 0.1), max(norms.max() * 3, 1.0)
        self.ax_norm.set_ylim(low, high)
        factor = log_grid(self.ax_norm, low, high)
        self.ax_norm.set_ylabel(r"$\|\delta h_k\|$" + f"  (×{factor} per grid line)")
        for rect, v in zip(self.share_bars, self.share_norms):
            rect.set_height(float(v))
        self.ax_share.set_ylim(0, max(float(self.share_norms.max()) * 1.15, 1e-12))

    def _show_step(self, t: int) -> None:
        t = min(max(int(t), 1), self.T)
        self.t = t
        k = np.arange(t, self.T + 1)
        self.done_line.set_data(k, np.maximum(self.dh_norms[t - 1 :], 1e-30))
        self.current.set_data([t], [max(self.dh_norms[t - 1], 1e-30)])
        self.ax_norm.set_title(f"t = {t}: ‖δh_{t}‖ = {self.dh_norms[t - 1]:.2e}")
        for j, rect in enumerate(self.share_bars, start=1):
            rect.set_color("tab:blue" if j > t else "tab:red" if j == t else "lightgray")
        so_far = np.linalg.norm(self.values["share"][t - 1 :].sum(0))
        self.ax_share.set_title(f"shares of δW_hh; their sum over k ≥ {t} has ‖·‖ = {so_far:.2f}", fontsize=8)
        self.equation_view.value = self.equation(t)
        self.view.redraw()

    def _recompute(self) -> None:
        self._compute()
        self._new_curves()
        self._show_step(self.slider.value)

    # -- read-out ------------------------------------------------------------------------------
    def equation(self, t: int) -> str:
        """The equations of backward step ``t`` with its numbers (LaTeX, for ``HTMLMath``)."""
        v = {name: data[t - 1] for name, data in self.values.items()}
        looks = self.loss.value == "every step" or t == self.T  # does the loss look at h_t?
        out = rf"\delta h_{{{t}}}^{{\text{{out}}}} = " + (rf"h_{{{t}}} - y_{{{t}}}" if looks else "0")
        nxt = rf"\underbrace{{{row(v['from_next'])}}}_{{\delta a_{{{t + 1}}} W_{{hh}}}}" if t < self.T else "0"
        return (
            f"<b>Backward step t = {t}</b> of {self.T} (loss at {self.loss.value}, L = {self.loss_value:.3f}):"
            rf"$$\delta h_{{{t}}} = \underbrace{{{row(v['dh_out'])}}}_{{{out}}}"
            rf" + {nxt} = {row(v['dh'])}$$"
            rf"$$\delta a_{{{t}}} = \delta h_{{{t}}} \odot \underbrace{{{row(v['dphi'])}}}_{{1 - h_{{{t}}}^2}}"
            rf" = {row(v['da'])} \qquad \delta h_{{{t - 1}}} = \delta a_{{{t}}} W_{{hh}} = {row(v['dh_prev'])}$$"
            rf"$$\delta W_{{hh}} \mathrel{{+}}= \delta a_{{{t}}}^\top"
            rf" \underbrace{{{row(v['h_prev'])}}}_{{h_{{{t - 1}}}}}"
            rf" = {matrix(v['share'])}$$"
        )

    def readout(self) -> str:
        """The current step's numbers as plain text (for the static snapshot)."""
        t, v = self.t, {name: data[self.t - 1] for name, data in self.values.items()}

        def fmt(a):
            return "(" + ", ".join(f"{float(x):+.2f}" for x in np.asarray(a).ravel()) + ")"

        lines = [
            f"backward step t = {t} of {self.T}, loss at {self.loss.value}, rho = {self.rho.value:.2f}",
            f"  dh_out (from the loss at step t)  = {fmt(v['dh_out'])}",
            f"  + da_(t+1) W_hh (from step t+1)   = {fmt(v['from_next'])}",
            f"  = dh_t                            = {fmt(v['dh'])}",
            f"  da_t = dh_t * (1 - h_t^2)         = {fmt(v['da'])}",
            f"  dh_(t-1) = da_t W_hh              = {fmt(v['dh_prev'])}",
            f"  |this step's share of dW_hh|      = {self.share_norms[t - 1]:.3f}",
        ]
        return "\n".join(lines)


__all__ = ["BPTTDemo", "row", "matrix"]
