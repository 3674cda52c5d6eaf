"""Exercises of notebook 01: one step of the vanilla RNN, then the step unrolled over a sequence."""

from __future__ import annotations

import torch

from ..cells import RNNCell
from ..layers import RNN
from .harness import compare, run_learner_code, verdict


def not_written(result, name: str) -> bool:
    """Whether ``result`` is what a stub returns (``None``, or a tuple of ``None``): print a verdict if so."""
    if result is None or (isinstance(result, tuple) and all(r is None for r in result)):
        verdict(False, f"{name} returns None: it is still the stub. Write its body, then run this cell again.")
        return True
    return False


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
    if not_written(result, "rnn_step"):
        return False
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


def check_rnn_forward(rnn_forward) -> bool:
    r"""Check ``rnn_forward(xs, h0, W_ih, W_hh, b_ih, b_hh) -> (hs, h_T)``: the RNN step unrolled over time,
    :math:`h_t = \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})` for :math:`t = 1, \dots, T`.

    Inputs: ``xs`` (T, B, I), ``h0`` (B, H), ``W_ih`` (H, I), ``W_hh`` (H, H), ``b_ih`` and ``b_hh`` (H,).
    Outputs: ``hs`` (T, B, H), every hidden state :math:`h_1 \dots h_T` (not :math:`h_0`), and ``h_T`` (B, H).
    Compared with :class:`s2s_lab.RNN` and ``torch.nn.RNN`` (one layer), whose ``output`` and ``h_n[0]`` they are.
    """
    g = torch.Generator().manual_seed(7)
    T, B, I, H = 6, 2, 3, 4  # all different, so that a wrong dimension shows in the shape
    xs, h0 = torch.randn(T, B, I, generator=g), torch.randn(B, H, generator=g)
    reference, ours = torch.nn.RNN(I, H), RNN(I, H)
    with torch.no_grad():
        for p in reference.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.7)
        ours.load_state_dict(reference.state_dict())
        expected, h_n = ours(xs, h0[None])  # (T, B, H), (1, B, H)
        ref_out, ref_h_n = reference(xs, h0[None])
        assert torch.allclose(expected, ref_out, atol=1e-6) and torch.allclose(h_n, ref_h_n, atol=1e-6)
    W_ih, W_hh, b_ih, b_hh = (p.detach().clone() for p in reference.parameters())
    result, problem = run_learner_code(rnn_forward, xs, h0, W_ih, W_hh, b_ih, b_hh)
    if problem:
        return verdict(False, problem + " Check that rnn_step (exercise a) passes its check first.")
    if not_written(result, "rnn_forward"):
        return False
    if isinstance(result, torch.Tensor) and result.shape == (B, H):
        return verdict(False, "you return only the last state: return (hs, h), every h_t stacked and the last one.")
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        return verdict(False, "return two things, (hs, h): all hidden states (T, B, H) and the last one (B, H).")
    hs, h_last = result
    if isinstance(hs, torch.Tensor):
        hs = hs.detach()
        if hs.shape == (B, H) and torch.allclose(hs, expected[-1], atol=1e-5):
            return verdict(False, "hs holds only the last state: append every h_t to a list and torch.stack it.")
        if hs.shape == (B, T, H) and torch.allclose(hs, expected.transpose(0, 1), atol=1e-5):
            return verdict(False, "you stacked along the wrong dimension: time comes first, torch.stack(hs, dim=0).")
        if hs.shape == (T * B, H) and torch.allclose(hs, expected.reshape(T * B, H), atol=1e-5):
            return verdict(False, "torch.cat joins the states into (T·B, H); torch.stack adds the time dimension.")
        if hs.shape == (T + 1, B, H) and torch.allclose(hs[1:], expected, atol=1e-5):
            return verdict(False, "hs starts with h0: the outputs are h_1 ... h_T, one per input.")
        with torch.no_grad():
            from_h0 = torch.stack([torch.tanh(x @ W_ih.T + b_ih + h0 @ W_hh.T + b_hh) for x in xs])  # (T, B, H)
        if hs.shape == (T, B, H) and torch.allclose(hs, from_h0, atol=1e-5):
            return verdict(
                False,
                "h is not fed back: every step starts from h0. Carry the state, h = rnn_step(x_t, h, ...), "
                "so that step t reads h_{t-1}.",
            )
    if not _matches(hs, expected):
        return compare(hs, expected, "hs, all hidden states,")
    if not _matches(h_last, expected[-1]):
        return compare(h_last, expected[-1], "the last state h (hs is right)")
    return verdict(True, "hs and the last state match s2s_lab.RNN and torch.nn.RNN (to within 1e-5).")


def _matches(result, expected: torch.Tensor) -> bool:
    return (
        isinstance(result, torch.Tensor)
        and result.shape == expected.shape
        and bool((result.detach() - expected).abs().max() < 1e-5)
    )
