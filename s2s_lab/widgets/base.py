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

    With ipympl (``%matplotlib widget``) the figure's canvas *is* a widget and :meth:`redraw` asks it to
    repaint (``draw_idle``). With any other backend the figure is rendered to PNG into an
    ``ipywidgets.Image`` on each :meth:`redraw`, so the demos still work, only less smoothly.
    """

    def __init__(self, figsize=(8, 4)):
        with plt.ioff(), plt.rc_context(_STYLE):
            self.fig = plt.figure(figsize=figsize, layout="constrained")
        self.live = uses_ipympl()
        self.draw_count = 0  # how many times the figure was asked to repaint (the tests read it)
        if self.live:
            canvas = self.fig.canvas
            canvas.header_visible = False
            canvas.footer_visible = False
            canvas.toolbar_visible = False
            canvas.resizable = False
            self.widget = canvas
        else:
            self.widget = widgets.Image(format="png")

    def freeze_layout(self) -> None:
        """Lay the figure out once, then keep the positions: a redraw need not re-solve the layout,
        which halves its cost (call after the artists exist)."""
        # Not canvas.draw(): ipympl would then take the figure as already sent to the browser.
        self.fig.draw_without_rendering()
        self.fig.set_layout_engine("none")

    def redraw(self, now: bool = False) -> None:
        """Ask for a repaint. ``draw_idle`` waits until the kernel is idle, which is right for a callback;
        from inside a running cell (a live training curve) use ``now=True``: render and send at once."""
        self.draw_count += 1
        if self.live and now:
            self.fig.canvas.draw()  # ipympl pushes the new image to the browser straight away
        elif self.live:
            self.fig.canvas.draw_idle()
        else:
            self.widget.value = self.png()

    def png(self, dpi: int = 90) -> bytes:
        return show(self.fig, dpi).data

    def close(self) -> None:
        plt.close(self.fig)


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
