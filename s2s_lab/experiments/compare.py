"""The comparison of notebook 06: trained sequence-to-sequence models side by side — size, training time,
accuracy, decoding speed — to set the Transformer against the RNN encoder-decoder with attention.

Parameter counts and sequential steps are properties of the architecture, the same everywhere. Timings
depend on the machine and on what else runs on it; accuracies and update counts depend on training, so
they vary a little between machines and seeds (see :mod:`s2s_lab.reproducibility`).
"""

from __future__ import annotations

import time

import torch
from torch import nn

from ..training import History, count_parameters, evaluate


@torch.no_grad()
def decoding_speed(model: nn.Module, loader, max_len: int, repeats: int = 1) -> float:
    """Sequences per second of ``model.greedy_decode`` over every batch of ``loader`` (best of ``repeats``)."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    batches = [b.to(device) for b in loader]
    n = sum(b.src.shape[0] for b in batches)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for b in batches:
            model.greedy_decode(b.src, b.src_mask, max_len)
        best = min(best, time.perf_counter() - start)
    model.train(was_training)
    return n / best


def sequential_steps(model: nn.Module, src_len: int, tgt_len: int) -> int:
    """How many computations must run one after another in a teacher-forced training pass, for a source of
    ``src_len`` and a target of ``tgt_len`` tokens: a recurrent encoder-decoder steps through every position
    (``src_len + tgt_len``); a Transformer through its layers only, whatever the lengths."""
    if hasattr(model, "encoder_layers"):
        return len(model.encoder_layers) + len(model.decoder_layers)
    return src_len + tgt_len


def summary_row(
    name: str, model: nn.Module, history: History, test_loader, max_len: int, src_len: int, tgt_len: int
) -> dict:
    """One row of the comparison table: ``model``, ``parameters``, ``sequential steps``, ``updates``,
    ``train s`` (wall clock of :func:`~s2s_lab.training.fit`), ``ms / update``, test ``exact match`` and
    ``token acc.``, and greedy ``decode seq/s``."""
    scores = evaluate(model, test_loader)
    updates = len(history.updates)
    return {
        "model": name,
        "parameters": count_parameters(model),
        "sequential steps": sequential_steps(model, src_len, tgt_len),
        "updates": updates,
        "train s": round(history.seconds, 1),
        "ms / update": round(1000 * history.seconds / max(updates, 1), 1),
        "exact match": round(scores["exact_match"], 3),
        "token acc.": round(scores["token_accuracy"], 3),
        "decode seq/s": round(decoding_speed(model, test_loader, max_len)),
    }


def format_table(rows: list[dict], columns: list[str] | None = None) -> str:
    """A plain-text table (right-aligned numbers) of dicts with the same keys."""
    columns = columns or list(rows[0])
    cells = [[str(r[c]) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[k]) for row in cells)) for k, c in enumerate(columns)]

    def line(values):
        return "  ".join(v.rjust(w) if k else v.ljust(w) for k, (v, w) in enumerate(zip(values, widths)))

    return "\n".join([line(columns), line(["-" * w for w in widths]), *(line(row) for row in cells)])


__all__ = ["decoding_speed", "sequential_steps", "summary_row", "format_table"]

# The trained figures this module's notebook reports, as ``name -> (seed -> {figure: value})`` for
# bench/seeds.py, which runs each under several seeds.
FIGURES: dict = {}
