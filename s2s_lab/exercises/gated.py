r"""Self-check exercises for notebooks 02 (LSTM) and 03 (GRU), in the pattern of :mod:`s2s_lab.exercises`.

Each ``check_...`` function takes the learner's answer (a function or a value), prints one verdict
(correct / what is wrong / a hint) and returns ``True`` or ``False``. A learner's function that raises,
returns the wrong type or the wrong shape gets a sentence saying so instead of a traceback.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..cells import gru_step, lstm_step
from ..gate_variants import gru_step_paper
from .harness import run_learner_code, verdict


def _random_case(I: int, H: int, k: int, B: int = 3, seed: int = 0) -> dict[str, Tensor]:
    """Inputs for one step of a cell with ``k`` gate blocks, drawn so that gates are not saturated."""
    g = torch.Generator().manual_seed(seed)
    r = lambda *s: torch.rand(*s, generator=g) * 2 - 1  # noqa: E731, uniform in [-1, 1]
    return {
        "x": r(B, I),
        "h": r(B, H) * 0.9,
        "c": r(B, H) * 2,
        "weight_ih": r(k * H, I),
        "weight_hh": r(k * H, H),
        "bias_ih": r(k * H) * 0.5,
        "bias_hh": r(k * H) * 0.5,
    }


def _call(fn, args: tuple, n_out: int, shape: tuple):
    """Call the learner's ``fn``; return (outputs as a tuple, None) or (None, a sentence about what went wrong)."""
    if not callable(fn):
        return None, f"expected a function, got {type(fn).__name__}."
    out, problem = run_learner_code(fn, *args)
    if problem:
        return None, problem
    if out is None or (isinstance(out, tuple) and all(o is None for o in out)):
        name = getattr(fn, "__name__", "")
        name = name if name.isidentifier() else "your function"
        return None, f"{name} returns None: it is still the stub. Write its body, then run this cell again."
    outs = out if n_out > 1 else (out,)
    if n_out > 1 and (not isinstance(out, (tuple, list)) or len(out) != n_out):
        return None, f"expected your function to return {n_out} tensors (h_t, c_t), got {type(out).__name__}."
    for o in outs:
        if not isinstance(o, Tensor):
            return None, f"expected torch.Tensor results, got {type(o).__name__}."
        if tuple(o.shape) != shape:
            return None, f"expected results of shape {shape} (B, H), got {tuple(o.shape)}."
    return tuple(o.detach() for o in outs), None


def _close(a: Tensor, b: Tensor) -> bool:
    return torch.allclose(a, b, atol=1e-5)


def _lstm_mistakes(x, h, c, w_ih, w_hh, b_ih, b_hh):
    """Reference results for a few frequent LSTM slips: name -> (h_t, c_t)."""
    gates = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh  # (B, 4H)
    i, f, g, o = gates.chunk(4, dim=-1)
    si, sf, tg, so = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    c_ok = sf * c + si * tg
    return {
        "h_t = o_t ⊙ c_t is missing the tanh: use h_t = o_t ⊙ tanh(c_t).": (so * c_ok, c_ok),
        "the cell candidate g_t needs tanh, not sigmoid (it must be able to be negative).": (
            so * torch.tanh(sf * c + si * torch.sigmoid(g)),
            sf * c + si * torch.sigmoid(g),
        ),
        "c_t = f_t ⊙ c_{t-1} + g_t forgets the input gate: c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t.": (
            so * torch.tanh(sf * c + tg),
            sf * c + tg,
        ),
        "the gate order in PyTorch's weights is i, f, g, o (you seem to use i, f, o, g).": (
            torch.sigmoid(g) * torch.tanh(sf * c + si * torch.tanh(o)),
            sf * c + si * torch.tanh(o),
        ),
        "input and forget gate are swapped: c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t with i first in the weights.": (
            so * torch.tanh(si * c + sf * tg),
            si * c + sf * tg,
        ),
    }


def check_lstm_step(fn) -> bool:
    r"""Check ``fn(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh) -> (h_t, c_t)``, one LSTM step.

    Shapes: ``x`` ``(B, I)``; ``h``, ``c`` ``(B, H)``; ``weight_ih`` ``(4H, I)``; ``weight_hh`` ``(4H, H)``;
    biases ``(4H,)``; gate order i, f, g, o (PyTorch's). Compared with :func:`s2s_lab.cells.lstm_step`.
    """
    for seed, (I, H) in enumerate([(3, 4), (5, 2)]):
        case = _random_case(I, H, 4, seed=seed)
        args = tuple(case[k] for k in ("x", "h", "c", "weight_ih", "weight_hh", "bias_ih", "bias_hh"))
        outs, problem = _call(fn, args, 2, (3, H))
        if problem:
            return verdict(False, problem)
        gi = case["x"] @ case["weight_ih"].T + case["bias_ih"]
        h_ref, c_ref, _ = lstm_step(gi, case["h"], case["c"], case["weight_hh"], case["bias_hh"])
        if _close(outs[0], h_ref) and _close(outs[1], c_ref):
            continue
        for hint, (h_bad, c_bad) in _lstm_mistakes(*args).items():
            if _close(outs[0], h_bad) and _close(outs[1], c_bad):
                return verdict(False, hint)
        which = "c_t is right but h_t is not" if _close(outs[1], c_ref) else "c_t differs"
        return verdict(
            False,
            f"{which}. Hint: compute all four gates from W_ih x_t + b_ih + W_hh h_{{t-1}} + b_hh, "
            "split them in the order i, f, g, o, then c_t, then h_t.",
        )
    return verdict(True, "your LSTM step matches s2s_lab.LSTMCell (and so torch.nn.LSTMCell).")


def check_gru_step(fn) -> bool:
    r"""Check ``fn(x, h, weight_ih, weight_hh, bias_ih, bias_hh) -> h_t``, one GRU step in PyTorch's form.

    Shapes: ``x`` ``(B, I)``; ``h`` ``(B, H)``; ``weight_ih`` ``(3H, I)``; ``weight_hh`` ``(3H, H)``; biases
    ``(3H,)``; gate order r, z, n. Compared with :func:`s2s_lab.cells.gru_step`.
    """
    for seed, (I, H) in enumerate([(3, 4), (5, 2)]):
        case = _random_case(I, H, 3, seed=seed)
        args = tuple(case[k] for k in ("x", "h", "weight_ih", "weight_hh", "bias_ih", "bias_hh"))
        outs, problem = _call(fn, args, 1, (3, H))
        if problem:
            return verdict(False, problem)
        gi = case["x"] @ case["weight_ih"].T + case["bias_ih"]
        h_ref, p = gru_step(gi, case["h"], case["weight_hh"], case["bias_hh"])
        if _close(outs[0], h_ref):
            continue
        if _close(outs[0], gru_step_paper(gi, case["h"], case["weight_hh"], case["bias_hh"])[0]):
            return verdict(
                False,
                "that is the paper's GRU (r_t ⊙ h_{t-1} before W_hn), also a GRU; this "
                "exercise asks for PyTorch's n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn)).",
            )
        if _close(outs[0], p["z"] * p["n"] + (1 - p["z"]) * case["h"]):
            return verdict(
                False,
                "z_t and 1 - z_t are swapped: h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1} (z_t near 1 keeps the old state).",
            )
        return verdict(
            False,
            "h_t differs. Hint: split W_ih x_t + b_ih and W_hh h_{t-1} + b_hh in the order "
            "r, z, n; r_t multiplies only the n part of the second one.",
        )
    return verdict(True, "your GRU step matches s2s_lab.GRUCell (and so torch.nn.GRUCell).")


def check_memory_gates(keep: str, block: str) -> bool:
    r"""After the marked token, which LSTM gate must stay near 1 (``keep``) and which near 0 (``block``)
    in a unit that holds the memory, so that :math:`c_t = f_t \odot c_{t-1} + i_t \odot g_t` stays put?"""
    keep, block = str(keep).strip().lower(), str(block).strip().lower()
    if (keep, block) == ("f", "i"):
        return verdict(True, "f_t ≈ 1 copies c_{t-1}, i_t ≈ 0 keeps the distractors' g_t out.")
    if keep == "o" or block == "o":
        return verdict(False, "the output gate only decides what the cell shows in h_t; c_t does not depend on o_t.")
    if (keep, block) == ("i", "f"):
        return verdict(False, "the other way round: f_t ≈ 0 would erase c_{t-1} at every step.")
    return verdict(
        False,
        "look at c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t: which factor multiplies the old memory, "
        "which the new candidate? Answer with two of 'i', 'f', 'g', 'o'.",
    )


def check_gru_keep(z_value) -> bool:
    r"""To copy :math:`h_{t-1}` unchanged into :math:`h_t`, should the update gate :math:`z_t` be 0 or 1?"""
    try:
        z = float(z_value)
    except (TypeError, ValueError):
        return verdict(False, f"expected a number, 0 or 1, got {z_value!r}.")
    if z == 1:
        return verdict(
            True,
            "h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1} = h_{t-1} when z_t = 1 (as in Cho et al. 2014 "
            "and PyTorch; some texts swap the roles of z_t and 1 - z_t).",
        )
    if z == 0:
        return verdict(False, "with z_t = 0, h_t = n_t: the old state is replaced, not kept.")
    return verdict(False, "put z_t = 0 and z_t = 1 into h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}.")


def num_recurrent_parameters(kind: str, input_size: int, hidden_size: int) -> int:
    r"""Parameters of one recurrent layer with biases: :math:`k H (I + H + 2)`, with :math:`k` = 1 (RNN),
    4 (LSTM), 3 (GRU)."""
    k = {"RNN": 1, "LSTM": 4, "GRU": 3}
    if kind not in k:
        raise ValueError(f"expected kind one of ['GRU', 'LSTM', 'RNN'], got {kind!r}.")
    return k[kind] * hidden_size * (input_size + hidden_size + 2)


def check_num_parameters(kind: str, input_size: int, hidden_size: int, answer) -> bool:
    """Check a count of the parameters of one ``kind`` layer (``"RNN"``, ``"LSTM"``, ``"GRU"``) with biases."""
    right = num_recurrent_parameters(kind, input_size, hidden_size)
    if isinstance(answer, bool) or not isinstance(answer, int):
        return verdict(False, f"expected a whole number, got {answer!r}.")
    if answer == right:
        return verdict(
            True,
            f"{right} = {right // (hidden_size * (input_size + hidden_size + 2))} blocks × "
            f"H (I + H + 2) with I={input_size}, H={hidden_size}.",
        )
    no_bias = right - 2 * right // (input_size + hidden_size + 2)
    if answer == no_bias:
        return verdict(False, "you forgot the biases: b_ih and b_hh each have one entry per gate row.")
    return verdict(
        False,
        "count W_ih (k·H × I), W_hh (k·H × H) and two biases (k·H each); "
        "k = 1 for an RNN, 3 for a GRU (r, z, n), 4 for an LSTM (i, f, g, o).",
    )


__all__ = [
    "check_lstm_step",
    "check_gru_step",
    "check_memory_gates",
    "check_gru_keep",
    "check_num_parameters",
    "num_recurrent_parameters",
]
