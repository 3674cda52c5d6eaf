"""One pinned set everywhere: pyproject.toml, environment.yml (conda/Binder) and constraints.txt agree."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def pins(lines):
    out = {}
    for line in lines:
        m = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)==([^\s;#]+)\s*", line)
        if m:
            out[m.group(1).lower().replace("_", "-")] = m.group(2)
    return out


def pyproject_pins():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = project["dependencies"] + [d for extra in project["optional-dependencies"].values() for d in extra]
    found = pins(deps)
    assert len(found) == len(deps), "every dependency in pyproject.toml is pinned with =="
    return found


def test_environment_yml_installs_the_same_pins():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "python=3.11" in env["dependencies"]
    assert pins(pip_section) == pyproject_pins()


def test_constraints_pin_every_direct_dependency_identically():
    constraints = pins((ROOT / "constraints.txt").read_text().splitlines())
    for name, version in pyproject_pins().items():
        assert constraints.get(name) == version, name


def test_installed_versions_are_the_pinned_ones():
    from importlib import metadata

    for name, version in pyproject_pins().items():
        assert metadata.version(name).split("+")[0] == version, name
