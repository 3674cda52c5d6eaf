r"""How gradients flow back through time in a vanilla RNN (Bengio, Simard & Frasconi, 1994;
Pascanu, Mikolov & Bengio, 2013, *On the difficulty of training recurrent neural networks*).

By the chain rule,

.. math::
    \frac{\partial h_T}{\partial h_t} = \prod_{k=t+1}^{T} \frac{\partial h_k}{\partial h_{k-1}}
    = \prod_{k=t+1}^{T} \operatorname{diag}\big(\phi'(a_k)\big)\, W_{hh},

so its norm behaves roughly like :math:`\rho^{T-t}` times the product of the slopes :math:`\phi'(a_k)`,
where :math:`\rho` is the spectral radius of :math:`W_{hh}`: it vanishes when that is below 1 and can
explode when it is above. Here the Jacobians are computed with autograd through :class:`s2s_lab.RNN`.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from .layers import RNN, Trace


def rnn_with_spectral_radius(
    input_size: int, hidden_size: int, rho: float, nonlinearity: str = "tanh", seed: int = 0
) -> RNN:
    """A one-layer :class:`~s2s_lab.RNN` whose :math:`W_{hh}` has spectral radius ``rho``.

    :math:`W_{hh}` is a seeded Gaussian matrix divided by its largest eigenvalue magnitude and multiplied
    by ``rho``; :math:`W_{ih}` is Gaussian with variance :math:`1/I`; the biases are zero.
    """
    if rho <= 0:
        raise ValueError(f"the spectral radius rho must be positive, got {rho}.")
    g = torch.Generator().manual_seed(seed)
    rnn = RNN(input_size, hidden_size, nonlinearity=nonlinearity)
    w_hh = torch.randn(hidden_size, hidden_size, generator=g, dtype=torch.float64)
    w_hh *= rho / torch.linalg.eigvals(w_hh).abs().max()
    with torch.no_grad():
        rnn.weight_hh_l0.copy_(w_hh)
        rnn.weight_ih_l0.copy_(torch.randn(hidden_size, input_size, generator=g) / math.sqrt(input_size))
        rnn.bias_ih_l0.zero_()
        rnn.bias_hh_l0.zero_()
    return rnn


def jacobian_norms(rnn: RNN, x: Tensor) -> Tensor:
    r"""Spectral norms :math:`\lVert \partial h_T / \partial h_t \rVert_2` for :math:`t = 1, ..., T`.

    Args:
        rnn: a one-layer, one-direction :class:`~s2s_lab.RNN` (or :class:`~s2s_lab.GRU`, ...).
        x: an unbatched input sequence of shape ``(T, I)``.

    Returns: a tensor of shape ``(T,)``; its last entry is 1 (:math:`\partial h_T / \partial h_T = I`).
    """
    if rnn.num_layers != 1 or rnn.bidirectional:
        raise ValueError("jacobian_norms expects a one-layer, one-direction network.")
    if x.dim() != 2:
        raise ValueError(f"jacobian_norms expects one unbatched sequence of shape (T, I), got {tuple(x.shape)}.")
    trace = rnn.trace(x.unsqueeze(1))  # a batch of one: (T, 1, I)
    hs = [step["h"] for step in trace.steps[0]]  # T tensors (1, H), nodes of the autograd graph
    eye = torch.eye(rnn.hidden_size, dtype=x.dtype).unsqueeze(1)  # (H, 1, H)
    # Row k of each Jacobian is the gradient of h_T[k]; all H rows in one batched backward pass.
    jacobians = torch.autograd.grad(hs[-1], hs, grad_outputs=eye, is_grads_batched=True)  # T x (H, H)
    return torch.stack([torch.linalg.matrix_norm(j[:, 0], ord=2) for j in jacobians]).detach()  # (T,)


def state_gradient_norms(loss: Tensor, trace: Trace, name: str = "h") -> Tensor:
    r"""Return :math:`\lVert \partial L/\partial s_t \rVert_2` for every step :math:`t`, shape ``(T,)``.

    In a vanilla RNN the gradient reaching :math:`h_t` is multiplied by one Jacobian
    :math:`\operatorname{diag}(\phi'(a_k)) W_{hh}` per later step (see above). An LSTM's cell state adds a
    path with :math:`\partial c_k/\partial c_{k-1} = \operatorname{diag}(f_k)` (plus terms through the gates),
    so with the forget gate near 1 the gradient reaching :math:`c_t` survives many steps (Hochreiter &
    Schmidhuber, 1997; Gers, Schmidhuber & Cummins, 2000).

    Args:
        loss: a scalar computed from ``trace`` (e.g. the cross-entropy of a read-out of the last output).
        trace: from ``layer.trace(x)`` with *batched* ``x``; layer 0, forward direction is used.
        name: the traced state :math:`s`: ``"h"`` (any cell) or ``"c"`` (LSTM). The norm runs over the batch
            and the hidden units together.
    """
    if loss.dim() != 0:
        raise ValueError(f"expected a scalar loss, got a tensor of shape {tuple(loss.shape)}.")
    steps = trace.steps[0]
    if name not in steps[0]:
        raise ValueError(f"expected a traced state among {sorted(steps[0])}, got {name!r}.")
    states = [s[name] for s in steps]  # T tensors, each (B, H)
    grads = torch.autograd.grad(loss, states, retain_graph=True, allow_unused=True)
    return torch.stack([g.norm() if g is not None else states[0].new_zeros(()) for g in grads]).detach()  # (T,)
