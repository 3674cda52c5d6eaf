r"""The experiment of notebook 01b (embeddings and the training loop): a :class:`~s2s_lab.embeddings.TokenClassifier`
learns whether the sum of 8 digits is above its mean (:mod:`s2s_lab.digit_sums`), and what its embedding table
holds afterwards.

- :class:`LoopRecipe` / :data:`LOOP`: the data, the model's size and the training settings, one source of truth.
- :func:`digit_data`, :func:`make_digit_model`, :func:`digit_loader`: what the notebook's hand-written loop uses.
- :func:`fit_digits`: the same training by :func:`s2s_lab.fit` (bit for bit the same weights as the loop).
- :func:`rank_correlation`, :func:`embedding_order`: does the table's first principal component order the digits?

``FIGURES`` maps the notebook's trained figures to ``seed -> {figure: value}`` for ``bench/seeds.py --only 01b``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset

from ..digit_sums import DIGITS, digit_sums
from ..embeddings import TokenClassifier, principal_components
from ..reproducibility import seed_everything, training_seed
from ..training import History, evaluate, fit


@dataclass(frozen=True)
class LoopRecipe:
    """The digit-sum experiment: ``num_train`` / ``num_val`` sequences of ``length`` digits (from ``data_seed`` and
    ``data_seed + 1``), a :class:`~s2s_lab.embeddings.TokenClassifier` with ``emb_size`` :math:`E`, ``hidden_size``
    :math:`H` and ``emb_std``, trained with Adam at ``lr`` for ``epochs`` passes in batches of ``batch_size``, the
    gradient norm clipped to ``clip``."""

    length: int = 8
    num_train: int = 2048
    num_val: int = 512
    data_seed: int = 1
    emb_size: int = 8
    hidden_size: int = 16
    emb_std: float = 0.1
    lr: float = 1e-2
    epochs: int = 3
    batch_size: int = 32
    clip: float = 1.0


LOOP = LoopRecipe()


def digit_data(recipe: LoopRecipe = LOOP) -> tuple[Dataset, Dataset]:
    """The training and validation sets of ``recipe`` (the same on every machine and for every seed)."""
    train = digit_sums(recipe.num_train, recipe.length, seed=recipe.data_seed)
    val = digit_sums(recipe.num_val, recipe.length, seed=recipe.data_seed + 1)
    return train, val


def make_digit_model(recipe: LoopRecipe = LOOP, seed: int = 0) -> TokenClassifier:
    """A fresh classifier sized by ``recipe``, initialised from :func:`~s2s_lab.seed_everything` ``(seed)``."""
    seed_everything(seed)
    return TokenClassifier(len(DIGITS), recipe.emb_size, recipe.hidden_size, 2, emb_std=recipe.emb_std)


def digit_loader(train: Dataset, recipe: LoopRecipe = LOOP, seed: int = 0) -> DataLoader:
    """Shuffled batches of ``train``, in an order fixed by :func:`~s2s_lab.reproducibility.training_seed` ``(seed)``:
    two loaders made with the same seed give the same batches in the same order."""
    order = torch.Generator().manual_seed(training_seed(seed))
    return DataLoader(train, batch_size=recipe.batch_size, shuffle=True, generator=order)


def fit_digits(train: Dataset, recipe: LoopRecipe = LOOP, seed: int = 0) -> tuple[TokenClassifier, History]:
    """:func:`make_digit_model` trained by :func:`s2s_lab.fit` on :func:`digit_loader` with Adam: the notebook's
    hand-written loop plus bookkeeping (the final weights are kept, on the CPU)."""
    model = make_digit_model(recipe, seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr)
    loader = digit_loader(train, recipe, seed)
    history = fit(
        model, loader, epochs=recipe.epochs, optimizer=optimizer, clip=recipe.clip, restore_best=False, device="cpu"
    )
    return model, history


def rank_correlation(a: Tensor, b: Tensor) -> float:
    r"""Spearman's rank correlation of two ``(N,)`` tensors without ties: the correlation of their ranks, 1 when
    ``b`` grows with ``a``, -1 when it shrinks."""
    ra, rb = (v.argsort().argsort().double() for v in (a, b))
    ra, rb = ra - ra.mean(), rb - rb.mean()
    return float((ra * rb).sum() / (ra.norm() * rb.norm()))


def embedding_order(weight: Tensor) -> dict[str, float]:
    r"""How a digit table ``weight`` ``(10, E)`` is laid out: the rank correlation of its first principal component
    with the digits' values (``|rho|`` near 1: the component orders the digits 0 to 9) and the fraction of the
    rows' variance each of the first two components explains."""
    coords, explained = principal_components(weight.detach(), 2)  # (10, 2), (2,)
    rho = rank_correlation(coords[:, 0], torch.arange(weight.shape[0]))
    return {
        "|rho| of PC1 and value": abs(rho),
        "PC1 explains": float(explained[0]),
        "PC2 explains": float(explained[1]),
    }


# ----------------------------------------------------------------------------------------------
# The trained figures notebook 01b reports, for bench/seeds.py.
# ----------------------------------------------------------------------------------------------
def _loop_figures(seed: int) -> dict[str, float]:
    train, val = digit_data()
    before = make_digit_model(LOOP, seed).embed.weight
    model, hist = fit_digits(train, LOOP, seed)
    out = {f"before training: {k}": v for k, v in embedding_order(before).items()}
    out.update({f"trained: {k}": v for k, v in embedding_order(model.embed.weight).items()})
    out["mean loss of the first 10 updates"] = sum(hist.losses[:10]) / 10
    out["mean loss of the last 10 updates"] = sum(hist.losses[-10:]) / 10
    out["validation accuracy"] = evaluate(model, DataLoader(val, batch_size=512))["accuracy"]
    return out


FIGURES: dict = {"01b digit sums: loss, accuracy, embedding order": _loop_figures}

__all__ = [
    "LoopRecipe",
    "LOOP",
    "digit_data",
    "make_digit_model",
    "digit_loader",
    "fit_digits",
    "rank_correlation",
    "embedding_order",
    "FIGURES",
]
