r"""Read a whole sequence with a recurrent layer, then classify it from the last hidden state.

.. math::
    h_1, \dots, h_T = \mathrm{RNN}(x_1, \dots, x_T), \qquad
    \hat y = \operatorname{softmax}(W_{out} h_T + b_{out})

with RNN one of :class:`s2s_lab.RNN`, :class:`s2s_lab.LSTM`, :class:`s2s_lab.GRU`. Small enough to train
in seconds on a laptop CPU by :func:`s2s_lab.fit`; used by notebooks 02 (LSTM) and 03 (GRU) on the memory
task of :mod:`s2s_lab.memory_tasks`. This is *sequence-to-vector*: a whole sequence in, one label out.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from . import cells
from .gate_variants import GRUPaper, GRUPaperCell
from .layers import GRU, LSTM, RNN, Trace

# kind -> (layer, cell with the same parameters); "GRUPaper" is the GRU with the paper's reset gate.
LAYERS = {
    "RNN": (RNN, cells.RNNCell),
    "LSTM": (LSTM, cells.LSTMCell),
    "GRU": (GRU, cells.GRUCell),
    "GRUPaper": (GRUPaper, GRUPaperCell),
}


class SequenceClassifier(nn.Module):
    r"""A one-layer recurrent layer followed by a linear read-out of :math:`h_T`.

    Args:
        kind: ``"RNN"``, ``"LSTM"``, ``"GRU"`` or ``"GRUPaper"`` (:class:`~s2s_lab.gate_variants.GRUPaper`).
        input_size: :math:`I`; hidden_size: :math:`H`; num_classes: :math:`C`.
        keep_bias: start the gate that keeps the old state mostly open: for an LSTM set
            :math:`b_{if} + b_{hf}` to this value (:math:`f_t \approx \sigma(3) = 0.95` for 3.0; Gers et al.,
            2000, Jozefowicz et al., 2015 recommend a positive forget-gate bias), for a GRU
            :math:`b_{iz} + b_{hz}` (:math:`z_t` near 1 keeps :math:`h_{t-1}`). ``None`` keeps PyTorch's
            initialisation; an RNN has no such gate.

    Inputs: **x** of shape ``(B, T, I)`` (batch first).

    Outputs: **logits** of shape ``(B, C)``.
    """

    def __init__(self, kind: str, input_size: int, hidden_size: int, num_classes: int, keep_bias: float | None = None):
        super().__init__()
        if kind not in LAYERS:
            raise ValueError(f"expected kind one of {sorted(LAYERS)}, got {kind!r}.")
        if num_classes < 2:
            raise ValueError(f"expected num_classes >= 2, got {num_classes}.")
        self.kind = kind
        self.rnn = LAYERS[kind][0](input_size, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, num_classes)
        if keep_bias is not None:
            if kind == "RNN":
                raise ValueError("keep_bias needs a gate (LSTM forget gate or GRU update gate), got kind 'RNN'.")
            H = hidden_size
            with torch.no_grad():  # rows H..2H: f in the LSTM's order i, f, g, o; z in the GRU's r, z, n
                self.rnn.bias_ih_l0[H : 2 * H] = keep_bias
                self.rnn.bias_hh_l0[H : 2 * H] = 0.0

    def forward(self, x: Tensor) -> Tensor:
        output, _ = self.rnn(x)  # (B, T, H)
        return self.head(output[:, -1])  # (B, C)

    def trace(self, x: Tensor) -> tuple[Tensor, Trace]:
        """Like ``forward`` and also return the layer's :class:`~s2s_lab.Trace` (every gate at every step)."""
        tr = self.rnn.trace(x)
        return self.head(tr.output[:, -1]), tr

    def cell(self):
        """A :class:`~s2s_lab.RNNCell`/``LSTMCell``/``GRUCell`` holding the layer's weights (for step-through demos)."""
        cell = LAYERS[self.kind][1](self.rnn.input_size, self.rnn.hidden_size)
        cell.load_state_dict({k.removesuffix("_l0"): v for k, v in self.rnn.state_dict().items()})
        return cell

    @torch.no_grad()
    def probabilities(self, h: Tensor) -> Tensor:
        r"""The read-out's class probabilities :math:`\operatorname{softmax}(W_{out} h + b_{out})` for any
        ``(..., H)``."""
        return torch.softmax(self.head(h), dim=-1)  # (..., C)


__all__ = ["SequenceClassifier", "LAYERS"]
