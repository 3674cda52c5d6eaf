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
from ..interface import Decoded, decode_text
from ..reproducibility import seed_everything, training_seed
from ..seq2seq import Seq2Seq
from ..tasks import Task, make_task
from ..training import History, evaluate, fit, num_threads


@dataclass(frozen=True)
class Recipe:
    """Everything that defines one experiment of notebooks 04-06: the task's size, the model's size and the
    training settings (one source of truth for the notebooks, the benchmarks and the checkpoint script).
    Change one entry with ``dataclasses.replace(recipe, lr=1e-3)``.

    ``task``, ``n_train``, ``n_val``, ``n_test`` and ``task_options`` go to :func:`~s2s_lab.make_task` (see
    :func:`recipe_task`); ``emb_size``, ``hidden_size``, ``bidirectional`` to :class:`~s2s_lab.Seq2Seq`; the
    rest to :func:`~s2s_lab.fit` (``eval_every=None``: evaluate after each epoch; ``epochs``: the most
    passes over the training data, where a time budget or the ``target`` usually ends training first)."""

    n_train: int
    n_val: int
    n_test: int
    emb_size: int
    hidden_size: int
    batch_size: int
    lr: float
    eval_every: int | None
    bidirectional: bool = False
    target: float | None = None
    threads: int | None = 1  # see s2s_lab.training.num_threads
    task: str = "reversal"  # "reversal" or "dates"
    epochs: int = 1000
    task_options: dict = field(default_factory=dict)  # extra arguments of make_task


# Notebook 04, section 4: reversal of 3..8 letters, four passes over 4,000 pairs (seconds on a CPU).
REVERSAL_RECIPE = Recipe(
    n_train=4000,
    n_val=300,
    n_test=500,
    emb_size=16,
    hidden_size=64,
    batch_size=64,
    lr=5e-3,
    eval_every=None,
    epochs=4,
    task_options=dict(min_len=3, max_len=8, alphabet="abcdefgh"),
)

# Notebook 04, section 5: the teacher-forcing experiment, a smaller reversal task (3..6 letters).
TEACHER_FORCING_RECIPE = replace(
    REVERSAL_RECIPE, n_train=2000, n_test=300, task_options=dict(min_len=3, max_len=6, alphabet="abcdefgh")
)

# Measured in bench/bench_dates.py: reaches >= 99% exact match on the held-out dates well within 60 s on
# an idle 2-core CPU (see the report printed there); bench/seeds.py: the target (100% on the validation
# dates) came after 150-325 updates, so at most 4 epochs (628 updates) bound the run without a clock.
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
    task="dates",
    epochs=4,
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


def recipe_task(recipe: Recipe, seed: int = 0) -> Task:
    """The task of ``recipe``, generated from ``seed`` (the same for the same seed; the seed shift of
    :mod:`s2s_lab.reproducibility` changes training, never the data)."""
    return make_task(recipe.task, recipe.n_train, recipe.n_val, recipe.n_test, seed=seed, **recipe.task_options)


def train_seq2seq(
    task: Task,
    recipe: Recipe,
    attention: str | None = None,
    *,
    seed: int = 0,
    teacher_forcing: float = 1.0,
    max_seconds: float | None = None,
    validate: bool = True,
    progress: bool = False,
    callback=None,
    device=None,
) -> Trained:
    """Train one :class:`~s2s_lab.Seq2Seq` on ``task`` with ``recipe`` and score it on the test split.

    Initialisation and batch order come from ``seed`` (through :func:`~s2s_lab.seed_everything`).
    ``validate=True``: evaluate on the validation split after every ``recipe.eval_every`` updates (or
    epoch), stop at ``recipe.target``, and keep the best weights; ``False``: no validation, keep the final
    weights (every run then makes exactly the same number of updates). ``max_seconds``: a time budget.
    """
    seed_everything(seed)
    train, val, test = loaders(task, recipe.batch_size, seed)
    model = Seq2Seq(
        len(task.src_vocab),
        len(task.tgt_vocab),
        recipe.emb_size,
        recipe.hidden_size,
        bidirectional=recipe.bidirectional,
        attention=attention,
        max_src_len=task.max_src_len,
    )
    history = fit(
        model,
        train,
        val_loader=val if validate else None,
        epochs=recipe.epochs,
        max_seconds=max_seconds,
        target=recipe.target if validate else None,
        eval_every=recipe.eval_every,
        lr=recipe.lr,
        teacher_forcing=teacher_forcing,
        restore_best=validate,
        device=device,
        threads=recipe.threads,
        progress=progress,
        callback=callback,
    )
    with num_threads(recipe.threads):
        return Trained(model, task, history, evaluate(model, test))


def teacher_forcing_experiment(
    ratios=(1.0, 0.5, 0.0), seed: int = 0, recipe: Recipe = TEACHER_FORCING_RECIPE
) -> dict[float, dict]:
    """Notebook 04's experiment: the same model, data and number of updates for each teacher-forcing ratio
    :math:`p` (the probability of reading the true previous token in training); returns ``{p: test
    metrics}`` (:func:`~s2s_lab.evaluate`: ``teacher_forced_accuracy``, ``token_accuracy`` of greedy
    decoding, ``exact_match``) of the final weights."""
    task = recipe_task(recipe)
    return {p: train_seq2seq(task, recipe, seed=seed, teacher_forcing=p, validate=False).test for p in ratios}


def date_task(seed: int = 0, recipe: Recipe = DATE_RECIPE) -> Task:
    """The date task of :data:`DATE_RECIPE` (the same for the same seed)."""
    return recipe_task(recipe, seed)


def train_dates(
    attention: str | None = "additive",
    max_seconds: float | None = 60,
    seed: int = 0,
    progress: bool = False,
    callback=None,
    device=None,
    task_seed: int | None = None,
    **changes,
) -> Trained:
    """Train a date normaliser with :data:`DATE_RECIPE` (override any entry as a keyword argument) until
    the validation exact match reaches ``target``, ``epochs`` passes end or ``max_seconds`` pass (``None``:
    no clock, so the run does not depend on the machine's speed); evaluate on the test split. The task's
    data come from ``task_seed`` (default: ``seed``)."""
    r = replace(DATE_RECIPE, **changes)
    return train_seq2seq(
        date_task(seed if task_seed is None else task_seed, r),
        r,
        attention,
        seed=seed,
        max_seconds=max_seconds,
        progress=progress,
        callback=callback,
        device=device,
    )


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
    return recipe_task(SWEEP, seed)


def train_reversal(
    attention: str | None, max_seconds: float, seed: int = 0, progress: bool = False, device=None
) -> Trained:
    """Train one model of the length sweep for ``max_seconds``; keep the best by validation exact match."""
    return train_seq2seq(
        sweep_task(seed), SWEEP, attention, seed=seed, max_seconds=max_seconds, progress=progress, device=device
    )


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


def shipped_metadata(name: str | Path) -> dict:
    """What :func:`save_trained` recorded with a checkpoint — shipped by name or any file by path: the task
    and seed, ``updates``, ``seconds`` of training, ``test_exact_match`` (and, for checkpoints saved since it
    was added, why training ``stopped``). The first shipped checkpoints call the updates ``steps``."""
    path = Path(name)
    info = dict(load_checkpoint(path if path.suffix == ".pt" else shipped(f"{name}.pt"))[1])
    if "steps" in info:
        info["updates"] = info.pop("steps")
    return info


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
        stopped=h.stopped,
        test_exact_match=trained.test["exact_match"],
    )


# ----------------------------------------------------------------------------------------------
# Reading the alignments of attention models
# ----------------------------------------------------------------------------------------------
def attention_on(result: Decoded, output_span: slice, source_span: slice) -> float:
    r"""How much the output characters ``output_span`` look at the source characters ``source_span``:
    :math:`\frac{1}{|T|} \sum_{t \in T} \sum_{j \in J} \alpha_{tj}`, the weight on :math:`J` averaged over the
    output steps :math:`T` (both spans are 0-based slices of the texts, of a character-level
    :func:`~s2s_lab.decode_text` result with attention; 1 = they look nowhere else)."""
    if result.attention is None:
        raise ValueError("expected the decoding of an attention model, got one without attention weights.")
    weights = result.attention[output_span, source_span]  # (|T|, |J|)
    if weights.numel() == 0:
        raise ValueError(f"the spans {output_span} and {source_span} select no output step or no source position.")
    return float(weights.sum(1).mean())


@torch.no_grad()
def reversal_alignment(model, task: Task, pairs=None) -> dict[str, float]:
    r"""Where a reversal model with attention looks, over ``pairs`` (default: the test split).

    Output step :math:`t` writes :math:`x_{S+1-t}`. Returns the share of the steps :math:`2 \le t \le S`
    whose largest weight :math:`\alpha_{tj}` sits at :math:`j = S + 2 - t` (``"previous letter"``: the
    letter written at step :math:`t - 1`) or at :math:`j = S + 1 - t` (``"current letter"``: the one
    being written), the mean weight on those positions, and the share of first steps looking at
    :math:`j = S` (``"first step at S"``)."""
    pairs = task.test if pairs is None else pairs
    batch = next(iter(make_loader(PairDataset(pairs, task.src_vocab, task.tgt_vocab), len(pairs))))
    device = next(model.parameters()).device
    batch = batch.to(device)
    _, extras = model.greedy_decode(batch.src, batch.src_mask, batch.tgt_out.shape[1])
    alpha = extras["attention"].cpu()  # (B, T', S)
    peaks = {"previous letter": [], "current letter": []}
    weights = {"previous letter": [], "current letter": []}
    first = []
    for b, S in enumerate(batch.src_mask.sum(1).tolist()):
        first.append(float(alpha[b, 0, :S].argmax() == S - 1))
        for t in range(2, min(S, alpha.shape[1]) + 1):  # 1-based output step
            a = alpha[b, t - 1, :S]  # (S,)
            for name, j in (("previous letter", S + 2 - t), ("current letter", S + 1 - t)):
                peaks[name].append(float(a.argmax() == j - 1))
                weights[name].append(float(a[j - 1]))
    mean = lambda xs: sum(xs) / max(len(xs), 1)  # noqa: E731
    return {
        "peak at previous letter": mean(peaks["previous letter"]),
        "peak at current letter": mean(peaks["current letter"]),
        "weight on previous letter": mean(weights["previous letter"]),
        "weight on current letter": mean(weights["current letter"]),
        "first step at S": mean(first),
    }


__all__ = [
    "Recipe",
    "TASKS",
    "REVERSAL_RECIPE",
    "TEACHER_FORCING_RECIPE",
    "DATE_RECIPE",
    "SWEEP",
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
    "reversal_figures",
    "teacher_forcing_figures",
    "dates_figures",
    "dates_other_data_figures",
    "dates_without_attention_figures",
    "sweep_figures",
]

# The trained figures this module's notebooks report, as ``name -> (seed -> {figure: value})`` for
# bench/seeds.py, which runs each under several seeds.
FIGURES: dict = {}


# ----------------------------------------------------------------------------------------------
# The trained figures of notebooks 04 and 05, each ``seed -> {figure: value}``: the code the notebook runs
# ----------------------------------------------------------------------------------------------
def reversal_figures(seed: int) -> dict[str, float]:
    """Notebook 04, section 4: the reversal model of :data:`REVERSAL_RECIPE`, its test scores and its exact
    match for each source length."""
    r = train_seq2seq(recipe_task(REVERSAL_RECIPE), REVERSAL_RECIPE, seed=seed)
    curve = accuracy_by_length(r.model, r.task)
    return {**{f"test {k}": v for k, v in r.test.items()}, **{f"exact match, length {n}": a for n, a in curve.items()}}


def teacher_forcing_figures(seed: int) -> dict[str, float]:
    """Notebook 04, section 5: :func:`teacher_forcing_experiment`, and the gap between reading the true
    previous tokens and reading its own (teacher-forced minus greedy token accuracy) for each ratio."""
    out = {}
    for p, m in teacher_forcing_experiment(seed=seed).items():
        out[f"p={p:g} teacher-forced acc"] = m["teacher_forced_accuracy"]
        out[f"p={p:g} greedy acc"] = m["token_accuracy"]
        out[f"p={p:g} exact match"] = m["exact_match"]
        out[f"p={p:g} gap"] = m["teacher_forced_accuracy"] - m["token_accuracy"]
    return out


DATE_EXAMPLES = {  # (input, output span, source span) of the alignments notebook 05 describes
    "year digits on the year": ("3rd of March 2021", slice(0, 4), slice(13, 17)),
    "last two year digits on '21'": ("3rd of March 2021", slice(2, 4), slice(15, 17)),
    "month digits on 'March'": ("3rd of March 2021", slice(5, 7), slice(7, 12)),
    "last day digit on '3'": ("3rd of March 2021", slice(9, 10), slice(0, 1)),
    "03/03/21: '20' on '21'": ("03/03/21", slice(0, 2), slice(6, 8)),
    "03/03/21: '20' on the zeros": ("03/03/21", slice(0, 2), slice(0, 4)),
    "03/03/21: '21' on '21'": ("03/03/21", slice(2, 4), slice(6, 8)),
}


def date_alignment(model, task: Task) -> dict[str, float]:
    """The weights behind notebook 05's description of the date alignments (:data:`DATE_EXAMPLES`, with
    :func:`attention_on`), and the largest single weight of the steps writing ``20`` for ``03/03/21``."""
    out = {}
    for name, (text, output_span, source_span) in DATE_EXAMPLES.items():
        result = decode_text(model, text, task.src_vocab, task.tgt_vocab)
        out[name] = attention_on(result, output_span, source_span)
    out["03/03/21: largest weight of '20'"] = float(
        decode_text(model, "03/03/21", task.src_vocab, task.tgt_vocab).attention[:2].max()
    )
    return out


def dates_figures(seed: int, task_seed: int | None = 0) -> dict[str, float]:
    """Notebook 05, sections 3-4: the additive-attention date model as the notebook trains it (no clock),
    with the training seed ``seed`` and the notebook's data (``task_seed=0``: the notebook under
    ``S2S_SEED_SHIFT=seed``) or, with ``task_seed=None``, data of its own (from ``seed``)."""
    r = train_dates("additive", max_seconds=None, seed=seed, task_seed=task_seed)
    return {
        "updates": len(r.history.updates),
        "reached the target": float(r.history.stopped == "target"),
        **{f"test {k}": v for k, v in r.test.items()},
        **date_alignment(r.model, r.task),
    }


def dates_other_data_figures(seed: int) -> dict[str, float]:
    """:func:`dates_figures` with data of its own for every seed (the task too changes with the seed)."""
    return dates_figures(seed, task_seed=None)


def dates_without_attention_figures(seed: int) -> dict[str, float]:
    """Notebook 05's comparison (``bench/bench_dates.py --attention none``): the same recipe without attention,
    each seed with data of its own, without the recipe's four-epoch limit and with a budget (600 s) long enough
    to reach the target: the figure is how many updates that takes, which does not depend on speed."""
    r = train_dates(None, max_seconds=600, seed=seed, epochs=1000)
    return {
        "updates": len(r.history.updates),
        "reached the target": float(r.history.stopped == "target"),
        "test exact_match": r.test["exact_match"],
    }


def sweep_figures(seed: int, epochs: int = 4) -> dict[str, float]:
    """A cheaper replicate of the length sweep whose checkpoints notebooks 04-05 load (``bench/make_checkpoints.py``
    trains 600 s per model): the same models and data, ``epochs`` passes each (940 updates for 4; a count, so
    that it does not depend on the machine's speed). Exact match on short (3-10) and long (21-24) test inputs,
    and where the attention model looks (:func:`reversal_alignment`)."""
    out = {}
    for name, attention in (("plain", None), ("attention", "additive")):
        r = train_seq2seq(sweep_task(), replace(SWEEP, epochs=epochs), attention, seed=seed)
        curve = accuracy_by_length(r.model, r.task)
        out[f"{name}: exact match 3-10"] = sum(curve[n] for n in range(3, 11)) / 8
        out[f"{name}: exact match 21-24"] = sum(curve[n] for n in range(21, 25)) / 4
        if attention:
            out.update({f"attention: {k}": v for k, v in reversal_alignment(r.model, r.task).items()})
    return out


FIGURES["04 reversal (section 4)"] = reversal_figures
FIGURES["04 teacher forcing (section 5)"] = teacher_forcing_figures
FIGURES["05 dates with additive attention (section 3-4)"] = dates_figures
FIGURES["05 dates with additive attention, each seed its own data"] = dates_other_data_figures
FIGURES["05 dates without attention (section 3)"] = dates_without_attention_figures
FIGURES["05 length sweep, 4 epochs per model (section 5)"] = sweep_figures
