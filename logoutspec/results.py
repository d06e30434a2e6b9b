"""reports/results.json: one record per target x scenario, the machine-readable outcome of a run.

pytest reports a test in up to three phases; a scenario's outcome is decided by the first phase
that is not a plain pass (a skip in setup, a failure in call or teardown), else it passed.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest

from logoutspec.config import Deviation, TargetConfig


@dataclass(frozen=True)
class ScenarioInfo:
    target: str
    target_version: str
    feature: str
    rule: str | None
    scenario: str
    example: str = ""
    target_topology: str = ""  # what runs behind what (ShowsTopology), "" if the target does not say


@dataclass
class Result:
    info: ScenarioInfo
    outcome: str = "passed"
    reason: str = ""
    step: str = ""
    step_type: str = ""  # given, when or then: the kind of the failing step, whatever its keyword (And, But)

    def as_record(self) -> dict[str, str | None]:
        return {
            **asdict(self.info),
            "outcome": self.outcome,
            "reason": self.reason,
            "step": self.step,
            "step_type": self.step_type,
        }


class ResultLog:
    """Collects outcomes while pytest runs and writes them when the session ends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.results: dict[str, Result] = {}

    def record(self, info: ScenarioInfo, report: pytest.TestReport, failed_step: str = "", step_type: str = "") -> None:
        """Record a phase's report; failed_step is the Gherkin step that raised, if one did, and
        step_type its kind (given, when, then)."""
        result = self.results.setdefault(report.nodeid, Result(info))
        if result.outcome != "passed":
            return
        outcome, reason = classify(report)
        if outcome != "passed":
            result.outcome, result.reason, result.step, result.step_type = outcome, reason, failed_step, step_type

    def write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        records = [result.as_record() for result in self.results.values()]
        self.path.write_text(json.dumps(records, indent=2) + "\n")


def deviation_ledger(
    deviations: Iterable[Deviation],
    known: set[tuple[str | None, str]],
    records: list[dict[str, Any]],
    targets: Callable[[], Iterable[TargetConfig]],
    target: Callable[[str], TargetConfig | None],
) -> list[dict[str, Any]]:
    """Each declared deviation with what this run made of it; a stale one says why it is stale.

    known holds the (rule, scenario) names of every scenario in features/, run or not; target
    looks a record's target up by name, targets lists every target of the config (asked only for
    a deviation this run did not meet, since a matrix's targets may need the package index).
    """
    ledger = []
    for deviation in deviations:
        names = {rule for rule, _ in known} if deviation.rule else {scenario for _, scenario in known}
        exists = all(name in names for name in deviation.names)
        outcomes = Counter(r["outcome"] for r in records if _matches(deviation, r, target(r["target"])))
        if not exists:
            status = "stale: names no scenario or rule of features/"
        elif not outcomes and not any(deviation.may_select(t) for t in targets()):
            status = "stale: selects no target of the config"
        elif outcomes["xpassed"]:
            status = "stale: the scenario now passes"
        elif outcomes["xfailed"]:
            status = "holds"
        else:
            status = "not run"
        ledger.append({**asdict(deviation), "status": status, "outcomes": dict(outcomes)})
    return ledger


def _matches(deviation: Deviation, record: dict[str, Any], target: TargetConfig | None) -> bool:
    """Whether a record is one of the deviation's scenarios on one of its targets (a record of a
    target the config no longer has matches nothing)."""
    if target is None:
        return False
    return deviation.matches(target, record["target_version"], record["rule"], record["scenario"])


def example_label(example: dict[str, str] | None) -> str:
    """An outline's example row, named by its first two columns (the rest is the expectation)."""
    return " / ".join(list(example.values())[:2]) if example else ""


def classify(report: pytest.TestReport) -> tuple[str, str]:
    """(outcome, reason) of one report phase, in the vocabulary of results.json."""
    wasxfail = getattr(report, "wasxfail", None)
    if report.skipped and wasxfail is not None:
        return "xfailed", wasxfail
    if report.skipped:
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        return "skipped", reason.removeprefix("Skipped: ")
    if report.failed and "[XPASS(strict)]" in str(report.longrepr):
        return "xpassed", str(report.longrepr)
    if report.passed and wasxfail is not None:
        return "xpassed", wasxfail
    if report.failed:
        return "failed", failure_message(report)
    return "passed", ""


def failure_message(report: pytest.TestReport) -> str:
    """The last line of the failure: the assertion or error that made the scenario fail."""
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return crash.message
    return str(report.longrepr).strip().splitlines()[-1] if report.longrepr else ""
