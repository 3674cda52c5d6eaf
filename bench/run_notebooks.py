"""Execute the notebooks top to bottom, as a learner would, and report each one's wall time and the
kernel's peak memory.

    python bench/run_notebooks.py                 # all notebooks, report only
    python bench/run_notebooks.py --save 01_rnn   # re-execute and store the outputs in the notebook

``--save`` is how the committed notebooks get their outputs: run it after editing a notebook, so that
nbval (strict) compares against a clean top-to-bottom run. Numbers vary with the machine; the goals are
<= 90 s per notebook and <= 1 GB peak memory on a 2-core laptop CPU.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
PEAK_RSS = "import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"  # KiB on Linux


def run(path: Path, save: bool, timeout: int = 600) -> tuple[float, float]:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.reset_execution_trackers()
    start = time.perf_counter()
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
        seconds = time.perf_counter() - start
        probe = nbformat.v4.new_code_cell(PEAK_RSS)
        nb.cells.append(probe)
        client.execute_cell(probe, len(nb.cells) - 1)
        nb.cells.pop()
        peak_mb = int(probe.outputs[0]["text"].strip()) / 1024
    if save:
        for cell in nb.cells:
            cell.metadata.pop("execution", None)
        nb.metadata.pop("widgets", None)  # live widget state is not stored; snapshots are
        nbformat.write(nb, path)
    return seconds, peak_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="notebook names or prefixes (default: all)")
    parser.add_argument("--save", action="store_true", help="store the fresh outputs in the notebooks")
    args = parser.parse_args()
    paths = sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb"))
    if args.names:
        paths = [p for p in paths if any(p.stem.startswith(n) for n in args.names)]
    total = 0.0
    print(f"{'notebook':28s} {'time (s)':>9s} {'peak memory (MB)':>17s}")
    for path in paths:
        seconds, peak_mb = run(path, args.save)
        total += seconds
        print(f"{path.stem:28s} {seconds:9.1f} {peak_mb:17.0f}", flush=True)
    print(f"{'total':28s} {total:9.1f}")


if __name__ == "__main__":
    main()
