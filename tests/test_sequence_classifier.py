import pytest
import torch
from torch.utils.data import DataLoader

from s2s_lab import GRU, LSTM, RNN, GRUPaper
from s2s_lab.experiments import train_classifier
from s2s_lab.memory_tasks import input_size, remember_marked
from s2s_lab.sequence_classifier import SequenceClassifier
from s2s_lab.training import count_parameters, evaluate


@pytest.mark.parametrize("kind, layer", [("RNN", RNN), ("LSTM", LSTM), ("GRU", GRU), ("GRUPaper", GRUPaper)])
def test_forward_trace_and_cell(kind, layer):
    model = SequenceClassifier(kind, 5, 6, 4)
    assert isinstance(model.rnn, layer)
    x = torch.randn(3, 7, 5)  # (B, T, I)
    logits = model(x)
    assert logits.shape == (3, 4)
    logits2, tr = model.trace(x)
    torch.testing.assert_close(logits, logits2)
    assert tr["h"].shape == (7, 3, 6)
    cell_h = model.cell().trace(x[0])["h"]  # (T, H), the same weights step by step
    torch.testing.assert_close(cell_h, model.rnn(x[0])[0], atol=1e-6, rtol=0)
    torch.testing.assert_close(model.probabilities(cell_h[-1]), torch.softmax(logits[0], -1), atol=1e-6, rtol=0)
    k = {"RNN": 1, "LSTM": 4, "GRU": 3, "GRUPaper": 3}[kind]
    assert count_parameters(model) == k * 6 * (5 + 6 + 2) + 6 * 4 + 4


def test_keep_bias_sets_the_forget_and_update_gate():
    lstm = SequenceClassifier("LSTM", 5, 3, 4, keep_bias=3.0)
    b = lstm.rnn.bias_ih_l0 + lstm.rnn.bias_hh_l0
    assert torch.all(b[3:6] == 3.0) and not torch.all(b[:3] == 3.0)
    gru = SequenceClassifier("GRU", 5, 3, 4, keep_bias=2.0)
    assert torch.all((gru.rnn.bias_ih_l0 + gru.rnn.bias_hh_l0)[3:6] == 2.0)
    with pytest.raises(ValueError, match="no such gate|needs a gate"):
        SequenceClassifier("RNN", 5, 3, 4, keep_bias=1.0)
    with pytest.raises(ValueError, match="kind"):
        SequenceClassifier("CNN", 5, 3, 4)


def test_training_is_deterministic_and_learns_a_short_delay():
    train, val = remember_marked(512, 2, seed=1), remember_marked(256, 2, seed=2)
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        model = SequenceClassifier("LSTM", input_size(), 12, 4, keep_bias=1.0)
        runs.append(train_classifier(model, train, val=val, epochs=10, batch_size=32, lr=1e-2, seed=0))
    assert runs[0].losses == runs[1].losses and runs[0].accuracies == runs[1].accuracies
    assert len(runs[0].losses) == 10 * 16 and len(runs[0].accuracies) == 10
    assert runs[0].losses[-1] < 0.5 * runs[0].losses[0]
    assert evaluate(model, DataLoader(val, batch_size=512))["accuracy"] == runs[1].accuracies[-1] > 0.9


@pytest.mark.parametrize("optimizer", ["SGD", "RMSprop", "Adam"])
def test_each_optimizer_runs(optimizer):
    model = SequenceClassifier("GRU", input_size(), 4, 4)
    hist = train_classifier(model, remember_marked(64, 1), epochs=1, batch_size=16, optimizer=optimizer, lr=1e-2)
    assert len(hist.losses) == 4 and hist.seconds > 0


def test_bad_training_arguments():
    model = SequenceClassifier("RNN", input_size(), 4, 4)
    with pytest.raises(ValueError, match="optimizer"):
        train_classifier(model, remember_marked(8, 1), optimizer="LBFGS")
    with pytest.raises(ValueError, match="learning rate lr > 0"):
        train_classifier(model, remember_marked(8, 1), lr=0)


def test_train_kinds_and_compare_optimizers_are_reproducible():
    from s2s_lab.experiments import MemoryRecipe, compare_optimizers, memory_data, train_kinds

    recipe = MemoryRecipe(delay=1, num_train=64, num_val=32, hidden_size=4, epochs=2, batch_size=16)
    train, val = memory_data(recipe)
    runs = train_kinds(["RNN", "GRU"], train, val, recipe)
    again = train_kinds(["GRU"], train, val, recipe)
    assert set(runs) == {"RNN", "GRU"} and runs["GRU"][1].losses == again["GRU"][1].losses
    make = lambda: SequenceClassifier("GRU", input_size(), 4, 4)  # noqa: E731
    opt = compare_optimizers(make, train, optimizers=("SGD", "Adam"), lrs=(1e-2, 1e-1), epochs=1, batch_size=16)
    assert set(opt) == {("SGD", 1e-2), ("SGD", 1e-1), ("Adam", 1e-2), ("Adam", 1e-1)}
    assert opt["SGD", 1e-2].losses[0] == opt["Adam", 1e-1].losses[0]  # same start, same first batch
    assert opt["SGD", 1e-2].losses != opt["Adam", 1e-2].losses


def test_the_seed_shift_moves_initialisation_and_batch_order_but_not_the_data(monkeypatch):
    from s2s_lab.experiments import MemoryRecipe, memory_data, train_kinds

    recipe = MemoryRecipe(delay=1, num_train=64, num_val=32, hidden_size=4, epochs=1, batch_size=16)
    train, val = memory_data(recipe)
    seed_1 = train_kinds(["LSTM"], train, val, recipe, seed=1)["LSTM"][1].losses
    monkeypatch.setenv("S2S_SEED_SHIFT", "1")
    shifted_train, _ = memory_data(recipe)
    assert torch.equal(shifted_train.tensors[0], train.tensors[0])
    assert train_kinds(["LSTM"], train, val, recipe, seed=0)["LSTM"][1].losses == seed_1


def test_gate_averages_final_losses_and_the_gradients_at_initialisation():
    from s2s_lab.experiments import (
        MemoryRecipe,
        final_losses,
        gate_averages,
        gradients_at_init,
        memory_data,
        train_kinds,
    )

    recipe = MemoryRecipe(delay=2, num_train=64, num_val=32, hidden_size=4, epochs=1, batch_size=16)
    train, val = memory_data(recipe)
    model, hist = train_kinds(["LSTM"], train, val, recipe)["LSTM"]
    gates = gate_averages(model, val.tensors[0])
    assert list(gates) == ["i_t", "f_t", "o_t", "|i_t * g_t|"]
    assert all(
        list(row) == ["before", "at mark", "after"] and all(0 <= v <= 1 for v in row.values()) for row in gates.values()
    )
    assert final_losses({("Adam", 0.1): hist}, last=2) == {("Adam", 0.1): pytest.approx(sum(hist.losses[-2:]) / 2)}
    norms, forget = gradients_at_init(delay=6, num=16, recipe=recipe)
    assert list(norms) == ["RNN: ‖∂L/∂h_t‖", "LSTM: ‖∂L/∂h_t‖", "LSTM: ‖∂L/∂c_t‖", "LSTM: along c_t alone"]
    assert all(n.shape == (7,) for n in norms.values()) and 0.9 < forget < 1  # keep_bias 3: sigma(3) = 0.95
    from s2s_lab.experiments.memory import FIGURES

    assert FIGURES and all(name[:3] in ("02 ", "03 ") for name in FIGURES)


def test_accuracy_vs_delay_trains_every_kind_several_times_per_delay():
    from s2s_lab.experiments import MemoryRecipe, accuracy_vs_delay, mean_by_delay

    recipe = MemoryRecipe(delay=0, lead=0, num_train=32, num_val=16, hidden_size=3, epochs=1, batch_size=16)
    results = accuracy_vs_delay(["RNN", "GRU"], (1, 2), recipe, runs=2, seed=1)
    assert list(results) == ["RNN", "GRU"] and all(
        len(r) == 2 and all(len(x) == 2 for x in r) for r in results.values()
    )
    mean = mean_by_delay(results)
    assert mean["GRU"][1] == pytest.approx(sum(results["GRU"][1]) / 2)
