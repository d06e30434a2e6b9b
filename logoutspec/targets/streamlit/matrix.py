"""The conformance history: every Streamlit release of the config's matrices, Rule by release.

    logoutspec matrix [--matrix NAME ...] [--target NAME ...] [--jobs J] [--shard K/N] [--reports DIR]
    logoutspec matrix --merge DIR [DIR ...] [--reports DIR]

Runs the conformance suite once per target of the [matrices.*] tables of conformance.toml (every
minor release, the patch releases where auth changed, nightly, the Starlette server), J targets at
a time, each in its own suite process (runner.run_suite), and writes reports/history/: results.json
(every record), conformance.md/.html (the full report, every cell explained) and index.md/.html
(the history: Rules x releases oldest to newest, with a changelog per release and the drift
check's findings for it).

A pool of suite processes, one per target, rather than pytest-xdist: a target's servers are
started once and reused by all its scenarios, which xdist would spread over workers that each
start their own; and one process per target gives each release its own results and its own
time. --shard K/N runs the K-th of N stable parts of the targets (by position in the config, so
every machine computes the same parts); --merge combines the results.json of shards into one
report and one history, as one run would have written them.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pytest_bdd.feature import get_features

from logoutspec.config import Config, ConfigError, TargetConfig, load_config
from logoutspec.history import build_history, write_history
from logoutspec.locations import FEATURES, config_in
from logoutspec.report import Report, build_report, write_report
from logoutspec.runner import Record, RunGroup, SuiteError, elapsed, run_suite
from logoutspec.targets.streamlit.drift import docstrings, drifts, rule_quotes

# A rule's verdict for one version, by the outcome that decided it (report.rule_verdict).
SYMBOLS = {"passed": "pass", "xpassed": "XPASS", "failed": "FAIL", "xfailed": "declared", "skipped": "n/a"}
SHARD = re.compile(r"^(\d+)/(\d+)$")


def run_target(config_path: Path, target: str, reports: Path, group: RunGroup) -> list[Record]:
    """One run of the suite on one target, its reports in reports/<target>/; its records."""
    try:
        run = run_suite(
            "--conformance-config", str(config_path), "--target", target, reports=reports / target, group=group
        )
        return run.records
    except SuiteError as error:
        raise SystemExit(f"matrix: target {target} did not run: {error}") from None


def history_targets(config: Config, matrices: Sequence[str], names: Sequence[str]) -> list[TargetConfig]:
    """The targets named, else those of the matrices named, else those of every matrix."""
    if names:
        return config.select(list(names))
    unknown = [name for name in matrices if name not in config.matrices]
    if unknown:
        raise ConfigError(config.path, f"matrices.{unknown[0]}", f"no such matrix; known: {', '.join(config.matrices)}")
    return [t for t in config.targets.values() if t.matrix and (not matrices or t.matrix in matrices)]


def shard(targets: Sequence[TargetConfig], spec: str | None) -> list[TargetConfig]:
    """The K-th of N parts (K from 1): every N-th target from the K-th, so that parts are stable
    and mix old and new releases (which differ in speed) evenly."""
    if spec is None:
        return list(targets)
    match = SHARD.match(spec)
    if match is None or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise ValueError(f"--shard {spec!r}: use K/N with 1 <= K <= N, e.g. 1/4")
    k, n = int(match.group(1)), int(match.group(2))
    return list(targets[k - 1 :: n])


def run_targets(config_path: Path, targets: Sequence[TargetConfig], reports: Path, jobs: int) -> list[Record]:
    """Run every target, jobs at a time; records in the order of the targets.

    Once the outcome is decided otherwise (interrupted: Ctrl-C or SIGTERM; a target that did not
    run), no queued target starts and the runs going are stopped by their PIDs, each stopping its
    servers, before the exception goes on; an interruption goes on as a KeyboardInterrupt that says
    how many runs were stopped and how many targets never started."""
    started = time.monotonic()
    done = 0
    group = RunGroup()

    def one(target: TargetConfig) -> list[Record]:
        nonlocal done
        target_started = time.monotonic()
        records = run_target(config_path, target.name, reports, group)
        done += 1
        took, total = elapsed(time.monotonic() - target_started), elapsed(time.monotonic() - started)
        print(f"[{done}/{len(targets)}] {target.name} ({target.version}): {took} ({total} elapsed)", flush=True)
        return records

    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        futures = [pool.submit(one, target) for target in targets]
        return [record for future in futures for record in future.result()]
    except KeyboardInterrupt:
        stopped = group.stop()
        queued = len(targets) - done - stopped
        raise KeyboardInterrupt(f"{stopped} running target(s) stopped, {queued} not started") from None
    except BaseException:
        group.stop()
        raise
    finally:
        pool.shutdown(cancel_futures=True)


def print_matrix(report: Report) -> None:
    """Rules down, versions across: pass, FAIL, declared (a declared deviation), n/a, - (not run)."""
    width = min(max(len(rule.name) for feature in report.features for rule in feature.rules), 50)
    print(f"{'rule':<{width}} " + " ".join(f"{t.version:>9}" for t in report.targets))
    for feature in report.features:
        for rule in feature.rules:
            cells = " ".join(f"{SYMBOLS.get(v.kind, '-'):>9}" for v in rule.verdicts)
            print(f"{rule.name[:width]:<{width}} {cells}")


def drift_findings(versions: Sequence[str]) -> dict[str, list[str]]:
    """The drift check's findings for each version (its environment is provisioned already by its run)."""
    quotes = rule_quotes(FEATURES)
    findings = {}
    for version in versions:
        found = drifts(quotes, version, docstrings(version))
        findings[version] = [
            f"{d.rule}: its quote (from {d.source}, docs {d.quoted_from}) is not in this release's docstring"
            + (" — IN RANGE: the spec is out of date" if d.in_range else " (outside the Rule's versions)")
            for d in found
        ]
    return findings


def write_history_reports(config: Config, records: list[Record], reports: Path, with_drift: bool = True) -> Report:
    """results.json, the report (every cell explained) and the history, all in reports."""
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "results.json").write_text(json.dumps(records, indent=2) + "\n")
    report = build_report(get_features([str(FEATURES)]), records, config, "Conformance history")
    write_report(report, reports / "conformance.md")
    lines = {name: target.matrix or name for name in {r["target"] for r in records} if (target := config.target(name))}
    versions = sorted({t.version for t in report.targets})
    history = build_history(report, lines, drift_findings(versions) if with_drift else {})
    write_history(history, reports)
    return report


def merge(config: Config, shards: Sequence[Path], reports: Path, with_drift: bool = True) -> list[Record]:
    """The records of every shard's results.json, in the config's order of targets, written as one run."""
    records: list[Record] = []
    for directory in shards:
        path = directory / "results.json" if directory.is_dir() else directory
        if not path.is_file():
            raise FileNotFoundError(f"--merge: {path}: no results.json")
        records.extend(json.loads(path.read_text()))
    order = {name: index for index, name in enumerate(config.targets)}
    records.sort(key=lambda r: order.get(r["target"], len(order)))
    write_history_reports(config, records, reports, with_drift)
    return records


def parse_arguments(argv: list[str] | None, prog: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=prog, description="Run the suite over every Streamlit release: the history.")
    parser.add_argument(
        "--config", type=Path, default=config_in(Path.cwd())[0], help="default: ./conformance.toml, else the packaged"
    )
    parser.add_argument("--matrix", action="append", default=[], help="the [matrices.NAME] to run (default: all)")
    parser.add_argument("--target", action="append", default=[], help="run these targets instead")
    parser.add_argument("--jobs", type=int, default=2, help="targets run at once, each in its own process (2)")
    parser.add_argument("--shard", help="run the K-th of N stable parts of the targets: K/N")
    parser.add_argument("--merge", nargs="+", type=Path, metavar="DIR", help="merge the results.json of shards")
    parser.add_argument("--no-drift", action="store_true", help="leave the drift check out of the changelog")
    parser.add_argument("--reports", type=Path, default=Path("reports") / "history", help="default: reports/history")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, prog: str = "python -m logoutspec.targets.streamlit.matrix") -> int:
    args = parse_arguments(argv, prog)
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)  # stopped by PID: stop the runs too
    try:
        return history(args)
    except KeyboardInterrupt as interrupted:
        print(f"matrix: interrupted{': ' if str(interrupted) else ''}{interrupted}", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)


def history(args: argparse.Namespace) -> int:
    """The run main's arguments ask for: the targets (or the merge of shards), then the reports."""
    try:
        config = load_config(args.config)
        if args.merge:
            records = merge(config, args.merge, args.reports, not args.no_drift)
        else:
            targets = shard(history_targets(config, args.matrix, args.target), args.shard)
            if not targets:
                print(f"{args.config}: matrices: no target to run", file=sys.stderr)
                return 2
            records = run_targets(args.config, targets, args.reports, max(1, args.jobs))
            with_drift = not args.no_drift and args.shard is None  # a shard's drift waits for the merge
            print_matrix(write_history_reports(config, records, args.reports, with_drift))
    except (ConfigError, ValueError, FileNotFoundError) as error:
        print(error, file=sys.stderr)
        return 2
    print(f"history: {args.reports / 'index.html'}; every cell explained: {args.reports / 'conformance.html'}")
    return 1 if any(r["outcome"] in ("failed", "xpassed") for r in records) else 0


if __name__ == "__main__":
    sys.exit(main())
