"""FigureView's repaint path under ipympl, as a browser sees it: one picture per change, sent at once; a
blitted picture equal to a full render; a full render when the background changed; a live training curve
that sends PNGs (not raw pixels) and its size while the kernel is busy."""

import numpy as np
import pytest
import torch
from matplotlib.backends.backend_agg import RendererAgg

import s2s_lab
from s2s_lab.training import History
from s2s_lab.widgets import GradientFlowDemo, LossCurve, StepThrough, rnn_equation

PNG = b"\x89PNG\r\n\x1a\n"


def connect(view, monkeypatch) -> list:
    """Act as a browser that shows the canvas: ipympl stops keeping a copy for the notebook file once the
    browser said "initialized". Returns the list the canvas's messages to the browser go to."""
    sent = []
    canvas = view.fig.canvas
    monkeypatch.setattr(canvas, "send", lambda content, buffers=None: sent.append((content, buffers)))
    canvas.syncing_data_url = False
    canvas.draw()  # the first picture the browser asks for
    sent.clear()
    return sent


def pictures(sent) -> list[bytes]:
    return [bytes(b[0]) for content, b in sent if b and '"binary"' in content["data"]]


def full_render(view) -> np.ndarray:
    """The figure drawn from scratch with every artist, as a savefig would draw it."""
    changing = view._changing
    for artist in changing:
        artist.set_animated(False)
    renderer = RendererAgg(*view.fig.canvas.get_width_height(physical=True), view.fig.dpi)
    view.fig.draw(renderer)  # a renderer of its own: the canvas's picture and background stay as they are
    pixels = np.asarray(renderer.buffer_rgba()).copy()
    for artist in changing:
        artist.set_animated(True)
    return pixels


@pytest.fixture
def stepper():
    cell = s2s_lab.RNNCell(27, 6)
    demo = StepThrough(cell, text="hello world", bars=("x", "a", "h"), heatmaps=("h",), equation=rnn_equation(cell))
    yield demo
    demo.close()


def test_slider_change_sends_one_blitted_picture_equal_to_a_full_render(stepper, monkeypatch):
    view = stepper.view
    sent = connect(view, monkeypatch)
    for t in (4, 7, 2):
        before = (view.draw_count, view.blit_count, len(pictures(sent)))
        stepper.slider.value = t
        assert (view.draw_count, view.blit_count, len(pictures(sent))) == tuple(x + 1 for x in before)
        assert pictures(sent)[-1].startswith(PNG)
        assert not any('"draw"' in content["data"] for content, _ in sent), "no round trip through the browser"
        blitted = np.asarray(view.fig.canvas.get_renderer().buffer_rgba()).copy()
        np.testing.assert_array_equal(blitted, full_render(view))
        assert f"t={t}" in view.fig.axes[0].get_title()


def test_a_changed_background_is_drawn_again(stepper, monkeypatch):
    view = stepper.view
    sent = connect(view, monkeypatch)
    blits = view.blit_count
    stepper.text.value = "abc"  # new tick labels and limits: the whole figure
    assert view.blit_count == blits and len(pictures(sent)) >= 1
    np.testing.assert_array_equal(np.asarray(view.fig.canvas.get_renderer().buffer_rgba()), full_render(view))
    stepper.slider.value = 2  # and the next step blits over the new background
    assert view.blit_count == blits + 1
    np.testing.assert_array_equal(np.asarray(view.fig.canvas.get_renderer().buffer_rgba()), full_render(view))


def test_snapshot_after_blitting_shows_the_changing_artists(stepper, monkeypatch):
    connect(stepper.view, monkeypatch)
    stepper.slider.value = 5
    png = stepper.snapshot().data
    stepper.slider.value = 6
    assert stepper.snapshot().data != png


def test_gradient_demo_new_limits_and_grid_equal_a_full_render(monkeypatch):
    demo = GradientFlowDemo(T=10, hidden_size=4)
    try:
        sent = connect(demo.view, monkeypatch)
        # A stale figure is drawn again after every message the kernel reads (pyplot's post_execute hook):
        # a full draw must leave it clean, or the browser and the kernel redraw it forever.
        assert not demo.view.fig.stale
        demo.rho.value = 0.5
        assert len(pictures(sent)) == 1 and not demo.view.fig.stale
        np.testing.assert_array_equal(
            np.asarray(demo.view.fig.canvas.get_renderer().buffer_rgba()), full_render(demo.view)
        )
    finally:
        demo.close()


def test_live_curve_sends_pngs_and_its_size_while_the_kernel_is_busy(monkeypatch):
    curve = LossCurve(every=1)
    sent = []
    canvas = curve.view.fig.canvas
    monkeypatch.setattr(canvas, "send", lambda content, buffers=None: sent.append((content, buffers)))
    assert canvas.syncing_data_url  # the browser's "initialized" is not read while the cell runs
    history = History()
    for update in range(1, 4):
        history.updates.append(update)
        history.losses.append(1.0 / update)
        curve(history)
    images = pictures(sent)
    assert len(images) == 3 and all(image.startswith(PNG) for image in images), "raw pixels would break the image"
    assert sum('"resize"' in content["data"] for content, _ in sent) == 1
    assert canvas._size == tuple(curve.view.fig.bbox.size)
    curve.close()
    torch.manual_seed(0)


def test_a_figure_with_its_layout_engine_blits_too(monkeypatch):
    from s2s_lab.widgets import FigureView

    view = FigureView(figsize=(4, 3))
    ax = view.fig.add_subplot(1, 1, 1)
    (line,) = ax.plot([0, 1, 2], [0, 1, 0])
    ax.set_ylim(-1, 2)
    ax.set_title("before")  # a title of the same height: the layout it solves for stays the same
    sent = connect(view, monkeypatch)
    view.redraw()  # the first redraw sorts the artists into background and changing ones: a full draw
    line.set_ydata([1, 0, 1])
    ax.set_title("after")
    view.redraw()
    assert view.blit_count == 1 and len(pictures(sent)) == 2 and view.fig.get_layout_engine() is not None
    np.testing.assert_array_equal(np.asarray(view.fig.canvas.get_renderer().buffer_rgba()), full_render(view))
    view.close()


@pytest.mark.parametrize(
    "change, blits",
    [
        (lambda ax: ax.set_xticks([0, 1, 2], ["a", "b", "c"]), True),  # set again to the same: the background holds
        (lambda ax: ax.set_ylim(-1, 2), True),
        (lambda ax: ax.set_xticks([0, 1, 2], ["a", "b", "d"]), False),  # a new tick label: drawn again
        (lambda ax: ax.set_ylim(-1, 3), False),
        (lambda ax: ax.tick_params(labelcolor="red"), False),
        (lambda ax: ax.grid(True), False),
        (lambda ax: ax.set_xlabel("another label"), False),
        (lambda ax: ax.set_facecolor("0.9"), False),
    ],
)
def test_only_a_background_set_again_to_the_same_values_is_kept(monkeypatch, change, blits):
    from s2s_lab.widgets import FigureView

    view = FigureView(figsize=(4, 3))
    ax = view.fig.add_subplot(1, 1, 1)
    (line,) = ax.plot([0, 1, 2], [0, 1, 0])
    ax.set_xticks([0, 1, 2], ["a", "b", "c"])
    ax.set_ylim(-1, 2)
    ax.set_xlabel("x")
    view.freeze_layout()
    sent = connect(view, monkeypatch)
    line.set_ydata([1, 0, 1])
    change(ax)
    view.redraw()
    assert view.blit_count == int(blits) and len(pictures(sent)) == 1
    assert not view.fig.stale
    np.testing.assert_array_equal(np.asarray(view.fig.canvas.get_renderer().buffer_rgba()), full_render(view))
    view.close()


def test_translate_demo_pictures_equal_full_renders(monkeypatch):
    """A demo whose every step sets its ticks, limits and title again (with its layout engine still on)."""
    from s2s_lab.widgets.translation import TranslateDemo
    from tests.test_translation_eval import TINY, tiny

    demo = TranslateDemo({"T": tiny(TINY)}, "I am hungry.", beam=3)
    try:
        sent = connect(demo.view, monkeypatch)
        for k in (4, 3, 2, 3):
            demo.beam.value = k
            assert len(pictures(sent)) and not demo.view.fig.stale
            np.testing.assert_array_equal(
                np.asarray(demo.view.fig.canvas.get_renderer().buffer_rgba()), full_render(demo.view)
            )
            sent.clear()
        demo.text.value = "Where is the station?"  # new tick labels: drawn again, and right
        np.testing.assert_array_equal(
            np.asarray(demo.view.fig.canvas.get_renderer().buffer_rgba()), full_render(demo.view)
        )
        assert demo.view.blit_count >= 1
    finally:
        demo.close()
