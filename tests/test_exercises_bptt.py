"""Notebook-03b self-check: the folded solution in the notebook passes, the stub as shipped fails, each classic
mistake of the one-step RNN backward gets its own hint, and a crash becomes a sentence."""

import json
import re
from pathlib import Path

import torch

from s2s_lab.exercises.bptt import check_rnn_step_backward

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "03b_backprop_through_time.ipynb"


def _cells():
    return json.loads(NOTEBOOK.read_text())["cells"]


def _run(source: str):
    """Define the notebook's function from ``source``; return it."""
    namespace = {"torch": torch}
    exec(source, namespace)
    return namespace["rnn_step_backward"]


def _verdict(capsys, ok, fn, words):
    assert check_rnn_step_backward(fn) is ok
    out = capsys.readouterr().out
    assert ("✓ Correct" if ok else "✗ Not yet") in out and words in out, out


def test_the_folded_solution_passes(capsys):
    blocks = [
        m.group(1)
        for cell in _cells()
        if cell["cell_type"] == "markdown" and "Solution (try first)" in "".join(cell["source"])
        for m in re.finditer(r"```python\n(.*?)```", "".join(cell["source"]), re.S)
    ]
    assert len(blocks) == 1
    _verdict(capsys, True, _run(blocks[0]), "match autograd")


def test_the_stub_as_shipped_fails_with_its_hint(capsys):
    (stub,) = [
        "".join(c["source"])
        for c in _cells()
        if c["cell_type"] == "code" and "check_rnn_step_backward(rnn_step_backward)" in "".join(c["source"])
    ]
    stub = stub.split("\n_ = check_rnn_step_backward")[0].replace("from s2s_lab.exercises.bptt import", "# ")
    _verdict(capsys, False, _run(stub), "tanh' is missing")


def right(dh, x, h_prev, h, W_hh):
    da = dh * (1 - h * h)
    return da @ W_hh, da.T @ h_prev, da.T @ x, da.sum(0)


def with_da(fix):
    """``right`` with one of its four results replaced: ``fix(da, dh, x, h_prev, h, W_hh) -> (index, value)``."""

    def fn(dh, x, h_prev, h, W_hh):
        out = list(right(dh, x, h_prev, h, W_hh))
        k, value = fix(dh * (1 - h * h), dh, x, h_prev, h, W_hh)
        out[k] = value
        return tuple(out)

    return fn


def test_each_mistake_is_named(capsys):
    def derivative_at(dphi):
        return lambda dh, x, h_prev, h, W: right(dh * dphi(h_prev, h) / (1 - h * h), x, h_prev, h, W)

    cases = {
        "tanh' is missing": lambda dh, x, h_prev, h, W: (dh @ W, dh.T @ h_prev, dh.T @ x, dh.sum(0)),
        "not 1 − h_{t-1}²": derivative_at(lambda h_prev, h: 1 - h_prev**2),
        "not 1 − tanh(h_t)²": derivative_at(lambda h_prev, h: 1 - torch.tanh(h) ** 2),
        "uses W_hh transposed": with_da(lambda da, dh, x, hp, h, W: (0, da @ W.T)),
        "δW_hh is transposed": with_da(lambda da, dh, x, hp, h, W: (1, hp.T @ da)),
        "δW_hh uses h_t": with_da(lambda da, dh, x, hp, h, W: (1, da.T @ h)),
        "δW_ih is transposed": with_da(lambda da, dh, x, hp, h, W: (2, x.T @ da)),
        "not summed over the batch": with_da(lambda da, dh, x, hp, h, W: (3, da)),
        "dW_ih is off by up to": with_da(lambda da, dh, x, hp, h, W: (2, 2 * da.T @ x)),
        "db should be a torch.Tensor": with_da(lambda da, dh, x, hp, h, W: (3, "zero")),
        "ZeroDivisionError": lambda *args: 1 / 0,
        "return the four gradients as a tuple": lambda *args: args[0],
    }
    for words, fn in cases.items():
        _verdict(capsys, False, fn, words)
