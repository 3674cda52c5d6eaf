"""Notebook-06 self-checks: right answers pass, classic mistakes get their hint, crashes become sentences."""

import math

import pytest
import torch

from s2s_lab.exercises.transformer import check_causal_mask, check_positional_encoding, check_scaled_dot_product


def attention_right(Q, K, V, mask):
    scores = (Q @ K.transpose(-2, -1) / math.sqrt(Q.shape[-1])).masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, -1) @ V


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
    }
    for words, fn in cases.items():
        _verdict(capsys, False, check_scaled_dot_product, fn, words)


def test_positional_encoding_check(capsys):
    _verdict(capsys, True, check_positional_encoding, pe_right, "matches")
    swapped = lambda L, d: pe_right(L, d)[:, [k + 1 if k % 2 == 0 else k - 1 for k in range(d)]]  # noqa: E731
    _verdict(capsys, False, check_positional_encoding, swapped, "swapped")
    halves = lambda L, d: torch.cat([pe_right(L, d)[:, 0::2], pe_right(L, d)[:, 1::2]], 1)  # noqa: E731
    _verdict(capsys, False, check_positional_encoding, halves, "interleave")
    _verdict(capsys, False, check_positional_encoding, lambda L, d: torch.zeros(L, d // 2), "shape (20, 16)")
    _verdict(capsys, False, check_positional_encoding, lambda L, d: 1 / 0, "raised ZeroDivisionError")


@pytest.mark.parametrize(
    "fn, ok, words",
    [
        (lambda T: torch.ones(T, T, dtype=torch.bool).triu(1), True, "exactly the future"),
        (lambda T: torch.ones(T, T, dtype=torch.bool).tril(), False, "inverted"),
        (lambda T: torch.ones(T, T, dtype=torch.bool).tril(-1), False, "hides the past"),
        (lambda T: torch.ones(T, T, dtype=torch.bool).triu(), False, "diagonal"),
        (lambda T: torch.ones(T, T).triu(1), False, "boolean"),
        (lambda T: torch.ones(T, T, dtype=torch.bool).triu(2), False, "wrong at 4 of 25"),
        (lambda T: None, False, "shape (5, 5), got NoneType"),
    ],
)
def test_causal_mask_check(capsys, fn, ok, words):
    _verdict(capsys, ok, check_causal_mask, fn, words)
