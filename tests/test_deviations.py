"""The deviation ledger: declared deviations are strict, version-scoped, and reported when stale."""

from __future__ import annotations

import json
from pathlib import Path

from logoutspec.runner import SuiteRun, run_suite

PASSING = "st.user keeps the user's information while st.logout is not called"


def deviation(scenario: str, versions: str = "", selector: str = 'target = "reference"') -> str:
    scope = f'versions = "{versions}"\n' if versions else ""
    return (
        f'\n[[deviations]]\n{selector}\nscenario = "{scenario}"\n{scope}'
        'category = "implementation bug"\nreason = "for the test"\n'
    )


def run_with(tmp_path: Path, deviations: str) -> tuple[SuiteRun, list[dict]]:
    """Run the reference target (1.50.0); reference-1.53 is declared but not run."""
    config = tmp_path / "conformance.toml"
    targets = (
        '[suite]\ndefault_targets = ["reference"]\n[targets.reference]\nadapter = "reference"\nversion = "1.50.0"\n'
    )
    targets += '[targets."reference-1.53"]\nadapter = "reference"\nversion = "1.53.0"\n'
    config.write_text(targets + deviations)
    run = run_suite("--conformance-config", str(config), reports=tmp_path / "reports", cwd=tmp_path, timeout=120)
    return run, json.loads((run.reports / "deviations.json").read_text())


def test_stale_deviations_are_reported(tmp_path: Path) -> None:
    by_adapters = 'adapter = ["reference", "browser"]'
    declared = deviation("A scenario nobody wrote") + deviation(PASSING, versions="<1.51", selector=by_adapters)
    run, ledger = run_with(tmp_path, declared)
    output = run.output
    assert run.returncode == 1, output  # the strict xfail of a passing scenario fails the run
    assert [entry["status"] for entry in ledger] == [
        "stale: names no scenario or rule of features/",
        "stale: the scenario now passes",
    ]
    assert "stale declared deviations" in output
    assert f"reference/browser <1.51: {PASSING}: stale: the scenario now passes" in output
    assert [r["outcome"] for r in run.records if r["scenario"] == PASSING] == ["xpassed"]


def test_a_deviation_outside_its_versions_does_not_apply(tmp_path: Path) -> None:
    """Selected by adapter and versions: it applies to reference-1.53 (not run), not to reference;
    one whose versions no declared target has is stale."""
    by_adapter = 'adapter = "reference"'
    declared = deviation(PASSING, versions=">=1.53", selector=by_adapter) + deviation(PASSING, versions=">=1.60")
    run, ledger = run_with(tmp_path, declared)
    assert run.returncode == 0, run.output
    assert [entry["status"] for entry in ledger] == ["not run", "stale: selects no target of the config"]
    assert f"reference: {PASSING}: stale: selects no target of the config" in run.output
