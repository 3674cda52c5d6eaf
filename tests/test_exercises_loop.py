"""Notebook-01b self-checks: right answers pass, each classic mistake gets its own message, crashes become
sentences; every folded solution of the notebook passes its check."""

import json
import re
from pathlib import Path

import torch
import torch.nn.functional as F

from s2s_lab.exercises.loop import check_one_hot_embedding, check_train_step

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "01b_training_loop.ipynb"


def _verdict(capsys, ok, check, fn, words):
    assert check(fn) is ok
    out = capsys.readouterr().out
    assert ("✓ Correct" if ok else "✗ Not yet") in out and words in out, out


def embed_right(ids, W):
    return F.one_hot(ids, num_classes=W.shape[0]).float() @ W


def test_one_hot_embedding_check(capsys):
    _verdict(capsys, True, check_one_hot_embedding, embed_right, "Only the rows [0, 1, 2, 3, 5]")
    _verdict(capsys, True, check_one_hot_embedding, lambda ids, W: W[ids], "picks row x of W")
    cases = {
        ".float() (or .to(W.dtype))": lambda ids, W: F.one_hot(ids, W.shape[0]) @ W,
        "num_classes=W.shape[0]": lambda ids, W: F.one_hot(ids).float() @ W,
        "one_hot @ W": lambda ids, W: W @ F.one_hot(ids, W.shape[0]).float(),
        "that is the one-hot tensor": lambda ids, W: F.one_hot(ids, W.shape[0]).float(),
        "no gradient reaches W": lambda ids, W: embed_right(ids, W.detach()),
        "row v of W is the embedding of id v": lambda ids, W: embed_right((ids + 1) % W.shape[0], W),
        "expected shape (2, 4, 3)": lambda ids, W: embed_right(ids, W)[0],
        "return a tensor": lambda ids, W: embed_right(ids, W).tolist(),
        "ZeroDivisionError": lambda ids, W: 1 / 0,
    }
    for words, fn in cases.items():
        _verdict(capsys, False, check_one_hot_embedding, fn, words)


def step_right(model, x, y, optimizer):
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    optimizer.zero_grad()
    return loss.item()


def step_zero_grad_first(model, x, y, optimizer):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    return loss.item()


def _without(*skip):
    """The right step with some of its lines left out (or, for "late clip", clipping after the step)."""

    def step(model, x, y, optimizer):
        loss = F.cross_entropy(model(x), y)
        if "backward" not in skip:
            loss.backward()
        if "clip" not in skip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        if "zero before step" in skip:
            optimizer.zero_grad()
        if "step" not in skip:
            optimizer.step()
        if "late clip" in skip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        if "zero_grad" not in skip:
            optimizer.zero_grad()
        return loss.item()

    return step


def step_first(model, x, y, optimizer):
    optimizer.step()
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    return loss.item()


def test_train_step_check(capsys):
    _verdict(capsys, True, check_train_step, step_right, "the same weights as s2s_lab's train_step")
    _verdict(capsys, True, check_train_step, step_zero_grad_first, "the same weights")
    cases = {
        "the gradients pile up": _without("zero_grad"),
        "the gradient was not clipped": _without("clip"),
        "between backward() and step()": _without("clip", "late clip"),
        "the weights did not change": _without("step"),
        "zero_grad() only after step()": _without("zero before step"),
        "needs loss.backward()": _without("backward"),
        "step() ran before backward()": step_first,
        "return the loss as a Python number": lambda m, x, y, o: torch.tensor(step_right(m, x, y, o)),
        "return the loss computed before it": lambda m, x, y, o: step_right(m, x, y, o) + 1.0,
        "raised ZeroDivisionError": lambda m, x, y, o: 1 / 0,
        "differ from the reference by up to": lambda m, x, y, o: [step_right(m, x, y, o) for _ in range(2)][0],
    }
    for words, fn in cases.items():
        _verdict(capsys, False, check_train_step, fn, words)


def test_a_check_leaves_the_global_random_state_alone():
    before = torch.get_rng_state()
    check_train_step(step_right)
    assert torch.equal(torch.get_rng_state(), before)


def folded_solutions():
    """The code blocks of every folded solution in notebook 01b."""
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    blocks = re.findall(r"<details><summary>Solution \(try first\)</summary>(.*?)</details>", text, re.S)
    return [code for block in blocks for code in re.findall(r"```python\n(.*?)```", block, re.S)]


def test_every_folded_solution_passes_its_check(capsys):
    solutions = folded_solutions()
    assert len(solutions) == 2
    for code in solutions:
        space = {"torch": torch, "F": F, "nn": torch.nn}
        exec(code, space)
        fn = space.get("embed") or space.get("step")
        check = check_one_hot_embedding if "embed" in space else check_train_step
        assert check(fn) is True, capsys.readouterr().out
        assert "✓ Correct" in capsys.readouterr().out
