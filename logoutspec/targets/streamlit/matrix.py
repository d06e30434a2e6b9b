"""The conformance matrix: every Streamlit target of the config, rule by version.

    python -m logoutspec.targets.streamlit.matrix [--config conformance.toml] [--adapter streamlit]

Runs the conformance suite once per target whose adapter is streamlit (one pytest process per
version, so each version's time is its own), merges their results and renders the rules x
versions matrix: printed here, and as reports/matrix/conformance.md and .html, where every cell
is explained (failing step and message, declared deviation and its reason, or why a scenario
does not apply). It also runs the documentation drift check for the same versions.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from pytest_bdd.feature import get_features

from logoutspec.config import Config, ConfigError, load_config
from logoutspec.report import Report, build_report, write_report
from logoutspec.targets.streamlit.drift import docstrings, drifts, print_drifts, rule_quotes
from logoutspec.targets.streamlit.server import resolve_version

ROOT = Path(__file__).resolve().parents[3]  # the repository (the Streamlit target lives three folders down)
# A rule's verdict for one version, by the outcome that decided it (report.rule_verdict).
SYMBOLS = {"passed": "pass", "xpassed": "XPASS", "failed": "FAIL", "xfailed": "declared", "skipped": "n/a"}


def run_target(config_path: Path, target: str, reports: Path) -> tuple[list[dict], float]:
    """One pytest run of the suite on one target; its records and its wall time."""
    out = reports / target
    command = [
        *(sys.executable, "-m", "pytest", "steps", "-q", "-p", "no:cacheprovider"),
        *("--conformance-config", str(config_path), "--target", target, "--reports-dir", str(out)),
        *(f"--cucumberjson={out}/cucumber.json", f"--junitxml={out}/junit.xml"),
    ]
    started = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.monotonic() - started
    results = out / "results.json"
    if not results.exists():
        tail = (result.stdout + result.stderr).strip().splitlines()[-3:]
        raise SystemExit(f"matrix: target {target} did not run: {' | '.join(tail)}")
    return json.loads(results.read_text()), seconds


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the suite over every Streamlit version and show the matrix.")
    parser.add_argument("--config", type=Path, default=ROOT / "conformance.toml")
    parser.add_argument("--adapter", default="streamlit", help="run the targets with this adapter")
    parser.add_argument("--reports", type=Path, default=ROOT / "reports" / "matrix")
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
    records: list[dict] = []
    for target in targets:
        found, seconds = run_target(args.config, target, args.reports)
        records.extend(found)
        print(f"{target} (Streamlit {found[0]['target_version'] if found else '?'}): {seconds:.1f} s")
    (args.reports / "results.json").write_text(json.dumps(records, indent=2) + "\n")
    report = build_report(get_features([str(ROOT / "features")]), records, config, "Conformance matrix")
    write_report(report, args.reports / "conformance.md")
    print_matrix(report)
    quotes = rule_quotes(ROOT / "features")
    for version in sorted({t.version for t in report.targets}, key=lambda v: tuple(map(int, v.split(".")))):
        print_drifts(resolve_version(version), drifts(quotes, version, docstrings(version)))
    print(f"matrix with every cell explained: {args.reports / 'conformance.html'}")
    return 1 if any(r["outcome"] in ("failed", "xpassed") for r in records) else 0


if __name__ == "__main__":
    sys.exit(main())
