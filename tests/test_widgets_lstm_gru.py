"""The notebook-02/03 demos, driven as a learner drives them: set a control's value, check the plot."""

import numpy as np
import pytest
import torch

from s2s_lab import SequenceClassifier
from s2s_lab.experiments import compare_optimizers
from s2s_lab.memory_tasks import MarkedOneHot, input_size, remember_marked
from s2s_lab.training import History, count_parameters
from s2s_lab.widgets import (
    OptimizerDemo,
    StepThrough,
    comparison_figure,
    delay_figure,
    gru_equation,
    lstm_equation,
    state_gradient_figure,
)


def make_demo(kind):
    torch.manual_seed(0)
    model = SequenceClassifier(kind, input_size(), 6, 4, keep_bias=3.0)
    readout = lambda h: model.probabilities(torch.as_tensor(h))  # noqa: E731
    names = ("i", "f", "g", "o") if kind == "LSTM" else ("r", "z", "n")
    heat = names + (("c", "h") if kind == "LSTM" else ("h",))
    eq = (lstm_equation if kind == "LSTM" else gru_equation)(readout=readout)
    return model, StepThrough(
        model.cell(),
        text="cbAdbca",
        one_hot=MarkedOneHot(),
        bars=names,
        heatmaps=heat,
        equation=eq,
        description=f"{kind} step-through",
    )


def bar_heights(demo, name):
    return np.array([rect.get_height() for rect in demo.bars[name]])


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_step_through_shows_the_traced_gates(kind):
    model, demo = make_demo(kind)
    with torch.no_grad():
        tr = {k: v.numpy() for k, v in model.cell().trace(MarkedOneHot().encode("cbAdbca")).items()}
    draws = demo.view.draw_count
    demo.slider.value = 3
    for name in demo.bar_names:
        np.testing.assert_allclose(bar_heights(demo, name), tr[name][2], atol=1e-6)
    for name in demo.heat_names:
        np.testing.assert_allclose(demo.images[name].get_array(), tr[name].T, atol=1e-6)
        assert demo.markers[name].get_x() == pytest.approx(1.5)
    assert demo.view.draw_count == draws + 1
    text = demo.equation_view.value
    assert "Step t = 3" in text and "(marked)" in text and f"{tr['h'][2][0]:+.2f}" in text
    with torch.no_grad():
        p = model.probabilities(torch.as_tensor(tr["h"][2])).numpy()
    assert f"<b>{'abcd'[p.argmax()]} {p.max():.2f}</b>" in text
    assert demo.errors == []


def test_lstm_equation_numbers_add_up():
    _, demo = make_demo("LSTM")
    demo.slider.value = 4
    v = demo.step_values(4)
    np.testing.assert_allclose(v["f"] * v["c_prev"] + v["i"] * v["g"], v["c"], atol=1e-6)
    np.testing.assert_allclose(v["o"] * np.tanh(v["c"]), v["h"], atol=1e-6)


def test_editing_the_marked_sequence():
    model, demo = make_demo("GRU")
    demo.text.value = "abcdabcD"
    assert demo.slider.max == 8 and demo.message.value == ""
    with torch.no_grad():
        tr = model.cell().trace(MarkedOneHot().encode("abcdabcD"))
    np.testing.assert_allclose(demo.images["z"].get_array(), tr["z"].numpy().T, atol=1e-6)
    before = demo.images["z"].get_array().copy()
    for bad, words in (("abcd", "exactly one upper-case"), ("abXD", "got 'X' in 'abXD'"), ("aB" * 30, "at most 40")):
        demo.text.value = bad
        assert words in demo.message.value
        np.testing.assert_array_equal(demo.images["z"].get_array(), before)
    assert demo.errors == []


def fake_runs():
    runs = {}
    for k, name in enumerate(("SGD", "RMSprop", "Adam")):
        for lr in (1e-3, 1e-2, 1e-1):
            runs[name, lr] = History(losses=list(np.linspace(1.4, 0.1 * (k + 1) / lr**0.1, 20)))
    return runs


def test_optimizer_demo_switches_learning_rate_in_place():
    runs = fake_runs()
    demo = OptimizerDemo(runs, window=4)
    assert demo.lr.value == 1e-2
    line = demo.lines["Adam"]
    demo.lr.value = 1e-1
    assert demo.lines["Adam"] is line
    expected = np.convolve(runs["Adam", 1e-1].losses, np.ones(4) / 4, mode="valid")
    np.testing.assert_allclose(line.get_ydata(), expected)
    np.testing.assert_allclose(demo.lines["SGD"].get_ydata(), demo.curve("SGD", 1e-1))
    assert "lr = 0.1" in demo.ax.get_title() and f"Adam {expected[-1]:.2f}" in demo.ax.get_title()
    assert demo.ax.get_ylim()[1] >= max(line.get_ydata().max() for line in demo.lines.values())
    assert demo.errors == []


def test_optimizer_demo_on_real_runs():
    make = lambda: SequenceClassifier("GRU", input_size(), 4, 4)  # noqa: E731
    runs = compare_optimizers(make, remember_marked(64, 1), lrs=(1e-2, 1e-1), epochs=1, batch_size=8)
    demo = OptimizerDemo(runs, window=2)
    demo.lr.value = 1e-1
    np.testing.assert_allclose(
        demo.lines["RMSprop"].get_ydata(), np.convolve(runs["RMSprop", 1e-1].losses, [0.5, 0.5], mode="valid")
    )


def test_static_figures_plot_the_given_numbers():
    fig = delay_figure((1, 5, 10), {"RNN": [1.0, 0.5, 0.25], "LSTM": [1.0, 1.0, 0.9]}, chance=0.25)
    lines = fig.axes[0].get_lines()
    np.testing.assert_allclose(lines[0].get_ydata(), [1.0, 0.5, 0.25])
    np.testing.assert_allclose(lines[1].get_ydata(), [1.0, 1.0, 0.9])
    fig = delay_figure((1, 5), {"RNN": [[1.0, 0.8], [0.25, 0.5]]}, chance=0.25)  # two runs per delay
    mean_line, runs = fig.axes[0].get_lines()[:2]
    np.testing.assert_allclose(mean_line.get_ydata(), [0.9, 0.375])
    np.testing.assert_allclose(runs.get_xdata(), [1, 1, 5, 5])
    np.testing.assert_allclose(runs.get_ydata(), [1.0, 0.8, 0.25, 0.5])
    fig = state_gradient_figure({"a": np.array([1e-6, 1e-3, 1.0])})
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_ydata(), [1e-6, 1e-3, 1.0])
    torch.manual_seed(0)
    model = SequenceClassifier("GRU", 5, 4, 4)
    fig = comparison_figure({"GRU": (model, History(evals=[{"accuracy": 0.3}, {"accuracy": 0.8}]))})
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_ydata(), [0.3, 0.8])
    assert fig.axes[1].patches[0].get_height() == count_parameters(model)


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_gate_heatmaps_have_fixed_colour_bars(kind):
    _, demo = make_demo(kind)
    bars, n_axes = dict(demo.colorbars), len(demo.view.fig.axes)
    assert set(bars) == set(demo.heat_names)
    for name in demo.heat_names:
        expected = {"i": (0, 1), "f": (0, 1), "o": (0, 1), "r": (0, 1), "z": (0, 1), "g": (-1, 1), "n": (-1, 1)}
        expected["h"] = (-1, 1)
        if name in expected:
            assert demo.images[name].get_clim() == expected[name]
    demo.text.value = "abcdabcdD"
    assert demo.colorbars == bars and len(demo.view.fig.axes) == n_axes
    assert demo.images["h"].get_clim() == (-1, 1)
    assert demo.errors == []


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_read_out_text_has_the_numbers_and_the_answer(kind):
    model, demo = make_demo(kind)
    demo.slider.value = 3
    v = demo.step_values(3)
    text = demo.readout_text()
    assert text.startswith("Step t = 3, reading 'A' (marked)")
    numbers = lambda line: " ".join(w for w in line.split() if w[0] in "+-" and w[1:2].isdigit())  # noqa: E731
    rows = {line.split()[0]: numbers(line) for line in text.splitlines()[2:] if line.startswith(("c", "h", "z"))}
    assert rows["h₃"] == " ".join(f"{x:+.2f}" for x in v["h"])
    if kind == "LSTM":
        assert rows["c₂"] == " ".join(f"{x:+.2f}" for x in v["c_prev"]) and "c₃ = f₃ ⊙ c₂ + i₃ ⊙ g₃" in text
    else:
        assert rows["z₃"] == " ".join(f"{x:+.2f}" for x in v["z"]) and "h₃ = (1 − z₃) ⊙ n₃ + z₃ ⊙ h₂" in text
    with torch.no_grad():
        p = model.probabilities(torch.as_tensor(v["h"])).numpy()
    assert f"would answer {'abcd'[p.argmax()]} (" in text and f"{'abcd'[p.argmax()]} {p.max():.2f}" in text
    assert demo.snapshot().data[:8] == b"\x89PNG\r\n\x1a\n"
