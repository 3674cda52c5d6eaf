"""Every text box of every demo takes whatever a learner can type or paste, and answers with a sentence in the
demo's warning area or a redraw: never the red error box, never an exception."""

import re

import numpy as np
import pytest
import torch

from s2s_lab import RNNCell, SequenceClassifier
from s2s_lab.data import Vocab
from s2s_lab.memory_tasks import MarkedOneHot, input_size
from s2s_lab.seq2seq import Seq2Seq
from s2s_lab.training import History
from s2s_lab.transformer import Seq2SeqTransformer
from s2s_lab.widgets import (
    AttentionExplorer,
    DecodeStepper,
    GradientFlowDemo,
    LossCurve,
    OptimizerDemo,
    StepThrough,
    gru_equation,
    lstm_equation,
    rnn_equation,
)
from s2s_lab.widgets.transformer import PositionalEncodingDemo, SelfAttentionDemo, attention_figure

V = Vocab("abcdef")
V_DIGITS = Vocab("abcdefghij 0123456789")


def _seq2seq(attention, seed=0, max_src_len=8):
    torch.manual_seed(seed)
    return Seq2Seq(len(V), len(V), 8, 8, bidirectional=True, attention=attention, max_src_len=max_src_len).eval()


def _rnn_step_through():
    cell = RNNCell(27, 6)
    return StepThrough(cell, text="hello", bars=("x", "a", "h"), heatmaps=("h",), equation=rnn_equation(cell))


def _gated_step_through(kind):
    model = SequenceClassifier(kind, input_size(), 6, 4)

    def readout(h):
        return model.probabilities(torch.as_tensor(h))

    names = ("i", "f", "g", "o") if kind == "LSTM" else ("r", "z", "n")
    equation = (lstm_equation if kind == "LSTM" else gru_equation)(readout=readout)
    return StepThrough(
        model.cell(), text="cbAdbca", one_hot=MarkedOneHot(), bars=names, heatmaps=names + ("h",), equation=equation
    )


def _self_attention():
    model = Seq2SeqTransformer(
        len(V_DIGITS),
        len(V_DIGITS),
        d_model=16,
        nhead=4,
        num_encoder_layers=2,
        num_decoder_layers=1,
        dim_feedforward=32,
        max_len=16,
    )
    return SelfAttentionDemo(model, V_DIGITS, text="abc 12")


# Every demo with a text box: how to build it, and an input it takes.
DEMOS = {
    "RNN StepThrough": (_rnn_step_through, "abc"),
    "LSTM StepThrough": (lambda: _gated_step_through("LSTM"), "abCd"),
    "GRU StepThrough": (lambda: _gated_step_through("GRU"), "abCd"),
    "DecodeStepper": (lambda: DecodeStepper(_seq2seq("additive"), V, V, "abc", max_len=6), "fed"),
    "AttentionExplorer": (
        lambda: AttentionExplorer(
            {"additive": _seq2seq("additive"), "dot": _seq2seq("dot", 1)}, V, V, "abcd", max_len=6
        ),
        "fed",
    ),
    "SelfAttentionDemo": (_self_attention, "fed 1"),
}

TYPED = [
    "",
    " ",
    "   ",
    " cbA ",
    " abc ",
    "a b",
    "a" * 500,
    "é" * 500,
    "😀",
    "ab😀",
    "\n",
    "a\nb",
    "\t",
    "abc\t",
    "ÀÉ",
    "\x00",
    "İ",
    "CBA",
    "cbA",
    "abc 12",
    "<b>&amp;</b>",
    "".join(chr(0x100 + k) for k in range(40)),
]


@pytest.mark.parametrize("name", list(DEMOS))
def test_every_text_box_answers_any_string_with_a_sentence_or_a_redraw(name):
    make, good = DEMOS[name]
    torch.manual_seed(0)
    demo = make()  # one demo for all the strings: each is typed after a good input, as a learner would
    for typed in TYPED:
        demo.text.value = good
        assert demo.message.value == "" and demo.errors == [], (typed, demo.message.value)
        draws = demo.view.draw_count
        demo.text.value = typed  # must not raise
        message = demo.message.value
        assert demo.errors == [] and "hit an error" not in message, (typed, message)
        if message:  # a warning: one readable sentence, HTML-escaped, naming no Python internals
            text = re.sub(r"<[^>]+>", "", message)
            assert text.strip().endswith(".") and len(text) < 400, (typed, text)
            assert "Traceback" not in text and "Error" not in text and "<b>" not in text, (typed, text)
        else:  # taken: the plot was redrawn
            assert demo.view.draw_count > draws, typed
        if len(typed.strip()) > 40:
            assert "at most" in message, (typed, message)  # too long is said before anything else


@pytest.mark.parametrize("name", ["LSTM StepThrough", "GRU StepThrough"])
def test_marked_sequence_ignores_the_spaces_around_it(name):
    demo = DEMOS[name][0]()
    demo.text.value = " cbA "
    assert demo.message.value == "" and demo.T == 3 and demo.slider.max == 3
    assert [t.get_text() for t in demo.heat_axes["h"].get_xticklabels()] == ["c", "b", "A"]
    demo.slider.value = 3
    assert "reading 'A (marked)'" in demo.equation_view.value and demo.errors == []


@pytest.mark.parametrize("name", ["DecodeStepper", "AttentionExplorer", "SelfAttentionDemo"])
def test_model_demos_ignore_the_spaces_around_the_input(name):
    demo = DEMOS[name][0]()
    demo.text.value = "  fed\t"
    assert demo.message.value == ""
    source = demo.tokens if name == "SelfAttentionDemo" else demo.result.source
    assert source == ["f", "e", "d"]


def test_attention_explorer_keeps_its_warning_when_a_score_is_refused():
    # "dot" reads at most 4 characters: switching to it with a 6-character input must be refused and say so,
    # and the sentence must stay (before the fix, putting the buttons back re-decoded and cleared it at once).
    models = {"additive": _seq2seq("additive"), "dot": _seq2seq("dot", 1, max_src_len=4)}
    demo = AttentionExplorer(models, V, V, "abcdef", max_len=6)
    before = demo.image.get_array().copy()
    demo.score.value = "dot"
    assert "at most 4" in demo.message.value
    assert demo.score.value == "additive" and demo.kind == "additive"
    np.testing.assert_array_equal(demo.image.get_array(), before)
    demo.slider.value = 2  # moving the slider keeps it too
    assert "at most 4" in demo.message.value
    demo.text.value = "abc"  # the next good input clears it
    assert demo.message.value == ""
    demo.score.value = "dot"
    assert demo.kind == "dot" and demo.message.value == "" and demo.errors == []


def test_attention_explorer_keeps_its_warning_for_a_bad_text_then_a_score_switch():
    demo = DEMOS["AttentionExplorer"][0]()
    demo.text.value = "xyz"
    assert "never seen 'x', 'y', 'z'" in demo.message.value
    demo.score.value = "dot"  # the text is still bad: still explained, buttons put back
    assert "never seen" in demo.message.value and demo.score.value == "additive"
    assert demo.errors == []


def _history(n):
    return History(losses=list(np.linspace(1.0, 0.1, n)))


@pytest.mark.parametrize(
    "runs, words",
    [
        ({}, "at least one run"),
        (
            {("SGD", 0.1): _history(5), ("Adam", 0.1): _history(5), ("Adam", 0.01): _history(5)},
            "no run for ('SGD', 0.01)",
        ),
        ({("SGD", 0.1): _history(0)}, "no losses"),
        ({"SGD": _history(5)}, "(optimizer name, learning rate)"),
    ],
)
def test_optimizer_demo_bad_runs(runs, words):
    with pytest.raises(ValueError) as info:
        OptimizerDemo(runs)
    assert words in str(info.value)


@pytest.mark.parametrize("window", [0, -2, 1.5])
def test_optimizer_demo_bad_window(window):
    with pytest.raises(ValueError, match=r"window must be a positive int"):
        OptimizerDemo({("SGD", 0.1): _history(5)}, window=window)


@pytest.mark.parametrize("every", [0, -1, 2.5, True])
def test_loss_curve_bad_every(every):
    with pytest.raises(ValueError, match=r"every must be a positive int .*got"):
        LossCurve(every=every)


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda: StepThrough(RNNCell(27, 4), bars=("q",)), "bars as a tuple of names among ('x', 'a', 'h')"),
        (lambda: StepThrough(RNNCell(27, 4), heatmaps=("c",)), "heatmaps as a tuple of names among"),
        (
            lambda: StepThrough(RNNCell(5, 4)),
            "the one-hot converter makes 27 features per step but the cell reads input_size=5",
        ),
        (lambda: PositionalEncodingDemo(max_len=20, d_model=8, p=100), "position p in 0..19 (max_len=20), got 100"),
        (lambda: PositionalEncodingDemo(max_len=20, d_model=8, q=-1), "position q in 0..19"),  # was drawn as row 19
        (lambda: GradientFlowDemo(T=0), "T must be a positive int, got 0"),
        (lambda: GradientFlowDemo(T=5, rho=10.0), "rho in [0.25, 3]"),
        (lambda: GradientFlowDemo(T=5, nonlinearity="sigmoid"), "nonlinearity must be 'tanh' or 'relu'"),
        (lambda: attention_figure(np.zeros((2, 3)), ["a", "b"], ["x"]), "(len(y_labels), len(x_labels)) = (1, 2)"),
    ],
    ids=range(9),
)
def test_demo_constructor_arguments(make, words):
    with pytest.raises(ValueError) as info:
        make()
    assert words in str(info.value)
