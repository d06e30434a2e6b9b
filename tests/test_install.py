"""The installed tool, as a third party gets it: `pip install <checkout>` (not editable) into a fresh
virtualenv outside the checkout, then `logoutspec run --target reference` in an empty directory.

It needs the package index, or pip's cache of it (pip keeps one in ~/.cache/pip, so after the
first run only logoutspec itself is built): `-m "not network"` leaves it out offline.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PIP_TIMEOUT = 900  # seconds; a cold pip cache downloads playwright and cryptography
RUN_TIMEOUT = 300
LOCAL_ONLY = (
    ".git",
    ".venv",
    ".cache",
    "reports",
    "build",
    "*.egg-info",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
)

pytestmark = pytest.mark.network

DISTRIBUTION = """
import importlib.metadata, json, logoutspec
dist = importlib.metadata.distribution("logoutspec")
print(json.dumps({"top_level": dist.read_text("top_level.txt"), "files": [str(f) for f in dist.files],
                  "package": logoutspec.__file__}))
"""


def clean_environment() -> dict[str, str]:
    """This process's environment without what points Python at the checkout or its virtualenv."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv, outside the checkout, with the checkout pip-installed into it (not editable)."""
    place = tmp_path_factory.mktemp("installed")
    source = place / "checkout"  # pip builds in the source tree (build/, *.egg-info): not in the real one
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*LOCAL_ONLY))
    venv = place / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(source)]
    done = subprocess.run(pip, capture_output=True, text=True, timeout=PIP_TIMEOUT, env=clean_environment())
    assert done.returncode == 0, done.stdout + done.stderr
    return venv


def test_the_distribution_installs_one_top_level_name(venv: Path) -> None:
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c", DISTRIBUTION],
        cwd=venv.parent,
        capture_output=True,
        text=True,
        check=True,
        env=clean_environment(),
    )
    found = json.loads(done.stdout)
    assert found["top_level"].split() == ["logoutspec"]
    in_site_packages = {f.split("/")[0] for f in found["files"] if not f.startswith("..")}  # ../../bin: scripts
    assert {name for name in in_site_packages if not name.endswith(".dist-info")} == {"logoutspec"}
    assert Path(found["package"]).is_relative_to(venv), found["package"]  # the copy, not the checkout


def test_logoutspec_run_in_an_empty_directory_passes_and_writes_reports(venv: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [str(venv / "bin" / "logoutspec"), "run", "--target", "reference"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        env=clean_environment(),
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert f"the packaged default ({tmp_path} has no conformance.toml)" in output, output
    assert f"rootdir: {tmp_path}" in output, output
    reports = tmp_path / "reports"
    written = {path.name for path in reports.iterdir()}
    assert written >= {"results.json", "conformance.md", "conformance.html", "deviations.json", "cucumber.json"}
    assert "junit.xml" in written
    records = json.loads((reports / "results.json").read_text())
    assert {r["target"] for r in records} == {"reference"}
    assert {r["outcome"] for r in records} <= {"passed", "skipped"}
    assert set(os.listdir(tmp_path)) <= {"reports", ".pytest_cache"}  # nothing else lands in the user's directory
