"""The notebook-01 demos, driven as a learner drives them: set a control's value, check the plot."""

import numpy as np
import pytest
import torch

from s2s_lab import RNNCell
from s2s_lab.encoding import CharOneHot
from s2s_lab.gradient_flow import jacobian_norms, rnn_with_spectral_radius
from s2s_lab.widgets import GradientFlowDemo, StepThrough, rnn_equation


@pytest.fixture
def demo():
    torch.manual_seed(0)
    cell = RNNCell(27, 6)
    d = StepThrough(cell, text="hello", bars=("x", "a", "h"), heatmaps=("h",), equation=rnn_equation(cell))
    yield d
    assert d.errors == []


def expected_trace(cell, text):
    with torch.no_grad():
        return {k: v.numpy() for k, v in cell.trace(CharOneHot().encode(text)).items()}


def bar_heights(demo, name):
    return np.array([rect.get_height() for rect in demo.bars[name]])


def test_figure_is_a_live_canvas(demo):
    assert demo.view.live  # ipympl: the canvas is the widget
    assert demo.view.widget in demo.widget.children
    bundle = demo._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"].startswith("[step-through")
    assert demo.snapshot().data[:8] == b"\x89PNG\r\n\x1a\n"


def test_slider_moves_bars_marker_and_equation(demo):
    tr = expected_trace(demo.cell, "hello")
    draws = demo.view.draw_count
    demo.slider.value = 4
    np.testing.assert_allclose(bar_heights(demo, "h"), tr["h"][3], atol=1e-6)
    np.testing.assert_allclose(bar_heights(demo, "a"), tr["a"][3], atol=1e-6)
    assert bar_heights(demo, "x").argmax() == CharOneHot().index["l"]
    assert demo.markers["h"].get_x() == pytest.approx(2.5)
    assert "Step t = 4" in demo.equation_view.value and "'l'" in demo.equation_view.value
    assert f"{tr['h'][3][0]:+.2f}" in demo.equation_view.value
    assert demo.view.draw_count == draws + 1  # one in-place redraw, no new figure


def test_equation_numbers_add_up(demo):
    """The two underbraced vectors of the displayed formula sum to a_t."""
    demo.slider.value = 2
    v = demo.step_values(2)
    w_ih, b_ih = demo.cell.weight_ih.detach().numpy(), demo.cell.bias_ih.detach().numpy()
    w_hh, b_hh = demo.cell.weight_hh.detach().numpy(), demo.cell.bias_hh.detach().numpy()
    np.testing.assert_allclose(w_ih @ v["x"] + b_ih + w_hh @ v["h_prev"] + b_hh, v["a"], atol=1e-5)
    np.testing.assert_allclose(v["h_prev"], demo.values["h"][0])


def test_typing_a_new_sequence_updates_everything(demo):
    demo.slider.value = 5
    demo.text.value = "abc"
    tr = expected_trace(demo.cell, "abc")
    assert demo.slider.max == 3 and demo.play.max == 3 and demo.slider.value == 3
    np.testing.assert_allclose(demo.images["h"].get_array(), tr["h"].T, atol=1e-6)
    np.testing.assert_allclose(bar_heights(demo, "h"), tr["h"][2], atol=1e-6)
    assert [t.get_text() for t in demo.heat_axes["h"].get_xticklabels()] == ["a", "b", "c"]
    demo.text.value = "hello world"
    assert demo.images["h"].get_array().shape == (6, 11)
    assert demo.message.value == ""


@pytest.mark.parametrize(
    "text, words", [("Hello", "does not know 'H'"), ("", "at least one"), ("a" * 30, "at most 20")]
)
def test_bad_text_is_explained_and_keeps_the_old_plot(demo, text, words):
    before = demo.images["h"].get_array().copy()
    demo.text.value = text
    assert words in demo.message.value
    np.testing.assert_array_equal(demo.images["h"].get_array(), before)
    demo.text.value = "ok"
    assert demo.message.value == ""


def test_a_failing_callback_is_shown_and_fails(demo):
    def broken(t, values):
        raise RuntimeError("boom")

    demo.equation = broken
    with pytest.raises(RuntimeError, match="boom"):
        demo.slider.value = 2
    assert "boom" in demo.message.value and "error" in demo.message.value
    assert len(demo.errors) == 1
    demo.errors.clear()  # the fixture checks that no other error happened


def test_gradient_demo_updates_in_place():
    demo = GradientFlowDemo(T=20, hidden_size=8, rho=1.0)
    line = demo.norm_line
    demo.rho.value = 0.5
    expected = jacobian_norms(rnn_with_spectral_radius(4, 8, 0.5, "tanh", seed=0), demo.x).numpy()
    np.testing.assert_allclose(line.get_ydata(), expected, rtol=1e-5)
    np.testing.assert_allclose(demo.linear_line.get_ydata(), 0.5 ** (20 - np.arange(1, 21)))
    small = line.get_ydata()[0]
    demo.nonlinearity.value = "relu"
    demo.rho.value = 2.5
    assert demo.norm_line is line  # same artist, new data
    assert line.get_ydata()[0] > 100 > 1e-3 > small  # exploding vs vanishing
    assert demo.errors == []


def test_gradient_figures_label_the_factor_between_grid_lines():
    from s2s_lab.gradient_flow import norms_by_radius
    from s2s_lab.widgets import gradient_norms_figure

    norms = norms_by_radius(rhos=(0.5, 2.5), T=30, hidden_size=8)
    fig = gradient_norms_figure(norms)
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), norms["tanh", 0.5].numpy())
    ticks = np.log10(ax.yaxis.get_majorticklocs())
    step = ticks[1] - ticks[0]
    np.testing.assert_allclose(np.diff(ticks), step)
    assert (
        "×10 per" if step == 1 else f"×10{str(int(step)).translate(str.maketrans('0123456789', '⁰¹²³⁴⁵⁶⁷⁸⁹'))} per"
    ) in ax.get_ylabel()
    demo = GradientFlowDemo(T=20, hidden_size=8, rho=1.0)
    assert demo.grid_factor == "10" and "×10 per grid line" in demo.ax.get_ylabel()
    demo.rho.value = 0.25
    assert demo.grid_factor != "10"


def png_size(png):
    import io

    import matplotlib.image as mimage

    return mimage.imread(io.BytesIO(png)).shape[:2]  # (height, width)


def test_heatmap_has_a_fixed_colour_bar_drawn_once(demo):
    bar, n_axes = demo.colorbars["h"], len(demo.view.fig.axes)
    assert bar.mappable is demo.images["h"] and demo.images["h"].get_clim() == (-1, 1)
    demo.text.value = "abc"
    demo.slider.value = 2
    assert demo.colorbars["h"] is bar and len(demo.view.fig.axes) == n_axes  # not re-created
    assert demo.images["h"].get_clim() == (-1, 1)


def test_snapshot_carries_the_read_out(demo):
    demo.slider.value = 4
    v = demo.step_values(4)
    text = demo.readout_text()
    assert text.startswith("Step t = 4, reading 'l'") and "h₄ = tanh(a₄)" in text
    assert " ".join(f"{x:+.2f}" for x in v["h"]) in " ".join(text.splitlines()[-1].split())
    assert " ".join(f"{x:+.2f}" for x in v["a"]) in " ".join(text.splitlines()[-2].split())
    figure_only, snapshot = png_size(demo.view.png(dpi=80)), png_size(demo.snapshot().data)
    assert snapshot[1] == figure_only[1] and snapshot[0] > figure_only[0] + 50  # the read-out sits under it
    demo.equation = lambda t, values: "no plain text"  # an equation without .text: the figure alone
    assert png_size(demo.snapshot().data) == figure_only
