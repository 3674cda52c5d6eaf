"""Exercise of notebook 01: one step of the vanilla RNN."""

from __future__ import annotations

import torch

from ..cells import RNNCell
from .harness import compare, run_learner_code, verdict


def check_rnn_step(rnn_step) -> bool:
    r"""Check ``rnn_step(x, h_prev, W_ih, W_hh, b_ih, b_hh) -> h`` computing
    :math:`h_t = \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})` for a batch:
    ``x`` (B, I), ``h_prev`` (B, H), ``W_ih`` (H, I), ``W_hh`` (H, H), ``b_ih`` and ``b_hh`` (H,).
    It is compared with :class:`s2s_lab.RNNCell` and ``torch.nn.RNNCell``.
    """
    g = torch.Generator().manual_seed(123)
    B, I, H = 3, 5, 4
    x, h_prev = torch.randn(B, I, generator=g), torch.randn(B, H, generator=g)
    ref = RNNCell(I, H)
    torch_cell = torch.nn.RNNCell(I, H)
    with torch.no_grad():
        for p in ref.parameters():
            p.copy_(torch.randn(p.shape, generator=g))
        torch_cell.load_state_dict(ref.state_dict())
        expected = ref(x, h_prev)
        assert torch.allclose(expected, torch_cell(x, h_prev), atol=1e-6)  # the reference itself is right
    W_ih, W_hh, b_ih, b_hh = (p.detach().clone() for p in (ref.weight_ih, ref.weight_hh, ref.bias_ih, ref.bias_hh))
    result, problem = run_learner_code(rnn_step, x, h_prev, W_ih, W_hh, b_ih, b_hh)
    if problem:
        return verdict(False, problem + " Check the shapes: x is (B, I), h_prev (B, H), W_ih (H, I).")
    hints = [
        (torch.tanh(x @ W_ih.T + h_prev @ W_hh.T), "It looks like the biases b_ih and b_hh are missing."),
        (torch.tanh(x @ W_ih.T + b_ih + h_prev @ W_hh.T), "It looks like b_hh is missing."),
        (x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh, "That is the pre-activation a_t; apply tanh to it."),
        (
            torch.tanh(x @ W_ih + b_ih + h_prev @ W_hh + b_hh) if I == H else torch.zeros(0),
            "Transpose the weights: with rows as batch items, use x @ W_ih.T.",
        ),
        (
            torch.tanh(x @ W_ih.T + b_ih + h_prev @ W_hh + b_hh),
            "W_hh is used untransposed: with rows as batch items, use h_prev @ W_hh.T.",
        ),
    ]
    return compare(result, expected, "h_t", hints)
