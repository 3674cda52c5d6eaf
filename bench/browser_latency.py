"""How live the demos feel in a real browser: from a key press on a slider to the changed plot on screen.

    python bench/browser_latency.py                  # every notebook, 9 presses per demo
    python bench/browser_latency.py 04 05 -n 5       # notebooks by name or prefix, 5 presses per demo

Starts JupyterLab (127.0.0.1, a token, a copy of the notebooks) and opens each notebook in headless
Chromium (Debian's, at ``/usr/bin/chromium`` or ``$S2S_CHROMIUM``), clears its outputs and runs all cells.
Then, for every live demo with a slider (an output holding both a slider and a matplotlib canvas), it
focuses the demo's first slider and presses ArrowRight / ArrowLeft in turn. A ``requestAnimationFrame``
loop in the page reads the canvas's pixels back every frame; the latency of one press is the time from
the ``keydown`` event to the first frame whose pixels differ from those before the press: what the
learner sees, with the kernel's callback, matplotlib's render, the PNG on the websocket and the
browser's decode all included. Before each press the canvas must be still for ``--settle-ms``.

A slider that does not change the canvas within ``--press-timeout`` seconds is reported and the demo's
next slider is tried. Prints a table per demo and per notebook (median and max), with the machine's
load average before and after, and writes it to ``bench/results/browser_latency.md`` and ``.json``.
Goal: a median of at most 150 ms for every demo on an idle 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import _jupyterlab as lab  # noqa: E402

RESULTS = ROOT / "bench" / "results"

# The demos of the page: outputs with a slider and an ipympl canvas, with the first line of their cell.
FIND_DEMOS = """() => {
  const outs = [...document.querySelectorAll('.jp-OutputArea-output')].filter(o =>
    o.querySelector('.widget-slider .noUi-handle') && o.querySelector('.jupyter-matplotlib-canvas-div > canvas'));
  window.__demos = outs;
  return outs.map(o => {
    const cell = o.closest('.jp-Cell');
    const cells = [...document.querySelectorAll('.jp-Notebook .jp-Cell')];
    const code = cell ? (cell.querySelector('.jp-InputArea .cm-content') || {}).innerText || '' : '';
    return {cell: cells.indexOf(cell), code: code.split('\\n').find(l => l.trim()) || '',
            sliders: [...o.querySelectorAll('.widget-slider')].map(s =>
              (s.querySelector('.widget-label') || {}).innerText || '?')};
  });
}"""

# Arm one measurement: wait until the canvas has been still for `settle` ms, then record the keydown time and
# the time of the first animation frame whose pixels differ. Resolves to the slider's position.
ARM = """async ([demo, slider, settle, timeout]) => {
  const out = window.__demos[demo];
  const canvas = out.querySelector('.jupyter-matplotlib-canvas-div > canvas');
  const handle = out.querySelectorAll('.widget-slider .noUi-handle')[slider];
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  const signature = () => {
    if (!canvas.width || !canvas.height) return 0;
    const px = new Uint32Array(ctx.getImageData(0, 0, canvas.width, canvas.height).data.buffer);
    let h = 2166136261;
    for (let i = 0; i < px.length; i++) h = Math.imul(h ^ px[i], 16777619);
    return h;
  };
  const frame = () => new Promise(r => requestAnimationFrame(r));
  let sig = signature(), still = performance.now(), start = performance.now();
  while (performance.now() - still < settle) {
    await frame();
    const s = signature();
    if (s !== sig) { sig = s; still = performance.now(); }
    if (performance.now() - start > timeout) break;
  }
  const lat = window.__lat = {t0: null, t1: null, width: canvas.width, height: canvas.height};
  document.addEventListener('keydown', e => { lat.t0 = performance.now(); }, {capture: true, once: true});
  (async () => {
    const t = performance.now();
    while (lat.t1 === null && performance.now() - t < timeout) {
      await frame();
      if (lat.t0 !== null && signature() !== sig) lat.t1 = performance.now();
    }
  })();
  return {now: +handle.getAttribute('aria-valuenow'), min: +handle.getAttribute('aria-valuemin'),
          max: +handle.getAttribute('aria-valuemax')};
}"""


# Note the time each picture arrives from the kernel (ipympl makes a blob URL of every PNG it receives): the
# latency splits into "until the PNG arrived" (the kernel's callback and render, the websocket) and the rest
# (the browser's decode and paint).
PNG_ARRIVALS = """(() => {
  const create = URL.createObjectURL;
  window.__pngs = [];
  URL.createObjectURL = function (blob) {
    if (blob && blob.type === 'image/png') window.__pngs.push(performance.now());
    return create.call(URL, blob);
  };
})()"""


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def measure_demo(page, index: int, n_sliders: int, presses: int, settle_ms: int, timeout_s: float) -> dict:
    """Press keys on the demo's first slider that changes its canvas; the latencies in ms."""
    out = page.evaluate_handle("i => window.__demos[i]", index).as_element()
    out.scroll_into_view_if_needed()
    problems = []
    for slider in range(n_sliders):
        handle = out.query_selector_all(".widget-slider .noUi-handle")[slider]
        times, to_png, key = [], [], None
        for _ in range(presses):
            pos = page.evaluate(ARM, [index, slider, settle_ms, timeout_s * 1000])
            if key is None:
                key = "ArrowLeft" if pos["now"] >= pos["max"] else "ArrowRight"
            handle.focus()
            page.keyboard.press(key)
            try:
                page.wait_for_function("() => window.__lat.t1 !== null", timeout=timeout_s * 1000, polling=50)
            except Exception:
                problems.append(f"slider {slider}: no change of the canvas within {timeout_s:.0f} s after {key}")
                break
            lat = page.evaluate("() => ({...window.__lat, png: window.__pngs.find(t => t > window.__lat.t0)})")
            times.append(lat["t1"] - lat["t0"])
            to_png.append(lat["png"] - lat["t0"] if lat.get("png") else float("nan"))
            key = "ArrowLeft" if key == "ArrowRight" else "ArrowRight"
        if times:
            return {
                "slider": slider,
                "ms": [round(t, 1) for t in times],
                "png_ms": [round(t, 1) for t in to_png],
                "problems": problems,
            }
    return {"slider": None, "ms": [], "png_ms": [], "problems": problems}


def run_notebook(context, base: str, token: str, path: Path, args) -> dict:
    page = context.new_page()
    page.add_init_script(PNG_ARRIVALS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    result = {"notebook": path.stem, "demos": [], "errors": errors}
    try:
        start = time.perf_counter()
        lab.open_notebook(page, base, token, path)
        lab.run_all_and_wait(page, lab.count_code_cells(path), timeout_s=args.run_timeout)
        result["run_all_s"] = round(time.perf_counter() - start, 1)
        page.wait_for_timeout(1500)  # let the widget views finish rendering
        for i, demo in enumerate(page.evaluate(FIND_DEMOS)):
            m = measure_demo(page, i, len(demo["sliders"]), args.presses, args.settle_ms, args.press_timeout)
            label = demo["sliders"][m["slider"]] if m["slider"] is not None else None
            result["demos"].append({**demo, **m, "slider_label": label})
            shown = "-"
            if m["ms"]:
                shown = f"median {statistics.median(m['ms']):4.0f} ms (PNG in at {_median(m['png_ms']):>4s})"
                shown += f", max {max(m['ms']):5.0f} ms"
            print(f"  cell {demo['cell']:3d} {demo['code'][:50]:50s} {shown}  {'; '.join(m['problems'])}", flush=True)
    except Exception as exc:  # report and go on with the next notebook
        result["failure"] = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        print(f"  FAILED: {result['failure']}", flush=True)
    finally:
        page.close()
        lab.shutdown_kernels(base, token)
    return result


def _median(values: list[float]) -> str:
    values = [v for v in values if v == v]  # without NaN (no picture seen)
    return f"{statistics.median(values):.0f}" if values else "-"


def markdown(results: list[dict], header: dict) -> str:
    lines = [
        "# Browser latency: key press on a slider -> changed canvas on screen",
        "",
        f"{header['date']}, {header['machine']}, {header['presses']} presses per demo; "
        f"{header['load_before']} before, {header['load_after']} after.",
        "",
        "PNG in: when the kernel's picture reached the browser (the rest is decoding and painting it).",
        "",
        "| notebook | cell | demo (first line of the cell) | slider | presses | median (ms) | max (ms) "
        "| PNG in, median (ms) |",
        "|---|---:|---|---|---:|---:|---:|---:|",
    ]
    for r in results:
        for d in r["demos"]:
            med = f"{statistics.median(d['ms']):.0f}" if d["ms"] else "-"
            top = f"{max(d['ms']):.0f}" if d["ms"] else "-"
            label = d["slider_label"] or "; ".join(d["problems"])
            code = d["code"].replace("|", "\\|")
            png = _median(d["png_ms"])
            row = [r["notebook"], str(d["cell"]), f"`{code[:60]}`", label, str(len(d["ms"])), med, top, png]
            lines.append("| " + " | ".join(row) + " |")
    lines += ["", "| notebook | Run All (s) | demos | median (ms) | max (ms) | worst demo median (ms) | problems |"]
    lines += ["|---|---:|---:|---:|---:|---:|---|"]
    for r in results:
        all_ms = [t for d in r["demos"] for t in d["ms"]]
        medians = [statistics.median(d["ms"]) for d in r["demos"] if d["ms"]]
        problems = [p for d in r["demos"] for p in d["problems"]] + ([r["failure"]] if "failure" in r else [])
        problems += [f"console: {e[:120]}" for e in r["errors"]]
        cells = [
            r["notebook"],
            f"{r.get('run_all_s', '-')}",
            f"{len(r['demos'])}",
            f"{statistics.median(all_ms):.0f}" if all_ms else "-",
            f"{max(all_ms):.0f}" if all_ms else "-",
            f"{max(medians):.0f}" if medians else "-",
            "; ".join(problems).replace("|", "\\|") or "",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="notebook names or prefixes (default: all)")
    parser.add_argument("-n", "--presses", type=int, default=9, help="key presses per demo (default 9)")
    parser.add_argument("--settle-ms", type=int, default=300, help="canvas still this long before a press")
    parser.add_argument("--press-timeout", type=float, default=10, help="seconds to wait for a changed canvas")
    parser.add_argument("--run-timeout", type=float, default=240, help="seconds for Run All of one notebook")
    parser.add_argument("--out", default=str(RESULTS / "browser_latency"), help="path of the .md/.json, no suffix")
    args = parser.parse_args()
    if not Path(lab.CHROMIUM).exists():
        sys.exit(f"no Chromium at {lab.CHROMIUM} (apt-get install chromium, or set S2S_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    paths = lab.notebooks()
    if args.names:
        paths = [p for p in paths if any(p.stem.startswith(n) for n in args.names)]
        if not paths:
            sys.exit(f"no notebook matches {args.names}")
    version = subprocess.run([lab.CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
    header = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{os.cpu_count()} CPUs, {platform.machine()}, {version or 'chromium'}",
        "presses": args.presses,
        "load_before": load(),
    }
    print(f"{header['machine']}; {header['load_before']}", flush=True)
    results = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        with lab.jupyterlab(Path(tmp) / "lab") as (base, token), lab.chromium(Path(tmp) / "profile", p) as context:
            for path in paths:
                print(path.stem, flush=True)
                results.append(run_notebook(context, base, token, path, args))
    header["load_after"] = load()
    text = markdown(results, header)
    print("\n" + text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".md").write_text(text)
    out.with_suffix(".json").write_text(json.dumps({**header, "notebooks": results}, indent=1))
    print(f"written: {out.with_suffix('.md')} and .json")
    if any("failure" in r for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
