"""The harness of the self-check exercises: the learner writes a piece of a formula, a ``check_...`` function runs it on
random inputs, compares it with the reference and prints a verdict with a hint.

A check never raises because of the learner's code: an exception, a wrong shape or wrong numbers all
end in a printed sentence. It returns ``True`` when the answer is right, so a notebook can also assert.
"""

from __future__ import annotations

import traceback

import torch


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
        return verdict(
            False, f"{what} should be a torch.Tensor of shape {tuple(expected.shape)}, got {type(result).__name__}."
        )
    if result.shape != expected.shape:
        return verdict(False, f"{what} should have shape {tuple(expected.shape)}, got {tuple(result.shape)}.")
    err = (result.detach() - expected).abs().max().item()
    if err < 1e-5:
        return verdict(True, f"{what} matches the reference (to within 1e-5).")
    for wrong, hint in hints:
        if wrong.shape == result.shape and (result.detach() - wrong).abs().max().item() < 1e-5:
            return verdict(False, f"{what} is off by up to {err:.3f}. {hint}")
    return verdict(False, f"{what} is off by up to {err:.3f}. Compare each term with the formula.")
