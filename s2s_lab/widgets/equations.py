"""The cells' equations typeset with the numbers of one time step filled in (for ``HTMLMath``)."""

from __future__ import annotations

import numpy as np
import torch


def vec(values, digits: int = 2) -> str:
    """A column vector in LaTeX: ``\\begin{pmatrix} 0.12 \\\\ -0.50 \\end{pmatrix}``."""
    rows = r" \\ ".join(f"{float(v):+.{digits}f}" for v in np.asarray(values).ravel())
    return r"\begin{pmatrix}" + rows + r"\end{pmatrix}"


def _linear(weight: torch.Tensor, bias, x: np.ndarray) -> np.ndarray:
    out = weight.detach().numpy() @ x
    return out + bias.detach().numpy() if bias is not None else out


def rnn_equation(cell):
    """``equation(t, values)`` for :class:`~s2s_lab.RNNCell`: :math:`a_t` and :math:`h_t` with numbers."""
    phi = r"\tanh" if cell.nonlinearity == "tanh" else r"\operatorname{ReLU}"

    def equation(t: int, v: dict) -> str:
        from_x = _linear(cell.weight_ih, cell.bias_ih, v["x"])  # W_ih x_t + b_ih, (H,)
        from_h = _linear(cell.weight_hh, cell.bias_hh, v["h_prev"])  # W_hh h_{t-1} + b_hh, (H,)
        token = v["token"].replace(" ", "space")
        return (
            f"<b>Step t = {t}</b>, reading '{token}' (x<sub>{t}</sub> is its one-hot vector):"
            rf"$$a_{{{t}}} = \underbrace{{W_{{ih}} x_{{{t}}} + b_{{ih}}}}_{{{vec(from_x)}}}"
            rf" + \underbrace{{W_{{hh}} h_{{{t - 1}}} + b_{{hh}}}}_{{{vec(from_h)}}} = {vec(v['a'])}"
            rf"\qquad h_{{{t}}} = {phi}(a_{{{t}}}) = {vec(v['h'])}$$"
        )

    return equation
