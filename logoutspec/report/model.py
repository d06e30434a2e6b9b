"""The report's model: the features as documentation, with every target's outcome beside each
scenario, each Rule's verdict per target, and the summary; built by pure functions from the
features (as pytest-bdd's own parser reads them), the records of results.json, and the config
(for the targets' descriptions). Renderers (markdown.py, html.py) only read it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pytest_bdd.parser import Feature, Rule, ScenarioTemplate

from logoutspec.causes import Cause, causes_by_target, not_exercised
from logoutspec.config import Config
from logoutspec.report.quotes import (
    URL_RE,
    Quote,
    background_lines,
    paragraphs,
    parse_quote,
    scenario_lines,
    slug,
    source_link,
    versions,
)
from logoutspec.results import example_label

NOT_RUN = "not run"


NOT_EXERCISED = "could not be exercised"


CONFORMANCE_TITLE = "st.logout: conformance report"


SPEC_TITLE = "st.logout: the specification"


OUTCOME_LABELS = {
    "passed": "passed",
    "failed": "failed",
    "xfailed": "declared deviation",
    "xpassed": "passed despite a declared deviation",
    "skipped": "not applicable",
    NOT_RUN: "not run",
}


COUNT_LABELS = {
    "passed": ("passed", "passed"),
    "failed": ("failed", "failed"),
    "xfailed": ("declared deviation", "declared deviations"),
    "xpassed": ("unexpected pass", "unexpected passes"),
    "skipped": ("not applicable", "not applicable"),
    NOT_RUN: ("not run", "not run"),
}


ICONS = {
    "passed": "✅",
    "failed": "❌",
    "xfailed": "⚠️",
    "xpassed": "❗",
    "skipped": "\N{HEAVY MINUS SIGN}",
    NOT_RUN: "⬜",
}


# Prefixes results.json puts before a reason; the outcome's label already says them.
REASON_PREFIXES = ("not applicable: ", "[XPASS(strict)] ", "declared deviation ")


CAUSE_HEADERS = ("target", "scenarios", "failing step", "message")


SUMMARY_HEADERS = ("target", "rules that fully hold", "rules that deviate", "rules not applicable", "scenarios")


@dataclass(frozen=True)
class Cell:
    """One target's outcome for one scenario (or one row of an outline), as results.json has it."""

    outcome: str
    reason: str = ""
    step: str = ""

    @property
    def note(self) -> str:
        """The reason without the prefix that only repeats the outcome's label, and without pytest's
        assertion introspection (results.json and junit.xml keep that)."""
        note = self.reason
        for prefix in REASON_PREFIXES:
            note = note.removeprefix(prefix)
        lines = note.splitlines()
        end = next((i for i, line in enumerate(lines) if line.startswith("assert ")), len(lines))
        return "\n".join(lines[:end]).strip()


@dataclass(frozen=True)
class Row:
    """A plain scenario's one row, or one Examples row of an outline, with a cell per target."""

    values: tuple[str, ...]
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class ScenarioDoc:
    gherkin: tuple[str, ...]
    params: tuple[str, ...]
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Verdict:
    """How a rule stands for one target; `kind` is the outcome that decided it (it picks the colour)."""

    label: str
    kind: str
    detail: str


@dataclass(frozen=True)
class RuleDoc:
    name: str
    anchor: str
    versions: str
    source: str
    quote: Quote
    background: tuple[str, ...]
    scenarios: tuple[ScenarioDoc, ...]
    verdicts: tuple[Verdict, ...]


@dataclass(frozen=True)
class FeatureDoc:
    name: str
    anchor: str
    paragraphs: tuple[str, ...]
    background: tuple[str, ...]
    rules: tuple[RuleDoc, ...]


@dataclass(frozen=True)
class TargetColumn:
    name: str
    version: str
    description: str
    causes: tuple[Cause, ...] = ()  # the distinct causes of its failed scenarios, the largest first
    blocked_by: Cause | None = None  # set when the target could not be exercised: what stopped it
    topology: str = ""  # what runs behind what, as the target said it deploys (results.json's target_topology)

    @property
    def described(self) -> str:
        """The description the config gives, then the topology the target reported."""
        topology = f"Deployed as: {self.topology}." if self.topology else ""
        return " ".join(part for part in (self.description, topology) if part)


@dataclass(frozen=True)
class TargetSummary:
    target: TargetColumn
    rules: Counter[str]
    scenarios: Counter[str]


@dataclass(frozen=True)
class Report:
    title: str
    targets: tuple[TargetColumn, ...]
    features: tuple[FeatureDoc, ...]

    @property
    def rule_count(self) -> int:
        return sum(len(feature.rules) for feature in self.features)

    def summaries(self) -> list[TargetSummary]:
        """Per target: its rules counted by verdict and its scenarios (outline rows) by outcome."""
        rules = [rule for feature in self.features for rule in feature.rules]
        return [
            TargetSummary(
                target,
                Counter(rule.verdicts[index].label for rule in rules),
                Counter(cell.outcome for rule in rules for cell in cells_of(rule.scenarios, index)),
            )
            for index, target in enumerate(self.targets)
        ]


def build_report(
    features: Iterable[Feature], records: Sequence[dict[str, str | None]], config: Config | None, title: str
) -> Report:
    """The report of the features (in the order of their files) with the outcomes of the records."""
    targets = target_columns(records, config)
    cells = {record_key(record): record_cell(record) for record in records}
    ordered = sorted(features, key=lambda feature: feature.filename)
    return Report(title, targets, tuple(feature_doc(feature, targets, cells) for feature in ordered))


def target_columns(records: Sequence[dict[str, str | None]], config: Config | None) -> tuple[TargetColumn, ...]:
    """The targets that ran, in the order conformance.toml declares them (unknown ones last)."""
    versions = {str(record["target"]): str(record["target_version"]) for record in records}
    declared = declared_order(config, versions) if config else []
    names = sorted(versions, key=lambda name: declared.index(name) if name in declared else len(declared))
    found = {name: config.target(name) for name in names} if config else {}
    descriptions = {name: target.description for name, target in found.items() if target}
    topologies = {str(record["target"]): str(record.get("target_topology") or "") for record in records}
    causes, blocked = causes_by_target(records), not_exercised(records)
    return tuple(
        TargetColumn(
            name, versions[name], descriptions.get(name, ""), tuple(causes[name]), blocked.get(name), topologies[name]
        )
        for name in names
    )


def declared_order(config: Config, names: Iterable[str]) -> list[str]:
    """The config's order of targets; a matrix's targets are listed (expanded) only if one ran."""
    if all(name in config.declared for name in names):
        return list(config.declared)
    return list(config.targets)


def record_cell(record: dict[str, str | None]) -> Cell:
    return Cell(str(record["outcome"]), record.get("reason") or "", record.get("step") or "")


def record_key(record: dict[str, str | None]) -> tuple[str | None, ...]:
    return tuple(record.get(key) or None for key in ("target", "feature", "rule", "scenario", "example"))


def feature_doc(
    feature: Feature, targets: Sequence[TargetColumn], cells: dict[tuple[str | None, ...], Cell]
) -> FeatureDoc:
    rules = grouped_by_rule(feature.scenarios.values())
    urls = URL_RE.findall(feature.description)
    return FeatureDoc(
        name=feature.name,
        anchor=slug(f"feature {feature.name}"),
        paragraphs=paragraphs(feature.description),
        background=background_lines(feature.background),
        rules=tuple(rule_doc(feature, rule, templates, urls, targets, cells) for rule, templates in rules),
    )


def grouped_by_rule(templates: Iterable[ScenarioTemplate]) -> list[tuple[Rule | None, list[ScenarioTemplate]]]:
    """Scenarios grouped by their Rule, rules in the order they are written."""
    groups: dict[int, tuple[Rule | None, list[ScenarioTemplate]]] = {}
    for template in templates:
        groups.setdefault(id(template.rule), (template.rule, []))[1].append(template)
    return list(groups.values())


def rule_doc(
    feature: Feature,
    rule: Rule | None,
    templates: list[ScenarioTemplate],
    urls: list[str],
    targets: Sequence[TargetColumn],
    cells: dict[tuple[str | None, ...], Cell],
) -> RuleDoc:
    name = rule.name if rule else ""
    quote = parse_quote(rule.description if rule else "")
    scenarios = tuple(scenario_doc(feature.name, name, template, targets, cells) for template in templates)
    return RuleDoc(
        name=name or "Scenarios outside any rule",
        anchor=slug(f"rule {name or feature.name}"),
        versions=versions(rule.tags if rule else set()),
        source=source_link(quote.note, URL_RE.findall(rule.description if rule else "") + urls),
        quote=quote,
        background=background_lines(rule.background if rule else None),
        scenarios=scenarios,
        verdicts=tuple(
            rule_verdict(cells_of(scenarios, index), exercised=target.blocked_by is None)
            for index, target in enumerate(targets)
        ),
    )


def scenario_doc(
    feature: str,
    rule: str,
    template: ScenarioTemplate,
    targets: Sequence[TargetColumn],
    cells: dict[tuple[str | None, ...], Cell],
) -> ScenarioDoc:
    """A scenario as Gherkin, with one row per Examples row (one row for a plain scenario)."""
    params = tuple(template.examples[0].example_params) if template.examples else ()
    values = [tuple(row) for examples in template.examples for row in examples.examples] or [()]

    def row(row_values: tuple[str, ...]) -> Row:
        label = example_label(dict(zip(params, row_values, strict=True)))
        keys = [(target.name, feature, rule or None, template.name, label or None) for target in targets]
        return Row(row_values, tuple(cells.get(key, Cell(NOT_RUN)) for key in keys))

    return ScenarioDoc(scenario_lines(template), params, tuple(row(v) for v in values))


def cells_of(scenarios: Iterable[ScenarioDoc], index: int) -> list[Cell]:
    return [row.cells[index] for scenario in scenarios for row in scenario.rows]


def rule_verdict(cells: Sequence[Cell], exercised: bool = True) -> Verdict:
    """A rule fully holds when every applicable scenario passed; it deviates when any failed or
    is a declared deviation; it is not applicable when none applied. On a target that could not
    be exercised (every scenario failed in setup) an applicable rule was never reached: not a deviation."""
    counts = Counter(cell.outcome for cell in cells)
    detail = count_text(counts, omit=("passed",))
    if not exercised and counts["skipped"] != len(cells):
        return Verdict(NOT_EXERCISED, "failed", detail)
    for kind in ("failed", "xfailed"):
        if counts[kind]:
            return Verdict("deviates", kind, detail)
    if counts[NOT_RUN]:
        return Verdict("not run", NOT_RUN, detail)
    if counts["skipped"] == len(cells):
        return Verdict("not applicable", "skipped", "")
    return Verdict("holds", "xpassed" if counts["xpassed"] else "passed", detail)


def count_text(counts: Counter[str], omit: Sequence[str] = ()) -> str:
    """E.g. "12 passed · 1 failed · 2 not applicable", in the order of COUNT_LABELS."""
    parts = []
    for kind, (one, many) in COUNT_LABELS.items():
        if counts[kind] and kind not in omit:
            parts.append(f"{counts[kind]} {one if counts[kind] == 1 else many}")
    return " · ".join(parts)


def summary_cells(summary: TargetSummary, rule_count: int) -> list[str]:
    """A target's row of the summary, under SUMMARY_HEADERS."""
    rules = summary.rules
    blocked = f" — {NOT_EXERCISED}" if summary.target.blocked_by else ""
    return [
        target_heading(summary.target) + blocked,
        f"{rules['holds']} of {rule_count}",
        str(rules["deviates"]),
        str(rules["not applicable"]),
        count_text(summary.scenarios),
    ]


def target_heading(target: TargetColumn) -> str:
    return f"{target.name} ({target.version})"
