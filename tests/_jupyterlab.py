"""A real JupyterLab in headless Chromium, shared by ``tests/test_browser.py`` and
``bench/browser_latency.py``: start the server (127.0.0.1, a token, a copy of the notebooks), open a
notebook in a fresh workspace, clear its outputs, Run All and wait until every cell has run.

Needs Debian's ``chromium`` (Playwright's own browser download is not used) and ``playwright``.
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
from contextlib import contextmanager
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("S2S_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
# JupyterLab settings for a clean, deterministic session: render every cell (no windowing, so that every
# output is in the page), no news or update pop-ups.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}


def notebooks(root: Path = ROOT) -> list[Path]:
    """The numbered notebooks, in reading order (``01_rnn`` < ``01b_...`` < ``02_lstm``)."""
    return sorted((root / "notebooks").glob("[0-9][0-9]*_*.ipynb"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def jupyterlab(work: Path, root: Path = ROOT, start_timeout_s: float = 90):
    """JupyterLab on 127.0.0.1 with a token, serving a copy of ``root``'s notebooks and data in ``work``
    (so that nothing the browser does, autosave included, touches the committed files).
    Yields ``(base_url, token)``; raises ``RuntimeError`` with the server's log if it does not start."""
    shutil.copytree(root / "notebooks", work / "notebooks")
    if (root / "data").exists():
        shutil.copytree(root / "data", work / "data")
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
    log_path = work / "jupyterlab.log"
    with open(log_path, "w") as log:
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
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.time() + start_timeout_s
            while True:
                try:
                    urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                    break
                except OSError:
                    if proc.poll() is not None or time.time() > deadline:
                        raise RuntimeError("JupyterLab did not start:\n" + log_path.read_text()[-3000:]) from None
                    time.sleep(0.5)
            yield base, token
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextmanager
def chromium(profile: Path, playwright):
    """A headless Chromium (Debian's, at ``CHROMIUM``) with a fresh profile in ``profile``."""
    context = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        headless=True,
        args=FLAGS,
        viewport={"width": 1400, "height": 1000},
    )
    try:
        yield context
    finally:
        context.close()


def count_code_cells(path: Path) -> int:
    return sum(cell.cell_type == "code" for cell in nbformat.read(path, as_version=4).cells)


def _menu(page, menu: str, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{item}$")).click()


def open_notebook(page, base: str, token: str, path: Path) -> None:
    """Open ``notebooks/<path.name>`` in a workspace of its own (reset: only this notebook is open, and
    active), wait for an idle kernel, and clear the stored outputs (they must not count as this run's)."""
    page.goto(
        f"{base}/lab/workspaces/{path.stem}/tree/notebooks/{path.name}?reset&token={token}",
        wait_until="domcontentloaded",
    )
    page.locator(".jp-NotebookPanel .jp-Notebook").first.wait_for(timeout=60_000)
    page.get_by_text(re.compile(r"Python 3 \(ipykernel\) \| Idle")).first.wait_for(timeout=90_000)
    _menu(page, "Edit", "Clear Outputs of All Cells")


def run_all_and_wait(page, n_code: int, timeout_s: float = 240) -> None:
    """Run All, then wait until every code cell shows an execution count and none is queued or running;
    ``AssertionError`` (with the prompts) after ``timeout_s``."""
    for _ in range(3):  # a click that lands while the kernel is still connecting can be lost: retry
        _menu(page, "Run", "Run All Cells")
        try:
            page.wait_for_function(
                "() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]"
                ".some(p => /\\[(\\*|\\d+)\\]/.test(p.textContent))",
                timeout=15_000,
            )
            break
        except Exception:
            continue
    deadline = time.time() + timeout_s
    prompts: list[str] = []
    while time.time() < deadline:
        prompts = page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
        done = [p for p in prompts if re.fullmatch(r"\[\d+\]:", p.strip())]
        if len(done) == n_code and not any("*" in p for p in prompts):
            return
        time.sleep(1)
    raise AssertionError(f"not all {n_code} code cells ran within {timeout_s:.0f} s: {prompts}")


def shutdown_kernels(base: str, token: str) -> None:
    """Free the memory of the notebook's kernel before the next notebook runs."""
    headers = {"Authorization": f"token {token}"}
    with urllib.request.urlopen(urllib.request.Request(f"{base}/api/kernels", headers=headers)) as r:
        kernels = json.load(r)
    for kernel in kernels:
        req = urllib.request.Request(f"{base}/api/kernels/{kernel['id']}", method="DELETE", headers=headers)
        urllib.request.urlopen(req).close()
