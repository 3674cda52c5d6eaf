"""Every notebook in a real JupyterLab, in headless Chromium: run all cells, check that every widget
rendered, every live figure shows a picture and no cell failed, move a slider and check that the plot
changed. Screenshots are saved in ``test-artifacts/browser/``.

Needs Debian's ``chromium`` (``apt-get install chromium``; Playwright's own browser download is not
used). Without it these tests are skipped, unless ``S2S_REQUIRE_BROWSER=1`` (set by ``.ci/run``).
The server and browser set-up is shared with ``bench/browser_latency.py`` (``tests/_jupyterlab.py``).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from _jupyterlab import (
    CHROMIUM,
    ROOT,
    chromium,
    count_code_cells,
    jupyterlab,
    notebooks,
    open_notebook,
    run_all_and_wait,
    shutdown_kernels,
)

NOTEBOOKS = notebooks()
ARTIFACTS = Path(os.environ.get("S2S_ARTIFACTS", ROOT / "test-artifacts")) / "browser"
RUN_TIMEOUT_S = 240  # one notebook, all cells
# ipympl's messages when a figure's picture could not be shown (e.g. a broken image while the kernel was busy)
BROKEN_FIGURE = ("Error setting state", "drawImage")

if not Path(CHROMIUM).exists():
    if os.environ.get("S2S_REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"S2S_REQUIRE_BROWSER=1 but there is no browser at {CHROMIUM}")
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium); browser tests skipped", allow_module_level=True)

from playwright.sync_api import sync_playwright  # noqa: E402

# Each ipympl canvas of the page: its size, and how many colours a sample of its pixels has (1: blank).
CANVAS_COLOURS = """() => [...document.querySelectorAll('.jupyter-matplotlib-canvas-div > canvas:first-child')]
.map(c => {
  if (!c.width || !c.height) return {width: c.width, height: c.height, colours: 0};
  const px = new Uint32Array(c.getContext('2d').getImageData(0, 0, c.width, c.height).data.buffer);
  const seen = new Set();
  for (let i = 0; i < px.length && seen.size < 2; i += 7) seen.add(px[i]);
  return {width: c.width, height: c.height, colours: seen.size};
})"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on 127.0.0.1 with a token, serving a copy of the notebooks."""
    try:
        with jupyterlab(tmp_path_factory.mktemp("lab")) as server:
            yield server
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with sync_playwright() as p, chromium(tmp_path_factory.mktemp("chromium-profile"), p) as context:
        yield context


def canvas_png(locator) -> bytes:
    return locator.screenshot(animations="disabled")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_in_jupyterlab(lab, browser, path):
    base, token = lab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page()
    errors, console = [], []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: console.append(msg.text) if msg.type == "error" else None)
    try:
        open_notebook(page, base, token, path)
        run_all_and_wait(page, count_code_cells(path), RUN_TIMEOUT_S)
        page.wait_for_timeout(1500)  # let the widget views finish rendering
        page.screenshot(path=str(ARTIFACTS / f"{path.stem}-all-run.png"), full_page=True)

        outputs = " ".join(page.locator(".jp-OutputArea-output").all_inner_texts())
        assert "Traceback" not in outputs, f"a cell failed in {path.name}"
        for broken in ("Error displaying widget", "Loading widget...", "A Jupyter widget could not be displayed"):
            assert broken not in outputs, f"{path.name}: '{broken}'"
        assert "This demo hit an error" not in outputs
        broken = [m for m in console if any(b in m for b in BROKEN_FIGURE)]
        assert not broken, f"{path.name}: a live figure could not be drawn: {broken}"
        blank = [c for c in page.evaluate(CANVAS_COLOURS) if c["colours"] < 2]
        assert not blank, f"{path.name}: live figures without a picture after Run All (size, colours): {blank}"

        sliders = page.locator(".jp-OutputArea-output .widget-slider .noUi-handle")
        if sliders.count():
            demo = sliders.first.locator("xpath=ancestor::div[contains(@class, 'widget-vbox')][1]")
            canvas = demo.locator("canvas").first
            canvas.scroll_into_view_if_needed()
            before = canvas_png(canvas)
            (ARTIFACTS / f"{path.stem}-slider-before.png").write_bytes(before)
            sliders.first.focus()
            after = before
            for key in ("ArrowRight", "ArrowLeft"):  # a slider left at its end moves only one way
                for _ in range(2):
                    page.keyboard.press(key)
                deadline = time.time() + 10
                while after == before and time.time() < deadline:
                    page.wait_for_timeout(300)
                    after = canvas_png(canvas)
                if after != before:
                    break
            (ARTIFACTS / f"{path.stem}-slider-after.png").write_bytes(after)
            assert after != before, f"{path.name}: moving the slider did not change the plot"
            assert "This demo hit an error" not in demo.inner_text()
        assert not errors, f"JavaScript errors in {path.name}: {errors}"
    finally:
        page.close()
        shutdown_kernels(base, token)
