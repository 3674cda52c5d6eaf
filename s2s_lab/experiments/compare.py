"""The comparison of notebook 06: the Transformer against the RNN encoder-decoder with attention, trained on
the same date task, the same batches and the same number of updates, each at its own best learning rate.

- :func:`date_models`: the two models (the RNN of notebook 05's :data:`~.seq2seq.DATE_RECIPE`, and a small
  pre-norm Transformer of about the same size).
- :func:`train_one` / :func:`compare_on_dates`: train them with :func:`~s2s_lab.training.fit`, checking the
  validation exact match every ``eval_every`` updates (the learning curves).
- :func:`learning_rate_sweep`: how :data:`LEARNING_RATES` were chosen (``bench/bench_compare.py``).
- :func:`summary_row` / :func:`format_table`: the table of the notebook.
- :func:`reading_of` / :func:`mean_largest_weight`: where the trained Transformer looks while it reads
  ``"3rd of March 2021"`` (cross-attention per output digit, sharpness of the encoder's self-attention).

**What is the same everywhere, what is not.** Parameter counts, sequential ops, learning rates and update
counts are fixed by the code. Accuracies and the number of updates to reach a level depend on training, so
they vary a little between machines and seeds; timings depend on the machine and on what else runs on it.
Both kinds are printed with the mark ``≈`` (:func:`~s2s_lab.reproducibility.measured`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
from torch import nn

from ..interface import decode_text
from ..reproducibility import measured, seed_everything
from ..seq2seq import Seq2Seq
from ..tasks import Task
from ..training import History, count_parameters, evaluate, fit, num_threads
from ..transformer import Seq2SeqTransformer
from .seq2seq import DATE_RECIPE, date_task, loaders

RNN, TRANSFORMER = "RNN + attention", "Transformer"

# The Transformer of notebook 06: 2 encoder layers, 1 decoder layer, d_model = 64, 4 heads, pre-norm.
TRANSFORMER_SIZE = dict(
    d_model=64,
    nhead=4,
    num_encoder_layers=2,
    num_decoder_layers=1,
    dim_feedforward=128,
    dropout=0.0,
    max_len=32,
    norm_first=True,
)

# Each model's learning rate: the one with the fewest updates to 90% validation exact match (median over
# seeds 0-2; a tie goes to the smaller rate) in bench/bench_compare.py, which measured on a 2-core CPU:
#   RNN          2e-3: 175 225 175   5e-3: 125 150 100   1e-2: 75 75 75    2e-2: 75 75 50
#   Transformer  1e-3: inf 314 inf   3e-3: 250 250 250   5e-3: 200 275 200  1e-2: inf inf 300
LEARNING_RATES = {RNN: 1e-2, TRANSFORMER: 5e-3}
EPOCHS = 2  # passes over the 20 000 training dates: 2 x 157 batches of 128 = 314 updates for either model
EVAL_EVERY = 25  # updates between two checks of the validation exact match
LEVEL = 0.9  # the validation exact match whose first crossing the table reports

# Columns of the table printed with the mark ≈ (measured), and their decimals.
MEASURED = {
    "updates to 90% (val.)": 0,
    "test exact match": 3,
    "test token acc.": 3,
    "ms / update": 1,
    "decode seq/s": 0,
}


def date_models(task: Task, seed: int = 0) -> dict[str, nn.Module]:
    """The two models of the comparison, for ``task``, each initialised after ``seed_everything(seed)``:
    ``{"RNN + attention": Seq2Seq, "Transformer": Seq2SeqTransformer}``."""
    r = DATE_RECIPE
    seed_everything(seed)
    rnn = Seq2Seq(
        len(task.src_vocab),
        len(task.tgt_vocab),
        r.emb_size,
        r.hidden_size,
        bidirectional=r.bidirectional,
        attention="additive",
        max_src_len=task.max_src_len,
    )
    seed_everything(seed)
    transformer = Seq2SeqTransformer(len(task.src_vocab), len(task.tgt_vocab), **TRANSFORMER_SIZE)
    return {RNN: rnn, TRANSFORMER: transformer}


class UpdateClock:
    """A :func:`~s2s_lab.training.fit` callback that adds up the wall-clock time of the updates alone,
    leaving out the validation checks and the first update (which also starts up the optimiser).

    ``seconds``: the time of ``updates`` updates; :attr:`ms_per_update`: their mean in milliseconds.
    """

    def __init__(self):
        self.seconds, self.updates, self.evals, self.last = 0.0, 0, 0, None

    def __call__(self, history: History) -> None:
        now = time.perf_counter()
        if len(history.evals) > self.evals:  # a validation check just ended: its time does not count
            self.evals = len(history.evals)
        elif self.last is not None:  # an update just ended
            self.seconds += now - self.last
            self.updates += 1
        self.last = now

    @property
    def ms_per_update(self) -> float:
        return 1000 * self.seconds / max(self.updates, 1)


@dataclass
class Run:
    """One trained model of the comparison: its learning rate, :class:`~s2s_lab.training.History` (with a
    validation check every ``eval_every`` updates) and the :class:`UpdateClock` of its updates."""

    model: nn.Module
    lr: float
    history: History
    clock: UpdateClock


def train_one(
    model: nn.Module, task: Task, lr: float, seed: int = 0, epochs: int = EPOCHS, eval_every: int = EVAL_EVERY
) -> Run:
    """Train ``model`` on ``task`` with :func:`~s2s_lab.training.fit` (Adam at ``lr``, batches of
    ``DATE_RECIPE.batch_size`` in the order of ``seed``, one CPU thread) for ``epochs`` passes, checking the
    validation exact match every ``eval_every`` updates; ``fit`` keeps the weights of the best check."""
    train, val, _ = loaders(task, DATE_RECIPE.batch_size, seed)
    clock = UpdateClock()
    history = fit(
        model,
        train,
        val_loader=val,
        epochs=epochs,
        lr=lr,
        eval_every=eval_every,
        device="cpu",
        threads=1,
        callback=clock,
    )
    return Run(model, lr, history, clock)


@dataclass
class Comparison:
    """Both trained models (``runs``, by name), the task they were trained on and its test loader."""

    task: Task
    runs: dict[str, Run]
    test_loader: object

    def rows(self) -> list[dict]:
        """:func:`summary_row` of each run on the 1000 test dates (one CPU thread, as training)."""
        t = self.task
        lengths = dict(max_len=t.max_tgt_len + 1, src_len=t.max_src_len, tgt_len=t.max_tgt_len + 1)
        with num_threads(1):
            return [summary_row(name, run, self.test_loader, **lengths) for name, run in self.runs.items()]


def compare_on_dates(
    seed: int = 0, learning_rates: dict[str, float] = LEARNING_RATES, epochs: int = EPOCHS
) -> Comparison:
    """The experiment of notebook 06: :func:`date_models` on the date task of ``seed``, each trained by
    :func:`train_one` at its own learning rate on the same batches for the same number of updates."""
    task = date_task(seed)
    models = date_models(task, seed)
    runs = {name: train_one(model, task, learning_rates[name], seed, epochs) for name, model in models.items()}
    return Comparison(task, runs, loaders(task, DATE_RECIPE.batch_size, seed)[2])


def updates_to_reach(history: History, level: float = LEVEL, metric: str = "exact_match") -> float:
    """The update count of the first validation check at which ``metric`` reached ``level``
    (``math.inf`` if none did)."""
    return next((e["update"] for e in history.evals if e.get(metric, -math.inf) >= level), math.inf)


def learning_rate_sweep(name: str, lrs, seeds, epochs: int = EPOCHS) -> dict[float, list[float]]:
    """For each learning rate in ``lrs``: :func:`updates_to_reach` 90% validation exact match of the model
    ``name`` of :func:`date_models`, one entry per seed (the experiment of :func:`compare_on_dates`)."""
    out = {}
    for lr in lrs:
        out[lr] = []
        for seed in seeds:
            task = date_task(seed)
            run = train_one(date_models(task, seed)[name], task, lr, seed, epochs)
            out[lr].append(updates_to_reach(run.history))
    return out


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


def sequential_ops(model: nn.Module, src_len: int, tgt_len: int) -> int:
    """How many computations must run one after another in a teacher-forced training pass, for a source of
    ``src_len`` and a target of ``tgt_len`` tokens: a recurrent encoder-decoder steps through every position
    (``src_len + tgt_len``); a Transformer through its layers only, whatever the lengths."""
    if hasattr(model, "encoder_layers"):
        return len(model.encoder_layers) + len(model.decoder_layers)
    return src_len + tgt_len


def summary_row(name: str, run: Run, test_loader, max_len: int, src_len: int, tgt_len: int) -> dict:
    """One column of the comparison table for the trained ``run``: ``parameters``, ``sequential ops``,
    ``learning rate``, ``updates``, ``updates to 90% (val.)`` (validation exact match, :func:`updates_to_reach`),
    ``test exact match`` and ``test token acc.``, ``ms / update`` (:class:`UpdateClock`) and greedy
    ``decode seq/s`` (:func:`decoding_speed`)."""
    scores = evaluate(run.model, test_loader)
    return {
        "model": name,
        "parameters": count_parameters(run.model),
        "sequential ops": sequential_ops(run.model, src_len, tgt_len),
        "learning rate": run.lr,
        "updates": len(run.history.updates),
        "updates to 90% (val.)": updates_to_reach(run.history),
        "test exact match": scores["exact_match"],
        "test token acc.": scores["token_accuracy"],
        "ms / update": run.clock.ms_per_update,
        "decode seq/s": decoding_speed(run.model, test_loader, max_len),
    }


def format_cell(column: str, value) -> str:
    """``value`` as text: the :data:`MEASURED` columns with the mark ``≈`` and their decimals, others as
    they are (floats in the shortest form, ``0.003``)."""
    if column in MEASURED:
        return measured(value, MEASURED[column])
    return f"{value:g}" if isinstance(value, float) else str(value)


def format_table(rows: list[dict], columns: list[str] | None = None) -> str:
    """A plain-text table of dicts with the same keys, one column per dict (headed by its ``"model"``) and
    one line per key (``columns``, default: all but ``"model"``); numbers right-aligned."""
    columns = columns or [c for c in rows[0] if c != "model"]
    lines = [["", *(str(r.get("model", "")) for r in rows)]]
    lines += [[c, *(format_cell(c, r[c]) for r in rows)] for c in columns]
    widths = [max(len(line[k]) for line in lines) for k in range(len(lines[0]))]
    return "\n".join(
        "  ".join(v.rjust(w) if k else v.ljust(w) for k, (v, w) in enumerate(zip(line, widths))) for line in lines
    )


READ_TEXT = "3rd of March 2021"  # the input notebook 06 looks inside; its ISO date is "2021-03-03"


def mean_largest_weight(model: Seq2SeqTransformer, src_vocab, text: str, layer: int) -> float:
    r"""How sharp encoder layer ``layer``'s self-attention is on ``text``: the largest weight of each row
    :math:`\max_j \alpha_{tj}`, averaged over the queries :math:`t` and the heads (uniform weights give
    :math:`1/S`; one key per row gives 1)."""
    ids = torch.tensor([src_vocab.encode(text)])  # (1, S)
    was_training = model.training
    with torch.no_grad():
        w = model.eval().self_attention_parts(ids, torch.ones_like(ids, dtype=torch.bool), layer)["weights"]
    model.train(was_training)
    return float(w.max(-1).values.mean())  # w: (1, n_h, S, S)


def reading_of(model: Seq2SeqTransformer, src_vocab, tgt_vocab) -> dict[str, float]:
    """Where the trained Transformer looks while it turns :data:`READ_TEXT` into ``YYYY-MM-DD``, from its
    cross-attention (last decoder layer, mean over the heads; row ``i`` is read while writing output
    character ``i``) and its encoder's self-attention. Returns a dict:

    - ``"output right"``: 1.0 if it writes ``2021-03-03``, else 0.0;
    - ``"year rows on '2021'"``: how many of the 4 year digits have their largest weight on the source's ``2021``;
    - ``"month's last digit on 'March'"``, ``"day's last digit on '3rd'"``: the weight on that word while
      writing the month's (day's) second digit;
    - ``"layer-1 sharpness"``: :func:`mean_largest_weight` of encoder layer 1.
    """
    example = decode_text(model.eval(), READ_TEXT, src_vocab, tgt_vocab)
    weights = torch.as_tensor(example.attention)  # (T', S)
    span = {w: slice(READ_TEXT.index(w), READ_TEXT.index(w) + len(w)) for w in ("2021", "March", "3rd")}
    rows = weights.shape[0]
    return {
        "output right": float(example.output == "2021-03-03"),
        "year rows on '2021'": float(
            sum(span["2021"].start <= int(weights[i].argmax()) < span["2021"].stop for i in range(min(4, rows)))
        ),
        "month's last digit on 'March'": float(weights[6, span["March"]].sum()) if rows > 6 else 0.0,
        "day's last digit on '3rd'": float(weights[9, span["3rd"]].sum()) if rows > 9 else 0.0,
        "layer-1 sharpness": mean_largest_weight(model, src_vocab, READ_TEXT, layer=1),
    }


def comparison_figures(seed: int) -> dict[str, float]:
    """The trained figures notebook 06 reports, for ``bench/seeds.py``: :func:`compare_on_dates` ``(seed)``
    and the Transformer's reading of ``"3rd of March 2021"``."""
    c = compare_on_dates(seed)
    figures = {}
    for row in c.rows():
        for column in ("updates to 90% (val.)", "test exact match", "test token acc.", "ms / update", "decode seq/s"):
            figures[f"{row['model']}: {column}"] = row[column]
    figures["Transformer / RNN updates to 90%"] = (
        figures[f"{TRANSFORMER}: updates to 90% (val.)"] / figures[f"{RNN}: updates to 90% (val.)"]
    )
    reading = reading_of(c.runs[TRANSFORMER].model, c.task.src_vocab, c.task.tgt_vocab)
    figures["Transformer: '3rd of March 2021' right (1 = yes)"] = reading.pop("output right")
    figures.update({f"Transformer reading: {name}": value for name, value in reading.items()})
    return figures


__all__ = [
    "RNN",
    "TRANSFORMER",
    "TRANSFORMER_SIZE",
    "LEARNING_RATES",
    "EPOCHS",
    "EVAL_EVERY",
    "LEVEL",
    "MEASURED",
    "date_models",
    "UpdateClock",
    "Run",
    "train_one",
    "Comparison",
    "compare_on_dates",
    "updates_to_reach",
    "learning_rate_sweep",
    "decoding_speed",
    "sequential_ops",
    "summary_row",
    "format_cell",
    "format_table",
    "READ_TEXT",
    "mean_largest_weight",
    "reading_of",
    "comparison_figures",
]

# The trained figures this module's notebook reports, as ``name -> (seed -> {figure: value})`` for
# bench/seeds.py, which runs each under several seeds.
FIGURES: dict = {"06 Transformer vs RNN + attention on dates": comparison_figures}
