"""Input checks shared by the cells and layers.

Every check raises ``ValueError`` (``TypeError`` for a constructor argument of the wrong type, as PyTorch
does) with one sentence that names what was expected and what was received, so a student who passes the
wrong tensor or argument learns what to change.
"""

from __future__ import annotations

import numbers

import torch
from torch import Tensor


def shape_str(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ")"


def broadcast_shapes(*shapes) -> torch.Size:
    """The shape that ``shapes`` broadcast to (align them on the right; in each dimension the sizes must be
    equal or 1), as ``torch.broadcast_shapes``, which raises ``RuntimeError`` too if they do not broadcast.
    Ours because PyTorch's imports its symbolic-shapes machinery (and sympy) on first use: a quarter of a
    second at the start of every command that decodes."""
    n = max((len(s) for s in shapes), default=0)
    out = []
    for sizes in zip(*[(1,) * (n - len(s)) + tuple(s) for s in shapes]):
        not_one = set(sizes) - {1}
        if len(not_one) > 1:
            raise RuntimeError(f"shapes {', '.join(shape_str(s) for s in shapes)} do not broadcast.")
        out.append(not_one.pop() if not_one else 1)
    return torch.Size(out)


def _got(value) -> str:
    """``value`` as an error message shows it: its type and, if short, its value (``str '10'``)."""
    text = repr(value)
    return f"{type(value).__name__} {text}" if len(text) <= 40 else type(value).__name__


def check_int(value, name: str, minimum: int = 1) -> int:
    """A constructor's size argument: an ``int`` (not a ``bool``, not a float) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        numpy_int = isinstance(value, numbers.Integral) and not isinstance(value, bool)  # e.g. numpy.int64
        hint = "; convert it with int(...)" if numpy_int else ""
        raise TypeError(f"{name} should be of type int, got {_got(value)}{hint}.")
    if value < minimum:
        expected = "a positive int" if minimum == 1 else f"an int >= {minimum}"
        raise ValueError(f"{name} must be {expected}, got {value}.")
    return value


def check_bool(value, name: str) -> bool:
    """A constructor's on/off argument: ``True`` or ``False`` (not the string ``"False"``, which is truthy)."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} should be of type bool (True or False), got {_got(value)}.")
    return value


def check_probability(value, name: str = "dropout") -> float:
    """A probability such as ``dropout``: a number in ``[0, 1]`` (``ValueError`` otherwise, as PyTorch)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 1:
        raise ValueError(
            f"{name} should be a number in [0, 1] (the probability of zeroing an element), got {_got(value)}."
        )
    return float(value)


def check_float(x: Tensor, what: str, like: Tensor | None = None) -> None:
    """``x`` must be a floating-point tensor (of ``like``'s dtype, if given)."""
    if not isinstance(x, Tensor):
        raise ValueError(f"{what} must be a torch.Tensor, got {type(x).__name__}.")
    if not x.is_floating_point():
        raise ValueError(
            f"{what} must be a floating-point tensor (e.g. torch.float32), got dtype {x.dtype}; "
            f"convert it with .float() (one-hot or embedded tokens, not raw token ids)."
        )
    if like is not None and x.dtype != like.dtype:
        raise ValueError(
            f"{what} has dtype {x.dtype} but the parameters are {like.dtype}; "
            f"convert one of them (.to({like.dtype}) or model.to({x.dtype}))."
        )


def check_cell_input(x: Tensor, input_size: int, name: str, param: Tensor) -> bool:
    """Check a cell's input ``(B, I)`` or ``(I,)``; return whether it is batched."""
    check_float(x, f"{name} input", param)
    if x.dim() not in (1, 2):
        raise ValueError(
            f"{name} expects input of shape (B, I={input_size}) or unbatched (I={input_size},), "
            f"got a {x.dim()}-D tensor of shape {shape_str(x.shape)}."
        )
    if x.shape[-1] != input_size:
        raise ValueError(
            f"{name} expects input feature size I={input_size} (the last dimension), "
            f"got {x.shape[-1]} in input of shape {shape_str(x.shape)}."
        )
    if x.dim() == 2 and x.shape[0] == 0:
        raise ValueError(f"{name} got an empty batch (B=0) in input of shape {shape_str(x.shape)}.")
    return x.dim() == 2


def check_state(h: Tensor, expected: tuple, what: str, param: Tensor) -> None:
    """A hidden/cell state must have exactly the ``expected`` shape."""
    check_float(h, what, param)
    if tuple(h.shape) != tuple(expected):
        raise ValueError(f"expected {what} of shape {shape_str(expected)}, got {shape_str(h.shape)}.")


def check_sequence(x: Tensor, input_size: int, name: str, batch_first: bool, param: Tensor) -> bool:
    """Check a layer's input sequence; return whether it is batched."""
    if isinstance(x, torch.nn.utils.rnn.PackedSequence):
        raise ValueError(f"{name} takes padded tensors, not PackedSequence; pad the batch and use a mask instead.")
    check_float(x, f"{name} input", param)
    layout = "(B, T, I)" if batch_first else "(T, B, I)"
    layout = layout.replace("I", f"I={input_size}")
    if x.dim() not in (2, 3):
        raise ValueError(
            f"{name} expects input of shape {layout} or unbatched (T, I={input_size}), "
            f"got a {x.dim()}-D tensor of shape {shape_str(x.shape)}."
        )
    if x.shape[-1] != input_size:
        raise ValueError(
            f"{name} expects input feature size I={input_size} (the last dimension), "
            f"got {x.shape[-1]} in input of shape {shape_str(x.shape)}."
        )
    time_dim = 1 if (batch_first and x.dim() == 3) else 0
    if x.shape[time_dim] == 0:
        raise ValueError(
            f"{name} got an empty sequence (T=0) in input of shape {shape_str(x.shape)}; give at least one time step."
        )
    if x.dim() == 3 and x.shape[1 - time_dim] == 0:
        raise ValueError(f"{name} got an empty batch (B=0) in input of shape {shape_str(x.shape)}.")
    return x.dim() == 3
