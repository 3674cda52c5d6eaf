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


def _png_height(png: bytes) -> int:
    return int.from_bytes(png[20:24], "big")  # the IHDR chunk: width at 16, height at 20


def test_snapshots_carry_the_readout_with_this_steps_numbers():
    m = _model("additive")
    demo = DecodeStepper(m, V, V, "abcd", max_len=6)
    demo.slider.value = 2
    r = decode_text(m, "abcd", V, V, max_len=6)
    p = r.probs[1].numpy()
    assert f"p = {p[r.tokens[1]]:.2f}" in demo.readout.value and "y_{&lt;2}" in demo.readout.value
    a = r.attention[1].numpy()
    assert f"c_{{2}} = \\sum_j \\alpha_{{2j}}\\, h_j = {a.max():.2f}\\,h_{{{a.argmax() + 1}}}" in demo.readout.value
    figure_only = _png_height(demo.view.png(dpi=80))
    assert _png_height(demo.snapshot().data) > figure_only + 20
    plain = DecodeStepper(_model(), V, V, "abc", max_len=6)
    assert "c = h_{3}" in plain.readout.value and "c = h_{3}" in plain.readout_lines[2]
    assert "input 'abc'" in plain.readout_lines[0]


def test_attention_explorer_readout_follows_the_slider_and_its_colour_bar_stays():
    models = {"additive": _model("additive"), "dot": _model("dot", seed=1)}
    demo = AttentionExplorer(models, V, V, "abcd", max_len=6)
    axes = len(demo.view.fig.axes)
    assert demo.image.get_clim() == (0, 1) and demo.colorbar.ax in demo.view.fig.axes
    for value in (2, 3):
        demo.slider.value = value
        a = decode_text(models["additive"], "abcd", V, V, max_len=6).attention[value - 1].numpy()
        j = int(a.argmax())
        assert f"\\alpha_{{{value},{j + 1}}} = {a[j]:.2f}" in demo.readout.value
    demo.score.value = "dot"
    demo.text.value = "fedcba"
    assert len(demo.view.fig.axes) == axes and demo.image.get_clim() == (0, 1)  # no second colour bar
    assert "over the 6 source positions" in demo.readout_lines[0]
    assert _png_height(demo.snapshot().data) > _png_height(demo.view.png(dpi=80)) + 20


def test_alignment_figure_has_a_fixed_colour_bar():
    from s2s_lab.widgets import static_figure
    from s2s_lab.widgets.seq2seq import alignment_figure

    fig = static_figure()
    r = decode_text(_model("additive"), "abc", V, V, max_len=6)
    alignment_figure(r, V, fig.add_subplot(1, 1, 1))
    assert len(fig.axes) == 2 and fig.axes[0].images[0].get_clim() == (0, 1)
    fig = static_figure()
    alignment_figure(r, V, fig.add_subplot(1, 1, 1), colorbar=False)
    assert len(fig.axes) == 1
