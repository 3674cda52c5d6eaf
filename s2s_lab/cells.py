r"""Recurrent cells written from their equations: vanilla RNN, LSTM, GRU.

Each cell computes one time step with plain tensor operations (matrix products, sigmoid, tanh); none of
them calls PyTorch's recurrent kernels. Parameter names, shapes and gate order are PyTorch's, so
``cell.load_state_dict(torch.nn.LSTMCell(...).state_dict())`` works and both give the same numbers.

Every cell can also *trace* a sequence: :meth:`trace` returns every named quantity of the formula at
every time step (RNN: ``a``, ``h``; LSTM: ``i``, ``f``, ``g``, ``o``, ``c``, ``h``; GRU: ``r``, ``z``,
``n``, ``h``). The widgets plot these.

The one-step functions :func:`rnn_step`, :func:`lstm_step` and :func:`gru_step` take the input
projection :math:`W_{ih} x_t + b_{ih}` already computed, because a layer computes it for all time steps
in one matrix product before the loop over time (the recurrent part cannot be batched over time).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._checks import check_bool, check_cell_input, check_float, check_int, check_state, shape_str

# Names of the quantities each cell records at every step, in the order of its equations.
TRACE_NAMES = {
    "RNN": ("a", "h"),
    "LSTM": ("i", "f", "g", "o", "c", "h"),
    "GRU": ("r", "z", "n", "h"),
}


# ----------------------------------------------------------------------------------------------
# One time step, given the input projection gi = W_ih x_t + b_ih.  Shapes: gi (B, k*H), h (B, H).
# ----------------------------------------------------------------------------------------------
def rnn_step(gi: Tensor, h: Tensor, weight_hh: Tensor, bias_hh: Tensor | None, nonlinearity: str):
    r"""One Elman RNN step (Elman, 1990): :math:`a_t = W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}`,
    :math:`h_t = \tanh(a_t)` (or ReLU). ``gi`` ``(B, H)`` is :math:`W_{ih} x_t + b_{ih}`, ``h`` ``(B, H)`` is
    :math:`h_{t-1}`, ``weight_hh`` ``(H, H)``. Returns ``(h_t, {"a": a_t, "h": h_t})``, each ``(B, H)``."""
    a = gi + F.linear(h, weight_hh, bias_hh)  # (B, H) pre-activation
    h = torch.tanh(a) if nonlinearity == "tanh" else torch.relu(a)
    return h, {"a": a, "h": h}


def lstm_step(gi: Tensor, h: Tensor, c: Tensor, weight_hh: Tensor, bias_hh: Tensor | None):
    r"""One LSTM step (Hochreiter & Schmidhuber, 1997; forget gate: Gers et al., 2000), the equations of
    :class:`LSTMCell`. ``gi`` ``(B, 4H)`` is :math:`W_{ih} x_t + b_{ih}` (gate order i, f, g, o), ``h`` and
    ``c`` ``(B, H)`` are :math:`h_{t-1}, c_{t-1}`, ``weight_hh`` ``(4H, H)``.
    Returns ``(h_t, c_t, {"i", "f", "g", "o", "c", "h"})``, each ``(B, H)``."""
    gates = gi + F.linear(h, weight_hh, bias_hh)  # (B, 4H), gate order i, f, g, o
    i, f, g, o = gates.chunk(4, dim=-1)
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    c = f * c + i * g  # (B, H)
    h = o * torch.tanh(c)  # (B, H)
    return h, c, {"i": i, "f": f, "g": g, "o": o, "c": c, "h": h}


def gru_step(gi: Tensor, h: Tensor, weight_hh: Tensor, bias_hh: Tensor | None):
    r"""One GRU step (Cho et al., 2014) in PyTorch's form, the equations of :class:`GRUCell`. ``gi`` ``(B, 3H)``
    is :math:`W_{ih} x_t + b_{ih}` (gate order r, z, n), ``h`` ``(B, H)`` is :math:`h_{t-1}`, ``weight_hh``
    ``(3H, H)``. Returns ``(h_t, {"r", "z", "n", "h"})``, each ``(B, H)``."""
    gh = F.linear(h, weight_hh, bias_hh)  # (B, 3H), gate order r, z, n
    i_r, i_z, i_n = gi.chunk(3, dim=-1)
    h_r, h_z, h_n = gh.chunk(3, dim=-1)
    r = torch.sigmoid(i_r + h_r)
    z = torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + r * h_n)  # r multiplies (W_hn h + b_hn), as in PyTorch
    h = (1 - z) * n + z * h
    return h, {"r": r, "z": z, "n": n, "h": h}


def stack_steps(steps: list[dict[str, Tensor]]) -> dict[str, Tensor]:
    """Turn a list of per-step dicts into one dict of tensors with time first: ``(T, ...)``."""
    return {name: torch.stack([s[name] for s in steps]) for name in steps[0]}


class _CellBase(nn.Module):
    """Parameters and checks shared by the three cells (PyTorch's names and initialisation)."""

    kind = ""  # "RNN", "LSTM" or "GRU"
    num_chunks = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True):
        super().__init__()
        check_int(input_size, "input_size")
        check_int(hidden_size, "hidden_size")
        check_bool(bias, "bias")
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        k = self.num_chunks * hidden_size
        self.weight_ih = nn.Parameter(torch.empty(k, input_size))
        self.weight_hh = nn.Parameter(torch.empty(k, hidden_size))
        if bias:
            self.bias_ih = nn.Parameter(torch.empty(k))
            self.bias_hh = nn.Parameter(torch.empty(k))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Uniform in :math:`[-1/\\sqrt{H}, 1/\\sqrt{H}]`, as PyTorch does."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")

    def _prepare(self, x: Tensor, hx: Tensor | None, what: str = "hx"):
        """Check ``x`` and ``hx``; return batched ``x`` (B, I), ``hx`` (B, H) and whether x was batched."""
        name = type(self).__name__
        batched = check_cell_input(x, self.input_size, name, self.weight_ih)
        if not batched:
            x = x.unsqueeze(0)
        expected = (x.shape[0], self.hidden_size) if batched else (self.hidden_size,)
        if hx is None:
            hx = x.new_zeros(x.shape[0], self.hidden_size)
        else:
            check_state(hx, expected, f"{name} {what}", self.weight_ih)
            if not batched:
                hx = hx.unsqueeze(0)
        return x, hx, batched

    def _input_projection(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight_ih, self.bias_ih)  # (B, k*H)

    def trace(self, inputs: Tensor, hx=None) -> dict[str, Tensor]:
        """Run the cell over ``inputs`` of shape ``(T, B, I)`` or ``(T, I)`` and record every quantity.

        Returns a dict ``name -> tensor of shape (T, B, H)`` (or ``(T, H)`` for unbatched input),
        with the names of :data:`TRACE_NAMES` for this cell.
        """
        name = type(self).__name__
        check_float(inputs, f"{name}.trace input", self.weight_ih)
        if inputs.dim() not in (2, 3) or inputs.shape[0] == 0:
            raise ValueError(
                f"{name}.trace expects a non-empty sequence of shape (T, B, I={self.input_size}) or "
                f"(T, I={self.input_size}), got shape {shape_str(inputs.shape)}."
            )
        state, steps = hx, []
        for x_t in inputs:
            state, parts = self.step_with_parts(x_t, state)
            steps.append(parts)
        return stack_steps(steps)


class RNNCell(_CellBase):
    r"""An Elman RNN cell (Elman, 1990, *Finding Structure in Time*).

    .. math::
        a_t = W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}, \qquad
        h_t = \tanh(a_t) \ \text{ (or } \operatorname{ReLU}(a_t)\text{)}

    Args:
        input_size: :math:`I`, the number of features of :math:`x_t`.
        hidden_size: :math:`H`, the number of features of :math:`h_t`.
        bias: if ``False``, no :math:`b_{ih}, b_{hh}`.
        nonlinearity: ``"tanh"`` or ``"relu"``.

    Inputs: ``input, hx``
        - **input** of shape ``(B, I)`` or ``(I,)``: :math:`x_t`.
        - **hx** of shape ``(B, H)`` or ``(H,)``: :math:`h_{t-1}`; zeros if omitted.

    Outputs: ``h'`` of shape ``(B, H)`` or ``(H,)``: :math:`h_t`.

    Attributes:
        weight_ih: :math:`W_{ih}`, shape ``(H, I)``.
        weight_hh: :math:`W_{hh}`, shape ``(H, H)``.
        bias_ih: :math:`b_{ih}`, shape ``(H,)``.
        bias_hh: :math:`b_{hh}`, shape ``(H,)``.

    Trace names: ``a`` (:math:`a_t`), ``h`` (:math:`h_t`).
    """

    kind = "RNN"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh"):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}.")
        super().__init__(input_size, hidden_size, bias)
        self.nonlinearity = nonlinearity

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s if self.nonlinearity == "tanh" else s + f", nonlinearity={self.nonlinearity!r}"

    def step_with_parts(self, x, hx):
        """One step, like ``forward``; returns the new state and a dict of every named quantity of the
        equations at this step (the ``Trace`` names: pre-activations, gates, candidate, state)."""
        x, hx, batched = self._prepare(x, hx)
        h, parts = rnn_step(self._input_projection(x), hx, self.weight_hh, self.bias_hh, self.nonlinearity)
        if not batched:
            h, parts = h[0], {k: v[0] for k, v in parts.items()}
        return h, parts

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self.step_with_parts(input, hx)[0]


class LSTMCell(_CellBase):
    r"""A long short-term memory cell (Hochreiter & Schmidhuber, 1997) with the forget gate of
    Gers, Schmidhuber & Cummins (2000), in PyTorch's formulation.

    .. math::
        \begin{aligned}
        i_t &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}) \\
        f_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}) \\
        g_t &= \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) \\
        o_t &= \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}) \\
        c_t &= f_t \odot c_{t-1} + i_t \odot g_t \\
        h_t &= o_t \odot \tanh(c_t)
        \end{aligned}

    :math:`\sigma` is the logistic sigmoid and :math:`\odot` the elementwise product.

    Args:
        input_size: :math:`I`; hidden_size: :math:`H`; bias: if ``False``, no biases.

    Inputs: ``input, (h_0, c_0)``
        - **input** of shape ``(B, I)`` or ``(I,)``: :math:`x_t`.
        - **h_0, c_0** each of shape ``(B, H)`` or ``(H,)``: :math:`h_{t-1}, c_{t-1}`; zeros if omitted.

    Outputs: ``(h_1, c_1)``, each of shape ``(B, H)`` or ``(H,)``: :math:`h_t, c_t`.

    Attributes:
        weight_ih: :math:`(W_{ii} | W_{if} | W_{ig} | W_{io})`, shape ``(4H, I)``.
        weight_hh: :math:`(W_{hi} | W_{hf} | W_{hg} | W_{ho})`, shape ``(4H, H)``.
        bias_ih: :math:`(b_{ii} | b_{if} | b_{ig} | b_{io})`, shape ``(4H,)``.
        bias_hh: :math:`(b_{hi} | b_{hf} | b_{hg} | b_{ho})`, shape ``(4H,)``.

    Trace names: ``i``, ``f``, ``g``, ``o``, ``c``, ``h``.
    """

    kind = "LSTM"
    num_chunks = 4
    step = staticmethod(lstm_step)  # one time step; a subclass may swap in a variant of the formula

    def step_with_parts(self, x, hx):
        """One step, like ``forward``; returns ``((h_t, c_t), parts)`` with ``parts`` the dict of every named
        quantity of the equations at this step (``i``, ``f``, ``g``, ``o``, ``c``, ``h``)."""
        name = type(self).__name__
        if hx is None:
            h0 = c0 = None
        elif isinstance(hx, (tuple, list)) and len(hx) == 2:
            h0, c0 = hx
        else:
            raise ValueError(f"{name} expects hx as a pair (h_0, c_0), got {type(hx).__name__}.")
        x, h0, batched = self._prepare(x, h0, "h_0")
        _, c0, _ = self._prepare(x if batched else x[0], c0, "c_0")
        h, c, parts = self.step(self._input_projection(x), h0, c0, self.weight_hh, self.bias_hh)
        if not batched:
            h, c, parts = h[0], c[0], {k: v[0] for k, v in parts.items()}
        return (h, c), parts

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        return self.step_with_parts(input, hx)[0]


class GRUCell(_CellBase):
    r"""A gated recurrent unit (Cho et al., 2014, *Learning Phrase Representations using RNN
    Encoder–Decoder for Statistical Machine Translation*), in PyTorch's formulation.

    .. math::
        \begin{aligned}
        r_t &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\
        z_t &= \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
        n_t &= \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})) \\
        h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}
        \end{aligned}

    The paper applies the reset gate before the matrix product, :math:`W_{hn}(r_t \odot h_{t-1})`;
    PyTorch (and this cell) applies it after, to :math:`W_{hn} h_{t-1} + b_{hn}`. Both are GRUs.

    Args:
        input_size: :math:`I`; hidden_size: :math:`H`; bias: if ``False``, no biases.

    Inputs: ``input, hx``
        - **input** of shape ``(B, I)`` or ``(I,)``: :math:`x_t`.
        - **hx** of shape ``(B, H)`` or ``(H,)``: :math:`h_{t-1}`; zeros if omitted.

    Outputs: ``h'`` of shape ``(B, H)`` or ``(H,)``: :math:`h_t`.

    Attributes:
        weight_ih: :math:`(W_{ir} | W_{iz} | W_{in})`, shape ``(3H, I)``.
        weight_hh: :math:`(W_{hr} | W_{hz} | W_{hn})`, shape ``(3H, H)``.
        bias_ih: :math:`(b_{ir} | b_{iz} | b_{in})`, shape ``(3H,)``.
        bias_hh: :math:`(b_{hr} | b_{hz} | b_{hn})`, shape ``(3H,)``.

    Trace names: ``r``, ``z``, ``n``, ``h``.
    """

    kind = "GRU"
    num_chunks = 3
    step = staticmethod(gru_step)  # one time step; a subclass may swap in a variant of the formula

    def step_with_parts(self, x, hx):
        """One step, like ``forward``; returns ``(h_t, parts)`` with ``parts`` the dict of every named
        quantity of the equations at this step (``r``, ``z``, ``n``, ``h``)."""
        x, hx, batched = self._prepare(x, hx)
        h, parts = self.step(self._input_projection(x), hx, self.weight_hh, self.bias_hh)
        if not batched:
            h, parts = h[0], {k: v[0] for k, v in parts.items()}
        return h, parts

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self.step_with_parts(input, hx)[0]
