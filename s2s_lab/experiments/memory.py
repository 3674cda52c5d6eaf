"""The experiments of notebooks 02 (LSTM) and 03 (GRU): sequence classifiers on the marked-token memory task
(:mod:`s2s_lab.memory_tasks`), trained by the collection's one trainer, :func:`s2s_lab.fit`.

- :func:`train_classifier`: batches, optimiser and seed around :func:`~s2s_lab.fit`.
- :func:`train_kinds`: RNN, LSTM, GRU on the same data from the same seed.
- :func:`accuracy_vs_delay`: final validation accuracy as the delay to remember grows.
- :func:`compare_optimizers`: SGD, RMSprop, Adam at several learning rates from the same start.
"""

from __future__ import annotations

import torch
from torch.utils.data import DataLoader, Dataset

from ..memory_tasks import ALPHABET, remember_marked
from ..sequence_classifier import SequenceClassifier
from ..training import History, fit

OPTIMIZERS = {"SGD": torch.optim.SGD, "RMSprop": torch.optim.RMSprop, "Adam": torch.optim.Adam}


def train_classifier(
    model,
    train: Dataset,
    *,
    val: Dataset | None = None,
    epochs: int = 10,
    batch_size: int = 64,
    optimizer: str = "Adam",
    lr: float = 1e-2,
    clip: float | None = 1.0,
    seed: int = 0,
    progress: bool = False,
    desc: str | None = None,
) -> History:
    """Train a classifier with :func:`~s2s_lab.fit` (cross-entropy, final weights kept); deterministic
    given ``seed`` (shuffling uses its own generator).

    Args:
        optimizer: ``"SGD"``, ``"RMSprop"`` or ``"Adam"``, with learning rate ``lr``.
        clip: clip the gradient norm to this value (``None``: no clipping).
        val: if given, ``History.accuracies`` holds the accuracy on it after every epoch.
        progress: show a ``tqdm.auto`` bar over the optimiser steps.
    """
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"expected optimizer one of {sorted(OPTIMIZERS)}, got {optimizer!r}.")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"expected batch_size as a whole number >= 1, got {batch_size!r}.")
    loader = DataLoader(train, batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed))
    val_loader = DataLoader(val, batch_size=512) if val is not None else None
    opt = OPTIMIZERS[optimizer](model.parameters(), lr=lr)
    return fit(
        model,
        loader,
        val_loader=val_loader,
        epochs=epochs,
        optimizer=opt,
        lr=lr,
        clip=clip,
        restore_best=False,
        device="cpu",
        progress=progress,
        desc=desc or f"{optimizer} lr={lr:g}",
    )


def train_kinds(
    kinds,
    train: Dataset,
    val: Dataset,
    *,
    hidden_size: int,
    num_classes: int,
    keep_bias: float | None = 3.0,
    seed: int = 0,
    **train_kwargs,
) -> dict[str, tuple[SequenceClassifier, History]]:
    """Train one :class:`~s2s_lab.SequenceClassifier` per kind on the same data, each from
    ``torch.manual_seed(seed)``.

    ``keep_bias`` goes to the LSTM and GRU (an RNN has no gate); ``train_kwargs`` to :func:`train_classifier`.
    Returns ``kind -> (model, history)``.
    """
    input_size = train[0][0].shape[-1]
    out = {}
    for kind in kinds:
        torch.manual_seed(seed)
        model = SequenceClassifier(
            kind, input_size, hidden_size, num_classes, keep_bias=None if kind == "RNN" else keep_bias
        )
        out[kind] = model, train_classifier(model, train, val=val, seed=seed, desc=kind, **train_kwargs)
    return out


def accuracy_vs_delay(
    kinds,
    delays,
    *,
    hidden_size: int,
    lead: int = 4,
    num_train: int = 2048,
    num_val: int = 512,
    data_seed: int = 1,
    **kwargs,
) -> dict[str, list[float]]:
    """For every delay, train each kind on :func:`~s2s_lab.memory_tasks.remember_marked` (train and
    validation sets from ``data_seed`` and ``data_seed + 1``) with :func:`train_kinds`; return
    ``kind -> [final validation accuracy for each delay]``."""
    out = {kind: [] for kind in kinds}
    for delay in delays:
        train = remember_marked(num_train, delay, lead, seed=data_seed)
        val = remember_marked(num_val, delay, lead, seed=data_seed + 1)
        for kind, (_, hist) in train_kinds(
            kinds, train, val, hidden_size=hidden_size, num_classes=len(ALPHABET), **kwargs
        ).items():
            out[kind].append(hist.accuracies[-1])
    return out


def compare_optimizers(
    make_model,
    train: Dataset,
    *,
    optimizers=("SGD", "RMSprop", "Adam"),
    lrs=(1e-3, 1e-2, 1e-1),
    seed: int = 0,
    **train_kwargs,
) -> dict[tuple[str, float], History]:
    """Train a fresh ``make_model()`` (called after ``torch.manual_seed(seed)``, so every run starts from the
    same weights) with every optimiser and learning rate. Returns ``(optimizer, lr) -> History``."""
    runs = {}
    for name in optimizers:
        for lr in lrs:
            torch.manual_seed(seed)
            runs[name, lr] = train_classifier(
                make_model(), train, optimizer=name, lr=lr, seed=seed, desc=f"{name} lr={lr:g}", **train_kwargs
            )
    return runs


__all__ = ["OPTIMIZERS", "train_classifier", "train_kinds", "accuracy_vs_delay", "compare_optimizers"]

# The trained figures this module's notebook reports, as ``name -> (seed -> {figure: value})`` for
# bench/seeds.py, which runs each under several seeds.
FIGURES: dict = {}
