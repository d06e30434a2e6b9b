"""The deviation ledger: declared deviations are strict, version-scoped, and reported when stale."""

from __future__ import annotations

import json
from pathlib import Path

from logoutspec.runner import SuiteRun, run_suite

PASSING = "st.user keeps the user's information while st.logout is not called"


def deviation(scenario: str, versions: str = "") -> str:
    scope = f'versions = "{versions}"\n' if versions else ""
    return (
        f'\n[[deviations]]\ntarget = "reference"\nscenario = "{scenario}"\n{scope}'
        'category = "implementation bug"\nreason = "for the test"\n'
    )


def run_with(tmp_path: Path, deviations: str) -> tuple[SuiteRun, list[dict]]:
    config = tmp_path / "conformance.toml"
    config.write_text('[targets.reference]\nadapter = "reference"\nversion = "1.50.0"\n' + deviations)
    run = run_suite("--conformance-config", str(config), reports=tmp_path / "reports", cwd=tmp_path, timeout=120)
    return run, json.loads((run.reports / "deviations.json").read_text())


def test_stale_deviations_are_reported(tmp_path: Path) -> None:
    run, ledger = run_with(tmp_path, deviation("A scenario nobody wrote") + deviation(PASSING))
    output = run.output
    assert run.returncode == 1, output  # the strict xfail of a passing scenario fails the run
    assert [entry["status"] for entry in ledger] == [
        "stale: names no scenario or rule of features/",
        "stale: the scenario now passes",
    ]
    assert "stale declared deviations" in output
    assert f"reference: {PASSING}: stale: the scenario now passes" in output
    assert [r["outcome"] for r in run.records if r["scenario"] == PASSING] == ["xpassed"]


def test_a_deviation_outside_its_versions_does_not_apply(tmp_path: Path) -> None:
    run, ledger = run_with(tmp_path, deviation(PASSING, versions=">=1.53"))
    assert run.returncode == 0, run.output
    assert ledger[0]["status"] == "not run"
