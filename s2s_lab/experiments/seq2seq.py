r"""The experiments of notebooks 04 and 05, as functions, so that the notebooks, the benchmark
(``bench/bench_dates.py``) and the checkpoint script (``bench/make_checkpoints.py``) run the very same code.

- :func:`train_dates`: the date task with (or without) attention, trained against a time budget until the
  validation exact match reaches a target.
- :func:`accuracy_by_length`: exact match for each source length, the curve of Bahdanau et al. (2015,
  fig. 2), which shows that a fixed-size context vector fails on long inputs and attention does not.
- :func:`train_reversal`: the reversal models of the length sweep (their checkpoints ship in ``data/``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import torch

from ..checkpoints import load_checkpoint, save_checkpoint, shipped
from ..data import PairDataset, make_loader
from ..reproducibility import seed_everything, training_seed
from ..seq2seq import Seq2Seq
from ..tasks import Task, make_task
from ..training import History, evaluate, fit, num_threads


@dataclass(frozen=True)
class Recipe:
    """Everything that defines one experiment of notebooks 04-06: the task's size, the model's size and the
    training settings (one source of truth for the notebooks, the benchmarks and the checkpoint script).
    Change one entry with ``dataclasses.replace(recipe, lr=1e-3)``."""

    n_train: int
    n_val: int
    n_test: int
    emb_size: int
    hidden_size: int
    batch_size: int
    lr: float
    eval_every: int
    bidirectional: bool = False
    target: float | None = None
    threads: int | None = 1  # see s2s_lab.training.num_threads
    task_options: dict = field(default_factory=dict)  # extra arguments of make_task


# Measured in bench/bench_dates.py: reaches >= 99% exact match on the held-out dates well within 60 s on
# a 2-core CPU (see the report printed there).
DATE_RECIPE = Recipe(
    n_train=20000,
    n_val=500,
    n_test=1000,
    emb_size=16,
    hidden_size=48,
    bidirectional=True,
    batch_size=128,
    lr=5e-3,
    eval_every=25,
    target=1.0,
)

# The length sweep: reversal of 3..24 letters, one model without and one with attention.
SWEEP = Recipe(
    n_train=30000,
    n_val=500,
    n_test=2000,
    emb_size=16,
    hidden_size=64,
    batch_size=128,
    lr=3e-3,
    eval_every=100,
    task_options=dict(min_len=3, max_len=24, alphabet="abcdefghijklmnop"),
)


@dataclass
class Trained:
    """A trained model with its task, training history and held-out (test) metrics."""

    model: Seq2Seq
    task: Task
    history: History
    test: dict


def loaders(task: Task, batch_size: int, seed: int = 0):
    """Shuffled training loader (batch order from :func:`~s2s_lab.reproducibility.training_seed` ``(seed)``),
    and validation / test loaders (one batch of up to 1000 pairs each)."""
    make = lambda pairs, bs, shuffle: make_loader(  # noqa: E731
        PairDataset(pairs, task.src_vocab, task.tgt_vocab), bs, shuffle=shuffle, seed=training_seed(seed)
    )
    return (
        make(task.train, batch_size, True),
        make(task.val, 1000, False) if task.val else None,
        make(task.test, 1000, False) if task.test else None,
    )


def date_task(seed: int = 0, recipe: Recipe = DATE_RECIPE) -> Task:
    """The date task of :data:`DATE_RECIPE` (the same for the same seed)."""
    return make_task("dates", recipe.n_train, recipe.n_val, recipe.n_test, seed=seed, **recipe.task_options)


def train_dates(
    attention: str | None = "additive",
    max_seconds: float = 60,
    seed: int = 0,
    progress: bool = False,
    callback=None,
    device=None,
    **changes,
) -> Trained:
    """Train a date normaliser with :data:`DATE_RECIPE` (override any entry as a keyword argument) until
    the validation exact match reaches ``target`` or ``max_seconds`` pass; evaluate on the test split."""
    r = replace(DATE_RECIPE, **changes)
    seed_everything(seed)
    task = date_task(seed, r)
    train, val, test = loaders(task, r.batch_size, seed)
    model = Seq2Seq(
        len(task.src_vocab),
        len(task.tgt_vocab),
        r.emb_size,
        r.hidden_size,
        bidirectional=r.bidirectional,
        attention=attention,
        max_src_len=task.max_src_len,
    )
    hist = fit(
        model,
        train,
        val_loader=val,
        epochs=100,
        max_seconds=max_seconds,
        lr=r.lr,
        eval_every=r.eval_every,
        target=r.target,
        device=device,
        threads=r.threads,
        progress=progress,
        callback=callback,
    )
    with num_threads(r.threads):
        return Trained(model, task, hist, evaluate(model, test))


@torch.no_grad()
def accuracy_by_length(model, task: Task, pairs=None) -> dict[int, float]:
    """Exact match of greedy decoding for each source length (in tokens) among ``pairs`` (default: the
    test split); ``{length: fraction}`` sorted by length."""
    pairs = task.test if pairs is None else pairs
    by_len: dict[int, list] = {}
    for s, t in pairs:
        by_len.setdefault(len(task.src_vocab.encode(s)), []).append((s, t))
    device = next(model.parameters()).device
    out = {}
    for n in sorted(by_len):
        loader = make_loader(PairDataset(by_len[n], task.src_vocab, task.tgt_vocab), 1000)
        out[n] = evaluate(model, loader, device)["exact_match"]
    return out


def sweep_task(seed: int = 0) -> Task:
    """The reversal task of the length sweep (the same for the same seed)."""
    s = SWEEP
    return make_task("reversal", s.n_train, s.n_val, s.n_test, seed=seed, **s.task_options)


def train_reversal(
    attention: str | None, max_seconds: float, seed: int = 0, progress: bool = False, device=None
) -> Trained:
    """Train one model of the length sweep for ``max_seconds``; keep the best by validation exact match."""
    s = SWEEP
    seed_everything(seed)
    task = sweep_task(seed)
    train, val, test = loaders(task, s.batch_size, seed)
    model = Seq2Seq(
        len(task.src_vocab),
        len(task.tgt_vocab),
        s.emb_size,
        s.hidden_size,
        attention=attention,
        max_src_len=task.max_src_len,
    )
    hist = fit(
        model,
        train,
        val_loader=val,
        epochs=1000,
        max_seconds=max_seconds,
        lr=s.lr,
        eval_every=s.eval_every,
        device=device,
        threads=s.threads,
        progress=progress,
    )
    with num_threads(s.threads):
        return Trained(model, task, hist, evaluate(model, test))


TASKS = {"reversal": sweep_task, "dates": date_task}


def load_trained(name: str | Path) -> tuple[Seq2Seq, Task]:
    """A model saved by :func:`save_trained` — a shipped one by name (``"reversal_plain"``, see
    ``data/README.md``) or any file by path — in eval mode, with its task regenerated from the saved seed."""
    path = Path(name)
    if path.suffix != ".pt":
        path = shipped(f"{name}.pt")
    model, extra = load_checkpoint(path)
    if extra.get("task") not in TASKS or not isinstance(extra.get("seed"), int):
        raise ValueError(
            f"'{path.name}' is a checkpoint but not of a notebook experiment (it does not say which "
            f"task and seed it was trained on); load it with s2s_lab.load_checkpoint instead."
        )
    return model.eval(), TASKS[extra["task"]](extra["seed"])


def save_trained(path: str | Path, trained: Trained, seed: int) -> None:
    """Save a :class:`Trained` with what :func:`load_trained` needs and what it measured."""
    h = trained.history
    save_checkpoint(
        path,
        trained.model.cpu(),
        task=trained.task.name,
        seed=seed,
        updates=len(h.updates),
        seconds=round(h.seconds, 1),
        test_exact_match=trained.test["exact_match"],
    )


__all__ = [
    "Recipe",
    "TASKS",
    "DATE_RECIPE",
    "SWEEP",
    "Trained",
    "loaders",
    "date_task",
    "train_dates",
    "accuracy_by_length",
    "sweep_task",
    "train_reversal",
    "load_trained",
    "save_trained",
]

# The trained figures this module's notebook reports, as ``name -> (seed -> {figure: value})`` for
# bench/seeds.py, which runs each under several seeds.
FIGURES: dict = {}
