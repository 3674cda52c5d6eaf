"""What every live demo shares: a figure drawn once and updated in place, callbacks whose errors are
shown to the learner (and re-raised, so a test fails), a stable text form and a static snapshot.

A demo is driven by setting its controls' values, in the browser or from Python::

    demo = StepThrough(...)
    demo.slider.value = 3      # the callback runs, the plot is updated in place

That is also how the tests drive it.
"""

from __future__ import annotations

import functools
import html
import io
import traceback

import ipywidgets as widgets
import matplotlib
import matplotlib.pyplot as plt
from IPython.display import Image

# Make math text look the same everywhere, and keep figures small enough for a laptop screen.
_STYLE = {"font.size": 9, "axes.titlesize": 9, "axes.labelsize": 9, "figure.dpi": 90}


def uses_ipympl() -> bool:
    """Whether figures become live ipympl canvases (after ``%matplotlib widget``)."""
    backend = matplotlib.get_backend().lower()
    return "ipympl" in backend or backend == "widget"


class FigureView:
    """A matplotlib figure that can sit inside an ipywidgets layout.

    With ipympl (``%matplotlib widget``) the figure's canvas *is* a widget. Once a browser shows it,
    :meth:`redraw` renders at once and sends the picture (not ``draw_idle``, which would first ask the
    browser to ask the kernel for a draw: one more round trip per change). And it repaints only what can
    change: the lines, bars, images and texts inside the axes are drawn over a stored background of axes,
    ticks and labels (blitting); when anything of that background changed (limits, tick labels) the whole
    figure is drawn again, its layout solved again unless :meth:`freeze_layout` fixed it. With any other
    backend the figure is rendered to PNG into an ``ipywidgets.Image`` on each :meth:`redraw`, so the demos
    still work, only less smoothly.
    """

    def __init__(self, figsize=(8, 4)):
        with plt.ioff(), plt.rc_context(_STYLE):
            self.fig = plt.figure(figsize=figsize, layout="constrained")
        self.live = uses_ipympl()
        self.draw_count = 0  # how many times the figure was asked to repaint (the tests read it)
        self.blit_count = 0  # ... and how many of those repainted only the changing artists
        self._background = None  # (pixels of the static artists, their size in pixels, _static_state())
        self._changing: list = []  # the artists a blit repaints (set at each full draw)
        self._candidates: list = []  # ... as classified before the last full draw we asked for
        self._seen: set[int] = set()  # the artists that existed then
        self._busy_drawn = False
        if self.live:
            canvas = self.fig.canvas
            canvas.header_visible = False
            canvas.footer_visible = False
            canvas.toolbar_visible = False
            canvas.resizable = False
            # pyplot would ask for a repaint after every single change of an artist; redraw() paints once.
            self.fig.stale_callback = None
            canvas.mpl_connect("draw_event", self._after_full_draw)
            self.widget = canvas
        else:
            self.widget = widgets.Image(format="png")

    def freeze_layout(self) -> None:
        """Lay the figure out once, then keep the positions: a full redraw need not re-solve the layout, which
        halves its cost (call after the artists exist)."""
        # Not canvas.draw(): ipympl would then take the figure as already sent to the browser.
        self.fig.draw_without_rendering()
        self.fig.set_layout_engine("none")
        if self.live:
            self._mark_changing_artists()

    def redraw(self, now: bool = False, full: bool = False) -> None:
        """Repaint after the artists changed. ``now=True`` for a redraw from inside a running cell (a live
        training curve): the kernel cannot read the browser's messages until the cell ends, so the full
        picture and its size are sent without waiting for them. ``full=True`` draws everything again, for a
        change of the background that the blitting cannot see (the font or colour of tick labels alone, given
        to ``set_xticks`` again with the same labels)."""
        self.draw_count += 1
        canvas = self.fig.canvas
        if not self.live:
            self.widget.value = self.png()
        elif now:
            self._draw_while_busy()
        elif canvas.syncing_data_url:  # no browser has shown the canvas yet (nbclient, a test): it asks when it does
            canvas.draw_idle()
        elif not full and self._can_blit():
            self.blit_count += 1
            canvas.restore_region(self._background[0])
            self._draw_changing(canvas.get_renderer())
            canvas.blit(self.fig.bbox)  # ipympl sends the pixels that changed, as a PNG
        else:
            self._mark_changing_artists()
            canvas.draw()  # renders and sends the picture; _after_full_draw adds the changing artists

    def png(self, dpi: int = 90) -> bytes:
        return show(self.fig, dpi).data

    def close(self) -> None:
        plt.close(self.fig)

    # -- blitting ------------------------------------------------------------------------------
    def _changing_artists(self) -> list:
        """The artists a redraw repaints over the background, in drawing order: everything inside an axes
        but its axis lines, ticks, labels and face, and the frame when the axes has none. An artist below a
        visible grid line stays in the background (a change of it repaints the whole figure)."""
        from matplotlib.axes import Axes
        from matplotlib.axis import Axis

        out = []
        for ax in sorted(self.fig.axes, key=lambda a: a.zorder):
            if not ax.get_visible():
                continue
            static = {ax.patch}
            if not (ax.axison and ax.get_frame_on()):
                static |= set(ax.spines.values())
            grid = any(line.get_visible() for axis in (ax.xaxis, ax.yaxis) for line in axis.get_gridlines())
            lowest = max(ax.xaxis.zorder, ax.yaxis.zorder) if grid else float("-inf")
            for artist in sorted(ax.get_children(), key=lambda a: a.zorder):
                if artist in static or isinstance(artist, (Axis, Axes)) or artist.zorder <= lowest:
                    continue
                out.append(artist)
        return out

    def _children(self) -> set[int]:
        return {id(a) for ax in self.fig.axes for a in ax.get_children()}

    def _mark_changing_artists(self) -> None:
        """Classify the artists before a full draw (asking for grid lines may create ticks, which would
        stale the figure after it; a stale figure is drawn again after every message the kernel reads)."""
        self._candidates = self._changing_artists()
        self._seen = self._children()
        for artist in self._candidates:
            artist.set_animated(True)  # left out of the background; their changes do not stale the figure

    def _can_blit(self) -> bool:
        """Whether the stored background still holds: same size, and nothing in it changed. A change of an
        animated artist does not stale the figure; limits, ticks or labels set again to the values they had
        (demos set them at every step) do, so a stale figure whose background state is unchanged blits too."""
        canvas = self.fig.canvas
        if self._background is None or self._background[1] != canvas.get_width_height(physical=True):
            return False
        if not self.fig.stale:
            return True
        if self._background[2] != self._static_state():
            return False
        for ax in self.fig.axes:  # the same background: clean, so that pyplot does not draw it again
            ax.xaxis.stale = ax.yaxis.stale = ax.stale = False
        self.fig.stale = False
        return True

    def _static_state(self) -> tuple | None:
        """What the background shows that a demo sets again and again: the axes' places, limits, scales, ticks
        and their labels, axis labels, tick and grid settings. ``None`` when anything else of the background is
        stale (an artist in it changed): then it must be drawn again."""
        from matplotlib.axis import Axis
        from matplotlib.ticker import FixedLocator

        if any(a.stale for a in self.fig.get_children() if a not in self.fig.axes):
            return None
        state = []
        for ax in self.fig.axes:
            if any(a.stale and not a.get_animated() and not isinstance(a, Axis) for a in ax.get_children()):
                return None
            state.append((ax.get_position(original=True).bounds, ax.viewLim.bounds, ax.axison, ax.get_visible()))
            for axis in (ax.xaxis, ax.yaxis):
                loc, fmt = axis.get_major_locator(), axis.get_major_formatter()
                ticks = (loc, fmt)  # set_xticks(positions, labels) makes new ones: compare what they show
                if isinstance(loc, FixedLocator):
                    ticks = (tuple(loc.locs), tuple(fmt.format_ticks(loc.locs)))
                state.append(
                    (
                        axis.get_scale(),
                        axis.get_visible(),
                        ticks,
                        axis.get_minor_locator(),
                        axis.get_minor_formatter(),
                        axis.label.get_text(),
                        repr(axis._major_tick_kw),  # tick_params and grid
                        repr(axis._minor_tick_kw),
                    )
                )
        return tuple(state)

    def _after_full_draw(self, event) -> None:
        """After every full draw on the canvas (ours, or one the browser asked for): keep the background,
        then draw the changing (animated) artists over it."""
        canvas = self.fig.canvas
        if canvas.is_saving() or event.renderer is not canvas.get_renderer():
            return  # savefig draws every artist itself; draw_without_rendering draws nothing
        self._background = None
        self._changing = [a for a in self._candidates if a.get_animated() and a.get_figure(root=True) is self.fig]
        if self._children() <= self._seen:  # no new artist was drawn into the background
            size = canvas.get_width_height(physical=True)
            self._background = (canvas.copy_from_bbox(self.fig.bbox), size, self._static_state())
        self._draw_changing(event.renderer)

    def _draw_changing(self, renderer) -> None:
        """Draw the changing artists over the background. Drawing moves some parts of an artist (a legend's
        boxes), which stales its axes; like ``Axes.draw``, leave the figure as clean as it was (a stale
        figure is drawn again after every message the kernel reads: pyplot's post_execute hook)."""
        was_stale = [(a, a.stale) for a in (self.fig, *self.fig.axes)]
        for artist in self._changing:
            artist.draw(renderer)
        for a, stale in was_stale:
            a.stale = stale

    def _draw_while_busy(self) -> None:
        """Render and send at once from a running cell. Until the cell ends the kernel cannot read the
        browser's "initialized" message, so ipympl still keeps a copy of each picture for the notebook
        file, and then (ipympl 0.10) sends the raw pixels instead of the PNG: the browser's image breaks and
        the figure stays an empty box. So: stop that copy, tell the browser the canvas size (which it
        otherwise learns only after "initialized"), and send full pictures (a busy browser may skip a
        picture, and a skipped difference would leave a garbled one)."""
        canvas = self.fig.canvas
        canvas.syncing_data_url = False
        if not self._busy_drawn:
            self._busy_drawn = True
            canvas.manager.resize(*self.fig.bbox.size)
        canvas._force_full = True
        self._mark_changing_artists()
        canvas.draw()


class LiveDemo:
    """Base class of the live demos.

    Subclasses build their controls, a :class:`FigureView` and a layout in ``self.widget``, and register
    callbacks with :meth:`observe`. A callback that raises shows the error in red inside the demo (under
    nbclient, and in JupyterLab, an exception in a widget callback is otherwise invisible), records it in
    :attr:`errors`, and re-raises it, so that setting a control's value from a test fails the test.

    Bad *input* is not an error of the demo: callbacks call :meth:`warn` with a sentence for the learner.
    """

    description = "live demo"

    def __init__(self):
        self.errors: list[BaseException] = []
        self.message = widgets.HTML(value="")
        self.widget: widgets.Widget | None = None

    # -- callbacks -----------------------------------------------------------------------------
    def observe(self, control: widgets.Widget, callback, names: str = "value") -> None:
        """``control.observe(callback)``, with errors made visible (see the class docstring)."""

        @functools.wraps(callback)
        def guarded(change):
            try:
                callback(change)
            except Exception as exc:
                self.errors.append(exc)
                text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
                self.message.value = (
                    "<div style='color:#b00020;white-space:pre-wrap'><b>This demo hit an error</b> "
                    f"(please report it): {html.escape(text)}</div>"
                )
                raise

        control.observe(guarded, names=names)

    def warn(self, text: str) -> None:
        """Show a sentence about the learner's input (empty ``text`` clears it)."""
        self.message.value = f"<div style='color:#8a5a00'>{html.escape(text, quote=False)}</div>" if text else ""

    # -- display -------------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        # The default text form lists every child widget; a short sentence reads better on GitHub and
        # stays the same from run to run (nbval compares it).
        bundle["text/plain"] = f"[{self.description}: live in JupyterLab; a static snapshot follows]"
        return bundle

    def snapshot(self, dpi: int = 80) -> Image:
        """A PNG of the figure as it is now, for readers without a live kernel (e.g. on GitHub)."""
        return Image(data=self.view.png(dpi=dpi))

    def close(self) -> None:
        self.view.close()
        if self.widget is not None:
            self.widget.close()


def static_figure(figsize=(7, 3)):
    """A figure for a picture that does not change: not managed by pyplot, so under
    ``%matplotlib widget`` it does not become a live canvas. Show it with :func:`show`."""
    from matplotlib.figure import Figure

    with plt.rc_context(_STYLE):
        return Figure(figsize=figsize, layout="constrained")


def show(fig, dpi: int = 90) -> Image:
    """A figure as a PNG image (it reads on GitHub, and in any notebook viewer)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return Image(data=buf.getvalue())


def play_controls(max_value: int, description: str = "step t", interval_ms: int = 600):
    """A Play button linked (in the browser) to an integer slider from 1 to ``max_value``."""
    play = widgets.Play(value=1, min=1, max=max_value, step=1, interval=interval_ms, description="Play")
    slider = widgets.IntSlider(value=1, min=1, max=max_value, step=1, description=description, continuous_update=True)
    widgets.jslink((play, "value"), (slider, "value"))
    widgets.jslink((play, "max"), (slider, "max"))
    return play, slider


def source(obj):
    """Show the source code of a function or class of the package, highlighted, in the notebook."""
    import inspect

    from IPython.display import Markdown

    return Markdown(f"```python\n{inspect.getsource(obj).rstrip()}\n```")
