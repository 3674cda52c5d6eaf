"""The experiments of notebooks 02 (LSTM) and 03 (GRU): sequence classifiers (*sequence-to-vector*: a whole
sequence in, one label out) on the marked-token memory task (:mod:`s2s_lab.memory_tasks`), trained by the
collection's one trainer, :func:`s2s_lab.fit`.

- :class:`MemoryRecipe` / :data:`MEMORY`: the task and the training settings, one source of truth.
- :func:`memory_data`, :func:`train_classifier`, :func:`train_kinds`: data, one model, several kinds.
- :func:`gate_averages`: a trained LSTM's gates before, at and after the mark.
- :func:`accuracy_vs_delay`: final validation accuracy as the delay to remember grows.
- :func:`gradients_at_init`: :math:`\\lVert \\partial L / \\partial h_t \\rVert` and
  :math:`\\lVert \\partial L / \\partial c_t \\rVert` of freshly initialised models.
- :func:`compare_optimizers`, :func:`optimizer_sweep`, :func:`final_losses`: SGD, RMSprop, Adam at several
  learning rates from the same start.

Every training seed goes through :func:`~s2s_lab.reproducibility.training_seed` (initialisation and batch
order), so ``S2S_SEED_SHIFT`` re-runs the notebooks with other seeds; the data keep their seeds.

``FIGURES`` maps each trained experiment a notebook reports to ``seed -> {figure: value}``, the same code
the notebook runs; ``bench/seeds.py --only 02 03`` runs them under several seeds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from ..gradient_flow import cell_state_path_norms, state_gradient_norms
from ..memory_tasks import ALPHABET, input_size, remember_marked
from ..reproducibility import seed_everything, training_seed
from ..sequence_classifier import SequenceClassifier
from ..training import History, fit

OPTIMIZERS = {"SGD": torch.optim.SGD, "RMSprop": torch.optim.RMSprop, "Adam": torch.optim.Adam}


@dataclass(frozen=True)
class MemoryRecipe:
    """One experiment on the memory task: the data, the model's size and the training settings.

    ``delay``, ``lead``: see :func:`~s2s_lab.memory_tasks.remember_marked`; the training and validation sets
    have ``num_train`` and ``num_val`` sequences, drawn from ``data_seed`` and ``data_seed + 1``.
    ``hidden_size``: :math:`H`; ``keep_bias``: the initial bias of the gate that keeps the state (LSTM
    forget gate, GRU update gate; see :class:`~s2s_lab.SequenceClassifier`). Then the optimiser, its
    learning rate, the number of epochs and the batch size. Change one entry with
    ``dataclasses.replace(recipe, lr=1e-3)``.
    """

    delay: int
    lead: int = 4
    num_train: int = 2048
    num_val: int = 512
    data_seed: int = 1
    hidden_size: int = 8
    keep_bias: float = 3.0
    optimizer: str = "Adam"
    lr: float = 1e-2
    epochs: int = 5
    batch_size: int = 32


# Notebooks 02-03: the LSTM, the GRU and the RNN-LSTM-GRU comparison.
MEMORY = MemoryRecipe(delay=15)
# Notebook 02, section 4: the mark is always the first letter, so that the delay is exact.
DELAYS = (1, 4, 8, 12, 16, 24)
DELAY_SWEEP = replace(MEMORY, lead=0)
# Notebook 03, section 4: an easier task (delay 5), three epochs, every optimiser at every learning rate.
OPTIMIZER_TASK = MemoryRecipe(delay=5, num_train=1024, data_seed=4, epochs=3)
LEARNING_RATES = (1e-3, 1e-2, 1e-1, 1.0)


def memory_data(recipe: MemoryRecipe = MEMORY) -> tuple[Dataset, Dataset]:
    """The training and validation sets of ``recipe`` (the same on every machine and for every seed)."""
    train = remember_marked(recipe.num_train, recipe.delay, recipe.lead, seed=recipe.data_seed)
    val = remember_marked(recipe.num_val, recipe.delay, recipe.lead, seed=recipe.data_seed + 1)
    return train, val


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
    """Train a classifier with :func:`~s2s_lab.fit` (cross-entropy, final weights kept); the batch order comes
    from :func:`~s2s_lab.reproducibility.training_seed` ``(seed)``.

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
    order = torch.Generator().manual_seed(training_seed(seed))
    loader = DataLoader(train, batch_size=batch_size, shuffle=True, generator=order)
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


def make_classifier(kind: str, recipe: MemoryRecipe = MEMORY, seed: int = 0) -> SequenceClassifier:
    """A fresh :class:`~s2s_lab.SequenceClassifier` of ``kind`` sized by ``recipe``, initialised from
    :func:`~s2s_lab.seed_everything` ``(seed)`` (``keep_bias`` for the gated kinds; an RNN has no gate)."""
    seed_everything(seed)
    keep = None if kind == "RNN" else recipe.keep_bias
    return SequenceClassifier(kind, input_size(), recipe.hidden_size, len(ALPHABET), keep_bias=keep)


def train_kinds(
    kinds,
    train: Dataset,
    val: Dataset | None,
    recipe: MemoryRecipe = MEMORY,
    *,
    seed: int = 0,
    progress: bool = False,
) -> dict[str, tuple[SequenceClassifier, History]]:
    """Train one classifier per kind (:func:`make_classifier`, :func:`train_classifier`) on the same data,
    from the same seed, with ``recipe``'s settings. Returns ``kind -> (model, history)``."""
    out = {}
    for kind in kinds:
        model = make_classifier(kind, recipe, seed)
        hist = train_classifier(
            model,
            train,
            val=val,
            epochs=recipe.epochs,
            batch_size=recipe.batch_size,
            optimizer=recipe.optimizer,
            lr=recipe.lr,
            seed=seed,
            progress=progress,
            desc=kind,
        )
        out[kind] = model, hist
    return out


@torch.no_grad()
def gate_averages(model: SequenceClassifier, x) -> dict[str, dict[str, float]]:
    r"""A trained LSTM classifier's gates averaged over a batch of marked sequences ``x`` ``(B, T, V+1)``
    (the last feature is the mark bit), before, at and after the mark.

    Returns ``quantity -> {"before", "at mark", "after"}`` for :math:`i_t`, :math:`f_t`, :math:`o_t` and
    :math:`|i_t \odot g_t|`, what is actually written into :math:`c_t = f_t \odot c_{t-1} + i_t \odot g_t`.
    """
    _, tr = model.trace(x)  # every gate at every step, each (T, B, H)
    marked = x[..., -1].T.bool()  # (T, B): True at the mark
    seen = marked.cumsum(0).bool()  # (T, B): at or after the mark
    where = {"before": ~seen, "at mark": marked, "after": seen & ~marked}
    quantities = {"i_t": tr["i"], "f_t": tr["f"], "o_t": tr["o"], "|i_t * g_t|": (tr["i"] * tr["g"]).abs()}
    return {name: {w: float(q[mask].mean()) for w, mask in where.items()} for name, q in quantities.items()}


def accuracy_vs_delay(
    kinds, delays=DELAYS, recipe: MemoryRecipe = DELAY_SWEEP, *, runs: int = 3, seed: int = 0
) -> dict[str, list[list[float]]]:
    """For every delay, train each kind on :func:`memory_data` of ``recipe`` with that delay
    (:func:`train_kinds`), ``runs`` times, from the seeds ``runs * seed``, ..., ``runs * seed + runs - 1``.

    Whether a small recurrent network learns a long delay within a fixed budget is partly luck of the
    initialisation and batch order, so one run per point would make a lottery of the comparison.

    Returns ``kind -> [[final validation accuracy of each run] for each delay]``.
    """
    out = {kind: [] for kind in kinds}
    for delay in delays:
        r = replace(recipe, delay=delay)
        train, val = memory_data(r)
        per_seed = [train_kinds(kinds, train, val, r, seed=runs * seed + k) for k in range(runs)]
        for kind in kinds:
            out[kind].append([trained[kind][1].accuracies[-1] for trained in per_seed])
    return out


def mean_by_delay(results: dict[str, list[list[float]]]) -> dict[str, list[float]]:
    """The mean over the runs of :func:`accuracy_vs_delay`'s results: ``kind -> [mean for each delay]``."""
    return {kind: [sum(accs) / len(accs) for accs in per_delay] for kind, per_delay in results.items()}


def gradients_at_init(
    delay: int = 24, num: int = 256, data_seed: int = 3, recipe: MemoryRecipe = MEMORY, *, seed: int = 0
) -> tuple[dict[str, torch.Tensor], float]:
    r"""How far back the loss's gradient reaches in freshly initialised models (the state training starts
    from), on ``num`` sequences with the mark first and ``delay`` distractors after it.

    Returns ``(norms, forget)``: ``norms`` maps a label to a ``(T,)`` tensor, for a vanilla RNN
    :math:`\lVert \partial L / \partial h_t \rVert`, for an LSTM :math:`\lVert \partial L / \partial h_t \rVert`,
    :math:`\lVert \partial L / \partial c_t \rVert` (:func:`~s2s_lab.gradient_flow.state_gradient_norms`) and
    the part of the latter carried along :math:`c_t` alone
    (:func:`~s2s_lab.gradient_flow.cell_state_path_norms`); ``forget`` is the LSTM's mean :math:`f_t`.
    """
    x, y = remember_marked(num, delay, lead=0, seed=data_seed).tensors  # (B, T, V+1), (B,)
    norms, forget = {}, float("nan")
    for kind in ("RNN", "LSTM"):
        model = make_classifier(kind, recipe, seed)
        logits, tr = model.trace(x)
        loss = F.cross_entropy(logits, y)
        norms[f"{kind}: ‖∂L/∂h_t‖"] = state_gradient_norms(loss, tr, "h")
        if kind == "LSTM":
            norms["LSTM: ‖∂L/∂c_t‖"] = state_gradient_norms(loss, tr, "c")
            norms["LSTM: along c_t alone"] = cell_state_path_norms(loss, tr)
            forget = float(tr["f"].detach().mean())
    return norms, forget


def compare_optimizers(
    make_model,
    train: Dataset,
    *,
    optimizers=("SGD", "RMSprop", "Adam"),
    lrs=(1e-3, 1e-2, 1e-1),
    seed: int = 0,
    **train_kwargs,
) -> dict[tuple[str, float], History]:
    """Train a fresh ``make_model()`` (called after :func:`~s2s_lab.seed_everything` ``(seed)``, so every run
    starts from the same weights and sees the same batches) with every optimiser and learning rate.
    Returns ``(optimizer, lr) -> History``."""
    runs = {}
    for name in optimizers:
        for lr in lrs:
            seed_everything(seed)
            runs[name, lr] = train_classifier(
                make_model(), train, optimizer=name, lr=lr, seed=seed, desc=f"{name} lr={lr:g}", **train_kwargs
            )
    return runs


def optimizer_sweep(
    recipe: MemoryRecipe = OPTIMIZER_TASK, lrs=LEARNING_RATES, *, seed: int = 0, progress: bool = False
) -> dict[tuple[str, float], History]:
    """Notebook 03's comparison: :func:`compare_optimizers` on the training set of ``recipe``, for a GRU
    classifier sized by ``recipe`` and every optimiser of :data:`OPTIMIZERS` at every learning rate."""
    train, _ = memory_data(recipe)
    return compare_optimizers(
        lambda: make_classifier("GRU", recipe, seed),
        train,
        optimizers=tuple(OPTIMIZERS),
        lrs=lrs,
        seed=seed,
        epochs=recipe.epochs,
        batch_size=recipe.batch_size,
        progress=progress,
    )


def final_losses(runs: dict[tuple[str, float], History], last: int = 8) -> dict[tuple[str, float], float]:
    """The mean training loss over the ``last`` optimiser steps of every run (the end of its curve)."""
    return {key: sum(hist.losses[-last:]) / len(hist.losses[-last:]) for key, hist in runs.items()}


# ----------------------------------------------------------------------------------------------
# The trained figures the notebooks report, as ``name -> (seed -> {figure: value})`` for bench/seeds.py.
# ----------------------------------------------------------------------------------------------
def _lstm_figures(seed: int) -> dict[str, float]:
    train, val = memory_data()
    model, hist = train_kinds(["LSTM"], train, val, seed=seed)["LSTM"]
    out = {f"val. accuracy after epoch {k + 1}": a for k, a in enumerate(hist.accuracies)}
    gates = gate_averages(model, val.tensors[0])
    out.update({f"{name} {where}": v for name, row in gates.items() for where, v in row.items()})
    out["|i*g| at mark - after"] = gates["|i_t * g_t|"]["at mark"] - gates["|i_t * g_t|"]["after"]
    return out


def _delay_figures(seed: int) -> dict[str, float]:
    results = accuracy_vs_delay(["RNN", "LSTM"], seed=seed)
    mean = mean_by_delay(results)
    out = {f"{kind} delay {d} (mean of 3)": a for kind, accs in mean.items() for d, a in zip(DELAYS, accs)}
    out.update({f"{kind} delay {d} (worst of 3)": min(r) for kind in results for d, r in zip(DELAYS, results[kind])})
    out.update({f"{kind} delay {d} (best of 3)": max(r) for kind in results for d, r in zip(DELAYS, results[kind])})
    long = [DELAYS.index(d) for d in (12, 16, 24)]
    out["LSTM - RNN, mean over delays 12-24"] = sum(mean["LSTM"][k] - mean["RNN"][k] for k in long) / len(long)
    return out


def _gradient_figures(seed: int) -> dict[str, float]:
    norms, forget = gradients_at_init(seed=seed)
    out = {f"{label} step 1 / step T": float(n[0] / n[-1]) for label, n in norms.items()}
    out["LSTM mean f_t"] = forget
    steps = len(next(iter(norms.values()))) - 1
    out[f"c_t alone / (mean f_t)^{steps}"] = out["LSTM: along c_t alone step 1 / step T"] / forget**steps
    out["c_t full / c_t alone"] = out["LSTM: ‖∂L/∂c_t‖ step 1 / step T"] / out["LSTM: along c_t alone step 1 / step T"]
    out["LSTM c_t / RNN h_t"] = out["LSTM: ‖∂L/∂c_t‖ step 1 / step T"] / out["RNN: ‖∂L/∂h_t‖ step 1 / step T"]
    return out


def _kinds_figures(seed: int) -> dict[str, float]:
    train, val = memory_data()
    out = {}
    for kinds in (["GRU", "GRUPaper"], ["RNN", "LSTM"]):
        for kind, (_, hist) in train_kinds(kinds, train, val, seed=seed).items():
            out.update({f"{kind} after epoch {k + 1}": a for k, a in enumerate(hist.accuracies)})
    return out


def _optimizer_figures(seed: int) -> dict[str, float]:
    return {f"{name} lr={lr:g}": v for (name, lr), v in final_losses(optimizer_sweep(seed=seed)).items()}


FIGURES: dict = {
    "02 LSTM on delay 15 (accuracy, gates)": _lstm_figures,
    "02 RNN vs LSTM by delay": _delay_figures,
    "02 gradient at initialisation": _gradient_figures,
    "03 GRU, paper GRU, RNN, LSTM on delay 15": _kinds_figures,
    "03 optimisers: final training loss": _optimizer_figures,
}

__all__ = [
    "OPTIMIZERS",
    "MemoryRecipe",
    "MEMORY",
    "DELAYS",
    "DELAY_SWEEP",
    "OPTIMIZER_TASK",
    "LEARNING_RATES",
    "memory_data",
    "train_classifier",
    "make_classifier",
    "train_kinds",
    "gate_averages",
    "accuracy_vs_delay",
    "mean_by_delay",
    "gradients_at_init",
    "compare_optimizers",
    "optimizer_sweep",
    "final_losses",
    "FIGURES",
]
