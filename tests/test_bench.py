"""The benchmark's probe measures a browser scenario's page loads, and the frontend's share of them.

The probe (logoutspec/bench/probe.py) is what the README's browser figures come from; this runs
it on one real browser scenario and checks that what it wrote holds together.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from logoutspec.runner import run_suite

ROOT = Path(__file__).resolve().parent.parent
# Opens the app, clicks "Log out" and lands on the home page: two app page loads
SCENARIO = "logging_out_without_being_logged_in_ends_on_the_home_page"  # its test name


@pytest.mark.browser
def test_the_probe_times_each_page_load_and_the_frontends_run_within_it(tmp_path: Path) -> None:
    raw = tmp_path / "probe.json"
    run = run_suite(
        "-p", "logoutspec.bench.probe", "--target", "browser", "-k", SCENARIO,
        reports=tmp_path, cwd=ROOT, env={"LOGOUTSPEC_BENCH_OUTPUT": str(raw)}, timeout=300,
    )  # fmt: skip
    assert run.completed, run.output[-3000:]
    measured = json.loads(raw.read_text())
    [(scenario, counter)] = measured["counters"].items()
    assert counter["page_loads"] == 2, scenario
    # The frontend runs its scripts within the wait for the page's first script run, which also
    # holds the websocket's opening and that run: a part, never nothing and never the whole.
    assert 0 < counter["frontend_seconds"] < counter["page_load_seconds"]
