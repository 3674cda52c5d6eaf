r"""Read a whole sequence with a recurrent layer, then classify it from the last hidden state.

.. math::
    h_1, \dots, h_T = \mathrm{RNN}(x_1, \dots, x_T), \qquad
    \hat y = \operatorname{softmax}(W_{out} h_T + b_{out})

with RNN one of :class:`s2s_lab.RNN`, :class:`s2s_lab.LSTM`, :class:`s2s_lab.GRU`. Small enough to train
in seconds on a laptop CPU; used by notebooks 02 (LSTM) and 03 (GRU) on the memory task of
:mod:`s2s_lab.memory_tasks`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset
from tqdm.auto import tqdm

from . import cells
from .gate_variants import GRUPaper, GRUPaperCell
from .layers import GRU, LSTM, RNN, Trace

# kind -> (layer, cell with the same parameters); "GRUPaper" is the GRU with the paper's reset gate.
LAYERS = {"RNN": (RNN, cells.RNNCell), "LSTM": (LSTM, cells.LSTMCell), "GRU": (GRU, cells.GRUCell),
          "GRUPaper": (GRUPaper, GRUPaperCell)}
OPTIMIZERS = {"SGD": torch.optim.SGD, "RMSprop": torch.optim.RMSprop, "Adam": torch.optim.Adam}


class SequenceClassifier(nn.Module):
    r"""A one-layer recurrent layer followed by a linear read-out of :math:`h_T`.

    Args:
        kind: ``"RNN"``, ``"LSTM"``, ``"GRU"`` or ``"GRUPaper"`` (:class:`~s2s_lab.gate_variants.GRUPaper`).
        input_size: :math:`I`; hidden_size: :math:`H`; num_classes: :math:`C`.
        keep_bias: start the gate that keeps the old state mostly open: for an LSTM set
            :math:`b_{if} + b_{hf}` to this value (:math:`f_t \approx \sigma(3) = 0.95` for 3.0; Gers et al.,
            2000, Jozefowicz et al., 2015 recommend a positive forget-gate bias), for a GRU
            :math:`b_{iz} + b_{hz}` (:math:`z_t` near 1 keeps :math:`h_{t-1}`). ``None`` keeps PyTorch's
            initialisation; an RNN has no such gate.

    Inputs: **x** of shape ``(B, T, I)`` (batch first).

    Outputs: **logits** of shape ``(B, C)``.
    """

    def __init__(self, kind: str, input_size: int, hidden_size: int, num_classes: int,
                 keep_bias: float | None = None):
        super().__init__()
        if kind not in LAYERS:
            raise ValueError(f"expected kind one of {sorted(LAYERS)}, got {kind!r}.")
        if num_classes < 2:
            raise ValueError(f"expected num_classes >= 2, got {num_classes}.")
        self.kind = kind
        self.rnn = LAYERS[kind][0](input_size, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, num_classes)
        if keep_bias is not None:
            if kind == "RNN":
                raise ValueError("keep_bias needs a gate (LSTM forget gate or GRU update gate), got kind 'RNN'.")
            H = hidden_size
            with torch.no_grad():  # rows H..2H: f in the LSTM's order i, f, g, o; z in the GRU's r, z, n
                self.rnn.bias_ih_l0[H : 2 * H] = keep_bias
                self.rnn.bias_hh_l0[H : 2 * H] = 0.0

    def forward(self, x: Tensor) -> Tensor:
        output, _ = self.rnn(x)  # (B, T, H)
        return self.head(output[:, -1])  # (B, C)

    def trace(self, x: Tensor) -> tuple[Tensor, Trace]:
        """Like ``forward`` and also return the layer's :class:`~s2s_lab.Trace` (every gate at every step)."""
        tr = self.rnn.trace(x)
        return self.head(tr.output[:, -1]), tr

    def cell(self):
        """A :class:`~s2s_lab.RNNCell`/``LSTMCell``/``GRUCell`` holding the layer's weights (for step-through demos)."""
        cell = LAYERS[self.kind][1](self.rnn.input_size, self.rnn.hidden_size)
        cell.load_state_dict({k.removesuffix("_l0"): v for k, v in self.rnn.state_dict().items()})
        return cell

    @torch.no_grad()
    def probabilities(self, h: Tensor) -> Tensor:
        r"""The read-out's class probabilities :math:`\operatorname{softmax}(W_{out} h + b_{out})` for any ``(..., H)``."""
        return torch.softmax(self.head(h), dim=-1)  # (..., C)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


@dataclass
class History:
    """What :func:`train_classifier` measured: one loss per optimiser step, one accuracy per epoch."""

    losses: list[float] = field(default_factory=list)
    accuracies: list[float] = field(default_factory=list)
    seconds: float = 0.0


@torch.no_grad()
def accuracy(model: nn.Module, data: Dataset, batch_size: int = 512) -> float:
    """Fraction of sequences in ``data`` whose class ``model`` predicts correctly."""
    was_training = model.training
    model.eval()
    correct = total = 0
    for x, y in DataLoader(data, batch_size=batch_size):
        correct += (model(x).argmax(-1) == y).sum().item()
        total += len(y)
    model.train(was_training)
    return correct / total


def train_classifier(
    model: nn.Module,
    train: Dataset,
    *,
    val: Dataset | None = None,
    epochs: int = 10,
    batch_size: int = 64,
    optimizer: str = "Adam",
    lr: float = 1e-2,
    clip: float | None = 1.0,
    seed: int = 0,
    progress: bool = False,
    desc: str | None = None,
) -> History:
    """Train ``model`` with cross-entropy; deterministic given ``seed`` (shuffling uses its own generator).

    Args:
        optimizer: ``"SGD"``, ``"RMSprop"`` or ``"Adam"``, with learning rate ``lr``.
        clip: clip the gradient norm to this value (``None``: no clipping).
        val: if given, ``History.accuracies`` holds the accuracy on it after every epoch.
        progress: show a ``tqdm.auto`` bar over the optimiser steps.

    Returns: a :class:`History`; ``seconds`` is wall-clock time and varies between runs.
    """
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"expected optimizer one of {sorted(OPTIMIZERS)}, got {optimizer!r}.")
    if epochs <= 0 or batch_size <= 0 or lr <= 0:
        raise ValueError(f"expected positive epochs, batch_size and lr, got {epochs}, {batch_size} and {lr}.")
    opt = OPTIMIZERS[optimizer](model.parameters(), lr=lr)
    loader = DataLoader(train, batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed))
    history, start = History(), time.perf_counter()
    model.train()
    with tqdm(total=epochs * len(loader), desc=desc or f"{optimizer} lr={lr:g}", disable=not progress) as bar:
        for _ in range(epochs):
            for x, y in loader:
                loss = F.cross_entropy(model(x), y)
                opt.zero_grad()
                loss.backward()
                if clip is not None:
                    nn.utils.clip_grad_norm_(model.parameters(), clip)
                opt.step()
                history.losses.append(loss.item())
                bar.update(1)
                bar.set_postfix(loss=f"{loss.item():.3f}", refresh=False)
            if val is not None:
                history.accuracies.append(accuracy(model, val))
    history.seconds = time.perf_counter() - start
    return history


def train_kinds(kinds, train: Dataset, val: Dataset, *, hidden_size: int, num_classes: int,
                keep_bias: float | None = 3.0, seed: int = 0, **train_kwargs) -> dict[str, tuple[SequenceClassifier, History]]:
    """Train one :class:`SequenceClassifier` per kind on the same data, each from ``torch.manual_seed(seed)``.

    ``keep_bias`` goes to the LSTM and GRU (an RNN has no gate); ``train_kwargs`` to :func:`train_classifier`.
    Returns ``kind -> (model, history)``.
    """
    input_size = train[0][0].shape[-1]
    out = {}
    for kind in kinds:
        torch.manual_seed(seed)
        model = SequenceClassifier(kind, input_size, hidden_size, num_classes,
                                   keep_bias=None if kind == "RNN" else keep_bias)
        out[kind] = model, train_classifier(model, train, val=val, seed=seed, desc=kind, **train_kwargs)
    return out


def accuracy_vs_delay(kinds, delays, *, hidden_size: int, lead: int = 4, num_train: int = 2048, num_val: int = 512,
                      data_seed: int = 1, **kwargs) -> dict[str, list[float]]:
    """For every delay, train each kind on :func:`~s2s_lab.memory_tasks.remember_marked` (train and
    validation sets from ``data_seed`` and ``data_seed + 1``) with :func:`train_kinds`; return
    ``kind -> [final validation accuracy for each delay]``."""
    from .memory_tasks import ALPHABET, remember_marked

    out = {kind: [] for kind in kinds}
    for delay in delays:
        train = remember_marked(num_train, delay, lead, seed=data_seed)
        val = remember_marked(num_val, delay, lead, seed=data_seed + 1)
        for kind, (_, hist) in train_kinds(kinds, train, val, hidden_size=hidden_size,
                                           num_classes=len(ALPHABET), **kwargs).items():
            out[kind].append(hist.accuracies[-1])
    return out


def compare_optimizers(make_model, train: Dataset, *, optimizers=("SGD", "RMSprop", "Adam"),
                       lrs=(1e-3, 1e-2, 1e-1), seed: int = 0, **train_kwargs) -> dict[tuple[str, float], History]:
    """Train a fresh ``make_model()`` (called after ``torch.manual_seed(seed)``, so every run starts from the
    same weights) with every optimiser and learning rate. Returns ``(optimizer, lr) -> History``."""
    runs = {}
    for name in optimizers:
        for lr in lrs:
            torch.manual_seed(seed)
            runs[name, lr] = train_classifier(make_model(), train, optimizer=name, lr=lr, seed=seed,
                                              desc=f"{name} lr={lr:g}", **train_kwargs)
    return runs


__all__ = ["SequenceClassifier", "History", "accuracy", "train_classifier", "train_kinds", "accuracy_vs_delay",
           "compare_optimizers",
           "LAYERS", "OPTIMIZERS"]
