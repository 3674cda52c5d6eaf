"""Seeds and the ≈ numbers of s2s_lab.reproducibility, and the sanitiser that nbval applies to them."""

import re
from pathlib import Path

import pytest
import torch

from s2s_lab.reproducibility import claim, measured, seed_everything, seed_shift, training_seed


def sanitise(text: str) -> str:
    """Apply tests/nbval_sanitize.cfg as nbval does."""
    cfg = (Path(__file__).parent / "nbval_sanitize.cfg").read_text()
    for regex, replace in re.findall(r"^regex: (.*)$\n^replace: (.*)$", cfg, flags=re.M):
        text = re.sub(regex, replace, text)
    return text


def test_measured_formats():
    assert measured(0.93123) == "≈0.931"
    assert measured(75) == "≈75" and measured(torch.tensor(3).item()) == "≈3"
    assert measured(1.9e-7) == "≈1.9e-07" and measured(0.0) == "≈0.000"
    assert measured(float("nan")) == "≈nan"


def test_two_runs_that_differ_only_in_measured_numbers_compare_equal():
    a = f"exact match {measured(0.93)} after {measured(314)} updates; tiny {measured(2e-9)}"
    b = f"exact match {measured(0.971)} after {measured(1000)} updates; tiny {measured(-3.5e-8)}"
    assert a != b and sanitise(a) == sanitise(b)
    assert sanitise("exact match 0.93") != sanitise("exact match 0.97")  # plain numbers are compared


def test_claim_prints_a_verdict_and_the_measured_values(capsys):
    assert claim("the LSTM beats the RNN by at least 0.3", 0.99 - 0.25 >= 0.3, LSTM=0.99, RNN=0.25)
    out = capsys.readouterr().out
    assert out.startswith("✓ the LSTM beats the RNN by at least 0.3") and "LSTM ≈0.990, RNN ≈0.250" in out
    assert not claim("it is perfect", False, accuracy=0.5)
    assert capsys.readouterr().out.startswith("✗ it is perfect (measured: accuracy ≈0.500)\n  This claim")


def test_seed_shift(monkeypatch):
    monkeypatch.delenv("S2S_SEED_SHIFT", raising=False)
    assert seed_shift() == 0 and training_seed(5) == 5
    monkeypatch.setenv("S2S_SEED_SHIFT", "2")
    assert training_seed(5) == 7
    a = torch.randn(3, generator=seed_everything(5))
    monkeypatch.setenv("S2S_SEED_SHIFT", "0")
    assert torch.equal(a, torch.randn(3, generator=seed_everything(7)))
    monkeypatch.setenv("S2S_SEED_SHIFT", "one")
    with pytest.raises(ValueError, match="S2S_SEED_SHIFT must be a whole number, got 'one'"):
        seed_shift()
    with pytest.raises(ValueError, match="seed as a whole number"):
        training_seed(1.5)
