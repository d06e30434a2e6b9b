"""The start-up benchmark: a whole conformance run of the in-process reference target, as a
process, and the part of it that passes before the first scenario starts (Python, pytest, the
plugin, the targets' imports, collection). The goal is the whole run in at most 1.5 s on a 2-core
machine; the run's CPU time and the interpreter's own start, measured in the same session, are
printed beside it, since a busy machine slows wall time most.

    logoutspec bench --startup [--target reference] [--repeat 7]

Loaded into each measured run with -p, this module is also its probe: it notes when the first
scenario starts. It imports nothing but the standard library, so it adds nothing to what it measures.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from logoutspec.runner import run_suite

FIRST_SCENARIO = "LOGOUTSPEC_BENCH_FIRST_SCENARIO"  # where the probe writes the first scenario's start
GOAL_SECONDS = 1.5
# Measured as a user's Python runs it: caching compiled modules, and pytest's assertion-rewritten
# ones, even where the environment says not to (an empty value unsets PYTHONDONTWRITEBYTECODE).
KEEP_BYTECODE = {"PYTHONDONTWRITEBYTECODE": ""}


def pytest_runtest_logstart(nodeid: str, location: tuple[str, int | None, str]) -> None:
    """The probe: the wall-clock time the first scenario started at, once per run."""
    output = Path(os.environ[FIRST_SCENARIO])
    if not output.exists():
        output.write_text(repr(time.time()))


def measure_once(target: str, scratch: Path) -> tuple[float, float, float]:
    """(whole run, before the first scenario, CPU time of the run) in seconds, for one run of target.

    The CPU time (user and system, of the run's process) moves far less with the machine's load
    than wall time does: on a machine shared with other work it is the figure to compare."""
    first = scratch / "first-scenario"
    first.unlink(missing_ok=True)
    cpu_before = children_cpu()
    started = time.time()
    run = run_suite(
        "-p",
        "logoutspec.bench.startup",
        "--target",
        target,
        reports=scratch / "reports",
        env={FIRST_SCENARIO: str(first), **KEEP_BYTECODE},
    )
    if run.returncode != 0 or not first.exists():
        sys.exit(f"bench: the run of target {target} failed:\n{run.output[-2000:]}")
    return run.seconds, float(first.read_text()) - started, children_cpu() - cpu_before


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def interpreter_start() -> float:
    """Seconds for `python -c pass`: the floor of any run on this machine right now."""
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.monotonic() - started


def measure(target: str, repeat: int) -> dict[str, Any]:
    """Medians over repeat runs (after one unmeasured run that warms the file cache)."""
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as scratch:
        measure_once(target, Path(scratch))
        runs = [measure_once(target, Path(scratch)) for _ in range(repeat)]
    python = statistics.median(interpreter_start() for _ in range(repeat))
    return {
        "target": target,
        "runs": repeat,
        "whole_run_s": statistics.median(whole for whole, _, _ in runs),
        "before_first_scenario_s": statistics.median(first for _, first, _ in runs),
        "cpu_s": statistics.median(cpu for _, _, cpu in runs),
        "python_start_s": python,
        "load_average": os.getloadavg()[0],
        "goal_whole_run_s": GOAL_SECONDS,
    }


def print_figures(figures: dict[str, Any]) -> None:
    ratio = figures["whole_run_s"] / figures["python_start_s"]
    print(
        f"{figures['target']}: whole run {figures['whole_run_s']:.2f} s (goal <= {GOAL_SECONDS} s), "
        f"{figures['before_first_scenario_s']:.2f} s of it before the first scenario, {figures['cpu_s']:.2f} s CPU; "
        f"python -c pass {figures['python_start_s']:.3f} s (the run takes {ratio:.0f}x that); "
        f"medians of {figures['runs']}; load average {figures['load_average']:.2f}"
    )


def main(target: str, repeat: int, reports: Path) -> int:
    figures = measure(target, repeat)
    print_figures(figures)
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "bench-startup.json").write_text(json.dumps(figures, indent=2) + "\n")
    return 0
