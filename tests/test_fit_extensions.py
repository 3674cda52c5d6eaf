"""What real training adds to the one fit (s2s_lab.training): label smoothing, a learning-rate schedule, a
validation metric of one's own (BLEU) with best-keeping and early stopping, and continuing a history."""

import copy
import math

import pytest
import torch
import torch.nn.functional as F

from s2s_lab import PairDataset, make_loader, make_task, seed_everything
from s2s_lab.data import PAD
from s2s_lab.seq2seq import Seq2Seq
from s2s_lab.training import History, batch_loss, fit, masked_cross_entropy, score


def _reversal(n_train=120):
    t = make_task("reversal", n_train, 20, 0, seed=0, min_len=3, max_len=3, alphabet="abcdefg")
    train = make_loader(PairDataset(t.train, t.src_vocab, t.tgt_vocab), 20, shuffle=True, seed=0)
    return t, train


def _model(t):
    seed_everything(0)
    return Seq2Seq(len(t.src_vocab), len(t.tgt_vocab), 8, 16)


# ---------------------------------------------------------------------------------------------- label smoothing
def test_label_smoothing_zero_is_the_old_loss_and_positive_is_the_formula():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 5, 7, generator=g, requires_grad=True)
    tgt = torch.randint(1, 7, (3, 5), generator=g)
    tgt[0, 3:] = PAD
    mask = tgt != PAD
    old = F.cross_entropy(logits.reshape(-1, 7), tgt.reshape(-1), ignore_index=PAD)
    assert torch.equal(masked_cross_entropy(logits, tgt, mask, 0.0), masked_cross_entropy(logits, tgt, mask))
    torch.testing.assert_close(masked_cross_entropy(logits, tgt, mask, 0.0), old, atol=1e-6, rtol=0)
    eps = 0.1
    ours = masked_cross_entropy(logits, tgt, mask, eps)
    logp = logits.log_softmax(-1)  # (B, T, V)
    per_position = -(1 - eps) * logp.gather(-1, tgt[..., None])[..., 0] - eps / 7 * logp.sum(-1)  # (B, T)
    by_hand = per_position[mask].mean()
    ref = F.cross_entropy(logits.reshape(-1, 7), tgt.reshape(-1), ignore_index=PAD, label_smoothing=eps)
    for other in (by_hand, ref):
        torch.testing.assert_close(ours, other, atol=1e-6, rtol=0)
        (g1,) = torch.autograd.grad(ours, logits, retain_graph=True)
        (g2,) = torch.autograd.grad(other, logits, retain_graph=True)
        torch.testing.assert_close(g1, g2, atol=1e-6, rtol=0)


def test_fit_trains_with_label_smoothing_through_batch_loss():
    t, _ = _reversal()
    train = make_loader(PairDataset(t.train, t.src_vocab, t.tgt_vocab), 20, shuffle=False)
    batch = next(iter(train))
    model = _model(t)
    logits = model(batch.src, batch.src_mask, batch.tgt_in)
    smoothed = masked_cross_entropy(logits, batch.tgt_out, batch.tgt_mask, 0.3)
    assert torch.equal(batch_loss(model, batch, label_smoothing=0.3), smoothed)
    assert not torch.equal(batch_loss(model, batch), smoothed)
    hist = fit(model, train, epochs=2, label_smoothing=0.3, device="cpu")
    assert hist.losses[0] == pytest.approx(
        smoothed.detach().item(), abs=1e-6
    )  # the first update's loss is the smoothed one
    assert hist.stopped == "epochs" and all(math.isfinite(x) for x in hist.losses)


# ---------------------------------------------------------------------------------------------- scheduler
def test_the_scheduler_steps_after_every_update_and_its_rate_is_recorded():
    t, train = _reversal()
    model = _model(t)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda u: 1 / (u + 1))
    hist = fit(model, train, epochs=2, eval_every=3, optimizer=opt, scheduler=sched, device="cpu")
    n = len(hist.updates)
    assert n == 2 * len(train) and sched.last_epoch == n
    for rec in hist.evals:
        assert rec["lr"] == pytest.approx(1e-2 / (rec["update"] + 1))


def test_fit_refuses_a_scheduler_it_cannot_step():
    t, train = _reversal(40)
    model = _model(t)
    mine = torch.optim.SGD(model.parameters(), lr=0.1)
    other = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="scheduler of the optimiser fit uses"):
        fit(model, train, optimizer=mine, scheduler=torch.optim.lr_scheduler.StepLR(other, 5), device="cpu")
    with pytest.raises(ValueError, match="scheduler of the optimiser fit uses"):  # fit's own Adam is another one
        fit(model, train, scheduler=torch.optim.lr_scheduler.StepLR(other, 5), device="cpu")
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(mine)
    with pytest.raises(ValueError, match="steps after each update.*ReduceLROnPlateau"):
        fit(model, train, optimizer=mine, scheduler=plateau, device="cpu")


# ---------------------------------------------------------------------------------------------- val_metric
class Scripted:
    """A val_metric that returns the next of ``scores`` and records the weights and mode it saw."""

    def __init__(self, scores):
        self.scores, self.seen, self.modes = list(scores), [], []

    def __call__(self, model):
        self.seen.append(copy.deepcopy(model.state_dict()))
        self.modes.append((model.training, torch.is_grad_enabled()))
        return {"score": self.scores[len(self.seen) - 1], "bleu": 0.0}


def test_val_metric_decides_the_best_weights_and_patience_stops_early():
    t, train = _reversal()
    model = _model(t)
    metric = Scripted([1.0, 30.0, 20.0, 25.0, 29.0, 50.0])
    hist = fit(model, train, epochs=50, eval_every=2, val_metric=metric, patience=3, device="cpu")
    assert hist.stopped == "patience" and len(hist.evals) == 5  # evaluations 3, 4 and 5 did not beat 30
    assert hist.best is hist.evals[1] and score(hist.best) == 30.0 and hist.best["update"] == 4
    assert all(torch.equal(v, metric.seen[1][k]) for k, v in model.state_dict().items())
    assert metric.modes == [(False, False)] * 5  # evaluation mode, no gradients
    assert model.training  # and back to training mode afterwards


def test_val_metric_target_is_on_its_own_scale():
    t, train = _reversal()
    model = _model(t)
    hist = fit(model, train, epochs=50, eval_every=2, val_metric=Scripted([5.0, 12.0, 40.0]), target=10.0, device="cpu")
    assert hist.stopped == "target" and len(hist.evals) == 2
    with pytest.raises(ValueError, match="target as a finite number"):
        fit(model, train, val_metric=Scripted([1.0]), target=float("nan"), device="cpu")


@pytest.mark.parametrize(
    "answer, message",
    [
        (3.0, "got float"),
        ({"bleu": 3.0}, r"got \['bleu'\]"),
        ({"score": float("nan")}, "finite number under 'score'"),
        ({"score": "high"}, "finite number under 'score'"),
    ],
)
def test_a_val_metric_must_return_a_finite_score(answer, message):
    t, train = _reversal(40)
    with pytest.raises(ValueError, match=message):
        fit(_model(t), train, epochs=1, val_metric=lambda m: answer, device="cpu")


# ---------------------------------------------------------------------------------------------- history
def test_fit_continues_a_history():
    t, train = _reversal()
    model = _model(t)
    metric = Scripted([3.0, 1.0, 2.0])
    first = fit(model, train, epochs=1, val_metric=metric, restore_best=False, device="cpu")
    n, seconds = len(first.updates), first.seconds
    again = fit(model, train, epochs=2, val_metric=metric, history=first, restore_best=False, device="cpu")
    assert again is first and again.updates == list(range(1, 3 * n + 1)) and len(again.losses) == 3 * n
    assert [e["update"] for e in again.evals] == [n, 2 * n, 3 * n]
    assert again.best is again.evals[0]  # 1.0 and 2.0 did not beat the 3.0 of the history
    assert again.seconds > seconds and again.evals[1]["seconds"] >= seconds
    # max_seconds counts the history's seconds: a history already over budget gets one update and stops
    over = History(seconds=100.0)
    hist = fit(model, train, epochs=5, max_seconds=50, history=over, device="cpu")
    assert hist.stopped == "max_seconds" and len(hist.updates) == 1


def test_patience_counts_the_evaluations_of_the_history_it_continues():
    t, train = _reversal()
    model = _model(t)
    first = fit(model, train, epochs=1, eval_every=2, val_metric=Scripted([9.0, 1.0, 1.0]), device="cpu")
    assert len(first.evals) == 3  # 6 updates: evaluations at 2, 4, 6; two without progress
    again = fit(model, train, epochs=3, eval_every=2, val_metric=Scripted([1.0]), patience=3, history=first)
    assert again.stopped == "patience" and len(again.evals) == 4


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(label_smoothing=1.0), r"label_smoothing in \[0, 1\)"),
        (dict(label_smoothing=-0.1), r"label_smoothing in \[0, 1\)"),
        (dict(label_smoothing="0.1"), r"label_smoothing in \[0, 1\)"),
        (dict(patience=0), "patience as a whole number"),
        (dict(patience=2.0), "patience as a whole number"),
        (dict(val_metric="bleu"), "val_metric as a function"),
        (dict(history=[]), "history as the History"),
        (dict(scheduler="warmup"), "expected scheduler as a torch.optim.lr_scheduler"),
    ],
)
def test_fit_refuses_bad_new_settings(kwargs, message):
    t, train = _reversal(40)
    model = _model(t)
    before = copy.deepcopy(model.state_dict())
    with pytest.raises(ValueError, match=message):
        fit(model, train, device="cpu", **kwargs)
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())
