"""The folded solutions of a notebook's exercises, for the tests that check the checkers accept them."""

import json
import re
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
FENCE = re.compile(r"```python\n(.*?)```", re.S)


def cells(name: str) -> list[dict]:
    return json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))["cells"]


def solutions(name: str) -> list[str]:
    """The code of every ```python block inside a ``<details><summary>Solution`` markdown cell, in order."""
    out = []
    for cell in cells(name):
        text = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and "<details><summary>Solution" in text:
            out += FENCE.findall(text)
    return out


def solution_namespace(name: str) -> dict:
    """Run every folded solution of the notebook, in order, in one namespace (with torch), and return it."""
    import torch

    namespace = {"torch": torch}
    for code in solutions(name):
        exec(compile(code, f"<solution in {name}>", "exec"), namespace)
    return namespace


def code_cells_calling(name: str, function: str) -> list[str]:
    """The source of every code cell of the notebook that calls ``function(``."""
    sources = ["".join(c["source"]) for c in cells(name) if c["cell_type"] == "code"]
    return [s for s in sources if re.search(rf"\b{function}\(", s)]
