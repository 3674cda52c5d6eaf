r"""Self-check exercises of notebook 01b (embeddings and the training loop), on the harness of
:mod:`s2s_lab.exercises`: the learner writes a function, a ``check_...`` runs it on fixed inputs, compares it with
the package's reference (:func:`s2s_lab.embeddings.one_hot_embedding`, :func:`s2s_lab.training.train_step`) and
prints a verdict that names the mistake it recognises. A check never raises because of the learner's code, and
returns ``True`` for a right answer.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F

from ..digit_sums import digit_sums
from ..embeddings import TokenClassifier, one_hot_embedding
from ..training import train_step
from .harness import run_learner_code, verdict

CLIP = 1.0
"""The largest gradient norm the exercise's training step allows (as the notebook's loop)."""


# ----------------------------------------------------------------------------------------------
# 1. An embedding from one-hot vectors
# ----------------------------------------------------------------------------------------------
def _embedding_inputs():
    """A table with V = 7 rows of E = 3 and a (2, 4) batch of ids whose largest id is 5, not V - 1 = 6 (so that a
    one-hot vector without ``num_classes`` is too short)."""
    g = torch.Generator().manual_seed(0)
    weight = torch.randn(7, 3, generator=g)  # (V, E)
    ids = torch.tensor([[3, 1, 3, 5], [0, 2, 5, 5]])  # (B, T)
    return ids, weight


def check_one_hot_embedding(embed) -> bool:
    r"""Check ``embed(ids, W)``: the embeddings :math:`e = o(x)^\top W` of a batch of ids ``(B, T)`` long with a table
    ``W`` ``(V, E)``, as a ``(B, T, E)`` tensor, with the gradient reaching ``W``. Compared with
    :func:`s2s_lab.embeddings.one_hot_embedding` (and so with ``W[ids]`` and ``torch.nn.Embedding``)."""
    ids, weight = _embedding_inputs()
    expected = one_hot_embedding(ids, weight)  # (B, T, E)
    W = weight.clone().requires_grad_(True)
    result, problem = run_learner_code(embed, ids.clone(), W)
    if problem:
        if "same dtype" in problem or "dtype" in problem and "Long" in problem:
            return verdict(
                False,
                "F.one_hot gives whole numbers (long) and W holds floats: convert the one-hot vectors with "
                ".float() (or .to(W.dtype)) before the product.",
            )
        if "cannot be multiplied" in problem or "size mismatch" in problem or "must match" in problem:
            return verdict(
                False,
                f"the product's sizes do not fit ({problem}) F.one_hot(ids) has max(ids) + 1 columns unless told "
                f"num_classes=W.shape[0] (here V = {weight.shape[0]}), and the one-hot (B, T, V) goes on the left: "
                f"one_hot @ W.",
            )
        return verdict(False, problem)
    if not isinstance(result, torch.Tensor):
        return verdict(False, f"return a tensor of shape {tuple(expected.shape)}, got {type(result).__name__}.")
    if result.shape == ids.shape + (weight.shape[0],):
        return verdict(False, "that is the one-hot tensor (B, T, V) itself: multiply it by W to get (B, T, E).")
    if result.shape != expected.shape:
        return verdict(False, f"expected shape {tuple(expected.shape)} (B, T, E), got {tuple(result.shape)}.")
    if not torch.allclose(result.detach().double(), expected.double(), atol=1e-6):
        return verdict(False, "the values differ from the rows of W: row v of W is the embedding of id v.")
    if not result.requires_grad:
        return verdict(False, "the values are right but no gradient reaches W: do not detach W or use torch.no_grad.")
    result.sum().backward()
    used = sorted(set(ids.flatten().tolist()))
    return verdict(
        True,
        f"o(x)ᵀW picks row x of W, as W[ids] and nn.Embedding do. Only the rows {used} of the ids used get a "
        f"gradient: for e.sum(), row 5 (used 3 times) gets {W.grad[5, 0].item():.0f} per entry, row 1 (used once) "
        f"{W.grad[1, 0].item():.0f}.",
    )


# ----------------------------------------------------------------------------------------------
# 2. One training step
# ----------------------------------------------------------------------------------------------
def _step_setup():
    """A small :class:`~s2s_lab.embeddings.TokenClassifier` whose read-out starts large enough that the gradient's norm
    is above :data:`CLIP` (so that clipping changes the update), and 3 batches of 16 digit sequences. The global
    random state is left as it was."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = TokenClassifier(10, 4, 8, 2, emb_std=0.5)
        with torch.no_grad():
            model.head.weight.mul_(8.0)
    x, y = digit_sums(48, 6, seed=7).tensors
    batches = [(x[k : k + 16], y[k : k + 16]) for k in range(0, 48, 16)]
    return model, batches


def _run(step, model, batches):
    """Apply ``step(model, x, y, optimizer)`` to every batch with plain SGD; return the model, the returned values
    and a problem sentence (if the learner's code raised)."""
    model = copy.deepcopy(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    out = []
    for x, y in batches:
        value, problem = run_learner_code(step, model, x, y, optimizer)
        if problem:
            return model, out, problem
        out.append(value)
    return model, out, None


def _reference(model, x, y, optimizer):
    return train_step(model, (x, y), optimizer, clip=CLIP)


def _no_zero_grad(model, x, y, optimizer):
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
    optimizer.step()
    return loss.item()


def _no_clip(model, x, y, optimizer):
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    return loss.item()


def _step_first(model, x, y, optimizer):
    optimizer.step()  # uses the previous batch's gradient
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
    return loss.item()


def _same(a, b) -> bool:
    return all(torch.allclose(p, q, atol=1e-6) for p, q in zip(a.parameters(), b.parameters()))


def check_train_step(step) -> bool:
    r"""Check ``step(model, x, y, optimizer) -> float``: one update of a classifier on the batch ``x`` ``(B, T)``,
    ``y`` ``(B,)`` with the cross-entropy loss, the gradient's norm clipped to 1.0, returning the batch's loss
    before the update. Three updates with plain SGD are compared with :func:`s2s_lab.training.train_step`."""
    start, batches = _step_setup()
    ref_model, ref_losses, _ = _run(_reference, start, batches)
    model, losses, problem = _run(step, start, batches)
    if problem:
        return verdict(False, problem)
    if not all(isinstance(v, float) for v in losses):
        kinds = sorted({type(v).__name__ for v in losses})
        return verdict(False, f"return the loss as a Python number, loss.item(); got {', '.join(kinds)}.")
    if _same(model, ref_model):
        if any(abs(a - b) > 1e-6 for a, b in zip(losses, ref_losses)):
            return verdict(False, "the update is right, but return the loss computed before it (loss.item()).")
        return verdict(True, "loss, backward(), clip, step(), zero_grad(): the same weights as s2s_lab's train_step.")
    if _same(model, start):
        return verdict(
            False,
            "the weights did not change: the update needs loss.backward() and then optimizer.step(), and "
            "zero_grad() only after step() (or before backward()): it throws the gradients away.",
        )
    for mistake, hint in (
        (
            _no_zero_grad,
            "the gradients pile up: backward() adds to every .grad, so the second update also used the first "
            "batch's gradient. Call optimizer.zero_grad() after step() (or before backward()).",
        ),
        (
            _no_clip,
            f"the gradient was not clipped (its norm here is above {CLIP}): call "
            f"torch.nn.utils.clip_grad_norm_(model.parameters(), {CLIP}) between backward() and step().",
        ),
        (
            _step_first,
            "step() ran before backward(): each update used the previous batch's gradient. The order is loss, "
            "backward(), clip, step(), zero_grad().",
        ),
    ):
        if _same(_run(mistake, start, batches)[0], model):
            return verdict(False, hint)
    err = max((p - q).abs().max().item() for p, q in zip(model.parameters(), ref_model.parameters()))
    return verdict(
        False,
        f"after 3 updates the weights differ from the reference by up to {err:.3g}: use F.cross_entropy(model(x), y), "
        f"clip to {CLIP}, then step() and zero_grad().",
    )


__all__ = ["check_one_hot_embedding", "check_train_step"]
