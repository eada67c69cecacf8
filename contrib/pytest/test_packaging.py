"""The plugin installs as a package and works without -p.

Makes a virtual environment that sees the system's packages (pytest,
setuptools), runs exactly the offline install the README gives:

    pip install --no-index --no-build-isolation ./contrib/pytest

from a copy of contrib/pytest (pip builds in the source folder), then runs a
small suite from a folder outside the checkout: with OOMLENS_DIAGNOSTICS set
the plugin writes its records, without it the plugin is loaded and writes
nothing.
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys
import venv

import pytest

HERE = pathlib.Path(__file__).resolve().parent

SUITE = """
def test_keeps(cache=[]):
    cache.append(bytearray(8 << 20))

def test_frees():
    bytearray(8 << 20)
"""


def _run(cmd, **kw):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    assert proc.returncode == 0, "%s exited %d:\n%s" % (cmd, proc.returncode, proc.stdout)
    return proc.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    root = tmp_path_factory.mktemp("pkg")
    try:
        venv.EnvBuilder(system_site_packages=True, with_pip=True).create(root / "venv")
    except Exception as e:  # ensurepip missing: Debian's python3-venv
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("cannot make a venv with pip (apt-get install python3-venv): %s" % e)
    shutil.copytree(HERE, root / "contrib" / "pytest",
                    ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info", ".pytest_cache"))
    python = root / "venv" / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "--no-index", "--no-build-isolation", "./contrib/pytest"],
         cwd=root)
    return python


def _suite(tmp_path):
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "test_mem.py").write_text(SUITE)
    return suite


def _env(**extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("OOMLENS_") and k not in ("PYTHONPATH", "PYTEST_ADDOPTS", "PYTEST_PLUGINS")}
    env.update(extra)
    return env


def test_entry_point_writes_diagnostics(installed, tmp_path):
    suite = _suite(tmp_path)
    diag = tmp_path / "diag.jsonl"
    out = _run([str(installed), "-m", "pytest", "-q", "-p", "no:cacheprovider", "."],
               cwd=suite, env=_env(OOMLENS_DIAGNOSTICS=str(diag)))
    assert "2 passed" in out, out
    records = [json.loads(line) for line in diag.read_text().splitlines()]
    assert records[0]["event"] == "session_start"
    assert records[0]["schema"] == "oomlens/diagnostics/v1"
    ends = {r["nodeid"]: r for r in records if r["event"] == "test_end"}
    assert set(ends) == {"test_mem.py::test_keeps", "test_mem.py::test_frees"}
    # The module came from the venv, not from the checkout.
    where = _run([str(installed), "-c", "import oomlens_diagnostics; print(oomlens_diagnostics.__file__)"],
                 cwd=suite, env=_env())
    assert "site-packages" in where and str(HERE) not in where, where


def test_entry_point_idle_without_setting(installed, tmp_path):
    suite = _suite(tmp_path)
    out = _run([str(installed), "-m", "pytest", "-q", "-p", "no:cacheprovider", "."], cwd=suite, env=_env())
    assert "2 passed" in out, out
    assert sorted(p.name for p in suite.iterdir() if p.name != "__pycache__") == ["test_mem.py"]
    plugins = _run([str(installed), "-m", "pytest", "--trace-config", "-q", "-p", "no:cacheprovider", "--co", "."],
                   cwd=suite, env=_env())
    assert "oomlens_diagnostics" in plugins, plugins
