r"""One trainer for every model of the collection: the sequence classifiers of notebooks 02-03 and the
sequence-to-sequence models of notebooks 04-06.

**The loop.** :func:`train_step` is the five lines every PyTorch training has — loss, ``backward()``, clip,
``step()``, ``zero_grad()`` — and :func:`fit` calls it once per batch, plus bookkeeping: evaluation, keeping the
best weights, a time budget, progress and Ctrl-C. :func:`batch_loss` is the first of those lines for either
kind of batch:

- a classifier batch ``(x (B, T, I), y (B,))``: the cross-entropy of ``model(x)`` against ``y``;
- a seq2seq :class:`~s2s_lab.data.Batch`: the decoder predicts :math:`p_\theta(\cdot \mid y_{<t}, x)` at every
  target position; padding must not count, so the cross-entropy is averaged over the real tokens only
  (:math:`m_{bt} = 1` for a real token, 0 for ``<pad>``):

.. math::
    \mathcal{L}(\theta) = -\frac{1}{\sum_{b,t} m_{bt}} \sum_{b,t} m_{bt} \log p_\theta(y_{bt} \mid y_{b,<t}, x_b)

With *label smoothing* :math:`\varepsilon` (Szegedy et al., 2016; used by Vaswani et al., 2017), the target
of each position is not the one-hot :math:`y_{bt}` but :math:`1 - \varepsilon` on it plus
:math:`\varepsilon / V` spread over all :math:`V` tokens, so :math:`-\log p_\theta(y_{bt} \mid \cdot)` becomes

.. math::
    -(1 - \varepsilon) \log p_\theta(y_{bt} \mid \cdot) - \frac{\varepsilon}{V} \sum_w \log p_\theta(w \mid \cdot)

which keeps the model from becoming over-confident (``label_smoothing=0``: the plain loss).

**Optimisation.** Adam (Kingma & Ba, 2015) unless another optimiser is given; before each update the
gradient is rescaled so that its norm is at most ``clip`` (Pascanu et al., 2013), which keeps recurrent
networks from blowing up. A learning-rate ``scheduler`` (e.g. a warm-up) is stepped after each update.

**Metrics.** Classifiers: *accuracy*. Seq2seq: *exact match* (the greedy decoding equals the target to the
letter, including where it stops) and *token accuracy* (the fraction of target positions predicted right).
Any other validation score (BLEU for translation) comes in as ``val_metric``, a function of the model whose
``"score"`` then decides which weights are best, when to stop early (``patience``) and the ``target``.
"""

from __future__ import annotations

import contextlib
import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm.auto import tqdm

from .data import PAD, Batch


@contextlib.contextmanager
def num_threads(n: int | None):
    """Run a block with ``torch.set_num_threads(n)`` and restore the previous value afterwards
    (``None``: change nothing).

    The collection's models multiply small matrices inside a Python loop over time; splitting such
    small products across cores costs more than it saves, and when other programs share the CPU the
    threads wait for each other (we measured a 2-thread run up to 10x slower than a 1-thread one on a
    busy 2-core machine). The recipes of the notebooks therefore train with one thread.
    """
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ValueError(f"expected threads as a whole number >= 1 (or None), got {n!r}.")
    old = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def default_device() -> torch.device:
    """``cuda`` when a GPU is present, else ``cpu``."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


# ----------------------------------------------------------------------------------------------
# Losses and metrics
# ----------------------------------------------------------------------------------------------
def masked_cross_entropy(logits: Tensor, targets: Tensor, mask: Tensor, label_smoothing: float = 0.0) -> Tensor:
    """Mean of :math:`-\\log p(y_{bt})` over the positions where ``mask`` is True; with ``label_smoothing``
    :math:`\\varepsilon`, of :math:`-(1 - \\varepsilon) \\log p(y_{bt}) - \\frac{\\varepsilon}{V} \\sum_w \\log p(w)`
    (see the module docstring).

    Inputs: ``logits (B, T, V)``, ``targets (B, T) long``, ``mask (B, T) bool``, ``label_smoothing`` in [0, 1).
    Output: a scalar.
    """
    if logits.dim() != 3 or targets.shape != logits.shape[:2] or mask.shape != targets.shape:
        raise ValueError(
            f"expected logits (B, T, V) with targets and mask (B, T), got logits "
            f"{tuple(logits.shape)}, targets {tuple(targets.shape)}, mask {tuple(mask.shape)}."
        )
    nll = F.cross_entropy(logits.transpose(1, 2), targets, reduction="none", label_smoothing=label_smoothing)  # (B, T)
    m = mask.to(nll.dtype)
    return (nll * m).sum() / m.sum().clamp(min=1)


def batch_loss(model: nn.Module, batch, teacher_forcing: float = 1.0, label_smoothing: float = 0.0) -> Tensor:
    """The training loss of one batch: masked cross-entropy for a seq2seq :class:`~s2s_lab.data.Batch`,
    cross-entropy of ``model(x)`` against ``y`` for a classifier batch ``(x, y)`` (both with
    ``label_smoothing``, 0 for none)."""
    if isinstance(batch, Batch):
        logits = model(batch.src, batch.src_mask, batch.tgt_in, teacher_forcing=teacher_forcing)  # (B, T, V)
        return masked_cross_entropy(logits, batch.tgt_out, batch.tgt_mask, label_smoothing)
    x, y = batch
    return F.cross_entropy(model(x), y, label_smoothing=label_smoothing)


def _align(pred: Tensor, target: Tensor) -> Tensor:
    """Cut or ``<pad>``-extend ``pred`` (B, T') to the target's length T."""
    T = target.shape[1]
    if pred.shape[1] >= T:
        return pred[:, :T]
    return F.pad(pred, (0, T - pred.shape[1]), value=PAD)


def exact_match(pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
    """Per sequence, whether ``pred`` (B, T') equals ``target`` (B, T) at every real position (``<eos>``
    included, so stopping early or late is wrong). Output: ``(B,) bool``."""
    return ((_align(pred, target) == target) | ~mask).all(dim=1)


def token_accuracy(pred: Tensor, target: Tensor, mask: Tensor) -> tuple[int, int]:
    """``(right, total)``: how many real target positions ``pred`` gets right, out of how many."""
    right = ((_align(pred, target) == target) & mask).sum()
    return int(right), int(mask.sum())


def _evaluate_seq2seq(model: nn.Module, batches, max_extra: int) -> dict[str, float]:
    n_exact = n_seq = right = total = tf_right = 0
    loss_sum = 0.0
    for batch in batches:
        logits = model(batch.src, batch.src_mask, batch.tgt_in)  # (B, T, V), teacher-forced
        loss_sum += float(masked_cross_entropy(logits, batch.tgt_out, batch.tgt_mask)) * int(batch.tgt_mask.sum())
        tf_right += token_accuracy(logits.argmax(-1), batch.tgt_out, batch.tgt_mask)[0]
        pred, _ = model.greedy_decode(batch.src, batch.src_mask, batch.tgt_out.shape[1] + max_extra)
        n_exact += int(exact_match(pred, batch.tgt_out, batch.tgt_mask).sum())
        n_seq += batch.src.shape[0]
        r, t = token_accuracy(pred, batch.tgt_out, batch.tgt_mask)
        right, total = right + r, total + t
    return {
        "exact_match": n_exact / n_seq,
        "token_accuracy": right / total,
        "loss": loss_sum / total,
        "teacher_forced_accuracy": tf_right / total,
    }


def _evaluate_classifier(model: nn.Module, batches) -> dict[str, float]:
    correct = total = 0
    loss_sum = 0.0
    for x, y in batches:
        logits = model(x)  # (B, C)
        loss_sum += float(F.cross_entropy(logits, y, reduction="sum"))
        correct += int((logits.argmax(-1) == y).sum())
        total += len(y)
    return {"accuracy": correct / total, "loss": loss_sum / total}


@torch.no_grad()
def evaluate(model: nn.Module, loader, device=None, max_extra: int = 0) -> dict[str, float]:
    """Score ``model`` on every batch of ``loader``; return plain floats.

    Classifier batches ``(x, y)``: ``accuracy`` and ``loss`` (mean cross-entropy).

    Seq2seq batches: ``exact_match``, ``token_accuracy`` (of the greedy decoding), ``loss`` (teacher-forced
    masked cross-entropy) and ``teacher_forced_accuracy`` (token accuracy when the decoder reads the true
    previous tokens; its gap to ``token_accuracy`` is the price of feeding the model its own predictions).
    """
    device = torch.device(device) if device is not None else next(model.parameters()).device
    batches = [b.to(device) if isinstance(b, Batch) else tuple(t.to(device) for t in b) for b in loader]
    if not batches:
        raise ValueError("expected a loader with at least one batch, got an empty one.")
    was_training = model.training
    model.eval()
    try:
        if isinstance(batches[0], Batch):
            return _evaluate_seq2seq(model, batches, max_extra)
        return _evaluate_classifier(model, batches)
    finally:
        model.train(was_training)


def count_parameters(model: nn.Module) -> int:
    """The number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def score(record: dict) -> float:
    """The headline metric of an evaluation: the ``"score"`` of a ``val_metric`` (see :func:`fit`) if it has
    one, else exact match (seq2seq) or accuracy (classifier)."""
    if "score" in record:
        return record["score"]
    return record["exact_match"] if "exact_match" in record else record["accuracy"]


def _key(record: dict) -> tuple:
    """How evaluations are ranked: by :func:`score`, ties broken by the lower validation loss (if any)."""
    return (score(record), -record["loss"]) if "loss" in record else (score(record),)


# ----------------------------------------------------------------------------------------------
# One update, and the trainer
# ----------------------------------------------------------------------------------------------
class NonFiniteLoss(ValueError):
    """The training loss became NaN or infinite: the weights would be ruined by the update."""


def _check_update_settings(clip, teacher_forcing, label_smoothing) -> None:
    """What one update takes besides the model and the batch (shared by :func:`train_step` and :func:`fit`)."""
    if clip is not None and (not _number(clip) or not math.isfinite(clip) or clip <= 0):
        raise ValueError(
            f"expected clip > 0 (the largest gradient norm) or None for no clipping, got {clip!r}; "
            f"clip <= 0 would scale every gradient to zero."
        )
    if not _number(teacher_forcing) or not 0.0 <= teacher_forcing <= 1.0:
        raise ValueError(f"expected teacher_forcing in [0, 1], got {teacher_forcing!r}.")
    if not _number(label_smoothing) or not 0.0 <= label_smoothing < 1.0:
        raise ValueError(f"expected label_smoothing in [0, 1) (0: none; 0.1 is usual), got {label_smoothing!r}.")


def _check_step_args(optimizer, clip, teacher_forcing, label_smoothing, scheduler) -> None:
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise ValueError(f"expected optimizer as a torch.optim optimiser (e.g. torch.optim.Adam), got {optimizer!r}.")
    _check_update_settings(clip, teacher_forcing, label_smoothing)
    if scheduler is not None and getattr(scheduler, "optimizer", None) is not optimizer:
        raise ValueError("expected a scheduler built on the optimiser given to train_step, got one of another.")


def train_step(
    model: nn.Module,
    batch,
    optimizer: torch.optim.Optimizer,
    *,
    clip: float | None = 1.0,
    teacher_forcing: float = 1.0,
    label_smoothing: float = 0.0,
    scheduler=None,
) -> float:
    r"""One update of ``model`` on one ``batch``: the loss :math:`\mathcal{L}(\theta)` (:func:`batch_loss`), its
    gradient :math:`g = \nabla_\theta \mathcal{L}` by ``backward()``, clipped to norm at most ``clip``
    (:math:`g \leftarrow g \cdot \min(1, \mathrm{clip} / \lVert g \rVert)`; Pascanu et al., 2013), the
    optimiser's step (for plain SGD :math:`\theta \leftarrow \theta - \eta\, g`), and the gradients reset to
    none, so that the next ``backward()`` does not add to them. A ``scheduler`` is stepped after the update.

    Inputs: a classifier batch ``(x, y)`` or a seq2seq :class:`~s2s_lab.data.Batch`, on the model's device.
    Output: the loss of the batch before the update, as a float. :func:`fit` calls this once per batch.
    """
    _check_step_args(optimizer, clip, teacher_forcing, label_smoothing, scheduler)
    loss = batch_loss(model, batch, teacher_forcing, label_smoothing)  # a scalar tensor
    if not torch.isfinite(loss):
        raise NonFiniteLoss(f"the training loss became {loss.item()}; lower the learning rate or keep clipping on.")
    loss.backward()  # every parameter's .grad now holds dL/dθ
    if clip is not None:
        nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()  # θ changes
    optimizer.zero_grad(set_to_none=True)
    if scheduler is not None:
        scheduler.step()
    return loss.item()


@dataclass
class History:
    """What :func:`fit` did.

    ``updates``/``losses``: the number and the training loss of every update (one optimiser step).
    ``evals``: one dict per evaluation (``update``, ``seconds``, ``train_loss``, ``lr`` and, with a validation
    loader, the metrics of :func:`evaluate`, with a ``val_metric`` its values). ``best``: the evaluation whose weights
    the model holds at the end (with ``restore_best``). ``stopped``: why training ended (``"epochs"``,
    ``"max_seconds"``, ``"target"``, ``"patience"``, ``"interrupted"``). ``seconds``: wall-clock time (it varies
    between runs and machines).
    """

    updates: list[int] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    evals: list[dict] = field(default_factory=list)
    best: dict | None = None
    stopped: str = ""
    seconds: float = 0.0

    @property
    def interrupted(self) -> bool:
        return self.stopped == "interrupted"

    def metric(self, name: str) -> list[float]:
        """One metric over all evaluations, e.g. ``history.metric("accuracy")``."""
        return [e[name] for e in self.evals if name in e]

    @property
    def accuracies(self) -> list[float]:
        """A classifier's validation accuracy after each evaluation (``metric("accuracy")``)."""
        return self.metric("accuracy")


def _number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _check_fit_args(train_loader, epochs, max_seconds, lr, eval_every, target, metric) -> None:
    """Refuse every setting with which training would silently do nothing or diverge."""
    number = _number

    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"expected epochs as a whole number >= 1, got {epochs!r}; with none, nothing is trained.")
    if not number(lr) or not math.isfinite(lr) or lr <= 0:
        raise ValueError(f"expected a finite learning rate lr > 0, got {lr!r}.")
    if max_seconds is not None and (not number(max_seconds) or not max_seconds > 0):
        raise ValueError(f"expected max_seconds > 0 (or None for no time limit), got {max_seconds!r}.")
    if eval_every is not None and (isinstance(eval_every, bool) or not isinstance(eval_every, int) or eval_every < 1):
        raise ValueError(f"expected eval_every as a whole number of updates >= 1 (or None), got {eval_every!r}.")
    if target is not None and metric and (not number(target) or not math.isfinite(target)):
        raise ValueError(f"expected target as a finite number (a val_metric score to reach), got {target!r}.")
    if target is not None and not metric and (not number(target) or not 0.0 < target <= 1.0):
        raise ValueError(f"expected target in (0, 1] (a fraction such as 0.99), got {target!r}.")
    if hasattr(train_loader, "__len__") and len(train_loader) == 0:
        raise ValueError("the training loader has no batches: give it at least one example.")


def _check_new_fit_args(scheduler, opt, val_metric, patience, history) -> None:
    """The settings of real training (a schedule, a validation metric, early stopping)."""
    if scheduler is not None:
        if not isinstance(scheduler, torch.optim.lr_scheduler.LRScheduler) or isinstance(
            scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau
        ):
            raise ValueError(
                f"expected scheduler as a torch.optim.lr_scheduler that steps after each update (e.g. LambdaLR), "
                f"got {type(scheduler).__name__}."
            )
        if scheduler.optimizer is not opt:
            raise ValueError(
                "expected a scheduler of the optimiser fit uses, got one of another optimiser; build the "
                "optimiser, pass it as optimizer=, and build the scheduler on it."
            )
    if val_metric is not None and not callable(val_metric):
        raise ValueError(f"expected val_metric as a function model -> dict with a 'score', got {val_metric!r}.")
    if patience is not None and (isinstance(patience, bool) or not isinstance(patience, int) or patience < 1):
        raise ValueError(f"expected patience as a whole number of evaluations >= 1 (or None), got {patience!r}.")
    if history is not None and not isinstance(history, History):
        raise ValueError(f"expected history as the History of an earlier fit (or None), got {history!r}.")


def _run_metric(val_metric, model: nn.Module) -> dict:
    """``val_metric(model)`` in evaluation mode without gradients; checked to give a finite ``"score"``."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = val_metric(model)
    finally:
        model.train(was_training)
    if not isinstance(out, dict) or not _number(out.get("score")) or not math.isfinite(out["score"]):
        got = sorted(out) if isinstance(out, dict) else type(out).__name__
        raise ValueError(f"expected val_metric to return a dict with a finite number under 'score', got {got}.")
    return dict(out)


def fit(
    model: nn.Module,
    train_loader,
    *,
    val_loader=None,
    epochs: int = 10,
    max_seconds: float | None = None,
    target: float | None = None,
    eval_every: int | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    lr: float = 1e-3,
    clip: float | None = 1.0,
    teacher_forcing: float = 1.0,
    restore_best: bool = True,
    device=None,
    threads: int | None = None,
    progress: bool = False,
    desc: str = "training",
    callback: Callable[[History], None] | None = None,
    label_smoothing: float = 0.0,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    val_metric: Callable[[nn.Module], dict] | None = None,
    patience: int | None = None,
    history: History | None = None,
) -> History:
    """Train ``model`` on the batches of ``train_loader``; return a :class:`History`.

    Args:
        model: a classifier (``model(x) -> logits (B, C)``) or a :class:`~s2s_lab.interface.Seq2SeqModel`.
        train_loader / val_loader: iterables of classifier batches ``(x, y)`` or seq2seq
            :class:`~s2s_lab.data.Batch` es (see :func:`batch_loss`).
        epochs: passes over ``train_loader``; max_seconds: stop after this much wall-clock time.
        target: stop as soon as the validation score (exact match or accuracy, or ``val_metric``'s ``"score"``)
            reaches this value.
        eval_every: evaluate every this many updates (default: at the end of each epoch).
        optimizer: any ``torch.optim`` optimiser over ``model``'s parameters (default: Adam with ``lr``).
        clip: maximal gradient norm (``None``: no clipping).
        teacher_forcing: seq2seq only: probability of feeding the true previous token (1.0 = always).
        restore_best: at the end, load the weights of the best evaluation (best validation score, ties
            broken by lower validation loss; without a validation loader, lowest mean training loss since
            the previous evaluation). ``False``: keep the final weights.
        device: where to train (default: GPU if present, else CPU); the model is moved there.
        threads: train with this many CPU threads (see :func:`num_threads`; ``None``: torch's setting).
        progress: show a ``tqdm`` progress bar labelled ``desc``. callback: called with the history after
            every update and every evaluation (the live loss-curve widget of :mod:`s2s_lab.widgets` is one).
        label_smoothing: :math:`\\varepsilon` of :func:`masked_cross_entropy` (0: none).
        scheduler: a ``torch.optim.lr_scheduler`` of ``optimizer``, stepped after every update (e.g. a warm-up).
        val_metric: a function ``model -> dict`` with a number under ``"score"`` (higher is better, e.g.
            validation BLEU), called at every evaluation in evaluation mode without gradients; its values go
            into the evaluation's record and its ``"score"`` ranks the evaluations (ties: lower ``"loss"``).
        patience: stop early when this many evaluations in a row have not beaten the best (``None``: never).
        history: continue this :class:`History` of an earlier ``fit`` (a resumed training: the caller restores
            the weights, optimiser and scheduler): updates, evaluations and seconds count on from it, its best
            is the one to beat (``restore_best`` restores a best found in this call only) and ``max_seconds``
            includes its seconds.

    A ``KeyboardInterrupt`` (Ctrl-C, or raised by ``callback``) ends training early and says which weights
    the model holds: those of the best evaluation so far, or, before any evaluation, the latest ones.
    """
    _check_update_settings(clip, teacher_forcing, label_smoothing)
    _check_fit_args(train_loader, epochs, max_seconds, lr, eval_every, target, val_metric is not None)
    device = torch.device(device) if device is not None else default_device()
    model.to(device)
    opt = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    _check_new_fit_args(scheduler, opt, val_metric, patience, history)
    validated = val_loader is not None or val_metric is not None
    hist, best_state = history if history is not None else History(), None
    best_key = _key(hist.best) if hist.best is not None and validated else None
    since_best = len(hist.evals) - 1 - max((i for i, e in enumerate(hist.evals) if e == hist.best), default=-1)
    hist.stopped = ""
    start, since_eval = time.perf_counter() - hist.seconds, []

    def do_eval() -> None:
        nonlocal best_state, best_key, since_best
        rec = {
            "update": len(hist.updates),
            "seconds": round(time.perf_counter() - start, 3),
            "train_loss": sum(since_eval) / max(len(since_eval), 1),
            "lr": opt.param_groups[0]["lr"],
        }
        if val_loader is not None:
            rec.update(evaluate(model, val_loader, device))
        if val_metric is not None:
            rec.update(_run_metric(val_metric, model))
        key = _key(rec) if validated else (-rec["train_loss"],)
        since_eval.clear()
        hist.evals.append(rec)
        since_best += 1
        if best_key is None or key > best_key:
            best_key, hist.best, since_best = key, rec, 0
            if restore_best:
                best_state = copy.deepcopy(model.state_dict())
        if callback is not None:
            callback(hist)
        if target is not None and validated and score(rec) >= target:
            hist.stopped = "target"
        elif patience is not None and validated and since_best >= patience:
            hist.stopped = "patience"

    def update(batch) -> None:  # the training step itself, then its bookkeeping
        try:
            loss = train_step(
                model,
                batch,
                opt,
                clip=clip,
                teacher_forcing=teacher_forcing,
                label_smoothing=label_smoothing,
                scheduler=scheduler,
            )
        except NonFiniteLoss as err:
            raise NonFiniteLoss(f"at update {len(hist.updates) + 1}, {err}") from None
        hist.updates.append(len(hist.updates) + 1)
        hist.losses.append(loss)
        since_eval.append(loss)

    n_batches = len(train_loader) if hasattr(train_loader, "__len__") else None
    known_total = n_batches is not None and max_seconds is None and target is None
    bar = tqdm(total=epochs * n_batches if known_total else None, disable=not progress, desc=desc, unit="update")
    model.train()
    opt.zero_grad(set_to_none=True)
    with num_threads(threads):
        try:
            for _epoch in range(epochs):
                for batch in train_loader:
                    update(batch.to(device) if isinstance(batch, Batch) else tuple(t.to(device) for t in batch))
                    bar.update(1)
                    bar.set_postfix(loss=f"{hist.losses[-1]:.3f}", refresh=False)
                    if callback is not None:
                        callback(hist)
                    out_of_time = max_seconds is not None and time.perf_counter() - start >= max_seconds
                    if (eval_every and len(hist.updates) % eval_every == 0) or out_of_time:
                        do_eval()  # sets hist.stopped = "target" when the target is reached
                        if out_of_time and not hist.stopped:
                            hist.stopped = "max_seconds"
                    if hist.stopped:
                        break
                if not hist.updates:
                    raise ValueError("the training loader gave no batches: give it at least one example.")
                if not hist.stopped and not eval_every:
                    do_eval()
                if hist.stopped:
                    break
            if not hist.stopped:
                hist.stopped = "epochs"
                if not hist.evals or hist.evals[-1]["update"] != len(hist.updates):
                    do_eval()
        except KeyboardInterrupt:
            hist.stopped = "interrupted"
        finally:
            bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    hist.seconds = time.perf_counter() - start
    if hist.interrupted:
        if best_state is not None:
            held = f"the weights of its best evaluation so far (update {hist.best['update']})"
        else:
            why = (
                "no evaluation had happened yet"
                if not hist.evals
                else "restore_best=False"
                if not restore_best
                else "no evaluation of this run beat the best of the history it continued"
            )
            held = f"its latest weights (update {len(hist.updates)}; {why})"
        print(f"Training interrupted at update {len(hist.updates)}; the model keeps {held}.")
    return hist


__all__ = [
    "num_threads",
    "default_device",
    "masked_cross_entropy",
    "batch_loss",
    "train_step",
    "NonFiniteLoss",
    "exact_match",
    "token_accuracy",
    "evaluate",
    "count_parameters",
    "score",
    "History",
    "fit",
]
