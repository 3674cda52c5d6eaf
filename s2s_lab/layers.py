r"""Multi-layer, optionally bidirectional recurrent layers: :class:`RNN`, :class:`LSTM`, :class:`GRU`.

They unroll the one-step functions of :mod:`s2s_lab.cells` over time, with PyTorch's constructor
arguments, parameter names (``weight_ih_l0``, ``weight_hh_l1_reverse``, ...) and input/output shapes, so
``load_state_dict(torch.nn.LSTM(...).state_dict())`` works and the outputs and gradients agree.

Speed: for each layer and direction, :math:`W_{ih} x_t + b_{ih}` is computed for all :math:`t` in one
matrix product; only :math:`W_{hh} h_{t-1}` has to wait for the previous step.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._checks import check_bool, check_int, check_probability, check_sequence, check_state, shape_str
from .bptt import lstm_sequence_manual
from .cells import TRACE_NAMES, gru_step, lstm_step, rnn_step, stack_steps


@dataclass
class Trace:
    """What a layer computed over a sequence, step by step.

    ``output`` and ``state`` are what ``forward`` returns. ``steps[k]`` lists, for layer ``k // D``
    and direction ``k % D`` (D = 2 if bidirectional else 1), one dict per time step of the named
    quantities of the cell's equations (each ``(B, H)``, or ``(H,)`` for unbatched input), in the
    order of the *input* (a reverse direction's list is flipped back). For batched input these per-step
    tensors are the autograd graph's own nodes, so ``torch.autograd.grad(h_T, h_t)`` works on them
    (for unbatched input they are views taken afterwards: give a batch of one to differentiate).
    """

    output: Tensor
    state: object
    steps: list[list[dict[str, Tensor]]] = field(repr=False)
    num_directions: int = 1

    def at(self, layer: int = 0, direction: int = 0) -> dict[str, Tensor]:
        """All quantities of one layer and direction stacked over time: ``name -> (T, B, H)``."""
        D = self.num_directions
        L = len(self.steps) // D
        if not (isinstance(layer, int) and 0 <= layer < L and isinstance(direction, int) and 0 <= direction < D):
            raise ValueError(
                f"expected layer in 0..{L - 1} and direction in 0..{D - 1} "
                f"({'0 = forward, 1 = reverse' if D == 2 else 'the layer is not bidirectional'}), "
                f"got layer={layer!r} and direction={direction!r}."
            )
        return stack_steps(self.steps[layer * D + direction])

    def __getitem__(self, name: str) -> Tensor:
        """``trace["h"]``: the quantity ``name`` of layer 0, forward direction, as ``(T, B, H)``."""
        names = list(self.steps[0][0])
        if name not in names:
            raise KeyError(f"this trace records {', '.join(map(repr, names))}, not {name!r}.")
        return torch.stack([s[name] for s in self.steps[0]])


class _RecurrentBase(nn.Module):
    kind = ""
    num_chunks = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
    ):
        super().__init__()
        # The same checks as torch.nn.RNNBase, with messages that name the argument and what it got.
        dropout = check_probability(dropout, "dropout")
        check_bool(bias, "bias")
        check_bool(batch_first, "batch_first")
        check_bool(bidirectional, "bidirectional")
        check_int(input_size, "input_size")
        check_int(hidden_size, "hidden_size")
        check_int(num_layers, "num_layers")
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                f"dropout={dropout} does nothing with num_layers=1: dropout is applied between layers, "
                f"after every layer but the last.",
                stacklevel=3,
            )
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional = bidirectional
        self.num_directions = 2 if bidirectional else 1
        k = self.num_chunks * hidden_size
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else hidden_size * self.num_directions
            for suffix in self._suffixes(layer):
                self.register_parameter(f"weight_ih{suffix}", nn.Parameter(torch.empty(k, layer_in)))
                self.register_parameter(f"weight_hh{suffix}", nn.Parameter(torch.empty(k, hidden_size)))
                if bias:
                    self.register_parameter(f"bias_ih{suffix}", nn.Parameter(torch.empty(k)))
                    self.register_parameter(f"bias_hh{suffix}", nn.Parameter(torch.empty(k)))
        self.reset_parameters()

    def _suffixes(self, layer: int):
        return [f"_l{layer}"] + ([f"_l{layer}_reverse"] if self.bidirectional else [])

    def reset_parameters(self) -> None:
        """Uniform in :math:`[-1/\\sqrt{H}, 1/\\sqrt{H}]`, as PyTorch does."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        for name, default in (("bias", True), ("batch_first", False), ("dropout", 0.0), ("bidirectional", False)):
            if getattr(self, name) != default:
                s += f", {name}={getattr(self, name)}"
        return s

    # -- the parts each subclass fills in ------------------------------------------------------
    def _initial_state(self, x: Tensor, hx, batched: bool):
        """Return a list with one state per (layer, direction)."""
        raise NotImplementedError

    def _run(self, gi: Tensor, state, suffix: str):
        """Unroll over the time steps of ``gi`` (T, B, k*H); return (list of per-step dicts, final state)."""
        raise NotImplementedError

    def _final_state(self, finals: list, batched: bool):
        raise NotImplementedError

    # -- shared unrolling ----------------------------------------------------------------------
    def _state_shape(self, x: Tensor, batched: bool) -> tuple:
        n = self.num_layers * self.num_directions
        return (n, x.shape[1], self.hidden_size) if batched else (n, self.hidden_size)

    def _check_state(self, h: Tensor, x: Tensor, batched: bool, what: str) -> Tensor:
        check_state(h, self._state_shape(x, batched), f"{type(self).__name__} {what}", self.weight_ih_l0)
        return h if batched else h.unsqueeze(1)

    def _forward_impl(self, input: Tensor, hx):
        batched = check_sequence(input, self.input_size, type(self).__name__, self.batch_first, self.weight_ih_l0)
        x = input
        if not batched:
            x = x.unsqueeze(1)  # (T, 1, I)
        elif self.batch_first:
            x = x.transpose(0, 1)  # (T, B, I)
        states = self._initial_state(x, hx, batched)
        all_steps, finals = [], []
        layer_input = x  # (T, B, I)
        for layer in range(self.num_layers):
            outputs = []
            for d, suffix in enumerate(self._suffixes(layer)):
                w_ih = getattr(self, f"weight_ih{suffix}")
                b_ih = getattr(self, f"bias_ih{suffix}") if self.bias else None
                seq = layer_input if d == 0 else layer_input.flip(0)
                gi = F.linear(seq, w_ih, b_ih)  # (T, B, k*H): all input projections at once
                steps, final = self._run(gi, states[layer * self.num_directions + d], suffix)
                if d == 1:
                    steps = steps[::-1]
                hs = torch.stack([s["h"] for s in steps])  # (T, B, H)
                outputs.append(hs)
                all_steps.append(steps)
                finals.append(final)
            layer_input = torch.cat(outputs, dim=-1) if self.bidirectional else outputs[0]  # (T, B, D*H)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, training=True)
        output = layer_input
        if not batched:
            output = output.squeeze(1)  # (T, D*H)
            all_steps = [[{k: v[0] for k, v in s.items()} for s in steps] for steps in all_steps]
        elif self.batch_first:
            output = output.transpose(0, 1)  # (B, T, D*H)
        return output, self._final_state(finals, batched), all_steps

    def forward(self, input: Tensor, hx=None):
        output, state, _ = self._forward_impl(input, hx)
        return output, state

    def trace(self, input: Tensor, hx=None) -> Trace:
        """Like ``forward``, and also record every quantity of every step: see :class:`Trace`."""
        output, state, steps = self._forward_impl(input, hx)
        return Trace(output, state, steps, self.num_directions)


def _shapes_doc(g: str, lstm: bool = False) -> str:
    """The Inputs/Outputs/Attributes section shared by the three layers' docstrings."""
    h0, hn = ("(h_0, c_0)", "(h_n, c_n)") if lstm else ("hx", "h_n")
    return rf"""
    Inputs: ``input, {h0}``
        - **input**: ``(T, B, I)``, or ``(B, T, I)`` with ``batch_first=True``, or unbatched ``(T, I)``.
        - **{h0}**: {"each " if lstm else ""}``(D * num_layers, B, H)`` or unbatched ``(D * num_layers, H)``;
          zeros if omitted. D = 2 if bidirectional else 1.

    Outputs: ``output, {hn}``
        - **output**: ``(T, B, D * H)`` (``(B, T, D * H)`` with ``batch_first=True``, ``(T, D * H)``
          unbatched): the last layer's :math:`h_t` for every t, both directions concatenated.
        - **{hn}**: {"each " if lstm else ""}the shape of the initial state: the final state of every layer
          and direction (for the reverse direction, its state after reading :math:`x_1`).

    Attributes:
        weight_ih_l[k]: shape ``({g}, I)`` for k = 0, else ``({g}, D * H)``.
        weight_hh_l[k]: shape ``({g}, H)``.
        bias_ih_l[k], bias_hh_l[k]: shape ``({g},)``.
        ``..._reverse``: the same for the reverse direction.
"""


class _HiddenStateBase(_RecurrentBase):
    """RNN and GRU: the state is h alone."""

    def step(self, gi_t, h, w_hh, b_hh):
        """One time step: ``(h_t, parts)`` from ``gi_t`` (B, G*H) and ``h`` (B, H)."""
        raise NotImplementedError

    def _run(self, gi, h, suffix):
        w_hh = getattr(self, f"weight_hh{suffix}")
        b_hh = getattr(self, f"bias_hh{suffix}") if self.bias else None
        if h is None:
            h = gi.new_zeros(gi.shape[1], self.hidden_size)
        steps = []
        for gi_t in gi:  # gi_t: (B, G*H)
            h, parts = self.step(gi_t, h, w_hh, b_hh)
            steps.append(parts)
        return steps, h

    def _initial_state(self, x, hx, batched):
        shape = self._state_shape(x, batched)
        if hx is None:
            return [None] * shape[0]
        return list(self._check_state(hx, x, batched, "hx").unbind(0))

    def _final_state(self, finals, batched):
        h_n = torch.stack(finals)  # (D*L, B, H)
        return h_n if batched else h_n.squeeze(1)


class RNN(_HiddenStateBase):
    __doc__ = (
        r"""A multi-layer Elman RNN (Elman, 1990). For each layer and time step:

    .. math::
        h_t = \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})

    (or ReLU), where :math:`x_t` is the input for layer 0 and the previous layer's :math:`h_t` above it.

    Args:
        input_size, hidden_size, num_layers, nonlinearity (``"tanh"`` or ``"relu"``), bias,
        batch_first, dropout (between layers, in training), bidirectional: as in ``torch.nn.RNN``.
    """
        + _shapes_doc("H")
        + "\n    Trace names: ``a``, ``h``.\n"
    )

    kind = "RNN"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
    ):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}.")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional)

    def step(self, gi_t, h, w_hh, b_hh):
        return rnn_step(gi_t, h, w_hh, b_hh, self.nonlinearity)


class GRU(_HiddenStateBase):
    __doc__ = (
        r"""A multi-layer GRU (Cho et al., 2014), PyTorch's formulation. For each layer and time step:

    .. math::
        \begin{aligned}
        r_t &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\
        z_t &= \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
        n_t &= \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})) \\
        h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}
        \end{aligned}

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional:
        as in ``torch.nn.GRU``.
    """
        + _shapes_doc("3H")
        + "\n    Gate order in the weights: r, z, n. Trace names: ``r``, ``z``, ``n``, ``h``.\n"
    )

    kind = "GRU"
    num_chunks = 3
    step = staticmethod(gru_step)  # one time step; a subclass may swap in a variant of the formula

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
    ):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional)


class LSTM(_RecurrentBase):
    __doc__ = (
        r"""A multi-layer LSTM (Hochreiter & Schmidhuber, 1997; forget gate: Gers et al., 2000), PyTorch's
    formulation. For each layer and time step:

    .. math::
        \begin{aligned}
        i_t &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}) \\
        f_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}) \\
        g_t &= \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) \\
        o_t &= \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}) \\
        c_t &= f_t \odot c_{t-1} + i_t \odot g_t \\
        h_t &= o_t \odot \tanh(c_t)
        \end{aligned}

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional:
        as in ``torch.nn.LSTM``.
        proj_size: only ``0`` (no projection, PyTorch's default) is supported.
    """
        + _shapes_doc("4H", lstm=True)
        + "\n    Gate order in the weights: i, f, g, o. Trace names: ``i``, ``f``, ``g``, ``o``, ``c``, ``h``.\n"
        + "\n    Gradients: autograd through :func:`~s2s_lab.cells.lstm_step` at every step. With\n"
        "    ``model.manual_backward = True``, the backpropagation through time written by hand in\n"
        "    :mod:`s2s_lab.bptt` instead (:class:`~s2s_lab.bptt.LSTMSequenceFunction`: one autograd node per layer\n"
        "    and direction instead of about a dozen per step; no second derivatives; speed:\n"
        "    ``bench/bench_cells.py``); ``trace`` always unrolls the steps.\n"
    )

    kind = "LSTM"
    num_chunks = 4

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
    ):
        check_int(proj_size, "proj_size", minimum=0)
        if proj_size > 0:
            raise ValueError(
                f"proj_size > 0 (an LSTM with projections) is not supported by s2s_lab's LSTM, "
                f"got proj_size={proj_size}; use proj_size=0, or torch.nn.LSTM for projections."
            )
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional)
        self.proj_size = 0

    def _initial_state(self, x, hx, batched):
        n = self._state_shape(x, batched)[0]
        if hx is None:
            return [None] * n
        if not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise ValueError(f"LSTM expects hx as a pair (h_0, c_0), got {type(hx).__name__}.")
        h0 = self._check_state(hx[0], x, batched, "h_0")
        c0 = self._check_state(hx[1], x, batched, "c_0")
        return list(zip(h0.unbind(0), c0.unbind(0)))

    def _run(self, gi, state, suffix):
        w_hh = getattr(self, f"weight_hh{suffix}")
        b_hh = getattr(self, f"bias_hh{suffix}") if self.bias else None
        if state is None:
            h = c = gi.new_zeros(gi.shape[1], self.hidden_size)
        else:
            h, c = state
        if self.manual_backward and not self._tracing:  # one autograd node, BPTT by hand (s2s_lab.bptt)
            hs, _, c = lstm_sequence_manual(gi, h, c, w_hh, b_hh)  # hs: (T, B, H)
            hs = hs.unbind(0)  # T views; autograd gathers their gradients in one node
            return [{"h": h_t} for h_t in hs], (hs[-1], c)
        steps = []
        for gi_t in gi:  # gi_t: (B, 4H)
            h, c, parts = lstm_step(gi_t, h, c, w_hh, b_hh)
            steps.append(parts)
        return steps, (h, c)

    def _final_state(self, finals, batched):
        h_n = torch.stack([h for h, _ in finals])  # (D*L, B, H)
        c_n = torch.stack([c for _, c in finals])
        return (h_n, c_n) if batched else (h_n.squeeze(1), c_n.squeeze(1))

    # -- the hand-written backward (s2s_lab.bptt), opt-in -------------------------------------------
    manual_backward = False  # True: bptt.LSTMSequenceFunction outside trace (same gradients up to rounding)
    _tracing = False

    def trace(self, input: Tensor, hx=None) -> Trace:
        """Like ``forward``, and also record every quantity of every step: see :class:`Trace`. Always unrolls
        :func:`~s2s_lab.cells.lstm_step`, so that the recorded quantities are nodes of the autograd graph."""
        self._tracing = True
        try:
            return super().trace(input, hx)
        finally:
            self._tracing = False


assert set(TRACE_NAMES) == {RNN.kind, GRU.kind, LSTM.kind}
__all__ = ["RNN", "LSTM", "GRU", "Trace", "shape_str"]
