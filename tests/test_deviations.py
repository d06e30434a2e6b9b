"""The deviation ledger: declared deviations are strict, version-scoped, and reported when stale."""

from __future__ import annotations

import json
from pathlib import Path

from logoutspec.runner import SuiteRun, run_suite

PASSING = "st.user keeps the user's information while st.logout is not called"
PASSING_STEP = 'the tab shows st.user logged in as "Alice Liddell"'  # a step of PASSING: fails_at is checked


def deviation(
    scenario: str, versions: str = "", selector: str = 'target = "reference"', fails_at: str = PASSING_STEP
) -> str:
    scope = f'versions = "{versions}"\n' if versions else ""
    return (
        f'\n[[deviations]]\n{selector}\nscenario = "{scenario}"\n{scope}'
        f"fails_at = '{fails_at}'\n"
        'category = "implementation bug"\nreason = "for the test"\n'
    )


def run_with(tmp_path: Path, deviations: str, *args: str) -> tuple[SuiteRun, list[dict]]:
    """Run the reference target (1.50.0); reference-1.53 and the mutant cookie-kept are declared
    but not run unless args say so."""
    tmp_path.mkdir(exist_ok=True)
    config = tmp_path / "conformance.toml"
    targets = (
        '[suite]\ndefault_targets = ["reference"]\n[targets.reference]\nadapter = "reference"\nversion = "1.50.0"\n'
    )
    targets += '[targets."reference-1.53"]\nadapter = "reference"\nversion = "1.53.0"\n'
    targets += '[targets.kept]\nadapter = "reference"\nversion = "1.50.0"\noptions = { mutation = "cookie-kept" }\n'
    config.write_text(targets + deviations)
    run = run_suite("--conformance-config", str(config), *args, reports=tmp_path / "reports", cwd=tmp_path, timeout=120)
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


DELETES = "The logout response deletes the identity cookie with the name and path it was set with"
DELETES_STEP = "the logout response deletes the identity cookie with the path it was set with"


def test_a_deviation_fails_where_it_says_or_the_failure_is_reported(tmp_path: Path) -> None:
    """The mutant that keeps the cookie fails at the step that checks the deletion: declared there,
    an expected failure; declared at another step, a failure naming both steps, so a deviation
    never hides a scenario that broke somewhere else (a Given that timed out, say)."""
    at_the_step = deviation(DELETES, selector='target = "kept"', fails_at=DELETES_STEP)
    run, _ = run_with(tmp_path / "right", at_the_step, "--target", "kept", "-k", "deletes_the_identity_cookie_with")
    assert run.returncode == 0, run.output
    assert [r["outcome"] for r in run.records] == ["xfailed"]
    elsewhere = deviation(DELETES, selector='target = "kept"', fails_at="the browser holds no identity cookie")
    run, _ = run_with(tmp_path / "wrong", elsewhere, "--target", "kept", "-k", "deletes_the_identity_cookie_with")
    assert run.returncode == 1, run.output
    assert [r["outcome"] for r in run.records] == ["failed"]
    assert f"failed at 'Then {DELETES_STEP}', not where its declared deviation fails" in run.output
