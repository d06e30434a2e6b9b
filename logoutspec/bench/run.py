"""The benchmark: runs the conformance suite once per target and reports where the time goes.

    logoutspec bench [--target NAME ...] [--startup]

Per target: server start to healthy, median and max time per scenario, whole-suite time, the
server's peak RSS, HTTP requests and websocket messages per scenario, and the harness's own
share of scenario time (time not spent waiting on requests and frames). For a browser target
also its page loads per scenario, the time per page load and how much of it the page spent
running the frontend's scripts (its own start-up, which the harness cannot skip), and its median
over the median of the wire target of the same Streamlit version measured in the same invocation
(browser-to-wire ratio; run both, e.g. --target streamlit --target browser). Prints a table and writes
reports/bench.json. It measures; it asserts nothing (goals are printed beside the values).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

from logoutspec.bench import startup
from logoutspec.runner import run_suite

REPORTS = Path("reports")
GOALS = {"start_s": 1.5, "median_s": {"streamlit": 0.4, "browser": 1.5}, "overhead": 0.20, "browser_to_wire": 4.0}


def run_target(target: str) -> dict[str, Any]:
    """One conformance run of target with the probe plugin; returns the probe's raw numbers."""
    reports = REPORTS / "bench" / target
    raw = reports / "probe.json"
    print(f"bench: {target} ...", file=sys.stderr, flush=True)
    run = run_suite(
        "-p", "logoutspec.bench.probe", "--target", target, reports=reports, env={"LOGOUTSPEC_BENCH_OUTPUT": str(raw)}
    )
    if not raw.exists():
        sys.exit(f"bench: the run of target {target} wrote no measurements:\n{run.output[-2000:]}")
    print(f"bench: {target}: {run.seconds:.1f} s", file=sys.stderr, flush=True)
    return json.loads(raw.read_text())


def summarize(target: str, raw: dict[str, Any]) -> dict[str, Any]:
    times = list(raw["scenarios"].values())
    counters = list(raw["counters"].values())
    starts = sum(c["server_start_seconds"] for c in counters)
    io_total = sum(c["io_seconds"] for c in counters)
    harness_total = sum(times) - starts - io_total
    over_the_wire = any(c["ws_messages"] for c in counters)
    return {
        "target": target,
        "scenarios": len(times),
        "suite_s": raw["suite_seconds"],
        "start_s": max(raw["server_starts"], default=None),
        "servers": len(raw["server_starts"]),
        "median_s": statistics.median(times) if times else None,
        "max_s": max(times, default=None),
        "peak_rss_mb": max(raw["server_peak_rss_kb"], default=0) / 1024 or None,
        "requests_per_scenario": statistics.mean(c["requests"] for c in counters) if counters else None,
        "ws_messages_per_scenario": statistics.mean(c["ws_messages"] for c in counters) if counters else None,
        "harness_overhead": harness_total / io_total if over_the_wire and io_total else None,
        "streamlit_versions": raw["streamlit_versions"],
        **page_loads(counters),
    }


def page_loads(counters: list[dict[str, Any]]) -> dict[str, Any]:
    """A browser target's page loads per scenario and seconds per page load (None elsewhere)."""
    loads = sum(c["page_loads"] for c in counters)
    if not loads:
        return {"page_loads_per_scenario": None, "s_per_page_load": None, "frontend_s_per_page_load": None}
    return {
        "page_loads_per_scenario": loads / len(counters),
        "s_per_page_load": sum(c["page_load_seconds"] for c in counters) / loads,
        "frontend_s_per_page_load": sum(c["frontend_seconds"] for c in counters) / loads,
    }


def add_browser_to_wire(rows: list[dict[str, Any]]) -> None:
    """Each browser row's median over that of the wire row (websocket messages, no page loads) of
    the same Streamlit version, both measured in this invocation; None without such a row."""
    wire = {
        tuple(row["streamlit_versions"]): row["median_s"]
        for row in rows
        if row["ws_messages_per_scenario"] and not row["page_loads_per_scenario"]
    }
    for row in rows:
        wire_median = wire.get(tuple(row["streamlit_versions"])) if row["page_loads_per_scenario"] else None
        row["browser_to_wire"] = row["median_s"] / wire_median if wire_median and row["median_s"] else None


def fmt(value: Any, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_table(rows: list[dict[str, Any]]) -> None:
    header = (
        f"{'target':<12}{'scen':>5}{'suite s':>9}{'start s':>9}{'median s':>10}{'max s':>8}"
        f"{'RSS MB':>8}{'req/scen':>9}{'ws/scen':>9}{'overhead':>10}{'loads/scen':>11}{'s/load':>8}{'JS/load':>8}"
        f"{'x wire':>8}"
    )
    print(header)
    for row in rows:
        print(
            f"{row['target']:<12}{row['scenarios']:>5}{fmt(row['suite_s'], '.2f'):>9}{fmt(row['start_s'], '.2f'):>9}"
            f"{fmt(row['median_s'], '.3f'):>10}{fmt(row['max_s'], '.3f'):>8}{fmt(row['peak_rss_mb'], '.0f'):>8}"
            f"{fmt(row['requests_per_scenario'], '.1f'):>9}{fmt(row['ws_messages_per_scenario'], '.1f'):>9}"
            f"{fmt(row['harness_overhead'], '.0%'):>10}{fmt(row['page_loads_per_scenario'], '.1f'):>11}"
            f"{fmt(row['s_per_page_load'], '.2f'):>8}{fmt(row['frontend_s_per_page_load'], '.2f'):>8}"
            f"{fmt(row['browser_to_wire'], '.1f'):>8}"
        )
    print(
        f"goals: start <= {GOALS['start_s']} s; median <= {GOALS['median_s']} s; overhead <= {GOALS['overhead']:.0%};"
        f" browser <= {GOALS['browser_to_wire']} x wire"
    )
    print("overhead: scenario time spent neither starting servers nor waiting on HTTP requests or websocket")
    print("frames, over the time spent waiting on them (wire targets only; in-process targets have no wire)")
    print("loads/scen, s/load: the browser's app page loads, each from its document response to its first script run")
    print("JS/load: of that, the time the page ran the frontend's scripts before DOMContentLoaded (its own timing)")
    print("x wire: browser median over the median of the wire target of the same Streamlit version, this invocation")
    print(f"load average (1, 5, 15 min) at the end: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")


def main(argv: list[str] | None = None, prog: str = "python -m logoutspec.bench.run") -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("--target", action="append", default=[], help="default: reference, streamlit and browser")
    parser.add_argument(
        "--startup",
        action="store_true",
        help="measure start-up instead: the whole run of one target (default: reference) as a process",
    )
    parser.add_argument("--repeat", type=int, default=7, help="--startup: runs to take the median of (default: 7)")
    args = parser.parse_args(argv)
    if args.startup:
        return startup.main(args.target[0] if args.target else "reference", args.repeat, REPORTS)
    rows = [summarize(target, run_target(target)) for target in args.target or ["reference", "streamlit", "browser"]]
    add_browser_to_wire(rows)
    print_table(rows)
    REPORTS.mkdir(parents=True, exist_ok=True)
    measured = {"goals": GOALS, "load_average": os.getloadavg(), "targets": rows}
    (REPORTS / "bench.json").write_text(json.dumps(measured, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
