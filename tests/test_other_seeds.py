"""The stand-in for "another machine": re-run one training notebook of each style (a classifier, an RNN
encoder-decoder, a Transformer) with other training seeds, and compare it with its stored outputs exactly
as nbval does. Every trained number is printed with ≈ and replaced before comparing, so what must match
is the text and each claim's ✓ (see s2s_lab.reproducibility)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ONE_PER_STYLE = ["02_lstm.ipynb", "04_encoder_decoder.ipynb", "06_transformer.ipynb"]


@pytest.mark.parametrize("notebook", ONE_PER_STYLE)
def test_claims_hold_with_another_training_seed(notebook):
    env = {**os.environ, "S2S_SEED_SHIFT": "1"}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"notebooks/{notebook}"]
    run = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-6000:]
