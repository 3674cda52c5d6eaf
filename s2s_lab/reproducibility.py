r"""Seeds, and how the notebooks report numbers that depend on the machine.

**Seeds.** :func:`seed_everything` seeds Python, NumPy and PyTorch, so that a notebook re-run on the same
machine prints the same numbers.

**Trained numbers are not portable.** Another CPU sums a matrix product in another order; the difference
(about :math:`10^{-7}`) grows over a few hundred updates into a different third decimal of an accuracy.
So a notebook shows every trained number with the mark ``≈`` (:func:`measured`), and states the claim its
prose makes as a check with a tolerance (:func:`claim`, printing ✓ or ✗). The tests compare the ✓ and
the text, and replace each ``≈`` number before comparing (``tests/nbval_sanitize.cfg``).

**Other seeds.** The environment variable ``S2S_SEED_SHIFT`` (an integer, default 0) is added to every
training seed (:func:`training_seed`): the tests re-run the training notebooks with it to check that each
claim holds for another initialisation and batch order, a stand-in for another machine. The data of the
tasks keep their own seeds.
"""

from __future__ import annotations

import math
import numbers
import os
import random

import numpy as np
import torch

MARK = "≈"


def seed_shift() -> int:
    """The value of ``S2S_SEED_SHIFT`` (0 when unset)."""
    text = os.environ.get("S2S_SEED_SHIFT", "0").strip() or "0"
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"S2S_SEED_SHIFT must be a whole number, got {text!r}.") from None


def training_seed(seed: int) -> int:
    """``seed`` plus :func:`seed_shift`: the seed for a model's initialisation and batch order."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"expected the seed as a whole number, got {seed!r}.")
    return seed + seed_shift()


def seed_everything(seed: int = 0) -> torch.Generator:
    """Seed Python's, NumPy's and PyTorch's random generators with :func:`training_seed` ``(seed)``; return a
    ``torch.Generator`` seeded the same way.

    Notebooks call this first, so that every run on one machine prints the same numbers.
    """
    seed = training_seed(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def measured(value: float, digits: int = 3) -> str:
    """A number that depends on training or on the machine, formatted with the mark ``≈``: ``≈0.931``.

    Whole numbers (a Python or NumPy integer, e.g. a count of updates) print without decimals (``≈75``);
    a float smaller than ``10 ** -digits`` prints in scientific notation (``≈1.9e-07``), so it does not
    read as zero.
    """
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return f"{MARK}{int(value)}"
    value = float(value)
    if not math.isfinite(value):
        return f"{MARK}{value}"
    if value != 0 and abs(value) < 10.0**-digits:
        return f"{MARK}{value:.{max(digits - 2, 1)}e}"
    return f"{MARK}{value:.{digits}f}"


def claim(statement: str, holds, **values: float) -> bool:
    """Print ``✓ statement`` if ``holds``, else ``✗ statement`` and what to do; return ``bool(holds)``.

    ``values``: the measured numbers the claim is about, shown with :func:`measured`, e.g.
    ``claim("the LSTM beats the RNN by at least 0.3", lstm - rnn >= 0.3, LSTM=lstm, RNN=rnn)``.
    """
    ok = bool(holds)
    shown = ", ".join(f"{name.replace('_', ' ')} {measured(v)}" for name, v in values.items())
    print(f"{'✓' if ok else '✗'} {statement}" + (f" (measured: {shown})" if shown else ""))
    if not ok:
        print(
            "  This claim of the text did not hold on this run. Trained numbers vary a little between "
            "machines and seeds, but not this much: please report it, with your machine and versions."
        )
    return ok


__all__ = ["MARK", "seed_shift", "training_seed", "seed_everything", "measured", "claim"]
