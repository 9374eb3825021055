"""Tests of the packaging: version, data and kernel files in the installed package, README
and CI in sync."""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _quick_start_commands():
    """Returns the lines of the one bash block in the README's Quick start section."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Quick start[^\n]*\n(.*?)(?=^## )", readme, re.MULTILINE | re.DOTALL)
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


_INSTALLED_CHECK = """
import json, sys
import gkeras
from gkeras.backend import cuda
print(json.dumps({
    "gkeras": gkeras.__file__,
    "kernels_dir": str(cuda.kernels_dir()),
    "sources": {name: cuda.read_source(name) for name in cuda.KERNEL_FILES},
    "files": sorted(p.name for p in cuda.kernels_dir().iterdir()),
}))
"""


def _offline_build_possible():
    """setuptools can build a wheel without fetching anything (it needs `wheel` < 70.1)."""
    try:
        import setuptools
    except ImportError:
        return False
    version = tuple(int(p) for p in re.findall(r"\d+", setuptools.__version__)[:2])
    return version >= (70, 1) or importlib.util.find_spec("wheel") is not None


def test_installed_package_ships_the_kernel_sources(tmp_path):
    # A non-editable install into a fresh virtualenv, imported from another directory:
    # gkeras.backend.cuda must find every kernel source inside site-packages.
    src = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.so", "*.egg-info", "build")
    src.mkdir()
    for name in ("setup.py", "README.md", "LICENSE", "NOTICE"):
        shutil.copy2(ROOT / name, src / name)
    for name in ("gkeras", "kernels"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages",
                    str(venv)], check=True)
    python = venv / "bin" / "python"
    site_packages = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True).stdout.strip()
    # This environment's packages (numpy, pip, setuptools) stay importable, behind the
    # venv's own site-packages; its .pth files (e.g. an editable gkeras) are not run.
    outer = {sysconfig.get_paths()[k] for k in ("purelib", "platlib")}
    Path(site_packages, "outer_env.pth").write_text("\n".join(sorted(outer)) + "\n")

    install = [str(python), "-m", "pip", "install", "--no-deps", "--quiet",
               "--disable-pip-version-check", str(src)]
    if _offline_build_possible():
        install[4:4] = ["--no-build-isolation", "--no-index"]
    result = subprocess.run(install, capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GKERAS_KERNELS_DIR")}
    result = subprocess.run([str(python), "-c", _INSTALLED_CHECK], capture_output=True,
                            text=True, cwd=elsewhere, env=env)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert Path(found["gkeras"]).is_relative_to(venv), found["gkeras"]
    assert Path(found["kernels_dir"]) == Path(found["gkeras"]).parent / "_kernels"
    from gkeras.backend import cuda
    for name in cuda.KERNEL_FILES:
        assert found["sources"][name] == cuda.read_source(name, ROOT / "kernels"), name
    assert {"common.cuh", "cpu_emu.h", "README.md"} <= set(found["files"])
