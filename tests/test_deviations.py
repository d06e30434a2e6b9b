"""The deviation ledger: declared deviations are strict, version-scoped, and reported when stale."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSING = "st.user keeps the user's information while st.logout is not called"


def deviation(scenario: str, versions: str = "") -> str:
    scope = f'versions = "{versions}"\n' if versions else ""
    return (
        f'\n[[deviations]]\ntarget = "reference"\nscenario = "{scenario}"\n{scope}'
        'category = "implementation bug"\nreason = "for the test"\n'
    )


def run_with(tmp_path: Path, deviations: str) -> tuple[subprocess.CompletedProcess[str], list[dict]]:
    config = tmp_path / "conformance.toml"
    config.write_text('[targets.reference]\nadapter = "reference"\n' + deviations)
    reports = tmp_path / "reports"
    command = [sys.executable, "-m", "pytest", "steps", "-q", "-p", "no:cacheprovider", "--conformance-config"]
    options = ["--reports-dir", str(reports), f"--cucumberjson={reports}/c.json", f"--junitxml={reports}/j.xml"]
    result = subprocess.run([*command, str(config), *options], cwd=ROOT, capture_output=True, text=True, timeout=120)
    return result, json.loads((reports / "deviations.json").read_text())


def test_stale_deviations_are_reported(tmp_path: Path) -> None:
    result, ledger = run_with(tmp_path, deviation("A scenario nobody wrote") + deviation(PASSING))
    output = result.stdout + result.stderr
    assert result.returncode == 1, output  # the strict xfail of a passing scenario fails the run
    assert [entry["status"] for entry in ledger] == [
        "stale: names no scenario or rule of features/",
        "stale: the scenario now passes",
    ]
    assert "stale declared deviations" in output
    assert f"reference: {PASSING}: stale: the scenario now passes" in output
    records = json.loads((tmp_path / "reports" / "results.json").read_text())
    assert [r["outcome"] for r in records if r["scenario"] == PASSING] == ["xpassed"]


def test_a_deviation_outside_its_versions_does_not_apply(tmp_path: Path) -> None:
    result, ledger = run_with(tmp_path, deviation(PASSING, versions=">=1.53"))
    assert result.returncode == 0, result.stdout
    assert ledger[0]["status"] == "not run"
