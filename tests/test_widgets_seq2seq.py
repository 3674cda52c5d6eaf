"""The notebook-04/05 demos, driven as a learner drives them: set a control's value, check the plot."""

import numpy as np
import pytest
import torch

from s2s_lab.data import Vocab
from s2s_lab.interface import decode_text
from s2s_lab.seq2seq import Seq2Seq
from s2s_lab.training import History
from s2s_lab.widgets.seq2seq import AttentionExplorer, DecodeStepper, LossCurve

V = Vocab("abcdef")


def _model(attention=None, seed=0):
    torch.manual_seed(seed)
    return Seq2Seq(len(V), len(V), 8, 8, bidirectional=True, attention=attention, max_src_len=8).eval()


def heights(bars):
    return np.array([r.get_height() for r in bars])


def test_loss_curve_follows_the_history():
    curve = LossCurve(every=2)
    h = History()
    for step in range(1, 6):
        h.updates.append(step)
        h.losses.append(1.0 / step)
        if step == 4:
            h.evals.append({"update": 4, "exact_match": 0.5})
        curve(h)
    assert list(curve.loss_line.get_xdata()) == [1, 2, 3, 4]  # step 5 is not a redraw step
    assert list(curve.acc_line.get_ydata()) == [0.5]
    assert curve.view.draw_count == 2 and curve.errors == []
    assert curve._repr_mimebundle_()["text/plain"].startswith("[live loss curve")


def test_decode_stepper_shows_each_step():
    m = _model()
    demo = DecodeStepper(m, V, V, "abc", max_len=6)
    expected = decode_text(m, "abc", V, V, max_len=6)
    assert demo.slider.max == len(expected.tokens)
    demo.slider.value = 2
    probs = expected.probs[1].numpy()
    np.testing.assert_allclose(heights(demo.prob_bars), probs[demo.shown], atol=1e-6)
    assert "t=2" in demo.prob_ax.get_title()
    assert "<b" in demo.sequence_view.value and not demo.has_attention
    assert demo.snapshot().data[:4] == b"\x89PNG" and demo.errors == []


@pytest.mark.parametrize("text, words", [("", "empty"), ("abz", "never seen 'z'"), ("abcdefabc", "at most 8")])
def test_bad_input_is_explained_and_keeps_the_old_output(text, words):
    demo = DecodeStepper(_model("additive"), V, V, "abc", max_len=6)
    before = heights(demo.prob_bars)
    demo.text.value = text
    assert words in demo.message.value
    np.testing.assert_allclose(heights(demo.prob_bars), before)
    demo.text.value = "fed"
    assert demo.message.value == "" and demo.errors == []


def test_attention_explorer_bars_heatmap_and_score_switch():
    models = {"additive": _model("additive"), "dot": _model("dot", seed=1)}
    demo = AttentionExplorer(models, V, V, "abcd", examples=["fedcba", "ab"], max_len=6)
    r = decode_text(models["additive"], "abcd", V, V, max_len=6)
    np.testing.assert_allclose(demo.image.get_array(), r.attention.numpy(), atol=1e-6)
    demo.slider.value = 2
    np.testing.assert_allclose(heights(demo.bars)[:4], r.attention[1].numpy(), atol=1e-6)
    assert heights(demo.bars)[4:].sum() == 0
    assert demo.marker.get_y() == pytest.approx(0.5)
    draws = demo.view.draw_count
    demo.score.value = "dot"
    r_dot = decode_text(models["dot"], "abcd", V, V, max_len=6)
    np.testing.assert_allclose(demo.image.get_array(), r_dot.attention.numpy(), atol=1e-6)
    assert demo.view.draw_count == draws + 1 and "dot score" in demo.heat_ax.get_title()
    demo.pick.value = "fedcba"
    assert demo.text.value == "fedcba" and demo.image.get_array().shape[1] == 6
    assert [t.get_text() for t in demo.heat_ax.get_xticklabels()] == list("fedcba")
    demo.text.value = "xyz"
    assert "never seen" in demo.message.value and demo.image.get_array().shape[1] == 6
    assert demo.errors == []
    with pytest.raises(ValueError, match="no attention"):
        AttentionExplorer({"none": _model()}, V, V, "abc")
