"""The browser target and the wire target agree on every scenario.

Both run the same real Streamlit version: one is headless Chromium clicking the real buttons,
the other the wire client that imitates a browser over Streamlit's protocol. A scenario whose
outcome differs between them means one of the two is wrong, so every difference is named.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from logoutspec.runner import run_suite

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ("streamlit", "browser")
RUN_TIMEOUT = 1200  # seconds; the two targets take about 3 minutes together on 2 cores


def run_on_both_targets(reports: Path) -> list[dict[str, str]]:
    """The conformance suite on both targets in one run; its results.json records, written to a
    folder of this test's own so that a concurrent run's reports are left alone."""
    run = run_suite(
        *(arg for target in TARGETS for arg in ("--target", target)), reports=reports, cwd=ROOT, timeout=RUN_TIMEOUT
    )
    assert run.completed, f"the run did not complete:\n{run.output[-3000:]}"
    return run.records


def outcomes_by_scenario(records: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    """scenario (with its example row) -> target -> 'outcome: reason'."""
    outcomes: dict[str, dict[str, str]] = defaultdict(dict)
    for record in records:
        name = f"{record['feature']} / {record['scenario']}" + (f" [{record['example']}]" if record["example"] else "")
        reason = f": {record['reason']}" if record["reason"] else ""
        outcomes[name][record["target"]] = record["outcome"] + reason
    return outcomes


def disagreements(records: list[dict[str, str]]) -> list[str]:
    """Every scenario whose outcome (passed, failed, ...) is not the same on all TARGETS, with
    what each target said; reasons differ harmlessly (a skip names its target), outcomes must not."""
    return [
        f"{name}\n" + "".join(f"    {target}: {shown.get(target, 'not run')}\n" for target in TARGETS)
        for name, shown in outcomes_by_scenario(records).items()
        if len({shown.get(target, "not run").split(":")[0] for target in TARGETS}) > 1
    ]


@pytest.mark.streamlit
@pytest.mark.browser
def test_the_browser_and_the_wire_client_agree_on_every_scenario(tmp_path: Path) -> None:
    records = run_on_both_targets(tmp_path)
    assert {r["target"] for r in records} == set(TARGETS)
    assert len({r["target_version"] for r in records}) == 1, "the two targets must run the same Streamlit version"
    differing = disagreements(records)
    assert not differing, f"{len(differing)} scenario(s) differ between the targets:\n" + "".join(differing)


def test_a_scenario_with_different_outcomes_is_named_with_both_outcomes() -> None:
    def record(target: str, scenario: str, outcome: str, reason: str = "") -> dict[str, str]:
        row = {"feature": "st.logout", "scenario": scenario, "example": "", "target": target}
        return {**row, "target_version": "1.50.0", "outcome": outcome, "reason": reason}

    records = [
        record("streamlit", "same", "skipped", "not applicable: target streamlit is 1.50.0"),
        record("browser", "same", "skipped", "not applicable: target browser is 1.50.0"),
        record("streamlit", "differs", "passed"),
        record("browser", "differs", "failed", "AssertionError: no button"),
    ]
    assert disagreements(records) == [
        "st.logout / differs\n    streamlit: passed\n    browser: failed: AssertionError: no button\n"
    ]
