"""The history's benchmark: cold provisioning of one release, one release's wire suite, the whole history.

    python -m logoutspec.bench.history [--version 1.50.0] [--target streamlit-1.50] [--history]

Prints each figure beside its goal and the machine's load (1-minute load average before and after,
and the cores), and writes reports/bench-history.json. It measures; it asserts nothing. Cold
provisioning creates a fresh virtualenv in a scratch cache (uv's download cache stays warm, as it
is on any machine that provisioned once); the wire suite is one `logoutspec run` of one target
with its environment cached; --history times `logoutspec matrix` over every release (long).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from logoutspec.runner import run_suite
from logoutspec.targets.streamlit import matrix
from logoutspec.targets.streamlit.provision import provision

GOALS_S = {"cold_provisioning": 20, "wire_suite": 15, "history": 12 * 60}
REPORTS = Path("reports")


def timed(label: str, action: Any) -> dict[str, Any]:
    """Run action, and say how long it took under which load."""
    before = os.getloadavg()[0]
    started = time.monotonic()
    action()
    seconds = time.monotonic() - started
    figure = {
        "seconds": round(seconds, 1),
        "goal_s": GOALS_S[label],
        "load_before": before,
        "load_after": os.getloadavg()[0],
    }
    print(
        f"{label}: {seconds:.1f} s (goal <= {GOALS_S[label]} s) at load {before:.1f} -> {figure['load_after']:.1f}"
        f" on {os.cpu_count()} cores",
        flush=True,
    )
    return figure


def cold_provisioning(version: str) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-provision-") as scratch:
        provision(version, cache_root=Path(scratch))


def wire_suite(target: str) -> None:
    run = run_suite("--target", target, reports=REPORTS / "bench-history" / target)
    run.records  # noqa: B018 - raises SuiteError if the suite did not run to the end


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m logoutspec.bench.history", description=__doc__.splitlines()[0])
    parser.add_argument("--version", default="1.50.0", help="the release to provision cold (1.50.0)")
    parser.add_argument("--target", default="streamlit-1.50", help="the target whose wire suite is timed")
    parser.add_argument("--history", action="store_true", help="also time the whole history (logoutspec matrix)")
    args = parser.parse_args(argv)
    figures = {
        "cores": os.cpu_count(),
        "cold_provisioning": timed("cold_provisioning", lambda: cold_provisioning(args.version)),
        "wire_suite": timed("wire_suite", lambda: wire_suite(args.target)),
    }
    if args.history:
        figures["history"] = timed("history", lambda: matrix.main(["--reports", str(REPORTS / "history")]))
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "bench-history.json").write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
