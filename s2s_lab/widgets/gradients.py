"""Vanishing and exploding gradients, live: the spectral radius of W_hh and the nonlinearity against
the norm of dh_T/dh_t (see :mod:`s2s_lab.gradient_flow`)."""

from __future__ import annotations

import numbers

import ipywidgets as widgets
import numpy as np
import torch

from .._checks import check_int
from ..gradient_flow import jacobian_norms, rnn_with_spectral_radius
from .base import FigureView, LiveDemo


class GradientFlowDemo(LiveDemo):
    """Slide the spectral radius :math:`\\rho` of :math:`W_{hh}` and pick the nonlinearity; the plot shows
    :math:`\\lVert \\partial h_T / \\partial h_t \\rVert_2` for every t on a log scale, next to
    :math:`\\rho^{T-t}`, the norm a linear RNN with a normal :math:`W_{hh}` would have.

    Args:
        T: sequence length; hidden_size: :math:`H`; input_size: :math:`I`;
        input_scale: standard deviation of the random inputs; seed: for weights and inputs.
    """

    description = "gradient flow through time"

    def __init__(
        self,
        T: int = 50,
        hidden_size: int = 32,
        input_size: int = 4,
        input_scale: float = 0.1,
        rho: float = 1.0,
        nonlinearity: str = "tanh",
        seed: int = 0,
    ):
        super().__init__()
        for name, value in (("T", T), ("hidden_size", hidden_size), ("input_size", input_size)):
            check_int(value, name)
        if isinstance(rho, bool) or not isinstance(rho, numbers.Real) or not 0.25 <= rho <= 3.0:
            raise ValueError(f"expected rho in [0.25, 3], the slider's range, got {rho!r}.")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}.")
        self.T, self.hidden_size, self.input_size, self.seed = T, hidden_size, input_size, seed
        g = torch.Generator().manual_seed(seed)
        self.x = input_scale * torch.randn(T, input_size, generator=g)  # (T, I)
        self.rho = widgets.FloatSlider(
            value=rho, min=0.25, max=3.0, step=0.05, description="ρ (radius)", continuous_update=False
        )
        self.nonlinearity = widgets.Dropdown(options=["tanh", "relu"], value=nonlinearity, description="nonlinearity")
        self.view = FigureView(figsize=(7, 3.2))
        ax = self.ax = self.view.fig.add_subplot()
        self.t = np.arange(1, T + 1)
        (self.norm_line,) = ax.plot(self.t, np.ones(T), "o-", ms=3, label=r"$\|\partial h_T/\partial h_t\|_2$")
        (self.linear_line,) = ax.plot(self.t, np.ones(T), "--", color="gray", label=r"$\rho^{T-t}$")
        ax.set_yscale("log")
        ax.set_xlabel("time step t")
        ax.set_xlim(0.5, T + 0.5)
        ax.legend(loc="upper left")
        ax.grid(True, which="major", alpha=0.3)
        self.update()
        self.view.freeze_layout()
        self.observe(self.rho, lambda change: self.update())
        self.observe(self.nonlinearity, lambda change: self.update())
        self.widget = widgets.VBox([widgets.HBox([self.rho, self.nonlinearity]), self.message, self.view.widget])

    def compute(self) -> np.ndarray:
        """The norms for the current settings, shape ``(T,)``."""
        rnn = rnn_with_spectral_radius(
            self.input_size, self.hidden_size, self.rho.value, self.nonlinearity.value, seed=self.seed
        )
        return jacobian_norms(rnn, self.x).numpy()

    def update(self) -> None:
        norms = np.maximum(self.compute(), 1e-30)  # ReLU can make a gradient exactly 0: keep log finite
        linear = self.rho.value ** (self.T - self.t).astype(float)
        self.norm_line.set_ydata(norms)
        self.linear_line.set_ydata(linear)
        # Scale to the gradients (the dashed line may leave the plot); at least 1e-1 .. 1e1.
        self.ax.set_ylim(min(norms.min() / 10, 0.1), max(norms.max() * 10, 10.0))
        self.ax.set_title(f"{self.nonlinearity.value}, ρ = {self.rho.value:.2f}: ‖∂h_T/∂h_1‖ = {norms[0]:.1e}")
        self.norms = norms
        self.view.redraw()


def gradient_norms_figure(
    rhos=(0.5, 1.0, 1.5, 2.5),
    nonlinearities=("tanh", "relu"),
    T: int = 50,
    hidden_size: int = 32,
    input_size: int = 4,
    input_scale: float = 0.1,
    seed: int = 0,
):
    """A static figure: one panel per nonlinearity, one curve per spectral radius."""
    from .base import static_figure

    g = torch.Generator().manual_seed(seed)
    x = input_scale * torch.randn(T, input_size, generator=g)  # the same inputs as GradientFlowDemo
    fig = static_figure(figsize=(8, 3))
    axes = fig.subplots(1, len(nonlinearities), sharey=True)
    for ax, nl in zip(np.atleast_1d(axes), nonlinearities):
        for rho in rhos:
            rnn = rnn_with_spectral_radius(input_size, hidden_size, rho, nl, seed=seed)
            ax.semilogy(np.arange(1, T + 1), np.maximum(jacobian_norms(rnn, x).numpy(), 1e-30), label=f"ρ = {rho}")
        ax.set_title(nl)
        ax.set_xlabel("time step t")
        ax.grid(True, alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel(r"$\|\partial h_T/\partial h_t\|_2$")
    np.atleast_1d(axes)[-1].legend(fontsize=7)
    return fig
