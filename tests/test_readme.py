"""The README's two commands are the ones CI and the notebooks rely on."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands():
    return re.findall(r"```bash\n(.+?)\n```", (ROOT / "README.md").read_text())


def test_ci_runs_the_readme_test_command():
    test_command = next(c for c in readme_commands() if "pytest" in c)
    assert test_command in (ROOT / ".ci/run").read_text().splitlines()


def test_open_command_binds_localhost_and_starts_at_the_first_notebook():
    open_command = next(c for c in readme_commands() if "jupyter lab" in c and "venv" in c)
    assert "--ServerApp.ip=127.0.0.1" in open_command
    assert "-c constraints.txt" in open_command
    assert (ROOT / open_command.split()[-1]).exists()


def test_every_notebook_is_listed_in_the_readme():
    text = (ROOT / "README.md").read_text()
    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb")):
        assert f"(notebooks/{nb.name})" in text, nb.name
