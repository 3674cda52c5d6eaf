"""train_step (s2s_lab.training): fit's per-update step as a public function; a hand-written loop and fit end with
the same weights, bit for bit; the digit-sum recipe of notebook 01b."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from s2s_lab import make_loader, make_task
from s2s_lab.data import PairDataset
from s2s_lab.experiments.loop import (
    LOOP,
    LoopRecipe,
    digit_data,
    digit_loader,
    embedding_order,
    fit_digits,
    make_digit_model,
    rank_correlation,
)
from s2s_lab.seq2seq import Seq2Seq
from s2s_lab.training import NonFiniteLoss, batch_loss, fit, train_step

SMALL = LoopRecipe(num_train=256, num_val=64, epochs=2)


def test_train_step_is_loss_backward_clip_step_zero_grad():
    torch.manual_seed(0)
    a = make_digit_model(SMALL)
    b = make_digit_model(SMALL)
    x, y = digit_data(SMALL)[0].tensors
    x, y = x[:32], y[:32]
    opt_a, opt_b = torch.optim.SGD(a.parameters(), lr=0.5), torch.optim.SGD(b.parameters(), lr=0.5)
    loss = train_step(a, (x, y), opt_a, clip=0.1)
    expected = F.cross_entropy(b(x), y)
    expected.backward()
    norm = nn.utils.clip_grad_norm_(b.parameters(), 0.1)
    opt_b.step()
    assert norm > 0.1  # clipping did something
    assert loss == expected.item()
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert all(p.grad is None for p in a.parameters())  # zero_grad(set_to_none=True)


def test_train_step_on_a_seq2seq_batch_with_a_scheduler():
    torch.manual_seed(0)
    t = make_task("reversal", 64, 8, 0, seed=0, min_len=3, max_len=3, alphabet="abcdefg")
    batch = next(iter(make_loader(PairDataset(t.train, t.src_vocab, t.tgt_vocab), 16, shuffle=False)))
    model = Seq2Seq(len(t.src_vocab), len(t.tgt_vocab), 8, 16)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: 0.5 ** (k + 1))
    before = batch_loss(model, batch).item()
    loss = train_step(model, batch, opt, clip=None, scheduler=sched)
    assert loss == pytest.approx(before, abs=1e-6)
    assert opt.param_groups[0]["lr"] == pytest.approx(1e-2 * 0.25)
    assert batch_loss(model, batch).item() < before


def test_train_step_refuses_bad_settings_and_a_non_finite_loss():
    model = make_digit_model(SMALL)
    x, y = digit_data(SMALL)[0].tensors
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    other = torch.optim.SGD(model.parameters(), lr=0.1)
    cases = {
        "torch.optim optimiser": dict(optimizer="adam"),
        "clip > 0": dict(clip=0),
        "teacher_forcing in": dict(teacher_forcing=2.0),
        "label_smoothing in": dict(label_smoothing=1.0),
        "scheduler built on the optimiser": dict(scheduler=torch.optim.lr_scheduler.LambdaLR(other, lambda k: 1.0)),
    }
    for words, kwargs in cases.items():
        args = {"optimizer": opt, **kwargs}
        with pytest.raises(ValueError, match=words):
            train_step(model, (x[:4], y[:4]), args.pop("optimizer"), **args)
    with torch.no_grad():
        model.head.bias[0] = float("nan")
    with pytest.raises(NonFiniteLoss, match="the training loss became nan"):
        train_step(model, (x[:4], y[:4]), opt)
    with pytest.raises(ValueError, match="at update 1, the training loss became nan"):
        fit(model, digit_loader(digit_data(SMALL)[0], SMALL), epochs=1, device="cpu")


def test_a_hand_written_loop_and_fit_end_with_identical_weights():
    train, _ = digit_data(SMALL)
    model = make_digit_model(SMALL, seed=3)
    optimizer = torch.optim.Adam(model.parameters(), lr=SMALL.lr)
    loader = digit_loader(train, SMALL, seed=3)  # one loader for every epoch, as fit iterates one
    losses = []
    for _ in range(SMALL.epochs):
        for x, y in loader:
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), SMALL.clip)
            optimizer.step()
            optimizer.zero_grad()
            losses.append(loss.item())
    fitted, history = fit_digits(train, SMALL, seed=3)
    assert history.losses == losses
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), fitted.parameters()))


def test_the_embedding_of_the_trained_digit_model_orders_the_digits():
    train, _ = digit_data(LOOP)
    before = make_digit_model(LOOP, seed=0).embed.weight.detach().clone()
    model, history = fit_digits(train, LOOP, seed=0)
    order = embedding_order(model.embed.weight)
    assert order["|rho| of PC1 and value"] >= 0.95 and order["PC1 explains"] > embedding_order(before)["PC1 explains"]
    assert sum(history.losses[-10:]) < 0.5 * sum(history.losses[:10])


def test_rank_correlation():
    a = torch.tensor([0.1, 0.5, 0.2, 0.9])
    assert rank_correlation(a, a * 3 + 1) == pytest.approx(1.0)
    assert rank_correlation(a, -a) == pytest.approx(-1.0)
    assert rank_correlation(torch.tensor([1.0, 2, 3, 4]), torch.tensor([1.0, 3, 2, 4])) == pytest.approx(0.8)


def test_notebook_01b_figures_are_registered_for_bench_seeds():
    from s2s_lab.experiments import FIGURES
    from s2s_lab.experiments.loop import FIGURES as LOOP_FIGURES

    assert LOOP_FIGURES and all(name.startswith("01b ") and FIGURES[name] is fn for name, fn in LOOP_FIGURES.items())
