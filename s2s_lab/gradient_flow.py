r"""How gradients flow back through time in a vanilla RNN (Bengio, Simard & Frasconi, 1994;
Pascanu, Mikolov & Bengio, 2013, *On the difficulty of training recurrent neural networks*).

By the chain rule,

.. math::
    \frac{\partial h_T}{\partial h_t} = \prod_{k=t+1}^{T} \frac{\partial h_k}{\partial h_{k-1}}
    = \prod_{k=t+1}^{T} \operatorname{diag}\big(\phi'(a_k)\big)\, W_{hh},

so in the long run its norm behaves roughly like :math:`\rho^{T-t}` times the product of the slopes
:math:`\phi'(a_k)`, where :math:`\rho` is the *spectral radius* of :math:`W_{hh}` (its largest eigenvalue
magnitude): it vanishes when that is below 1 and can explode when it is above. One step can stretch a
vector by up to the *spectral norm* :math:`\lVert W_{hh} \rVert_2` (the largest singular value), which is
at least :math:`\rho` and, for a non-normal matrix such as a random :math:`W_{hh}`, larger: over a few
steps the norm can grow although :math:`\rho \le 1`. Here the Jacobians are computed with autograd
through :class:`s2s_lab.RNN`.
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
    r"""Spectral norms :math:`\lVert \partial h_T / \partial h_t \rVert_2` for :math:`t = 1, ..., T`, where
    (Bengio et al., 1994; Pascanu et al., 2013)

    .. math::
        \frac{\partial h_T}{\partial h_t} = \prod_{k=t+1}^{T} \operatorname{diag}\big(\phi'(a_k)\big)\, W_{hh},

    computed with autograd: all :math:`H` rows of every Jacobian in one batched backward pass.

    Args:
        rnn: a one-layer, one-direction :class:`~s2s_lab.RNN` (or :class:`~s2s_lab.GRU`, ...).
        x: an unbatched input sequence of shape ``(T, I)``.

    Returns: a tensor of shape ``(T,)``; its last entry is 1 (:math:`\partial h_T / \partial h_T = I`).
    """
    _check_jacobian_args(rnn, x)
    trace = rnn.trace(x.unsqueeze(1))  # a batch of one: (T, 1, I)
    hs = [step["h"] for step in trace.steps[0]]  # T tensors (1, H), nodes of the autograd graph
    eye = torch.eye(rnn.hidden_size, dtype=x.dtype).unsqueeze(1)  # (H, 1, H)
    # Row k of each Jacobian is the gradient of h_T[k]; all H rows in one batched backward pass.
    jacobians = torch.autograd.grad(hs[-1], hs, grad_outputs=eye, is_grads_batched=True)  # T x (H, H)
    return torch.stack([torch.linalg.matrix_norm(j[:, 0], ord=2) for j in jacobians]).detach()  # (T,)


def _check_jacobian_args(rnn: RNN, x: Tensor) -> None:
    if rnn.num_layers != 1 or rnn.bidirectional:
        raise ValueError("jacobian_norms expects a one-layer, one-direction network.")
    if x.dim() != 2:
        raise ValueError(f"jacobian_norms expects one unbatched sequence of shape (T, I), got {tuple(x.shape)}.")


def demo_inputs(T: int = 50, input_size: int = 4, input_scale: float = 0.1, seed: int = 0) -> Tensor:
    """The small random input sequence of the notebook 01 demos, ``input_scale * randn(T, I)`` from ``seed``."""
    return input_scale * torch.randn(T, input_size, generator=torch.Generator().manual_seed(seed))  # (T, I)


def norms_by_radius(
    rhos=(0.5, 1.0, 1.5, 2.5),
    nonlinearities=("tanh", "relu"),
    T: int = 50,
    hidden_size: int = 32,
    input_size: int = 4,
    input_scale: float = 0.1,
    seed: int = 0,
) -> dict[tuple[str, float], Tensor]:
    """:func:`jacobian_norms` of :func:`rnn_with_spectral_radius` for every nonlinearity and spectral radius,
    on the same inputs (:func:`demo_inputs`). Returns ``(nonlinearity, rho) -> (T,)``."""
    x = demo_inputs(T, input_size, input_scale, seed)  # (T, I)
    return {
        (nl, rho): jacobian_norms(rnn_with_spectral_radius(input_size, hidden_size, rho, nl, seed=seed), x)
        for nl in nonlinearities
        for rho in rhos
    }


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


def cell_state_path_norms(loss: Tensor, trace: Trace) -> Tensor:
    r"""The part of an LSTM's :math:`\partial L / \partial c_t` that travels along the cell state alone, the
    *constant error carousel* (Hochreiter & Schmidhuber, 1997) with its forget gate (Gers et al., 2000):

    .. math::
        \Big(\frac{\partial L}{\partial c_t}\Big)_{c\text{ only}}
        = \Big(\prod_{k=t+1}^{T} f_k\Big) \odot \frac{\partial L}{\partial c_T},

    returned as norms for every :math:`t`, shape ``(T,)``, like :func:`state_gradient_norms`. The full
    :math:`\partial L / \partial c_t` adds, at every step, the gradient that reaches :math:`h_t` (through the
    gates of step :math:`t + 1`) and re-enters :math:`c_t` through :math:`h_t = o_t \odot \tanh(c_t)`.

    Args:
        loss: a scalar computed from ``trace`` at the last step (nothing after :math:`c_T` uses it).
        trace: from an LSTM's ``trace(x)`` with *batched* ``x``; layer 0, forward direction is used.
    """
    _check_lstm_trace(loss, trace)
    steps = trace.steps[0]
    f = torch.stack([s["f"] for s in steps]).detach()  # (T, B, H)
    grad_T = torch.autograd.grad(loss, steps[-1]["c"], retain_graph=True)[0]  # (B, H): dL/dc_T
    later = torch.cat([f[1:].flip(0).cumprod(0).flip(0), torch.ones_like(f[:1])])  # (T, B, H): prod_{k>t} f_k
    return (later * grad_T).flatten(1).norm(dim=1)  # (T,)


def _check_lstm_trace(loss: Tensor, trace: Trace) -> None:
    """Raise ``ValueError`` unless ``loss`` is a scalar and ``trace`` an LSTM's (it records ``f`` and ``c``)."""
    if loss.dim() != 0:
        raise ValueError(f"expected a scalar loss, got a tensor of shape {tuple(loss.shape)}.")
    if not {"f", "c"} <= set(trace.steps[0][0]):
        raise ValueError(f"expected the trace of an LSTM (with 'f' and 'c'), got {sorted(trace.steps[0][0])}.")


__all__ = [
    "rnn_with_spectral_radius",
    "jacobian_norms",
    "demo_inputs",
    "norms_by_radius",
    "state_gradient_norms",
    "cell_state_path_norms",
]
