"""Run the conformance suite in its own process and read its results.json back.

The matrix, the mutation check, the benchmark and the harness's own tests each need a whole,
separate run (its own targets, servers and reports): this is the one way they get it. A run is
pytest with the options `logoutspec run` gives it (pytest_arguments), the caller's, and a reports
folder of its own, so that two runs at once never read each other's results.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from logoutspec.locations import STEPS

Record = dict[str, Any]  # one record of results.json
PYTEST_DONE = (0, 1)  # pytest's exit codes for "all passed" and "some failed": the suite did run
PROGRESS_PREFIX = "logoutspec: "  # the plugin's per-target progress lines start so


class SuiteError(Exception):
    """The conformance suite did not run to the end (a config error, a crash): one line."""


class RunGroup:
    """The suite runs a caller has going at once from several threads (the matrix's pool of targets).

    An interruption reaches the main thread only, while each run's thread waits on its output: so
    the main thread stops the group, which ends every run still going, by its PID, and refuses any
    run started later, so that no queued run starts after the interruption.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[str]] = set()
        self._stopped = False

    def start(self, command: Callable[[], subprocess.Popen[str]]) -> subprocess.Popen[str]:
        """The process command starts, unless the group was stopped (SuiteError, nothing started)."""
        with self._lock:
            if self._stopped:
                raise SuiteError("not started: the runs were stopped")
            process = command()
            self._running.add(process)
            return process

    def finished(self, process: subprocess.Popen[str]) -> None:
        with self._lock:
            self._running.discard(process)

    def stop(self) -> int:
        """Refuse every later start, stop the runs still going (see stop) and wait for them; how many."""
        with self._lock:
            self._stopped = True
            running = [process for process in self._running if process.poll() is None]
        stop(*running)
        return len(running)


@dataclass(frozen=True)
class SuiteRun:
    """One finished run: its exit code, its output (stdout and stderr, interleaved) and its reports."""

    returncode: int
    output: str
    reports: Path
    seconds: float

    @property
    def completed(self) -> bool:
        return self.returncode in PYTEST_DONE and (self.reports / "results.json").is_file()

    @property
    def records(self) -> list[Record]:
        """results.json's records; SuiteError (pytest's own error line) if the suite did not run to the end."""
        if not self.completed:
            raise SuiteError(self.error())
        return json.loads((self.reports / "results.json").read_text())

    def error(self) -> str:
        """pytest's one-line ERROR (e.g. the config's file and key), else its last line of output."""
        lines = [line for line in self.output.splitlines() if line.strip()]
        errors = [line.removeprefix("ERROR: ") for line in lines if line.startswith("ERROR: ")]
        if errors:
            return errors[0]
        return f"the conformance suite stopped (pytest exit {self.returncode}): {lines[-1] if lines else 'no output'}"


def pytest_arguments(*args: str, tests: Path = STEPS, rootdir: Path | None = None) -> list[str]:
    """pytest's arguments for a run of the suite: the packaged step definitions (or other tests),
    rooted in rootdir (default: the current directory, whose conformance.toml and reports/ it uses),
    in file order, as pytest.ini says in the checkout (a later `-p randomly` turns random order on)."""
    return [str(tests), f"--rootdir={rootdir or Path.cwd()}", "-p", "no:randomly", *args]


def suite_command(*args: str, reports: Path, tests: Path = STEPS, cwd: Path | None = None) -> list[str]:
    """The command line of a run in cwd: quiet, without pytest's cache, every report in reports."""
    options = ("--reports-dir", str(reports), "-q", "-p", "no:cacheprovider", *args)
    return [sys.executable, "-m", "pytest", *pytest_arguments(*options, tests=tests, rootdir=cwd)]


def run_suite(
    *args: str,
    reports: Path,
    tests: Path = STEPS,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    progress: Callable[[str], None] | None = None,
    group: RunGroup | None = None,
) -> SuiteRun:
    """Run the suite (or other tests) with args (--target, --conformance-config, any pytest option)
    in cwd (its rootdir: default, the current directory); every report goes to reports.

    progress gets the run's per-target progress lines as they come. On timeout, or when the caller
    is interrupted, the run gets SIGTERM, on which it stops its servers, and is waited for (killed
    only if it lingers); then TimeoutError, or the interruption goes on. A run in a group is also
    stopped when the group is (SuiteError if the group was stopped before it started).
    """
    started = time.monotonic()

    def start() -> subprocess.Popen[str]:
        return subprocess.Popen(
            suite_command(*args, reports=reports, tests=tests, cwd=cwd),
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # a terminal's Ctrl-C reaches the caller only, which then stops the run once
        )

    process = group.start(start) if group else start()
    timed_out = threading.Event()

    def time_out() -> None:
        timed_out.set()
        process.terminate()  # pytest ends a run on SIGTERM as on Ctrl-C, stopping its servers

    timer = threading.Timer(timeout, time_out) if timeout else None
    try:
        if timer:
            timer.start()
        output = read_output(process, progress)
        process.wait()
    finally:
        if timer:
            timer.cancel()
        stop(process)
        if group:
            group.finished(process)
        if process.stdout:
            process.stdout.close()
    if timed_out.is_set():
        raise TimeoutError(f"the conformance suite did not finish within {timeout} s:\n{output[-2000:]}")
    return SuiteRun(process.returncode, output, reports, time.monotonic() - started)


def read_output(process: subprocess.Popen[str], progress: Callable[[str], None] | None) -> str:
    """All the run printed, handing each progress line to progress as it arrives."""
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if progress and line.startswith(PROGRESS_PREFIX):
            progress(line.removeprefix(PROGRESS_PREFIX).rstrip())
    return "".join(lines)


def stop(*processes: subprocess.Popen[str]) -> None:
    """Stop runs that are still going (an interrupted caller): SIGTERM to each at once (pytest then
    stops its servers), SIGKILL to one still there 30 s later."""
    running = [process for process in processes if process.poll() is None]
    for process in running:
        process.terminate()
    deadline = time.monotonic() + 30
    for process in running:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def print_progress(line: str) -> None:
    """The default progress display: one line per finished target, on stderr."""
    print(line, file=sys.stderr, flush=True)


def elapsed(seconds: float) -> str:
    """A duration as people read it in progress lines: 4.2 s, 3 min 05 s."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"
