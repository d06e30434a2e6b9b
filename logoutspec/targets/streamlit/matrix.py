"""The conformance matrix: every Streamlit target of the config, rule by version.

    logoutspec matrix [--config conformance.toml] [--adapter streamlit] [--reports reports/matrix]

Runs the conformance suite once per target whose adapter is streamlit (one pytest process per
version, so each version's time is its own), merges their results and renders the rules x
versions matrix: printed here, and as reports/matrix/conformance.md and .html, where every cell
is explained (failing step and message, declared deviation and its reason, or why a scenario
does not apply). It also runs the documentation drift check for the same versions.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from pytest_bdd.feature import get_features

from logoutspec.config import Config, ConfigError, load_config
from logoutspec.locations import FEATURES, config_in
from logoutspec.report import Report, build_report, write_report
from logoutspec.runner import Record, SuiteError, elapsed, run_suite
from logoutspec.targets.streamlit.drift import docstrings, drifts, print_drifts, rule_quotes
from logoutspec.targets.streamlit.server import resolve_version

# A rule's verdict for one version, by the outcome that decided it (report.rule_verdict).
SYMBOLS = {"passed": "pass", "xpassed": "XPASS", "failed": "FAIL", "xfailed": "declared", "skipped": "n/a"}


def run_target(config_path: Path, target: str, reports: Path) -> list[Record]:
    """One run of the suite on one target, its reports in reports/<target>/; its records."""
    run = run_suite("--conformance-config", str(config_path), "--target", target, reports=reports / target)
    try:
        return run.records
    except SuiteError as error:
        raise SystemExit(f"matrix: target {target} did not run: {error}") from None


def print_matrix(report: Report) -> None:
    """Rules down, versions across: pass, FAIL, declared (a declared deviation), n/a, - (not run)."""
    width = max(len(rule.name) for feature in report.features for rule in feature.rules)
    width = min(width, 70)
    print(f"{'rule':<{width}} " + " ".join(f"{t.version:>9}" for t in report.targets))
    for feature in report.features:
        for rule in feature.rules:
            cells = " ".join(f"{SYMBOLS.get(v.kind, '-'):>9}" for v in rule.verdicts)
            print(f"{rule.name[:width]:<{width}} {cells}")


def streamlit_targets(config: Config, adapter: str) -> list[str]:
    return [name for name, target in config.targets.items() if target.adapter == adapter]


def main(argv: list[str] | None = None, prog: str = "python -m logoutspec.targets.streamlit.matrix") -> int:
    parser = argparse.ArgumentParser(
        prog=prog, description="Run the suite over every Streamlit version and show the matrix."
    )
    parser.add_argument(
        "--config", type=Path, default=config_in(Path.cwd())[0], help="default: ./conformance.toml, else the packaged"
    )
    parser.add_argument("--adapter", default="streamlit", help="run the targets with this adapter")
    parser.add_argument("--reports", type=Path, default=Path("reports") / "matrix", help="default: reports/matrix")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    targets = streamlit_targets(config, args.adapter)
    if not targets:
        print(f"{args.config}: targets: no target with adapter {args.adapter!r}", file=sys.stderr)
        return 2
    records: list[Record] = []
    started = time.monotonic()
    for number, target in enumerate(targets, 1):
        print(f"[{number}/{len(targets)}] {target} (Streamlit {config.targets[target].version}) ...", flush=True)
        target_started = time.monotonic()
        records.extend(run_target(args.config, target, args.reports))
        took, total = elapsed(time.monotonic() - target_started), elapsed(time.monotonic() - started)
        print(f"[{number}/{len(targets)}] {target}: {took} ({total} elapsed)", flush=True)
    (args.reports / "results.json").write_text(json.dumps(records, indent=2) + "\n")
    report = build_report(get_features([str(FEATURES)]), records, config, "Conformance matrix")
    write_report(report, args.reports / "conformance.md")
    print_matrix(report)
    quotes = rule_quotes(FEATURES)
    for version in sorted({t.version for t in report.targets}, key=lambda v: tuple(map(int, v.split(".")))):
        print_drifts(resolve_version(version), drifts(quotes, version, docstrings(version)))
    print(f"matrix with every cell explained: {args.reports / 'conformance.html'}")
    return 1 if any(r["outcome"] in ("failed", "xpassed") for r in records) else 0


if __name__ == "__main__":
    sys.exit(main())
