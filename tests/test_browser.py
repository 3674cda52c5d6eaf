"""Every notebook in a real JupyterLab, in headless Chromium: run all cells, check that every widget
rendered and no cell failed, move a slider and check that the plot changed. Screenshots are saved in
``test-artifacts/browser/``.

Needs Debian's ``chromium`` (``apt-get install chromium``; Playwright's own browser download is not
used). Without it these tests are skipped, unless ``S2S_REQUIRE_BROWSER=1`` (set by ``.ci/run``).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CHROMIUM = os.environ.get("S2S_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("S2S_ARTIFACTS", ROOT / "test-artifacts")) / "browser"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
RUN_TIMEOUT_S = 240  # one notebook, all cells

if not Path(CHROMIUM).exists():
    if os.environ.get("S2S_REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"S2S_REQUIRE_BROWSER=1 but there is no browser at {CHROMIUM}")
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium); browser tests skipped", allow_module_level=True)

from playwright.sync_api import sync_playwright  # noqa: E402

# JupyterLab settings for a clean, deterministic session: render every cell (no windowing, so the
# test can see them all), no news or update pop-ups.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on 127.0.0.1 with a token, serving a copy of the notebooks (so that nothing the
    browser does, autosave included, touches the committed files)."""
    work = tmp_path_factory.mktemp("lab")
    shutil.copytree(ROOT / "notebooks", work / "notebooks")
    if (ROOT / "data").exists():
        shutil.copytree(ROOT / "data", work / "data")
    settings = work / "settings"
    for name, value in LAB_SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    token, port = secrets.token_hex(16), free_port()
    env = dict(
        os.environ,
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(work / "workspaces"),
        JUPYTER_RUNTIME_DIR=str(work / "runtime"),
    )
    log = open(work / "jupyterlab.log", "w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={work}",
            "--LabApp.news_url=",
            "--ServerApp.open_browser=False",
            "--allow-root",
        ],
        cwd=work,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                pytest.fail("JupyterLab did not start:\n" + (work / "jupyterlab.log").read_text()[-3000:])
            time.sleep(0.5)
    yield base, token
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            viewport={"width": 1400, "height": 1000},
        )
        yield context
        context.close()


def count_code_cells(path: Path) -> int:
    return sum(cell.cell_type == "code" for cell in nbformat.read(path, as_version=4).cells)


def run_all(page) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()


def wait_until_executed(page, n_code: int) -> None:
    """Until every code cell shows an execution count and none is queued or running."""
    for _ in range(3):  # a click that lands while the kernel is still connecting can be lost: retry
        run_all(page)
        try:
            page.wait_for_function(
                "() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]"
                ".some(p => /\\[(\\*|\\d+)\\]/.test(p.textContent))",
                timeout=15_000,
            )
            break
        except Exception:
            continue
    deadline = time.time() + RUN_TIMEOUT_S
    while time.time() < deadline:
        prompts = page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
        done = [p for p in prompts if re.fullmatch(r"\[\d+\]:", p.strip())]
        if len(done) == n_code and not any("*" in p for p in prompts):
            return
        time.sleep(1)
    raise AssertionError(f"not all {n_code} code cells ran within {RUN_TIMEOUT_S} s: {prompts}")


def canvas_png(locator) -> bytes:
    return locator.screenshot(animations="disabled")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_in_jupyterlab(lab, browser, path):
    base, token = lab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        # A workspace of its own, reset: only this notebook is open, and it is the active one.
        page.goto(
            f"{base}/lab/workspaces/{path.stem}/tree/notebooks/{path.name}?reset&token={token}",
            wait_until="domcontentloaded",
        )
        page.locator(".jp-NotebookPanel .jp-Notebook").first.wait_for(timeout=60_000)
        page.get_by_text(re.compile(r"Python 3 \(ipykernel\) \| Idle")).first.wait_for(timeout=90_000)
        # Start from a clean slate: the stored outputs must not count as this run's.
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Edit$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Clear Outputs of All Cells$")).click()
        wait_until_executed(page, count_code_cells(path))
        page.wait_for_timeout(1500)  # let the widget views finish rendering
        page.screenshot(path=str(ARTIFACTS / f"{path.stem}-all-run.png"), full_page=True)

        outputs = " ".join(page.locator(".jp-OutputArea-output").all_inner_texts())
        assert "Traceback" not in outputs, f"a cell failed in {path.name}"
        for broken in ("Error displaying widget", "Loading widget...", "A Jupyter widget could not be displayed"):
            assert broken not in outputs, f"{path.name}: '{broken}'"
        assert "This demo hit an error" not in outputs

        sliders = page.locator(".jp-OutputArea-output .widget-slider .noUi-handle")
        if sliders.count():
            demo = sliders.first.locator("xpath=ancestor::div[contains(@class, 'widget-vbox')][1]")
            canvas = demo.locator("canvas").first
            canvas.scroll_into_view_if_needed()
            before = canvas_png(canvas)
            (ARTIFACTS / f"{path.stem}-slider-before.png").write_bytes(before)
            sliders.first.focus()
            for _ in range(2):
                page.keyboard.press("ArrowRight")
            deadline, after = time.time() + 15, before
            while after == before and time.time() < deadline:
                page.wait_for_timeout(300)
                after = canvas_png(canvas)
            (ARTIFACTS / f"{path.stem}-slider-after.png").write_bytes(after)
            assert after != before, f"{path.name}: moving the slider did not change the plot"
            assert "This demo hit an error" not in demo.inner_text()
        assert not errors, f"JavaScript errors in {path.name}: {errors}"
    finally:
        page.close()
        shutdown_kernels(base, token)


def shutdown_kernels(base: str, token: str) -> None:
    """Free the memory of the notebook's kernel before the next notebook runs."""
    headers = {"Authorization": f"token {token}"}
    with urllib.request.urlopen(urllib.request.Request(f"{base}/api/kernels", headers=headers)) as r:
        kernels = json.load(r)
    for kernel in kernels:
        req = urllib.request.Request(f"{base}/api/kernels/{kernel['id']}", method="DELETE", headers=headers)
        urllib.request.urlopen(req).close()
