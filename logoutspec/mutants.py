"""The mutation check: a conformance suite is only as good as the implementations it rejects.

    logoutspec mutants [--config mutations.toml] [--baseline NAME ...] [--report reports/mutations.json]

The config defaults to ./mutations.toml, else the packaged one; the baselines to the config's
suite.baselines (mutations.toml names both references).

It runs the conformance suite once over every target of a config in conformance.toml's format:
the baselines, implementations that must pass every scenario that applies to them (one per
version whose rules differ, e.g. the reference as 1.50 and as 1.53), and mutants, deliberately
broken variants of them, each of which must fail at least one scenario. It reports the
scenarios that caught each mutant, the mutants that SURVIVED, and the Rules that no mutant's
failure touches (uncovered), as a table and as JSON. Nothing here knows any implementation: a
third party measures their own adapter by naming it and their own mutants in a config.

Exit status: 0 when the baseline passed, no mutant survived and no Rule is uncovered; 1 when not;
2 on bad input (a missing or broken config, an unknown baseline), said in one line naming the file
and the key.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from logoutspec.config import Config, ConfigError, load_config
from logoutspec.locations import config_in
from logoutspec.runner import Record, SuiteError, print_progress, run_suite


@dataclass(frozen=True)
class RuleKey:
    feature: str
    rule: str | None

    def label(self) -> str:
        return f"{self.feature}: {self.rule or '(no Rule)'}"


@dataclass(frozen=True)
class Mutant:
    target: str
    description: str
    caught_by: list[Record]

    @property
    def survived(self) -> bool:
        return not self.caught_by


@dataclass(frozen=True)
class Check:
    """What one run says about the suite: the baseline's failures, each mutant, each Rule."""

    config: Path
    baselines: list[str]
    baseline_failures: list[Record]
    mutants: list[Mutant]
    coverage: dict[RuleKey, list[str]]  # every Rule applicable to a baseline -> mutants it caught

    @property
    def survivors(self) -> list[str]:
        return [mutant.target for mutant in self.mutants if mutant.survived]

    @property
    def uncovered(self) -> list[RuleKey]:
        return [rule for rule, mutants in self.coverage.items() if not mutants]

    @property
    def problems(self) -> list[str]:
        """What went wrong, one phrase each; empty when the suite rejects every mutant."""
        problems = []
        if self.baseline_failures:
            problems.append(f"baselines {', '.join(self.baselines)} failed {len(self.baseline_failures)} scenario(s)")
        if self.survivors:
            problems.append(f"SURVIVED: {', '.join(self.survivors)}")
        if self.uncovered:
            problems.append(f"uncovered Rules: {'; '.join(rule.label() for rule in self.uncovered)}")
        return problems


def main(argv: list[str] | None = None, prog: str = "python -m logoutspec.mutants") -> int:
    args = parse_args(argv, prog)
    try:
        config = load_config(args.config)
        baselines = args.baseline or list(config.baselines)
        for baseline in baselines:
            require_target(config, baseline)
        records = run_every_target(config.path)
    except (ConfigError, SuiteError) as error:
        print(error, file=sys.stderr)
        return 2
    check = evaluate(config, baselines, records)
    print(render(check))
    write_report(check, args.report)
    return 1 if check.problems else 0


def parse_args(argv: list[str] | None, prog: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Check that the conformance suite passes a baseline target and fails every mutant target.",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=config_in(Path.cwd(), "mutations.toml")[0],
        help="default: ./mutations.toml, else the packaged one (the reference and its mutants)",
    )
    parser.add_argument(
        "--baseline",
        action="append",
        help="a target that must pass, repeatable; every other target is a mutant (default: the config's"
        " suite.baselines, else its first target)",
    )
    parser.add_argument(
        "--report",
        type=Path,
        default=Path("reports") / "mutations.json",
        help="default: reports/mutations.json",
    )
    args = parser.parse_args(argv)
    args.config = args.config.resolve()
    return args


def require_target(config: Config, name: str) -> None:
    if name not in config.targets:
        known = ", ".join(sorted(config.targets))
        raise ConfigError(config.path, f"targets.{name}", f"no such target (--baseline); known: {known}")


def run_every_target(config_path: Path) -> list[Record]:
    """Run every scenario once per target of the config and read the records back; progress
    target by target on stderr.

    The run's reports go to a scratch folder, so that its results.json is its own: another run
    in the same directory can neither overwrite it before it is read nor have its own replaced.
    """
    with tempfile.TemporaryDirectory(prefix="mutants-") as scratch:
        options = ("--conformance-config", str(config_path), "--target", "all", "-p", "no:randomly")
        return run_suite(*options, reports=Path(scratch) / "reports", progress=print_progress).records


def evaluate(config: Config, baselines: list[str], records: list[Record]) -> Check:
    by_target: dict[str, list[Record]] = {name: [] for name in config.targets}
    for record in records:
        by_target.setdefault(record["target"], []).append(record)
    mutants = [
        Mutant(name, config.targets[name].description, failed(by_target[name]))
        for name in config.targets
        if name not in baselines
    ]
    applicable = [r for name in baselines for r in by_target[name] if r["outcome"] != "skipped"]
    coverage: dict[RuleKey, list[str]] = {rule_of(record): [] for record in applicable}
    for mutant in mutants:
        for rule in dict.fromkeys(rule_of(record) for record in mutant.caught_by):
            coverage.setdefault(rule, []).append(mutant.target)
    baseline_failures = [r for r in applicable if r["outcome"] in ("failed", "xpassed")]
    return Check(config.path, baselines, baseline_failures, mutants, coverage)


def failed(records: Iterable[Record]) -> list[Record]:
    return [record for record in records if record["outcome"] == "failed"]


def rule_of(record: Record) -> RuleKey:
    return RuleKey(record["feature"], record["rule"])


def scenario_label(record: Record) -> str:
    example = f" [{record['example']}]" if record["example"] else ""
    return f"{record['rule'] or record['feature']}: {record['scenario']}{example}"


def render(check: Check) -> str:
    """The human-readable report: baseline, one block per mutant, Rules, verdict."""
    baselines = ", ".join(check.baselines)
    lines = [f"Mutation check of {check.config} (baselines: {baselines})", ""]
    if check.baseline_failures:
        lines.append(f"Baselines {baselines} FAILED:")
        lines += [f"  {r['target']}: {scenario_label(r)}: {first_line(r['reason'])}" for r in check.baseline_failures]
    else:
        lines.append(f"Baselines {baselines} passed every applicable scenario.")
    lines += ["", "Mutants:"]
    width = max((len(mutant.target) for mutant in check.mutants), default=0)
    for mutant in check.mutants:
        verdict = "SURVIVED" if mutant.survived else f"caught by {len(mutant.caught_by)}"
        lines.append(f"  {mutant.target:<{width}}  {verdict}  ({mutant.description})")
        lines += [f"  {'':<{width}}    {scenario_label(record)}" for record in mutant.caught_by]
    lines += ["", "Rules:"]
    for rule, mutants in check.coverage.items():
        lines.append(f"  {rule.label()}: {', '.join(mutants) if mutants else 'UNCOVERED'}")
    verdict = "FAILED: " + "; ".join(check.problems) if check.problems else "OK: every mutant was caught"
    return "\n".join([*lines, "", f"Mutation check {verdict}"])


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def write_report(check: Check, path: Path) -> None:
    """The same report as JSON, for CI and for tools."""
    report = {
        "config": str(check.config),
        "baseline": {
            "targets": check.baselines,
            "passed": not check.baseline_failures,
            "failures": [scenario_record(r) for r in check.baseline_failures],
        },
        "mutants": [
            {
                "target": mutant.target,
                "description": mutant.description,
                "result": "SURVIVED" if mutant.survived else "caught",
                "caught_by": [scenario_record(record) for record in mutant.caught_by],
            }
            for mutant in check.mutants
        ],
        "rules": [
            {"feature": rule.feature, "rule": rule.rule, "caught": mutants} for rule, mutants in check.coverage.items()
        ],
        "survived": check.survivors,
        "uncovered": [{"feature": rule.feature, "rule": rule.rule} for rule in check.uncovered],
        "ok": not check.problems,
        "problems": check.problems,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")


def scenario_record(record: Record) -> Record:
    """A record as the report names a scenario: where it is, the step that failed and why."""
    keys = ("feature", "rule", "scenario", "example")
    failure = {"step": record.get("step", ""), "reason": first_line(record["reason"])}
    return {**{key: record[key] for key in keys}, **failure}


if __name__ == "__main__":
    sys.exit(main())
