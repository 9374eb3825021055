"""Tests of the packaging: version, data files in the built package, README and CI in sync."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _quick_start_commands():
    """Returns the lines of the one bash block in the README's Quick start section."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Quick start\n(.*?)(?=^## )", readme, re.MULTILINE | re.DOTALL)
    assert section, "README.md has no '## Quick start' section"
    blocks = re.findall(r"^```bash\n(.*?)^```", section.group(1), re.MULTILINE | re.DOTALL)
    assert len(blocks) == 1, f"Quick start needs exactly one bash block, found {len(blocks)}"
    return blocks[0].splitlines()


def test_quick_start_has_two_commands():
    commands = _quick_start_commands()
    assert len(commands) == 2, commands
    assert all(c.strip() and not c.lstrip().startswith("#") for c in commands), commands
    assert "examples/digits_mlp.py" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command():
    # The README's test command after its venv activation, e.g.
    # "pip install -e '.[test]' && python -m pytest -q", must appear verbatim in .ci/run.
    test_command = _quick_start_commands()[1]
    activate = ". .venv/bin/activate && "
    assert activate in test_command, test_command
    tail = test_command.split(activate, 1)[1]
    ci_script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tail in ci_script, f".ci/run does not run {tail!r}"


def test_version_is_read_from_version_file():
    version_file = (ROOT / "gkeras" / "_version.py").read_text(encoding="utf-8")
    assert re.search(r'^__version__ = "\d+\.\d+\.\d+"$', version_file, re.MULTILINE)
    assert '"gkeras", "_version.py"' in (ROOT / "setup.py").read_text(encoding="utf-8")


def test_built_package_ships_the_digits_data(tmp_path, monkeypatch):
    # build_py lays out exactly the files a wheel (non-editable install) gets.
    pytest.importorskip("setuptools")
    from distutils.core import run_setup  # setuptools' copy once setuptools is imported

    monkeypatch.chdir(ROOT)
    dist = run_setup(str(ROOT / "setup.py"), stop_after="init")
    assert "gkeras.datasets" in dist.packages, f"setup.py finds only {dist.packages}"
    build_py = dist.get_command_obj("build_py")
    build_py.build_lib = str(tmp_path)
    dist.run_command("build_py")

    data = tmp_path / "gkeras" / "datasets" / "data"
    assert (data / "digits.csv.gz").read_bytes() == (
        ROOT / "gkeras" / "datasets" / "data" / "digits.csv.gz"
    ).read_bytes()
    assert "CC BY 4.0" in (data / "DIGITS_LICENSE.txt").read_text(encoding="utf-8")
