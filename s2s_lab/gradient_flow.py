r"""How much gradient reaches each time step: :math:`\lVert \partial L / \partial h_t \rVert` and
:math:`\lVert \partial L / \partial c_t \rVert` for a loss :math:`L` computed at the end of the sequence.

In a vanilla RNN, :math:`\partial L/\partial h_t = (\partial h_{t+1}/\partial h_t)^\top
\partial L/\partial h_{t+1}` is multiplied by one Jacobian
:math:`\operatorname{diag}(1 - h_{t+1}^2) W_{hh}` per step and usually shrinks geometrically
(Bengio, Simard & Frasconi, 1994). In an LSTM the cell state adds a path with Jacobian
:math:`\partial c_{t+1}/\partial c_t = \operatorname{diag}(f_{t+1})` (plus terms through the gates), so
with the forget gate near 1 the gradient survives many steps (Hochreiter & Schmidhuber, 1997;
Gers et al., 2000).

The per-step tensors of a :class:`s2s_lab.Trace` are nodes of the autograd graph, so
``torch.autograd.grad(loss, [h_1, ..., h_T])`` gives exactly these gradients.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .layers import Trace


def state_gradient_norms(loss: Tensor, trace: Trace, name: str = "h") -> Tensor:
    r"""Return :math:`\lVert \partial L/\partial s_t \rVert_2` for every step, shape ``(T,)``.

    Args:
        loss: a scalar computed from ``trace`` (e.g. cross-entropy of the last output).
        trace: from ``layer.trace(x)``; layer 0, forward direction is used.
        name: the traced state :math:`s`: ``"h"`` (any cell) or ``"c"`` (LSTM). The norm is over the batch
            and the hidden units together.
    """
    if loss.dim() != 0:
        raise ValueError(f"expected a scalar loss, got a tensor of shape {tuple(loss.shape)}.")
    steps = trace.steps[0]
    if name not in steps[0]:
        raise ValueError(f"expected a traced state among {sorted(steps[0])}, got {name!r}.")
    states = [s[name] for s in steps]  # T tensors, each (B, H)
    grads = torch.autograd.grad(loss, states, retain_graph=True, allow_unused=True)
    return torch.stack([g.norm() if g is not None else states[0].new_zeros(()) for g in grads])  # (T,)


__all__ = ["state_gradient_norms"]
