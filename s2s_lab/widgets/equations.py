"""The cells' equations with the numbers of one time step filled in, in two forms: typeset (LaTeX inside HTML,
for the live demo's ``HTMLMath``) and as plain monospaced text (for a static snapshot, which is a PNG and so
reads anywhere, GitHub included)."""

from __future__ import annotations

import numpy as np
import torch

SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def vec(values, digits: int = 2) -> str:
    """A column vector in LaTeX: ``\\begin{pmatrix} 0.12 \\\\ -0.50 \\end{pmatrix}``."""
    rows = r" \\ ".join(f"{float(v):+.{digits}f}" for v in np.asarray(values).ravel())
    return r"\begin{pmatrix}" + rows + r"\end{pmatrix}"


def sub(t: int) -> str:
    """``t`` in Unicode subscript digits: ``sub(12) == "₁₂"``."""
    return str(t).translate(SUBSCRIPT)


def table(rows: list[tuple[str, np.ndarray]], digits: int = 2) -> str:
    """Plain-text rows of numbers, one column per unit, under a header ``unit 0 1 2 ...``."""
    width = max(len(label) for label, _ in rows)
    cell = digits + 5  # sign, digit, point, digits and two spaces
    n = len(np.asarray(rows[0][1]).ravel())
    lines = [f"{'unit':<{width}s}" + "".join(f"{k:>{cell}d}" for k in range(n))]
    for label, values in rows:
        lines.append(f"{label:<{width}s}" + "".join(f"{float(v):>+{cell}.{digits}f}" for v in np.ravel(values)))
    return "\n".join(lines)


class Equation:
    """A cell's equations with the numbers of step t, for :class:`~s2s_lab.widgets.StepThrough`.

    ``equation(t, values)`` returns HTML with LaTeX (the live read-out under the plot); ``equation.text(t,
    values)`` returns the same numbers as monospaced plain text, which the demo's ``snapshot()`` draws under
    the figure. ``values`` maps each name to its vector at step t, ``name + "_prev"`` to step t - 1, and
    ``"token"`` to the character read at step t.
    """

    def __init__(self, html, text):
        self.html, self.text = html, text

    def __call__(self, t: int, values: dict) -> str:
        return self.html(t, values)


def _linear(weight: torch.Tensor, bias, x: np.ndarray) -> np.ndarray:
    out = weight.detach().numpy() @ x
    return out + bias.detach().numpy() if bias is not None else out


def rnn_equation(cell) -> Equation:
    """The equation of an :class:`~s2s_lab.RNNCell`: :math:`a_t` and :math:`h_t` with the numbers of step t."""
    phi = r"\tanh" if cell.nonlinearity == "tanh" else r"\operatorname{ReLU}"
    phi_text = "tanh" if cell.nonlinearity == "tanh" else "ReLU"

    def parts(v: dict):
        from_x = _linear(cell.weight_ih, cell.bias_ih, v["x"])  # W_ih x_t + b_ih, (H,)
        from_h = _linear(cell.weight_hh, cell.bias_hh, v["h_prev"])  # W_hh h_{t-1} + b_hh, (H,)
        return from_x, from_h

    def html(t: int, v: dict) -> str:
        from_x, from_h = parts(v)
        token = v["token"].replace(" ", "space")
        return (
            f"<b>Step t = {t}</b>, reading '{token}' (x<sub>{t}</sub> is its one-hot vector):"
            rf"$$a_{{{t}}} = \underbrace{{W_{{ih}} x_{{{t}}} + b_{{ih}}}}_{{{vec(from_x)}}}"
            rf" + \underbrace{{W_{{hh}} h_{{{t - 1}}} + b_{{hh}}}}_{{{vec(from_h)}}} = {vec(v['a'])}"
            rf"\qquad h_{{{t}}} = {phi}(a_{{{t}}}) = {vec(v['h'])}$$"
        )

    def text(t: int, v: dict) -> str:
        from_x, from_h = parts(v)
        s, p = sub(t), sub(t - 1)
        token = v["token"].replace(" ", "space")
        return (
            f"Step t = {t}, reading '{token}':   "
            f"a{s} = (W_ih x{s} + b_ih) + (W_hh h{p} + b_hh),   h{s} = {phi_text}(a{s})\n"
            + table(
                [
                    (f"W_ih x{s} + b_ih", from_x),
                    (f"W_hh h{p} + b_hh", from_h),
                    (f"a{s}  (their sum)", v["a"]),
                    (f"h{s} = {phi_text}(a{s})", v["h"]),
                ]
            )
        )

    return Equation(html, text)


def _answer(readout, h):
    """The read-out's class probabilities for ``h`` as a flat array, or None without a read-out."""
    return None if readout is None else np.asarray(readout(h)).ravel()


def _readout_line(readout, labels: str, h) -> str:
    """'If the sequence ended here, the read-out would answer: a 0.91 · b 0.03 ...' (empty without a read-out)."""
    p = _answer(readout, h)
    if p is None:
        return ""
    best = int(p.argmax())
    parts = " · ".join(
        (f"<b>{labels[k]} {v:.2f}</b>" if k == best else f"{labels[k]} {v:.2f}") for k, v in enumerate(p)
    )
    return f"<br>If the sequence ended here, the read-out of h<sub>t</sub> would answer: {parts}"


def _readout_text(readout, labels: str, h, t: int) -> str:
    p = _answer(readout, h)
    if p is None:
        return ""
    probabilities = " · ".join(f"{labels[k]} {v:.2f}" for k, v in enumerate(p))
    best = labels[int(p.argmax())]
    return f"\nIf the sequence ended here, the read-out of h{sub(t)} would answer {best} ({probabilities})"


def _step_header(t: int, v: dict) -> str:
    token = v["token"] + (" (marked)" if v["token"].isupper() else "")
    return f"<b>Step t = {t}</b>, reading '{token}'"


def _step_header_text(t: int, v: dict) -> str:
    return f"Step t = {t}, reading '{v['token']}'" + (" (marked)" if v["token"].isupper() else "")


def lstm_equation(readout=None, labels: str = "abcd") -> Equation:
    r"""The equations of an :class:`~s2s_lab.LSTMCell`: :math:`c_t` and :math:`h_t` with the numbers of step t,
    optionally followed by ``readout(h_t)`` (class probabilities, labelled by ``labels``)."""

    def html(t: int, v: dict) -> str:
        return (
            _step_header(t, v) + ":"
            rf"$$c_{{{t}}} = \underbrace{{{vec(v['f'])}}}_{{f_{{{t}}}}} \odot \underbrace{{{vec(v['c_prev'])}}}_{{c_{{{t - 1}}}}}"  # noqa: E501
            rf" + \underbrace{{{vec(v['i'])}}}_{{i_{{{t}}}}} \odot \underbrace{{{vec(v['g'])}}}_{{g_{{{t}}}}}"
            rf" = {vec(v['c'])}\qquad h_{{{t}}} = \underbrace{{{vec(v['o'])}}}_{{o_{{{t}}}}} \odot \tanh(c_{{{t}}})"
            rf" = {vec(v['h'])}$$" + _readout_line(readout, labels, v["h"])
        )

    def text(t: int, v: dict) -> str:
        s, p = sub(t), sub(t - 1)
        rows = [
            (f"f{s}  forget gate", v["f"]),
            (f"c{p}  old cell state", v["c_prev"]),
            (f"i{s}  input gate", v["i"]),
            (f"g{s}  candidate", v["g"]),
            (f"c{s}  new cell state", v["c"]),
            (f"o{s}  output gate", v["o"]),
            (f"h{s}  hidden state", v["h"]),
        ]
        return (
            f"{_step_header_text(t, v)}:   c{s} = f{s} ⊙ c{p} + i{s} ⊙ g{s},   h{s} = o{s} ⊙ tanh(c{s})\n"
            + table(rows)
            + _readout_text(readout, labels, v["h"], t)
        )

    return Equation(html, text)


def gru_equation(readout=None, labels: str = "abcd") -> Equation:
    r"""The equations of a :class:`~s2s_lab.GRUCell`: :math:`h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}` with
    the numbers of step t, optionally followed by ``readout(h_t)``."""

    def html(t: int, v: dict) -> str:
        return (
            _step_header(t, v) + f"; reset gate r<sub>{t}</sub> = "
            f"({', '.join(f'{x:.2f}' for x in v['r'])}):"
            rf"$$h_{{{t}}} = (1 - \underbrace{{{vec(v['z'])}}}_{{z_{{{t}}}}}) \odot \underbrace{{{vec(v['n'])}}}_{{n_{{{t}}}}}"  # noqa: E501
            rf" + z_{{{t}}} \odot \underbrace{{{vec(v['h_prev'])}}}_{{h_{{{t - 1}}}}} = {vec(v['h'])}$$"
            + _readout_line(readout, labels, v["h"])
        )

    def text(t: int, v: dict) -> str:
        s, p = sub(t), sub(t - 1)
        rows = [
            (f"r{s}  reset gate", v["r"]),
            (f"z{s}  update gate", v["z"]),
            (f"n{s}  candidate", v["n"]),
            (f"h{p}  old state", v["h_prev"]),
            (f"h{s}  new state", v["h"]),
        ]
        return (
            f"{_step_header_text(t, v)}:   h{s} = (1 − z{s}) ⊙ n{s} + z{s} ⊙ h{p}\n"
            + table(rows)
            + _readout_text(readout, labels, v["h"], t)
        )

    return Equation(html, text)
