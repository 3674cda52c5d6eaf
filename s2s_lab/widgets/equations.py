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


def _readout_line(readout, labels: str, h) -> str:
    """'If the sequence ended here, the read-out would answer: a 0.91 · b 0.03 ...' (empty without a read-out)."""
    if readout is None:
        return ""
    p = np.asarray(readout(h)).ravel()
    best = int(p.argmax())
    parts = " · ".join(
        (f"<b>{labels[k]} {v:.2f}</b>" if k == best else f"{labels[k]} {v:.2f}") for k, v in enumerate(p)
    )
    return f"<br>If the sequence ended here, the read-out of h<sub>t</sub> would answer: {parts}"


def _step_header(t: int, v: dict) -> str:
    token = v["token"] + (" (marked)" if v["token"].isupper() else "")
    return f"<b>Step t = {t}</b>, reading '{token}'"


def lstm_equation(readout=None, labels: str = "abcd"):
    r"""``equation(t, values)`` for :class:`~s2s_lab.LSTMCell`: :math:`c_t` and :math:`h_t` with the numbers
    of step t, optionally followed by ``readout(h_t)`` (class probabilities, labelled by ``labels``)."""

    def equation(t: int, v: dict) -> str:
        return (
            _step_header(t, v) + ":"
            rf"$$c_{{{t}}} = \underbrace{{{vec(v['f'])}}}_{{f_{{{t}}}}} \odot \underbrace{{{vec(v['c_prev'])}}}_{{c_{{{t - 1}}}}}"  # noqa: E501
            rf" + \underbrace{{{vec(v['i'])}}}_{{i_{{{t}}}}} \odot \underbrace{{{vec(v['g'])}}}_{{g_{{{t}}}}}"
            rf" = {vec(v['c'])}\qquad h_{{{t}}} = \underbrace{{{vec(v['o'])}}}_{{o_{{{t}}}}} \odot \tanh(c_{{{t}}})"
            rf" = {vec(v['h'])}$$" + _readout_line(readout, labels, v["h"])
        )

    return equation


def gru_equation(readout=None, labels: str = "abcd"):
    r"""``equation(t, values)`` for :class:`~s2s_lab.GRUCell`: :math:`h_t = (1 - z_t) \odot n_t + z_t \odot
    h_{t-1}` with the numbers of step t, optionally followed by ``readout(h_t)``."""

    def equation(t: int, v: dict) -> str:
        return (
            _step_header(t, v) + f"; reset gate r<sub>{t}</sub> = "
            f"({', '.join(f'{x:.2f}' for x in v['r'])}):"
            rf"$$h_{{{t}}} = (1 - \underbrace{{{vec(v['z'])}}}_{{z_{{{t}}}}}) \odot \underbrace{{{vec(v['n'])}}}_{{n_{{{t}}}}}"  # noqa: E501
            rf" + z_{{{t}}} \odot \underbrace{{{vec(v['h_prev'])}}}_{{h_{{{t - 1}}}}} = {vec(v['h'])}$$"
            + _readout_line(readout, labels, v["h"])
        )

    return equation
