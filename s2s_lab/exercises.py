"""Self-check exercises: the learner writes a piece of a formula, a ``check_...`` function runs it on
random inputs, compares it with the reference and prints a verdict with a hint.

A check never raises because of the learner's code: an exception, a wrong shape or wrong numbers all
end in a printed sentence. It returns ``True`` when the answer is right, so a notebook can also assert.
"""

from __future__ import annotations

import traceback

import torch

from .cells import RNNCell


def verdict(ok: bool, text: str) -> bool:
    print(("✓ Correct: " if ok else "✗ Not yet: ") + text)
    return ok


def run_learner_code(fn, *args):
    """Call the learner's ``fn``; return ``(result, None)`` or ``(None, a sentence about the exception)``."""
    try:
        return fn(*args), None
    except Exception as exc:
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return None, f"your function raised {type(exc).__name__}: {exc} (line {where.lineno})."


def compare(result, expected: torch.Tensor, what: str, hints: list[tuple[torch.Tensor, str]] = ()) -> bool:
    """Compare the learner's ``result`` with ``expected``; if it equals one of ``hints``' known
    mistakes, print that hint."""
    if not isinstance(result, torch.Tensor):
        return verdict(False, f"{what} should be a torch.Tensor of shape {tuple(expected.shape)}, "
                              f"got {type(result).__name__}.")
    if result.shape != expected.shape:
        return verdict(False, f"{what} should have shape {tuple(expected.shape)}, got {tuple(result.shape)}.")
    err = (result.detach() - expected).abs().max().item()
    if err < 1e-5:
        return verdict(True, f"{what} matches the reference (to within 1e-5).")
    for wrong, hint in hints:
        if wrong.shape == result.shape and (result.detach() - wrong).abs().max().item() < 1e-5:
            return verdict(False, f"{what} is off by up to {err:.3f}. {hint}")
    return verdict(False, f"{what} is off by up to {err:.3f}. Compare each term with the formula.")


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
        (torch.tanh(x @ W_ih + b_ih + h_prev @ W_hh + b_hh) if I == H else torch.zeros(0),
         "Transpose the weights: with rows as batch items, use x @ W_ih.T."),
        (torch.tanh(x @ W_ih.T + b_ih + h_prev @ W_hh + b_hh),
         "W_hh is used untransposed: with rows as batch items, use h_prev @ W_hh.T."),
    ]
    return compare(result, expected, "h_t", hints)
