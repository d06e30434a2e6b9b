"""The flakiness gate: its comparison of runs, and one real gate run that finds a scenario made
flaky on purpose (it fails only when a scenario that leaves state behind ran before it)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from logoutspec import flaky

ROOT = Path(__file__).resolve().parent.parent

ORDER_FEATURE = """\
Feature: Order
  Scenario: Leaves a mark
    Given a mark is left

  Scenario: Finds no mark
    Then no mark was left

  Scenario: Always passes
    Then nothing is wrong
"""

ORDER_STEPS = '''\
import pytest
from pytest_bdd import given, scenarios, then

scenarios("order.feature")
MARKS = []


@pytest.fixture(autouse=True)
def on_target(target):
    """Every scenario runs on a target, as the conformance suite's do (the plugin needs one)."""
    return target


@given("a mark is left")
def leave_mark():
    MARKS.append(1)


@then("no mark was left")
def no_mark():
    assert not MARKS, "a mark was left"


@then("nothing is wrong")
def nothing_wrong():
    pass
'''


def record(scenario: str, outcome: str, target: str = "reference") -> dict[str, Any]:
    return {"target": target, "feature": "F", "rule": None, "scenario": scenario, "example": "", "outcome": outcome}


def run(seed: int, *records: dict[str, Any], target: str = "reference") -> flaky.Run:
    return flaky.Run(target=target, seed=seed, records=list(records), seconds=1.0)


def test_a_scenario_with_one_outcome_in_every_run_does_not_differ() -> None:
    runs = [run(seed, record("A", "passed"), record("B", "failed")) for seed in (1, 2, 3)]
    assert flaky.differences(runs) == []


def test_a_scenario_that_fails_in_one_run_differs_with_the_seeds_of_each_outcome() -> None:
    runs = [run(1, record("A", "passed")), run(2, record("A", "failed")), run(3, record("A", "passed"))]
    (difference,) = flaky.differences(runs)
    assert difference.key == ("reference", "F", "", "A", "")
    assert difference.seeds == {"passed": [1, 3], "failed": [2]}


def test_a_scenario_missing_from_a_run_differs_as_absent() -> None:
    (difference,) = flaky.differences(
        [run(1, record("A", "passed"), record("B", "passed")), run(2, record("A", "passed"))]
    )
    assert difference.seeds == {"passed": [1], flaky.ABSENT: [2]}


def test_targets_are_compared_apart_and_runs_without_results_are_left_out() -> None:
    runs = [
        run(1, record("A", "passed")),
        run(2, record("A", "passed")),
        run(1, record("A", "failed", target="streamlit"), target="streamlit"),
        run(2, record("A", "failed", target="streamlit"), target="streamlit"),
        flaky.Run(target="streamlit", seed=3, records=None, seconds=1.0),
    ]
    assert flaky.differences(runs) == []


def test_bad_input_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert flaky.main(["--config", str(ROOT / "conformance.toml"), "--target", "nowhere"]) == 2
    assert "nowhere" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        flaky.main(["--runs", "1"])
    assert exited.value.code == 2


def test_the_gate_finds_a_scenario_whose_outcome_depends_on_the_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Seeds 3 and 4 are two orders of the three scenarios, one with "Leaves a mark" before
    "Finds no mark" (pytest-randomly's shuffle is a function of the seed; its version is pinned).
    Resumed, the gate reads the finished run and repeats the one it did not see finish."""
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "order.feature").write_text(ORDER_FEATURE)
    (suite / "test_order.py").write_text(textwrap.dedent(ORDER_STEPS))
    argv = ["--runs", "2", "--seed", "3", "--target", "reference", "--suite", str(suite)]
    argv += ["--config", str(ROOT / "conformance.toml"), "--reports-dir", str(tmp_path / "reports")]
    assert flaky.main(argv) == 1
    out = capsys.readouterr().out
    assert "DIFFERS on reference: Order / Finds no mark" in out
    assert "failed with seeds 4: AssertionError: a mark was left" in out
    assert "passed with seeds 3" in out
    assert "--randomly-seed=4" in out
    assert "Always passes" not in out and "Leaves a mark" not in out
    assert "1 scenario(s) with differing outcomes" in out
    (tmp_path / "reports" / "reference" / "seed-4" / flaky.FINISHED).unlink()  # as if stopped during seed 4
    assert flaky.main([*argv, "--resume"]) == 1
    out = capsys.readouterr().out
    lines = {line.partition(":")[0]: line for line in out.splitlines() if line.startswith("reference seed")}
    assert "read from an earlier gate" in lines["reference seed 3"]
    assert lines["reference seed 4"].startswith("reference seed 4: 1 failed, 2 passed")
    assert "earlier gate" not in lines["reference seed 4"]
