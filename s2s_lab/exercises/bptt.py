r"""Exercise of notebook 03b: the backward pass of one vanilla-RNN step, written by the learner.

The learner writes ``rnn_step_backward(dh, x, h_prev, h, W_hh) -> (dh_prev, dW_hh, dW_ih, db)`` for
:math:`h_t = \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})`; :func:`check_rnn_step_backward` compares it
with autograd through :func:`s2s_lab.cells.rnn_step` and names the classic mistakes it recognises.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..cells import rnn_step
from .harness import run_learner_code, verdict

NAMES = ("dh_prev", "dW_hh", "dW_ih", "db")
"""The four results, in the order the learner returns them."""
OF = {"dh_prev": "h_prev", "dW_hh": "W_hh", "dW_ih": "W_ih", "db": "the bias"}
"""What each result is the gradient of (and so has the shape of)."""


def _inputs():
    """B = 3, I = 5, H = 4 in float64, from a fixed seed: I != H, so that a transposed δW_ih has the wrong shape."""
    g = torch.Generator().manual_seed(7)
    B, I, H = 3, 5, 4
    x, h_prev = torch.randn(B, I, generator=g, dtype=torch.float64), torch.randn(B, H, generator=g, dtype=torch.float64)
    W_ih, W_hh = (torch.randn(H, n, generator=g, dtype=torch.float64) * 0.6 for n in (I, H))
    b_ih, b_hh = (torch.randn(H, generator=g, dtype=torch.float64) * 0.3 for _ in range(2))
    dh = torch.randn(B, H, generator=g, dtype=torch.float64)
    return x, h_prev, W_ih, W_hh, b_ih, b_hh, dh


def reference_backward(dh, x, h_prev, W_ih, W_hh, b_ih, b_hh):
    r"""``(h_t, (dh_prev, dW_hh, dW_ih, db))`` by autograd through :func:`s2s_lab.cells.rnn_step` for the loss
    :math:`L = \langle \delta h_t, h_t \rangle`, whose gradient with respect to :math:`h_t` is ``dh``.
    ``db`` is the gradient of :math:`b_{hh}` (that of :math:`b_{ih}` is the same)."""
    leaves = [t.detach().clone().requires_grad_(True) for t in (h_prev, W_hh, W_ih, b_hh)]
    h_prev_, W_hh_, W_ih_, b_hh_ = leaves
    h, _ = rnn_step(F.linear(x, W_ih_, b_ih), h_prev_, W_hh_, b_hh_, "tanh")
    grads = torch.autograd.grad((h * dh).sum(), leaves)
    return h.detach(), grads


def _mistakes(dh, x, h_prev, h, W_hh):
    """Each classic mistake: (its sentence, the four results it gives; ``None`` where it changes nothing)."""
    da = dh * (1 - h * h)  # (B, H) delta a_t, right
    return [
        (
            "tanh' is missing: the gradient must pass through h_t = tanh(a_t), so first δa_t = δh_t ⊙ (1 − h_t²), "
            "then use δa_t (not δh_t) in all four formulas.",
            (dh @ W_hh, dh.t() @ h_prev, dh.t() @ x, dh.sum(0)),
        ),
        (
            "tanh' must be taken at step t: tanh'(a_t) = 1 − h_t², not 1 − h_{t-1}².",
            tuple(
                f(dh * (1 - h_prev * h_prev))
                for f in (lambda d: d @ W_hh, lambda d: d.t() @ h_prev, lambda d: d.t() @ x, lambda d: d.sum(0))
            ),
        ),
        (
            "tanh'(a_t) = 1 − h_t², with h_t = tanh(a_t) already computed: not 1 − tanh(h_t)².",
            tuple(
                f(dh * (1 - torch.tanh(h) ** 2))
                for f in (lambda d: d @ W_hh, lambda d: d.t() @ h_prev, lambda d: d.t() @ x, lambda d: d.sum(0))
            ),
        ),
        (
            "δh_{t-1} uses W_hh transposed: rows are batch items and a_t = h_{t-1} @ W_hh.T + ..., so "
            "δh_{t-1} = δa_t @ W_hh (no .T).",
            (da @ W_hh.t(), None, None, None),
        ),
        (
            "δW_hh is transposed: it must have W_hh's layout (row j, column k = ∂L/∂W_hh[j, k] = Σ δa_t[:, j] "
            "h_{t-1}[:, k]), so δW_hh = δa_t.T @ h_{t-1}, not h_{t-1}.T @ δa_t.",
            (None, h_prev.t() @ da, None, None),
        ),
        (
            "δW_hh uses h_t; the weight multiplies the previous state, so δW_hh = δa_t.T @ h_{t-1}.",
            (None, da.t() @ h, None, None),
        ),
        (
            "δW_ih is transposed: δW_ih = δa_t.T @ x_t has W_ih's shape (H, I).",
            (None, None, x.t() @ da, None),
        ),
        (
            "δb is not summed over the batch: the same bias serves every example, so δb = δa_t.sum(0), shape (H,).",
            (None, None, None, da),
        ),
    ]


def _close(a, b) -> bool:
    return isinstance(a, torch.Tensor) and a.shape == b.shape and (a.detach() - b).abs().max().item() < 1e-8


def check_rnn_step_backward(rnn_step_backward) -> bool:
    r"""Check ``rnn_step_backward(dh, x, h_prev, h, W_hh) -> (dh_prev, dW_hh, dW_ih, db)``: the backward pass of
    one vanilla-RNN step :math:`h_t = \tanh(a_t)`, :math:`a_t = W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}`,
    for a batch (rows are batch items):

    .. math::
        \delta a_t = \delta h_t \odot (1 - h_t^2), \quad \delta h_{t-1} = \delta a_t W_{hh}, \quad
        \delta W_{hh} = \delta a_t^\top h_{t-1}, \quad \delta W_{ih} = \delta a_t^\top x_t, \quad
        \delta b = \textstyle\sum_{\text{batch}} \delta a_t.

    Inputs: ``dh`` ``(B, H)`` (:math:`\delta h_t`), ``x`` ``(B, I)``, ``h_prev`` ``(B, H)``, ``h`` ``(B, H)``
    (:math:`h_t`), ``W_hh`` ``(H, H)``. Outputs expected: ``dh_prev`` ``(B, H)``, ``dW_hh`` ``(H, H)``, ``dW_ih``
    ``(H, I)``, ``db`` ``(H,)``. Compared with autograd through :func:`s2s_lab.cells.rnn_step`; prints a verdict
    and returns ``True`` when all four are right.
    """
    x, h_prev, W_ih, W_hh, b_ih, b_hh, dh = _inputs()
    h, expected = reference_backward(dh, x, h_prev, W_ih, W_hh, b_ih, b_hh)
    args = (dh.clone(), x.clone(), h_prev.clone(), h.clone(), W_hh.clone())
    result, problem = run_learner_code(rnn_step_backward, *args)
    if problem:
        return verdict(False, problem + " Shapes: dh, h_prev, h are (B, H), x is (B, I), W_hh is (H, H).")
    if not (isinstance(result, tuple | list) and len(result) == 4):
        return verdict(False, "return the four gradients as a tuple: (dh_prev, dW_hh, dW_ih, db).")
    if all(_close(r, e) for r, e in zip(result, expected)):
        return verdict(True, "δh_{t-1}, δW_hh, δW_ih and δb match autograd through s2s_lab.cells.rnn_step.")
    mistakes = _mistakes(dh, x, h_prev, h, W_hh)
    for k, (r, e, name) in enumerate(zip(result, expected, NAMES)):  # the first wrong result, in order
        if _close(r, e):
            continue
        if not isinstance(r, torch.Tensor):
            return verdict(False, f"{name} should be a torch.Tensor of shape {tuple(e.shape)}, got {type(r).__name__}.")
        for sentence, wrong in mistakes:
            if wrong[k] is not None and _close(r, wrong[k]):
                return verdict(False, f"{name} is not right yet. " + sentence)
        if r.shape != e.shape:
            return verdict(
                False,
                f"{name} should have shape {tuple(e.shape)}, that of {OF[name]}; got {tuple(r.shape)}.",
            )
        err = (r.detach() - e).abs().max().item()
        return verdict(False, f"{name} is off by up to {err:.3f}; compare it with its formula.")
    return verdict(False, "compare each result with its formula.")  # not reached: one of the four differs


__all__ = ["check_rnn_step_backward", "reference_backward"]
