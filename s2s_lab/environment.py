"""Check that this Python has what the notebooks need, in the versions the collection was tested with."""

from __future__ import annotations

import platform
from importlib import metadata

from packaging.requirements import Requirement

# The packages a learner's environment check lists, in this order.
SHOWN = ["torch", "numpy", "matplotlib", "ipywidgets", "ipympl", "jupyterlab", "tqdm"]


def pinned_versions() -> dict[str, str]:
    """``{package: version}`` as pinned in this package's own metadata (pyproject.toml)."""
    pins = {}
    for text in metadata.requires("s2s-lab") or []:
        req = Requirement(text)
        if req.marker is None:  # the runtime dependencies, not the [test] extra
            spec = next(iter(req.specifier), None)
            if spec is not None and spec.operator == "==":
                pins[req.name.lower()] = spec.version
    return pins


def report() -> bool:
    """Print Python's and each package's version next to the tested one; return whether all match."""
    pins = pinned_versions()
    ok = platform.python_version_tuple()[:2] == ("3", "11")
    print(f"{'✓' if ok else '!'} Python {'.'.join(platform.python_version_tuple()[:2])} (tested: 3.11)")
    for name in SHOWN:
        try:
            found = metadata.version(name).split("+")[0]
        except metadata.PackageNotFoundError:
            found = None
        want = pins.get(name)
        good = found is not None and (want is None or found == want)
        ok &= good
        print(f"{'✓' if good else '!'} {name} {found or 'NOT INSTALLED'}" + ("" if good else f" (tested: {want})"))
    import torch

    print(f"  GPU: {'yes' if torch.cuda.is_available() else 'no (a CPU is all the collection needs)'}")
    print("All set." if ok else "Some versions differ from the tested ones; see the README to install the pinned set.")
    return ok
