"""The package's structure stays as the README's map says: the math does not depend on the trainer or on
plotting, notebooks call public names only, the code is linted and formatted, and a plain (non-editable)
install carries the shipped data."""

import ast
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import s2s_lab

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "s2s_lab"
MATH = [
    "cells",
    "bptt",
    "layers",
    "gate_variants",
    "gradient_flow",
    "sequence_classifier",
    "seq2seq",
    "attention",
    "transformer",
    "encoding",
    "memory_tasks",
    "embeddings",
    "digit_sums",
    "data",
    "tasks",
    "interface",
    "checkpoints",
    "_checks",
    "bpe",
    "subwords",
    "translation_data",
    "bleu",
    "decoding",
]
ON_TOP = {"training", "experiments", "exercises", "widgets", "reproducibility", "environment"}


def imported_modules(path: Path) -> set[str]:
    """The s2s_lab modules ``path`` imports (relative imports resolved to their first component)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("s2s_lab."):
            found.add(node.module.split(".")[1])
    return found


@pytest.mark.parametrize("name", MATH)
def test_math_modules_import_neither_the_trainer_nor_the_demos(name):
    assert not imported_modules(PKG / f"{name}.py") & ON_TOP


def test_importing_the_math_does_not_import_matplotlib_or_ipywidgets():
    code = (
        "import sys, s2s_lab, " + ", ".join(f"s2s_lab.{m}" for m in MATH) + ", s2s_lab.training, "
        "s2s_lab.experiments, s2s_lab.exercises; "
        "print(sorted(m for m in ('matplotlib', 'ipywidgets', 'IPython') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_exported_name_is_documented():
    for name in s2s_lab.__all__:
        obj = getattr(s2s_lab, name)
        if callable(obj):
            assert (obj.__doc__ or "").strip(), f"s2s_lab.{name} has no docstring"


def code_cells():
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for k, cell in enumerate(json.loads(path.read_text())["cells"]):
            if cell["cell_type"] == "code":
                yield f"{path.name} cell {k}", "".join(cell["source"])


# NamedTuple's _asdict/_fields are documented public API despite the underscore.
PRIVATE = re.compile(r"\._(?!asdict\b|fields\b)[A-Za-z]\w*|import\s+_\w+|import\s+\(?[^)\n]*,\s*_\w+")


def test_notebooks_call_no_private_names():
    offenders = [f"{where}: {m.group(0)}" for where, src in code_cells() for m in PRIVATE.finditer(src)]
    assert not offenders, "notebooks use private names: " + "; ".join(offenders)


def test_ruff_check_and_format_pass_on_code_and_notebooks():
    ruff = [sys.executable, "-m", "ruff"]
    check = subprocess.run([*ruff, "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout[-3000:]
    fmt = subprocess.run([*ruff, "format", "--check", "."], cwd=ROOT, capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stdout[-3000:]


def test_a_plain_install_carries_the_shipped_checkpoints(tmp_path):
    """Build the wheel as ``pip install .`` does, install it (not editable) into a folder of its own, and
    load a shipped model from there, from a directory outside the repository."""
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("s2s_lab-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    shipped = sorted(p.name for p in (ROOT / "data").iterdir() if p.suffix == ".pt")
    assert shipped and all(f"s2s_lab/shipped/{n}" in names for n in shipped)
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    code = (
        "import s2s_lab; from s2s_lab.experiments import load_trained; "
        "m, t = load_trained('reversal_attention'); print(s2s_lab.__file__); print(t.name)"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    where, task = out.stdout.split()
    assert Path(where).is_relative_to(target) and task == "reversal"


def test_at_least_90_percent_of_code_cells_are_compared_strictly():
    """Trained numbers are compared through ≈ and ✓, not skipped: a notebook ignores only timing cells."""
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
        skipped = [
            c
            for c in cells
            if "".join(c["source"]).lstrip().startswith(("# NBVAL_IGNORE_OUTPUT", "# NBVAL_SKIP"))
            or {"nbval-ignore-output", "nbval-skip"} & set(c.get("metadata", {}).get("tags", []))
        ]
        assert len(skipped) <= 0.1 * len(cells), f"{path.name}: {len(skipped)} of {len(cells)} code cells skipped"


def test_notebooks_sort_in_teaching_order_with_lettered_inserts():
    """A notebook inserted between two others takes a letter (``01b_``): sorting the names gives the teaching
    order (01 < 01b < 02), and ``bench/run_notebooks.py`` runs every notebook so named."""
    names = [p.name for p in sorted((ROOT / "notebooks").glob("*.ipynb"))]
    assert all(re.fullmatch(r"\d\d[a-z]?_\w+\.ipynb", n) for n in names), names
    assert names.index("01_rnn.ipynb") + 1 == names.index("01b_training_loop.ipynb")
    assert names.index("01b_training_loop.ipynb") + 1 == names.index("02_lstm.ipynb")
    pattern = re.search(r'glob\("([^"]+)"\)', (ROOT / "bench" / "run_notebooks.py").read_text()).group(1)
    assert [p.name for p in sorted((ROOT / "notebooks").glob(pattern))] == names
