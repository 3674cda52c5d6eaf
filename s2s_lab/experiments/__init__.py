"""The notebooks' experiments as functions, so that a notebook, its benchmark in ``bench/`` and the
checkpoint script run the very same code: :mod:`.memory` (notebooks 02-03), :mod:`.seq2seq` (04-06),
:mod:`.compare` (06)."""

from . import compare, memory, seq2seq
from .compare import decoding_speed, format_table, sequential_steps, summary_row
from .memory import OPTIMIZERS, accuracy_vs_delay, compare_optimizers, train_classifier, train_kinds
from .seq2seq import (
    DATE_EXAMPLES,
    DATE_RECIPE,
    REVERSAL_RECIPE,
    SWEEP,
    TASKS,
    TEACHER_FORCING_RECIPE,
    Recipe,
    Trained,
    accuracy_by_length,
    attention_on,
    date_alignment,
    date_task,
    load_trained,
    loaders,
    recipe_task,
    reversal_alignment,
    save_trained,
    shipped_metadata,
    sweep_task,
    teacher_forcing_experiment,
    train_dates,
    train_reversal,
    train_seq2seq,
)

__all__ = [
    "OPTIMIZERS",
    "train_classifier",
    "train_kinds",
    "accuracy_vs_delay",
    "compare_optimizers",
    "Recipe",
    "REVERSAL_RECIPE",
    "TEACHER_FORCING_RECIPE",
    "DATE_RECIPE",
    "SWEEP",
    "TASKS",
    "Trained",
    "loaders",
    "recipe_task",
    "train_seq2seq",
    "teacher_forcing_experiment",
    "date_task",
    "train_dates",
    "accuracy_by_length",
    "sweep_task",
    "train_reversal",
    "load_trained",
    "shipped_metadata",
    "save_trained",
    "attention_on",
    "reversal_alignment",
    "DATE_EXAMPLES",
    "date_alignment",
    "decoding_speed",
    "sequential_steps",
    "summary_row",
    "format_table",
    "FIGURES",
]

# Every trained figure a notebook reports, by notebook: bench/seeds.py runs each under several seeds.
FIGURES = {**memory.FIGURES, **seq2seq.FIGURES, **compare.FIGURES}
