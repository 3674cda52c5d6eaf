r"""Variants of the LSTM and GRU formulas: one that is also a GRU, and two that are printed wrongly.

* :func:`gru_step_paper` / :class:`GRUPaperCell`: the GRU as Cho et al. (2014) wrote it, with the reset
  gate applied *before* the matrix product,

  .. math:: n_t = \tanh(W_{in} x_t + b_{in} + W_{hn} (r_t \odot h_{t-1}) + b_{hn}),

  where PyTorch (and :class:`s2s_lab.GRUCell`) uses :math:`r_t \odot (W_{hn} h_{t-1} + b_{hn})`. Same
  parameters, different numbers, both trainable GRUs.

* :func:`lstm_gates_shared_weight`: the mistake :math:`i_t = \sigma(W_i x_t + W_i h_{t-1} + b_i)` (one
  matrix for both the input and the previous hidden state). It needs :math:`I = H`, and then the gates see
  only the sum :math:`x_t + h_{t-1}`: what the cell reads and what it remembers become interchangeable.

* :func:`lstm_step_circular_output`: the mistake :math:`o_t = \sigma(W_{io} x_t + b_{io} + W_{ho} h_t
  + b_{ho})` together with :math:`h_t = o_t \odot \tanh(c_t)`, which is an equation for :math:`h_t`, not a
  recipe. Solving it by fixed-point iteration from :math:`h_{t-1}` gives the real LSTM after one iteration
  and something else after more.

* :func:`gru_step_with_cell_state` / :class:`GRUWithCellStateCell`: the mistake of pasting the LSTM's parts
  into a GRU: an update gate :math:`u_t` that writes a separate cell state
  :math:`c_t = u_t \odot n_t + (1 - u_t) \odot c_{t-1}`, shown through an output gate,
  :math:`h_t = o_t \odot \tanh(c_t)`. That is a fourth block of weights and a second state: an LSTM with
  coupled input and forget gates (Greff et al., 2017, *LSTM: A Search Space Odyssey*), not a GRU.

The correct LSTM is :func:`s2s_lab.cells.lstm_step`; the correct PyTorch-style GRU is
:func:`s2s_lab.cells.gru_step`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from ._checks import shape_str
from .cells import GRUCell, LSTMCell
from .layers import GRU


def gru_step_paper(gi: Tensor, h: Tensor, weight_hh: Tensor, bias_hh: Tensor | None):
    """One GRU step with the reset gate before :math:`W_{hn}` (Cho et al., 2014, eq. 5-8).

    ``gi`` ``(B, 3H)`` is :math:`W_{ih} x_t + b_{ih}`, ``h`` ``(B, H)`` is :math:`h_{t-1}`; gate order r, z, n.
    Returns ``(h_t, {"r", "z", "n", "h"})``.
    """
    H = h.shape[-1]
    w_r, w_z, w_n = weight_hh.split(H, dim=0)  # each (H, H)
    b_r, b_z, b_n = bias_hh.split(H) if bias_hh is not None else (None, None, None)
    i_r, i_z, i_n = gi.chunk(3, dim=-1)  # each (B, H)
    r = torch.sigmoid(i_r + F.linear(h, w_r, b_r))
    z = torch.sigmoid(i_z + F.linear(h, w_z, b_z))
    n = torch.tanh(i_n + F.linear(r * h, w_n, b_n))  # r multiplies h_{t-1} before W_hn
    h = (1 - z) * n + z * h
    return h, {"r": r, "z": z, "n": n, "h": h}


class GRUPaperCell(GRUCell):
    r"""A GRU cell in the paper's formulation (Cho et al., 2014): the reset gate acts before :math:`W_{hn}`.

    .. math::
        \begin{aligned}
        r_t &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\
        z_t &= \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
        n_t &= \tanh(W_{in} x_t + b_{in} + W_{hn} (r_t \odot h_{t-1}) + b_{hn}) \\
        h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}
        \end{aligned}

    Parameters, shapes, inputs and outputs exactly as :class:`s2s_lab.GRUCell`, so the same
    ``state_dict`` loads into both; only :math:`n_t` differs.
    """

    step = staticmethod(gru_step_paper)


class GRUPaper(GRU):
    """A multi-layer GRU layer with :func:`gru_step_paper` at every step; otherwise exactly :class:`s2s_lab.GRU`."""

    step = staticmethod(gru_step_paper)


def lstm_gates_shared_weight(x: Tensor, h: Tensor, weight: Tensor, bias: Tensor | None = None) -> dict[str, Tensor]:
    r"""The WRONG gates :math:`\sigma(W x_t + W h_{t-1} + b)`: one matrix ``weight`` ``(4H, I)`` for both.

    ``x`` ``(B, I)``, ``h`` ``(B, H)``. Raises ``ValueError`` when :math:`I \ne H`, because then
    :math:`W h_{t-1}` is not even defined. Returns ``{"i", "f", "g", "o"}``, each ``(B, H)``.
    """
    if x.shape[-1] != h.shape[-1]:
        raise ValueError(
            f"one matrix for x_t and h_{{t-1}} needs I = H, got x_t of shape {shape_str(x.shape)} and "
            f"h_{{t-1}} of shape {shape_str(h.shape)}; the real LSTM has separate W_ih (4H, I) and W_hh (4H, H)."
        )
    gates = F.linear(x, weight, bias) + F.linear(h, weight)  # (B, 4H) = W (x_t + h_{t-1}) + b
    i, f, g, o = gates.chunk(4, dim=-1)
    return {"i": torch.sigmoid(i), "f": torch.sigmoid(f), "g": torch.tanh(g), "o": torch.sigmoid(o)}


def lstm_step_circular_output(
    gi: Tensor, h: Tensor, c: Tensor, weight_hh: Tensor, bias_hh: Tensor | None, iterations: int = 1
):
    r"""Take the WRONG :math:`o_t = \sigma(\dots + W_{ho} h_t + b_{ho})` literally and solve for :math:`h_t`.

    :math:`i_t, f_t, g_t, c_t` are the real LSTM's. Then, starting from :math:`h^{(0)} = h_{t-1}`,
    repeat ``iterations`` times :math:`o^{(k)} = \sigma(W_{io} x_t + b_{io} + W_{ho} h^{(k-1)} + b_{ho})`,
    :math:`h^{(k)} = o^{(k)} \odot \tanh(c_t)`. With ``iterations=1`` this *is* the real LSTM step (the
    code everyone writes uses :math:`h_{t-1}`); more iterations give a different model.

    ``gi`` ``(B, 4H)``, ``h`` and ``c`` ``(B, H)``. Returns ``(h_t, c_t, {"o": o_t})``.
    """
    if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 1:
        raise ValueError(f"expected iterations >= 1 (an int), got {iterations!r}.")
    H = h.shape[-1]
    gates = gi + F.linear(h, weight_hh, bias_hh)  # (B, 4H)
    i, f, g, _ = gates.chunk(4, dim=-1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)  # (B, H)
    w_ho = weight_hh[3 * H :]  # (H, H)
    b_ho = bias_hh[3 * H :] if bias_hh is not None else None
    for _ in range(iterations):
        o = torch.sigmoid(gi[..., 3 * H :] + F.linear(h, w_ho, b_ho))  # uses the newest guess for h_t
        h = o * torch.tanh(c)
    return h, c, {"o": o}


def gru_step_with_cell_state(gi: Tensor, h: Tensor, c: Tensor, weight_hh: Tensor, bias_hh: Tensor | None):
    r"""The WRONG GRU with the LSTM's parts pasted in: a cell state and an output gate.

    .. math::
        \begin{aligned}
        r_t &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\
        u_t &= \sigma(W_{iu} x_t + b_{iu} + W_{hu} h_{t-1} + b_{hu}) \\
        n_t &= \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})) \\
        c_t &= u_t \odot n_t + (1 - u_t) \odot c_{t-1} \\
        o_t &= \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}) \\
        h_t &= o_t \odot \tanh(c_t)
        \end{aligned}

    ``gi`` ``(B, 4H)`` is :math:`W_{ih} x_t + b_{ih}` in the order r, u, n, o; ``h``, ``c`` ``(B, H)``.
    Returns ``(h_t, c_t, {"r", "u", "n", "c", "o", "h"})``. The real GRU
    (:func:`s2s_lab.cells.gru_step`) has no :math:`c_t` and no :math:`o_t`: :math:`h_t` itself is the memory.
    """
    gates = gi + F.linear(h, weight_hh, bias_hh)  # (B, 4H); only the n block differs below
    H = h.shape[-1]
    r, u, _, o = torch.sigmoid(gates).chunk(4, dim=-1)  # each (B, H)
    h_n = F.linear(h, weight_hh[2 * H : 3 * H], bias_hh[2 * H : 3 * H] if bias_hh is not None else None)
    n = torch.tanh(gi[..., 2 * H : 3 * H] + r * h_n)  # (B, H), as in the GRU
    c = u * n + (1 - u) * c  # the LSTM's cell state, written by the update gate
    h = o * torch.tanh(c)  # the LSTM's output gate
    return h, c, {"r": r, "u": u, "n": n, "c": c, "o": o, "h": h}


class GRUWithCellStateCell(LSTMCell):
    """The WRONG GRU of :func:`gru_step_with_cell_state` as a cell: inputs, outputs and the pair state
    ``(h, c)`` like :class:`s2s_lab.LSTMCell` (four blocks of weights, order r, u, n, o), which it is,
    up to the coupled gates and the reset gate.
    """

    step = staticmethod(gru_step_with_cell_state)

    @classmethod
    def from_gru(cls, gru: torch.nn.Module, open_output: float = 10.0) -> GRUWithCellStateCell:
        r"""The wrong cell with a real GRU's weights (a ``torch.nn.GRU``/``GRUCell`` or ours, one layer):
        its :math:`r` and :math:`n` blocks, :math:`u_t = 1 - z_t` (the weights of :math:`z` negated, since
        :math:`\sigma(-a) = 1 - \sigma(a)`), and the output gate held open, :math:`o_t = \sigma(`
        ``open_output`` :math:`) \approx 1`. Whatever remains different is the pasted structure."""
        p = {k.removesuffix("_l0"): v.detach() for k, v in gru.state_dict().items()}
        H = p["weight_hh"].shape[1]
        cell = cls(p["weight_ih"].shape[1], H)
        sign = torch.ones(3 * H, 1)
        sign[H : 2 * H] = -1.0  # z -> u = 1 - z
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                stacked = p[name] * (sign if p[name].dim() == 2 else sign[:, 0])
                o_block = torch.zeros_like(stacked[:H])
                if name == "bias_ih":
                    o_block += open_output
                getattr(cell, name).copy_(torch.cat([stacked, o_block]))
        return cell


__all__ = [
    "gru_step_paper",
    "GRUPaperCell",
    "GRUPaper",
    "lstm_gates_shared_weight",
    "lstm_step_circular_output",
    "gru_step_with_cell_state",
    "GRUWithCellStateCell",
]
