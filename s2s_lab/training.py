r"""Training and evaluating any sequence-to-sequence model of the collection.

**Loss.** The decoder predicts a distribution :math:`p_\theta(\cdot \mid y_{<t}, x)` at every target
position; padding must not count, so the cross-entropy is averaged over the real tokens only
(:math:`m_{bt} = 1` for a real token, 0 for ``<pad>``):

.. math::
    \mathcal{L}(\theta) = -\frac{1}{\sum_{b,t} m_{bt}} \sum_{b,t} m_{bt} \log p_\theta(y_{bt} \mid y_{b,<t}, x_b)

**Optimisation.** Adam (Kingma & Ba, 2015); before each update the gradient is rescaled so that its norm
is at most ``clip`` (Pascanu et al., 2013), which keeps recurrent networks from blowing up.

**Metrics.** *Exact match*: the fraction of sequences whose greedy decoding equals the target to the
letter (including where it stops). *Token accuracy*: the fraction of target positions predicted right.

Any model with ``forward(src, src_mask, tgt_in, teacher_forcing) -> logits (B, T, V)`` and
``greedy_decode(src, src_mask, max_len) -> (tokens, extras)`` trains here (RNN encoder-decoders with or
without attention, Transformers). ``fit`` keeps the best weights seen so far (by validation exact match,
else training loss); if you interrupt it (Ctrl-C, ``KeyboardInterrupt``), it stops cleanly and the model
holds those best weights.
"""

from __future__ import annotations

import contextlib
import copy
import io
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

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


def masked_cross_entropy(logits: Tensor, targets: Tensor, mask: Tensor) -> Tensor:
    """Mean of :math:`-\\log p(y_{bt})` over the positions where ``mask`` is True.

    Inputs: ``logits (B, T, V)``, ``targets (B, T) long``, ``mask (B, T) bool``. Output: a scalar.
    """
    if logits.dim() != 3 or targets.shape != logits.shape[:2] or mask.shape != targets.shape:
        raise ValueError(f"expected logits (B, T, V) with targets and mask (B, T), got logits "
                         f"{tuple(logits.shape)}, targets {tuple(targets.shape)}, mask {tuple(mask.shape)}.")
    nll = F.cross_entropy(logits.transpose(1, 2), targets, reduction="none")  # (B, T)
    m = mask.to(nll.dtype)
    return (nll * m).sum() / m.sum().clamp(min=1)


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


@torch.no_grad()
def evaluate(model: nn.Module, loader, device=None, max_extra: int = 0) -> dict[str, float]:
    """Greedy-decode every batch of ``loader``; return plain floats: ``exact_match``, ``token_accuracy``
    (of the greedy decoding), ``loss`` (teacher-forced masked cross-entropy) and ``teacher_forced_accuracy``
    (token accuracy when the decoder reads the true previous tokens; its gap to ``token_accuracy`` is the
    price of feeding the model its own predictions)."""
    device = torch.device(device) if device is not None else next(model.parameters()).device
    was_training = model.training
    model.eval()
    n_exact = n_seq = right = total = tf_right = 0
    loss_sum = 0.0
    for batch in loader:
        batch = batch.to(device)
        logits = model(batch.src, batch.src_mask, batch.tgt_in)
        loss_sum += float(masked_cross_entropy(logits, batch.tgt_out, batch.tgt_mask)) * int(batch.tgt_mask.sum())
        tf_right += token_accuracy(logits.argmax(-1), batch.tgt_out, batch.tgt_mask)[0]
        pred, _ = model.greedy_decode(batch.src, batch.src_mask, batch.tgt_out.shape[1] + max_extra)
        n_exact += int(exact_match(pred, batch.tgt_out, batch.tgt_mask).sum())
        n_seq += batch.src.shape[0]
        r, t = token_accuracy(pred, batch.tgt_out, batch.tgt_mask)
        right, total = right + r, total + t
    model.train(was_training)
    if n_seq == 0:
        raise ValueError("expected a loader with at least one batch, got an empty one.")
    return {"exact_match": n_exact / n_seq, "token_accuracy": right / total, "loss": loss_sum / total,
            "teacher_forced_accuracy": tf_right / total}


@dataclass
class History:
    """What :func:`fit` did.

    ``steps``/``losses``: the step number and training loss of every update. ``evals``: one dict per
    evaluation (``step``, ``seconds``, ``train_loss`` and, with a validation loader, ``exact_match``,
    ``token_accuracy``, ``loss``). ``best``: the evaluation whose weights the model holds at the end.
    ``stopped``: why training ended (``"epochs"``, ``"max_seconds"``, ``"target"``, ``"interrupted"``).
    """

    steps: list[int] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    evals: list[dict] = field(default_factory=list)
    best: dict | None = None
    stopped: str = ""
    seconds: float = 0.0

    @property
    def interrupted(self) -> bool:
        return self.stopped == "interrupted"


def fit(model: nn.Module, train_loader, *, val_loader=None, epochs: int = 10, max_seconds: float | None = None,
        lr: float = 1e-3, teacher_forcing: float = 1.0, clip: float | None = 1.0, device=None,
        progress: bool = False, callback: Callable[[History], None] | None = None, eval_every: int | None = None,
        target: float | None = None, optimizer: torch.optim.Optimizer | None = None,
        restore_best: bool = True, threads: int | None = None) -> History:
    """Train ``model`` with masked cross-entropy, Adam and gradient-norm clipping; return a :class:`History`.

    Args:
        model: any model of the collection's interface (see the module docstring).
        train_loader / val_loader: iterables of :class:`~s2s_lab.data.Batch`.
        epochs: passes over ``train_loader``; max_seconds: stop after this much wall-clock time.
        lr: Adam's learning rate (ignored if ``optimizer`` is given).
        teacher_forcing: probability of feeding the true previous token (1.0 = always).
        clip: maximal gradient norm (``None``: no clipping).
        device: where to train (default: GPU if present, else CPU); the model is moved there.
        progress: show a ``tqdm`` progress bar. callback: called with the history after every update
            and every evaluation (the live loss-curve widget of :mod:`s2s_lab.widgets` is one).
        eval_every: evaluate every this many updates (default: at the end of each epoch).
        target: stop as soon as validation exact match reaches this fraction (e.g. ``0.99``).
        restore_best: at the end, load the best weights seen (best validation exact match, ties broken by
            lower validation loss; without a validation loader, lowest mean training loss since the last
            evaluation).
        threads: train with this many CPU threads (see :func:`num_threads`; ``None``: torch's setting).

    A ``KeyboardInterrupt`` (Ctrl-C, or raised by ``callback``) ends training early; the model then holds
    the best weights so far and ``history.stopped == "interrupted"``.
    """
    if not 0.0 <= teacher_forcing <= 1.0:
        raise ValueError(f"expected teacher_forcing in [0, 1], got {teacher_forcing}.")
    device = torch.device(device) if device is not None else default_device()
    model.to(device)
    opt = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    n_batches = len(train_loader) if hasattr(train_loader, "__len__") else None
    hist, best_state, best_key = History(), None, None
    start, step, since_eval = time.perf_counter(), 0, []

    def do_eval() -> None:
        nonlocal best_state, best_key
        rec = {"step": step, "seconds": round(time.perf_counter() - start, 3),
               "train_loss": sum(since_eval) / max(len(since_eval), 1)}
        if val_loader is not None:
            rec.update(evaluate(model, val_loader, device))
            key = (rec["exact_match"], -rec["loss"])
        else:
            key = (-rec["train_loss"],)
        since_eval.clear()
        hist.evals.append(rec)
        if best_key is None or key > best_key:
            best_key, hist.best = key, rec
            best_state = copy.deepcopy(model.state_dict())
        if callback is not None:
            callback(hist)

    total = epochs * n_batches if n_batches is not None else None
    bar = tqdm(total=total, disable=not progress, desc="training", unit="step")
    model.train()
    with num_threads(threads):
        try:
            for _epoch in range(epochs):
                for batch in train_loader:
                    batch = batch.to(device)
                    logits = model(batch.src, batch.src_mask, batch.tgt_in, teacher_forcing=teacher_forcing)
                    loss = masked_cross_entropy(logits, batch.tgt_out, batch.tgt_mask)
                    if not torch.isfinite(loss):
                        raise ValueError(f"the training loss became {float(loss)} at step {step}; "
                                         f"lower the learning rate (lr={lr}) or keep gradient clipping on.")
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    if clip is not None:
                        nn.utils.clip_grad_norm_(model.parameters(), clip)
                    opt.step()
                    step += 1
                    hist.steps.append(step)
                    hist.losses.append(loss.item())
                    since_eval.append(hist.losses[-1])
                    bar.update(1)
                    bar.set_postfix(loss=f"{hist.losses[-1]:.3f}", refresh=False)
                    if callback is not None:
                        callback(hist)
                    out_of_time = max_seconds is not None and time.perf_counter() - start >= max_seconds
                    if (eval_every and step % eval_every == 0) or out_of_time:
                        do_eval()
                        if target is not None and hist.evals[-1].get("exact_match", 0.0) >= target:
                            hist.stopped = "target"
                        if out_of_time and not hist.stopped:
                            hist.stopped = "max_seconds"
                    if hist.stopped:
                        break
                if hist.stopped:
                    break
                if not eval_every:
                    do_eval()
                    if target is not None and hist.evals[-1].get("exact_match", 0.0) >= target:
                        hist.stopped = "target"
                        break
            if not hist.stopped:
                hist.stopped = "epochs"
                if eval_every and (not hist.evals or hist.evals[-1]["step"] != step):
                    do_eval()
        except KeyboardInterrupt:
            hist.stopped = "interrupted"
        finally:
            bar.close()
    if (restore_best or hist.interrupted) and best_state is not None:
        model.load_state_dict(best_state)
    hist.seconds = time.perf_counter() - start
    if hist.interrupted:
        where = f"step {hist.best['step']}" if hist.best else "the start (no evaluation yet)"
        print(f"Training interrupted at step {step}; the model keeps the best weights so far (from {where}).")
    return hist


# ----------------------------------------------------------------------------------------------
# Checkpoints
# ----------------------------------------------------------------------------------------------
FORMAT = "s2s-lab checkpoint v1"
MODEL_CLASSES: dict[str, type] = {}


def register_model(cls: type) -> type:
    """Let :func:`load_checkpoint` rebuild ``cls`` from its ``config`` (a dict of constructor arguments)."""
    MODEL_CLASSES[cls.__name__] = cls
    return cls


def save_checkpoint(path: str | Path, model: nn.Module, **extra) -> None:
    """Save the weights, the model's ``config`` (if it has one) and ``extra`` (plain values: numbers,
    strings, lists, dicts, tensors; e.g. ``src_tokens=vocab.tokens``) to ``path``."""
    blob = {"format": FORMAT, "class": type(model).__name__, "config": getattr(model, "config", None),
            "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()}, "extra": extra}
    buf = io.BytesIO()
    torch.save(blob, buf)
    Path(path).write_bytes(buf.getvalue())


def load_checkpoint(path: str | Path, model: nn.Module | None = None, map_location="cpu"):
    """Load a checkpoint written by :func:`save_checkpoint` (with ``torch.load(weights_only=True)``).

    With ``model``, load the weights into it; without, rebuild the model from the saved ``config``.
    Returns ``(model, extra)``. A missing, damaged or mismatched file raises an error that says which.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at '{path}'; check the path, or train and save one first.")
    try:
        blob = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # truncated, not a torch file, or holding arbitrary objects
        raise ValueError(f"could not read the checkpoint '{path.name}': the file is damaged or was not "
                         f"written by save_checkpoint ({type(err).__name__}).") from None
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        raise ValueError(f"'{path.name}' is a PyTorch file but not an s2s-lab checkpoint; "
                         f"save one with s2s_lab.training.save_checkpoint.")
    config = blob["config"]
    if model is None:
        if blob["class"] not in MODEL_CLASSES or config is None:
            raise ValueError(f"cannot rebuild a {blob['class']} from '{path.name}'; "
                             f"create the model yourself and pass it as load_checkpoint(path, model).")
        model = MODEL_CLASSES[blob["class"]](**config)
    else:
        mine = getattr(model, "config", None)
        if type(model).__name__ != blob["class"]:
            raise ValueError(f"'{path.name}' holds a {blob['class']}, but the model given is a "
                             f"{type(model).__name__}.")
        if config is not None and mine is not None and config != mine:
            diff = ", ".join(f"{k}={config.get(k)!r} (yours: {mine.get(k)!r})"
                             for k in sorted(set(config) | set(mine)) if config.get(k) != mine.get(k))
            raise ValueError(f"'{path.name}' was saved from a model with different settings: {diff}.")
    own = model.state_dict()
    theirs = blob["state_dict"]
    wrong = [k for k in theirs if k in own and theirs[k].shape != own[k].shape]
    missing, unexpected = sorted(set(own) - set(theirs)), sorted(set(theirs) - set(own))
    if wrong or missing or unexpected:
        parts = [f"{k} has shape {tuple(theirs[k].shape)} in the file but {tuple(own[k].shape)} in the model"
                 for k in wrong[:3]]
        parts += [f"missing {', '.join(missing[:3])}"] * bool(missing)
        parts += [f"unexpected {', '.join(unexpected[:3])}"] * bool(unexpected)
        raise ValueError(f"'{path.name}' does not fit this model: {'; '.join(parts)}.")
    model.load_state_dict(theirs)
    return model, blob["extra"]


__all__ = ["default_device", "masked_cross_entropy", "exact_match", "token_accuracy", "evaluate", "History",
           "fit", "save_checkpoint", "load_checkpoint", "register_model"]
