"""Notebook-06 self-checks: right answers pass, classic mistakes get their hint, crashes become sentences, the
notebook's stubs are told they are stubs, and the notebook's folded solutions pass."""

import json
import math
import re
from pathlib import Path

import pytest
import torch

from s2s_lab.exercises.transformer import (
    check_causal_mask,
    check_positional_encoding,
    check_scaled_dot_product,
    check_split_merge_heads,
)

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "06_transformer.ipynb"


def attention_right(Q, K, V, mask):
    scores = (Q @ K.transpose(-2, -1) / math.sqrt(Q.shape[-1])).masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, -1) @ V


def _masked_scores(Q, K, mask):
    return (Q @ K.transpose(-2, -1) / math.sqrt(Q.shape[-1])).masked_fill(~mask, float("-inf"))


def pe_right(L, d):
    pos = torch.arange(L)[:, None].float()
    angle = pos / 10000 ** (torch.arange(0, d, 2).float() / d)
    pe = torch.zeros(L, d)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(angle), torch.cos(angle)
    return pe


def _verdict(capsys, ok, check, fn, words):
    assert check(fn) is ok
    out = capsys.readouterr().out
    assert ("✓ Correct" if ok else "✗ Not yet") in out and words in out, out


def test_scaled_dot_product_check(capsys):
    _verdict(capsys, True, check_scaled_dot_product, attention_right, "matches the reference")
    _verdict(capsys, True, check_scaled_dot_product, lambda *a: (attention_right(*a), None), "matches")
    d = 8
    cases = {
        "not scaled": lambda Q, K, V, m: torch.softmax((Q @ K.transpose(-2, -1)).masked_fill(~m, -math.inf), -1) @ V,
        "not by d": lambda Q, K, V, m: torch.softmax((Q @ K.transpose(-2, -1) / d).masked_fill(~m, -math.inf), -1) @ V,
        "mask is ignored": lambda Q, K, V, m: torch.softmax(Q @ K.transpose(-2, -1) / math.sqrt(d), -1) @ V,
        "mask is inverted": lambda Q, K, V, m: attention_right(Q, K, V, ~m),
        "Shapes": lambda Q, K, V, m: Q @ K,
        "returns None: write its body": lambda Q, K, V, m: None,
        "contains NaN": lambda Q, K, V, m: torch.softmax(_masked_scores(Q, K, m), -2) @ V,  # softmax over queries
        "runs over the queries": lambda Q, K, V, m: torch.softmax(_masked_scores(Q, K, m), -2).nan_to_num() @ V,
    }
    for words, fn in cases.items():
        _verdict(capsys, False, check_scaled_dot_product, fn, words)


def test_positional_encoding_check(capsys):
    _verdict(capsys, True, check_positional_encoding, pe_right, "matches")
    swapped = lambda L, d: pe_right(L, d)[:, [k + 1 if k % 2 == 0 else k - 1 for k in range(d)]]  # noqa: E731
    _verdict(capsys, False, check_positional_encoding, swapped, "swapped")

    def exponent_i(L, d):  # pos / 10000^(i/d) instead of 2i/d
        angle = torch.arange(L)[:, None].float() / 10000 ** (torch.arange(d // 2).float() / d)
        pe = torch.zeros(L, d)
        pe[:, 0::2], pe[:, 1::2] = torch.sin(angle), torch.cos(angle)
        return pe

    _verdict(capsys, False, check_positional_encoding, exponent_i, "The exponent is 2i/d_model")
    halves = lambda L, d: torch.cat([pe_right(L, d)[:, 0::2], pe_right(L, d)[:, 1::2]], 1)  # noqa: E731
    _verdict(capsys, False, check_positional_encoding, halves, "interleave")
    _verdict(capsys, False, check_positional_encoding, lambda L, d: torch.zeros(L, d // 2), "shape (20, 16)")
    _verdict(capsys, False, check_positional_encoding, lambda L, d: 1 / 0, "raised ZeroDivisionError")
    _verdict(capsys, False, check_positional_encoding, lambda L, d: None, "returns None: write its body")


@pytest.mark.parametrize(
    "fn, ok, words",
    [
        (lambda T: torch.ones(T, T, dtype=torch.bool).tril(), True, "the future is hidden"),
        (lambda T: torch.ones(T, T, dtype=torch.bool).triu(1), False, "inverted: True must mark the keys a query MAY"),
        (lambda T: torch.ones(T, T, dtype=torch.bool).triu(), False, "see the future instead of the past"),
        (lambda T: torch.ones(T, T, dtype=torch.bool).tril(-1), False, "may attend to itself"),
        (lambda T: torch.ones(T, T).tril(), False, "boolean"),
        (lambda T: torch.ones(T, T, dtype=torch.bool).tril(1), False, "wrong at 4 of 25"),
        (lambda T: "mask", False, "shape (5, 5), got str"),
        (lambda T: None, False, "make_causal_mask returns None: write its body"),
    ],
)
def test_causal_mask_check(capsys, fn, ok, words):
    _verdict(capsys, ok, check_causal_mask, fn, words)


# ---------------------------------------------------------------------------------------------
# Split and merge heads
# ---------------------------------------------------------------------------------------------
def split_right(x, n_heads):
    B, T, d = x.shape
    return x.view(B, T, n_heads, d // n_heads).transpose(1, 2)


def merge_right(x):
    B, n_h, T, d_h = x.shape
    return x.transpose(1, 2).reshape(B, T, n_h * d_h)


def _both(fns):
    return check_split_merge_heads(*fns)


def test_split_merge_heads_check(capsys):
    _verdict(capsys, True, _both, (split_right, merge_right), "merge_heads undoes split_heads")
    B_T = lambda x: x.shape[:2]  # noqa: E731
    split_cases = {
        "without the transpose": lambda x, n: x.view(x.shape[0], n, x.shape[1], -1),  # the view-only mistake
        "wrong order": lambda x, n: x.view(*B_T(x), -1, n).permute(0, 3, 1, 2),  # strided heads
        "before the time axis": lambda x, n: x.view(*B_T(x), n, -1),  # (B, T, n_h, d_h)
        "split_heads: your function raised RuntimeError": lambda x, n: x.view(*B_T(x), 5, -1),
        "split_heads returns None": lambda x, n: None,
        "should have shape (2, 3, 5, 4), got (2, 5, 12)": lambda x, n: x,
        "split_heads(x) is off by up to": lambda x, n: split_right(x, n) + 1,
    }
    for words, fn in split_cases.items():
        _verdict(capsys, False, _both, (fn, merge_right), words)
    merge_cases = {
        "split_heads is right; merge_heads(heads) has the right shape but wrong values. You reshaped (B, n_h, T, d_h)"
        " to (B, T, d_model) without moving the heads back": lambda h: h.reshape(h.shape[0], h.shape[2], -1),
        "split_heads is right; merge_heads(heads) has the right shape but wrong values. The features come out "
        "interleaved": lambda h: h.permute(0, 2, 3, 1).reshape(h.shape[0], h.shape[2], -1),
        "use .reshape (or .contiguous().view)": lambda h: h.transpose(1, 2).view(h.shape[0], h.shape[2], -1),
        "merge_heads: your function raised TypeError": lambda h: h.transpose(1, 2).reshape("B"),
        "merge_heads returns None": lambda h: None,
        "split_heads is right; merge_heads(heads) should have shape (2, 5, 12), got (2, 3, 5, 4)": lambda h: h,
    }
    for words, fn in merge_cases.items():
        _verdict(capsys, False, _both, (split_right, fn), words)


# ---------------------------------------------------------------------------------------------
# The notebook: its stubs print "Not yet", its folded solutions pass
# ---------------------------------------------------------------------------------------------
CHECKS = {  # the functions an exercise defines -> its check
    ("attention",): check_scaled_dot_product,
    ("make_causal_mask",): check_causal_mask,
    ("positional_encoding",): check_positional_encoding,
    ("split_heads", "merge_heads"): check_split_merge_heads,
}


def _cells(kind):
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == kind]


def _run(code, names):
    space = {"torch": torch, "math": math}
    exec(code, space)
    return [space[n] for n in names]


def _check(check, fns):
    return check(*fns)


def test_notebook_solutions_pass(capsys):
    solutions = [
        re.findall(r"```python\n(.*?)```", text, re.S)
        for text in _cells("markdown")
        if "<summary>Solution (try first)</summary>" in text
    ]
    blocks = [block for found in solutions for block in found]
    assert len(solutions) == len(CHECKS) and len(blocks) == len(CHECKS), "one folded solution per exercise"
    checked = set()
    for block in blocks:
        names = next(n for n in CHECKS if all(f"def {name}(" in block for name in n))
        assert _check(CHECKS[names], _run(block, names)) is True, capsys.readouterr().out
        checked.add(names)
    assert checked == set(CHECKS)


def test_notebook_stubs_are_not_yet_and_no_cell_prints_a_solution(capsys):
    code = _cells("code")
    for names, check in CHECKS.items():
        (stub,) = [c for c in code if all(f"def {name}(" in c for name in names)]  # one cell per exercise
        definitions = stub[: stub.index("_ = check_")]
        assert _check(check, _run(definitions, names)) is False
        assert "returns None: write its body" in capsys.readouterr().out
