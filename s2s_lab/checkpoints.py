"""Saving and loading trained models, and finding the checkpoints shipped with the collection.

A checkpoint is one file holding the weights, the model's ``config`` (its constructor arguments, so the
model can be rebuilt without code) and ``extra``: plain values such as the vocabulary's tokens or the
scores measured after training. It is read with ``torch.load(..., weights_only=True)``, which never runs
code from the file. Models register their class with :func:`register_model` so :func:`load_checkpoint`
can rebuild them; this module imports only torch, so models may import it.
"""

from __future__ import annotations

import io
from importlib import resources
from pathlib import Path

import torch
from torch import Tensor, nn

FORMAT = "s2s-lab checkpoint v1"
MODEL_CLASSES: dict[str, type] = {}


def register_model(cls: type) -> type:
    """Let :func:`load_checkpoint` rebuild ``cls`` from its ``config`` (a dict of constructor arguments)."""
    MODEL_CLASSES[cls.__name__] = cls
    return cls


def _check_plain(value, where: str) -> None:
    """``extra`` may hold only what ``torch.load(weights_only=True)`` reads back: None, bools, numbers,
    strings, tensors, and lists/tuples/dicts of those."""
    if value is None or type(value) in (bool, int, float, str) or isinstance(value, Tensor):
        return  # exact types: torch.load(weights_only=True) refuses subclasses such as torch.__version__
    if isinstance(value, (list, tuple)):
        for k, v in enumerate(value):
            _check_plain(v, f"{where}[{k}]")
        return
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, (str, int)):
                raise ValueError(f"{where} has a key of type {type(k).__name__}; use str or int keys.")
            _check_plain(v, f"{where}[{k!r}]")
        return
    hint = (
        " (save vocab.tokens instead)"
        if type(value).__name__ == "Vocab"
        else " (convert it with torch.as_tensor or .tolist())"
        if type(value).__module__ == "numpy"
        else " (convert it with str(...))"
        if isinstance(value, str)
        else ""
    )
    raise ValueError(
        f"{where} is a {type(value).__name__}, which a checkpoint cannot hold safely{hint}; "
        f"save plain values: numbers, strings, lists, dicts, tensors."
    )


def save_checkpoint(path: str | Path, model: nn.Module, **extra) -> None:
    """Save the weights, the model's ``config`` (if it has one) and ``extra`` (plain values: numbers,
    strings, lists, dicts, tensors; e.g. ``src_tokens=vocab.tokens``) to ``path``."""
    if not isinstance(model, nn.Module):
        raise ValueError(f"expected a torch.nn.Module to save, got {type(model).__name__}.")
    for key, value in extra.items():
        _check_plain(value, f"extra[{key!r}]")
    blob = {
        "format": FORMAT,
        "class": type(model).__name__,
        "config": getattr(model, "config", None),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "extra": extra,
    }
    if any(not v.isfinite().all() for v in blob["state_dict"].values() if v.is_floating_point()):
        raise ValueError(
            "the model's weights contain NaN or infinity; training diverged, so there is nothing "
            "worth saving (lower the learning rate and train again)."
        )
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
        raise ValueError(
            f"could not read the checkpoint '{path.name}': the file is damaged or was not "
            f"written by save_checkpoint ({type(err).__name__})."
        ) from None
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        raise ValueError(
            f"'{path.name}' is a PyTorch file but not an s2s-lab checkpoint; save one with s2s_lab.save_checkpoint."
        )
    config = blob["config"]
    if model is None:
        if blob["class"] not in MODEL_CLASSES or config is None:
            raise ValueError(
                f"cannot rebuild a {blob['class']} from '{path.name}'; "
                f"create the model yourself and pass it as load_checkpoint(path, model)."
            )
        model = MODEL_CLASSES[blob["class"]](**config)
    else:
        mine = getattr(model, "config", None)
        if type(model).__name__ != blob["class"]:
            raise ValueError(f"'{path.name}' holds a {blob['class']}, but the model given is a {type(model).__name__}.")
        if config is not None and mine is not None and config != mine:
            diff = ", ".join(
                f"{k}={config.get(k)!r} (yours: {mine.get(k)!r})"
                for k in sorted(set(config) | set(mine))
                if config.get(k) != mine.get(k)
            )
            raise ValueError(f"'{path.name}' was saved from a model with different settings: {diff}.")
    own = model.state_dict()
    theirs = blob["state_dict"]
    wrong = [k for k in theirs if k in own and theirs[k].shape != own[k].shape]
    missing, unexpected = sorted(set(own) - set(theirs)), sorted(set(theirs) - set(own))
    if wrong or missing or unexpected:
        parts = [
            f"{k} has shape {tuple(theirs[k].shape)} in the file but {tuple(own[k].shape)} in the model"
            for k in wrong[:3]
        ]
        parts += [f"missing {', '.join(missing[:3])}"] * bool(missing)
        parts += [f"unexpected {', '.join(unexpected[:3])}"] * bool(unexpected)
        raise ValueError(f"'{path.name}' does not fit this model: {'; '.join(parts)}.")
    model.load_state_dict(theirs)
    return model, blob["extra"]


def shipped(name: str) -> Path:
    """The path of a file shipped with the collection (the repository's ``data/`` folder, installed as the
    package data ``s2s_lab.shipped``), e.g. ``shipped("reversal_plain.pt")``."""
    folder = resources.files("s2s_lab.shipped")
    path = Path(str(folder / name))
    if not path.is_file():
        have = sorted(p.name for p in folder.iterdir() if not p.name.startswith(("_", ".")))
        raise FileNotFoundError(f"no shipped file named {name!r}; the collection ships {', '.join(have)}.")
    return path


__all__ = ["FORMAT", "MODEL_CLASSES", "register_model", "save_checkpoint", "load_checkpoint", "shipped"]
