"""The notebooks' experiments as functions, so that a notebook, its benchmark in ``bench/`` and the
checkpoint script run the very same code: :mod:`.memory` (notebooks 02-03), :mod:`.seq2seq` (04-06),
:mod:`.compare` (06)."""

from . import compare, memory, seq2seq
from .compare import compare_on_dates, date_models, decoding_speed, format_table, sequential_steps, summary_row
from .memory import OPTIMIZERS, accuracy_vs_delay, compare_optimizers, train_classifier, train_kinds
from .seq2seq import (
    DATE_RECIPE,
    SWEEP,
    TASKS,
    Recipe,
    Trained,
    accuracy_by_length,
    date_task,
    load_trained,
    loaders,
    save_trained,
    sweep_task,
    train_dates,
    train_reversal,
)

__all__ = [
    "OPTIMIZERS",
    "train_classifier",
    "train_kinds",
    "accuracy_vs_delay",
    "compare_optimizers",
    "Recipe",
    "DATE_RECIPE",
    "SWEEP",
    "TASKS",
    "Trained",
    "loaders",
    "date_task",
    "train_dates",
    "accuracy_by_length",
    "sweep_task",
    "train_reversal",
    "load_trained",
    "save_trained",
    "date_models",
    "compare_on_dates",
    "decoding_speed",
    "sequential_steps",
    "summary_row",
    "format_table",
    "FIGURES",
]

# Every trained figure a notebook reports, by notebook: bench/seeds.py runs each under several seeds.
FIGURES = {**memory.FIGURES, **seq2seq.FIGURES, **compare.FIGURES}
