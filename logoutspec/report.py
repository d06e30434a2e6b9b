"""The conformance report: the features read as documentation, with every target's outcome beside
each scenario, as Markdown (for the README and code review) and as one self-contained HTML page.

A report is built by pure functions from three inputs: the features as pytest-bdd's own parser
reads them (so the report shows exactly what ran), the records of reports/results.json, and the
conformance.toml config (for the targets' descriptions). With no records it is the specification
alone: `python -m logoutspec.report --spec` renders that without running anything.

The features follow two conventions the report relies on. A Rule's description is its quote:
the documentation's words in double quotes (a quote with none is code, kept verbatim), then a
note in parentheses saying where the quote is from and for which versions. A feature's
description names its source pages by URL; a rule links the page named at the start of its note
(st.login, st.user, ...), else the first URL; a URL in the rule's own description comes first.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
import textwrap
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_bdd.parser import Background, Feature, FeatureParser, Rule, ScenarioTemplate, Step

from logoutspec.causes import Cause, causes_by_target, not_exercised
from logoutspec.config import Config, ConfigError, load_config
from logoutspec.locations import FEATURES, config_in
from logoutspec.results import example_label

VERSION_TAG = "streamlit:"
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
BLOCK_KEYWORDS = ("Background:", "Scenario Outline:", "Scenario:", "Examples:")
CAUSE_HEADERS = ("target", "scenarios", "failing step", "message")
SUMMARY_HEADERS = ("target", "rules that fully hold", "rules that deviate", "rules not applicable", "scenarios")
STEP_KEYWORDS = ("Given", "When", "Then", "And", "But", "*")
URL_RE = re.compile(r"https?://[^\s<>\"'()]*[^\s<>\"'().,;:]")


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
class Quote:
    """A Rule's description: quoted code, documented sentences, and the note on source and versions."""

    code: str
    sentences: tuple[str, ...]
    note: str


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


# Building the report


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
    causes, blocked = causes_by_target(records), not_exercised(records)
    return tuple(
        TargetColumn(name, versions[name], descriptions.get(name, ""), tuple(causes[name]), blocked.get(name))
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


# Reading the features


def parse_features(directory: Path) -> list[Feature]:
    """Every .feature file under directory, read by pytest-bdd's parser as the suite reads them."""
    return [FeatureParser(str(path.parent), path.name).parse() for path in sorted(directory.rglob("*.feature"))]


def paragraphs(text: str) -> tuple[str, ...]:
    """Prose split at blank lines, each paragraph's lines joined."""
    return tuple(" ".join(block.split()) for block in re.split(r"\n\s*\n", text.strip()) if block.strip())


def parse_quote(description: str) -> Quote:
    """A Rule's description: the quote (its `> ` markers removed), then the note: the last line
    opening a parenthesis and what follows it (a quote may itself have a line starting "(")."""
    lines = [
        raw.removeprefix(">").removeprefix(" ").rstrip() for raw in textwrap.dedent(description).strip().splitlines()
    ]
    start = next((i for i in reversed(range(len(lines))) if lines[i].startswith("(")), len(lines))
    quoted, note = lines[:start], " ".join(line.strip() for line in lines[start:])
    if note.startswith("(") and note.endswith(")"):
        note = note[1:-1]
    if not any(line.startswith('"') for line in quoted):
        return Quote("\n".join(quoted).strip("\n"), (), note)
    return Quote("", quoted_paragraphs(quoted), note)


def quoted_paragraphs(lines: Sequence[str]) -> tuple[str, ...]:
    """Lines joined into paragraphs; one starts at an opening quote or after a closing one."""
    paragraphs: list[str] = []
    for line in lines:
        if not paragraphs or line.startswith('"') or paragraphs[-1].endswith('"'):
            paragraphs.append(line.strip())
        else:
            paragraphs[-1] += " " + line.strip()
    return tuple(paragraphs)


def source_link(note: str, urls: Sequence[str]) -> str:
    """Of the URLs (the rule's own, then its feature's), the page the note names first (e.g. "st.user,
    docs 1.50.0"), else the first URL."""
    page = note.split(",", 1)[0].strip()
    return next((url for url in urls if url.rstrip("/").rsplit("/", 1)[-1] == page), urls[0] if urls else "")


def versions(tags: Iterable[str]) -> str:
    """The Streamlit versions of a @streamlit:SPEC tag, e.g. "Streamlit ≥1.42, <1.53"."""
    specs = [tag.removeprefix(VERSION_TAG) for tag in tags if tag.startswith(VERSION_TAG)]
    if not specs:
        return "all Streamlit versions"
    spec = ", ".join(part.strip() for spec in specs for part in spec.split(","))
    return "Streamlit " + spec.replace(">=", "≥").replace("<=", "≤").replace("!=", "≠")


def background_lines(background: Background | None) -> tuple[str, ...]:
    if background is None:
        return ()
    return ("Background:", *step_lines(background.steps))


def scenario_lines(template: ScenarioTemplate) -> tuple[str, ...]:
    """The scenario as written, without the Background and Examples (shown elsewhere)."""
    own_steps = template.steps[len(template.all_background_steps) :]
    tags = " ".join(f"@{tag}" for tag in sorted(template.tags))
    description = [f"  {line}" for line in template.description.strip().splitlines()]
    return (*([tags] if tags else []), f"{template.keyword}: {template.name}", *description, *step_lines(own_steps))


def step_lines(steps: Iterable[Step]) -> list[str]:
    lines = []
    for step in steps:
        lines.append(f"  {step.keyword} {step.name}")
        if step.datatable is not None:
            lines.extend(f"    {line}" for line in table_lines([[str(v) for v in r] for r in step.datatable.raw()]))
        if step.docstring is not None:
            lines.extend(f"    {line}" for line in ['"""', *step.docstring.splitlines(), '"""'])
    return lines


def table_lines(rows: Sequence[Sequence[str]]) -> list[str]:
    """A Gherkin table with its columns aligned."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) + " |" for row in rows
    ]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


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


# Markdown


def render_markdown(report: Report) -> str:
    parts = [f"# {report.title}", ""]
    if report.targets:
        parts += markdown_summary(report)
        parts += markdown_causes(report.targets)
    parts += markdown_matrix(report)
    for feature in report.features:
        parts += markdown_feature(feature, report.targets)
    return "\n".join(parts).rstrip() + "\n"


def markdown_summary(report: Report) -> list[str]:
    lines = ["## Summary", "", md_row(SUMMARY_HEADERS), md_row(["---"] * len(SUMMARY_HEADERS))]
    for summary in report.summaries():
        name, *counts = summary_cells(summary, report.rule_count)
        lines.append(md_row([f"**{md(name)}**", *counts]))
    lines.append("")
    lines += [f"- **{md(t.name)}**: {md(t.description)}" for t in report.targets if t.description]
    return [*lines, ""] if lines[-1] else lines


def markdown_causes(targets: Sequence[TargetColumn]) -> list[str]:
    """Failures by cause: per target, each distinct cause with the number of scenarios it explains;
    a target that could not be exercised is named first, with what stopped it."""
    lines = ["## Failures by cause", ""]
    lines += [f"- **{md(t.name)}** {NOT_EXERCISED}: {md(blocked_text(t))}" for t in targets if t.blocked_by]
    rows = [[target_heading(t), *cause_cells(cause)] for t in targets for cause in t.causes]
    if not rows:
        return [*lines, "No scenario failed.", ""]
    lines += [""] if lines[-1] else []
    lines += [md_row(CAUSE_HEADERS), md_row(["---"] * len(CAUSE_HEADERS))]
    lines += [
        md_row([md(target), count, f"`{step}`" if step else "", md(message)]) for target, count, step, message in rows
    ]
    return [*lines, ""]


def blocked_text(target: TargetColumn) -> str:
    cause = target.blocked_by
    assert cause is not None
    return f"every scenario that applies failed in setup; {cause.line()}"


def cause_cells(cause: Cause) -> list[str]:
    """A cause's cells under CAUSE_HEADERS (after the target): scenarios, failing step, message."""
    return [str(cause.scenarios), cause.step, cause.message]


def markdown_matrix(report: Report) -> list[str]:
    heading = "## Rules by target" if report.targets else "## Rules"
    columns = ["rule", "versions", *(target_heading(t) for t in report.targets)]
    lines = [heading, "", md_row(columns), md_row(["---"] * len(columns))]
    for feature in report.features:
        lines.append(md_row([f"**{md(feature.name)}**", "", *[""] * len(report.targets)]))
        for rule in feature.rules:
            verdicts = [f"{ICONS[v.kind]} {v.label}" + (f" ({v.detail})" if v.detail else "") for v in rule.verdicts]
            lines.append(md_row([md(rule.name), md(rule.versions), *verdicts]))
    return [*lines, ""]


def markdown_feature(feature: FeatureDoc, targets: Sequence[TargetColumn]) -> list[str]:
    lines = [f"## Feature: {md(feature.name)}", ""]
    for paragraph in feature.paragraphs:
        lines += [md(paragraph), ""]
    lines += markdown_gherkin(feature.background)
    for rule in feature.rules:
        lines += markdown_rule(rule, targets)
    return lines


def markdown_rule(rule: RuleDoc, targets: Sequence[TargetColumn]) -> list[str]:
    source = f" · source: {rule.source}" if rule.source else ""
    lines = [f"### Rule: {md(rule.name)}", "", f"*{md(rule.versions)}*{source}", ""]
    lines += markdown_quote(rule.quote)
    if targets:
        verdicts = [f"{md(t.name)} {ICONS[v.kind]} {v.label}" for t, v in zip(targets, rule.verdicts, strict=True)]
        lines += ["**Verdict:** " + " · ".join(verdicts), ""]
    lines += markdown_gherkin(rule.background)
    for scenario in rule.scenarios:
        lines += markdown_scenario(scenario, targets)
    return lines


def markdown_quote(quote: Quote) -> list[str]:
    blocks = [f"```\n{quote.code}\n```"] if quote.code else []
    blocks += [md(sentence) for sentence in quote.sentences]
    blocks += [f"— {md(quote.note)}"] if quote.note else []
    if not blocks:
        return []
    quoted = "\n>\n".join("\n".join(f"> {line}" for line in block.splitlines()) for block in blocks)
    return [quoted, ""]


def markdown_gherkin(lines: Sequence[str]) -> list[str]:
    return ["```gherkin", *lines, "```", ""] if lines else []


def markdown_scenario(scenario: ScenarioDoc, targets: Sequence[TargetColumn]) -> list[str]:
    lines = markdown_gherkin(scenario.gherkin)
    columns = [*scenario.params, *(target_heading(t) for t in targets)]
    if not columns:
        return lines
    lines += ["Examples:", ""] if scenario.params else []
    lines += [md_row(columns), md_row(["---"] * len(columns))]
    lines += [md_row([*map(md, row.values), *map(markdown_cell, row.cells)]) for row in scenario.rows]
    return [*lines, ""]


def markdown_cell(cell: Cell) -> str:
    """E.g. "❌ **failed** at `Then the tab shows ...` — AssertionError: ..."."""
    step = f" at `{cell.step}`" if cell.step else ""
    note = f" — {md(cell.note)}" if cell.note else ""
    return f"{ICONS[cell.outcome]} **{OUTCOME_LABELS[cell.outcome]}**{step}{note}"


def md_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|").replace("\n", "<br>") for cell in cells) + " |"


def md(text: str) -> str:
    """Text safe in Markdown: a `<` would start an HTML tag (Scenario Outline's <placeholders>)."""
    return text.replace("&", "&amp;").replace("<", "&lt;")


# HTML

CSS = """
:root { color-scheme: light; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --paper: #fff; --tint: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
  background: var(--paper); -webkit-text-size-adjust: 100%; }
main { max-width: 64rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.3rem; margin: 2rem 0 0.5rem; padding-bottom: 0.25rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.1rem; line-height: 1.3; margin: 0 0 0.25rem; }
a { color: #0969da; overflow-wrap: anywhere; }
p, li { overflow-wrap: anywhere; }
.meta { color: var(--muted); font-size: 0.9rem; margin: 0.25rem 0 0.5rem; }
.rule { border: 1px solid var(--line); border-radius: 8px; padding: 0.75rem; margin: 1rem 0; }
blockquote { margin: 0.5rem 0; padding: 0.25rem 0.75rem; border-left: 4px solid var(--line); color: #3d444d; }
blockquote p { margin: 0.25rem 0; }
blockquote footer { color: var(--muted); font-size: 0.9rem; }
pre { background: var(--tint); border-radius: 6px; padding: 0.5rem 0.75rem; margin: 0.5rem 0; font-size: 0.85rem;
  white-space: pre-wrap; overflow-wrap: anywhere; font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: 0.85em; }
.gherkin { overflow-x: auto; }
.gherkin .line { display: block; padding-left: calc(var(--indent) + 2ch); text-indent: -2ch; }
.gherkin .row { white-space: pre; }
.kw { color: #8250df; font-weight: 600; }
.tag { color: #9a6700; }
.scroll { overflow-x: auto; margin: 0.5rem 0; }
table { border-collapse: collapse; font-size: 0.9rem; }
th, td { border: 1px solid var(--line); padding: 0.35rem 0.5rem; text-align: left; vertical-align: top; }
th { background: var(--tint); }
td { min-width: 7rem; overflow-wrap: anywhere; }
td.title { min-width: 12rem; max-width: 22rem; }
.badge { display: inline-block; border-radius: 1rem; padding: 0 0.5rem; font-weight: 600; font-size: 0.85rem; }
.passed { background: #dafbe1; color: #116329; }
.failed { background: #ffebe9; color: #a40e26; }
.xfailed { background: #fff8c5; color: #7d4e00; }
.xpassed { background: #fbefff; color: #6e40c9; }
.skipped { background: #eaeef2; color: #424a53; }
.not-run { background: var(--paper); color: var(--muted); border: 1px dashed #8c959f; }
.detail { display: block; white-space: pre-line; color: var(--muted); font-size: 0.85rem; font-weight: normal;
  margin-top: 0.2rem; }
.detail code { color: var(--ink); white-space: normal; }
.verdicts { margin: 0.5rem 0; padding: 0; list-style: none; display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; }
.targets { padding-left: 1.25rem; }
@media (max-width: 640px) {
  main { padding: 0.75rem; }
  h1 { font-size: 1.35rem; }
  .rule { padding: 0.5rem; }
  table.cards, .cards tbody, .cards tr, .cards th, .cards td { display: block; }
  .cards thead { display: none; }
  .cards tr { border: 1px solid var(--line); border-radius: 6px; margin: 0.5rem 0; padding: 0.25rem 0.5rem; }
  .cards tr.feature { border: none; padding: 0; margin: 1rem 0 0; }
  .cards tr.feature th { background: none; border: none; padding: 0; font-size: 1rem; }
  .cards td { border: none; padding: 0.25rem 0; min-width: 0; max-width: none; }
  .cards td.title { font-weight: 600; }
  .cards td[data-label] { display: grid; grid-template-columns: minmax(6rem, 38%) 1fr; gap: 0.5rem; }
  .cards td[data-label]::before { content: attr(data-label); color: var(--muted); font-size: 0.8rem; }
}
"""


def render_html(report: Report) -> str:
    """One self-contained page: inline CSS, no script, no request for anything outside the file."""
    body = [f"<h1>{esc(report.title)}</h1>"]
    if report.targets:
        body += html_summary(report)
        body += html_causes(report.targets)
    body += html_matrix(report)
    for feature in report.features:
        body += html_feature(feature, report.targets)
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<link rel="icon" href="data:,">',
            f"<title>{esc(report.title)}</title>",
            f"<style>{CSS}</style>",
            "</head>",
            "<body><main>",
            *body,
            "</main></body>",
            "</html>",
            "",
        ]
    )


def html_summary(report: Report) -> list[str]:
    labels = ["", *SUMMARY_HEADERS[1:]]
    rows = [html_row(labels, map(esc, summary_cells(s, report.rule_count))) for s in report.summaries()]
    described = [f"<li><b>{esc(t.name)}</b>: {linked(t.description)}</li>" for t in report.targets if t.description]
    listing = [f'<ul class="targets">{"".join(described)}</ul>'] if described else []
    table = html_table("summary", SUMMARY_HEADERS, [rows])
    return ['<section id="summary"><h2>Summary</h2>', *table, *listing, "</section>"]


def html_causes(targets: Sequence[TargetColumn]) -> list[str]:
    """Failures by cause, as markdown_causes says them."""
    lines = ['<section id="causes"><h2>Failures by cause</h2>']
    blocked = [
        f"<li><b>{esc(t.name)}</b> {badge('failed', NOT_EXERCISED)} {esc(blocked_text(t))}</li>"
        for t in targets
        if t.blocked_by
    ]
    lines += [f'<ul class="targets">{"".join(blocked)}</ul>'] if blocked else []
    rows = [
        html_row(
            ["", *CAUSE_HEADERS[1:]], [esc(target_heading(t)), esc(count), f"<code>{esc(step)}</code>", esc(message)]
        )
        for t in targets
        for count, step, message in [cause_cells(cause) for cause in t.causes]
    ]
    lines += html_table("causes", CAUSE_HEADERS, [rows]) if rows else ["<p>No scenario failed.</p>"]
    return [*lines, "</section>"]


def html_matrix(report: Report) -> list[str]:
    """Rules by target; each rule's cell also says the versions it holds for."""
    columns = [target_heading(t) for t in report.targets]
    bodies = []
    for feature in report.features:
        link = f'<a href="#{feature.anchor}">{esc(feature.name)}</a>'
        title = f'<tr class="feature"><th colspan="{1 + len(columns)}">{link}</th></tr>'
        rows = [
            html_row(["", *columns], [html_rule_link(rule), *map(html_verdict, rule.verdicts)])
            for rule in feature.rules
        ]
        bodies.append([title, *rows])
    heading = "Rules by target" if report.targets else "Rules"
    return [f'<section id="matrix"><h2>{heading}</h2>', *html_table("matrix", ["rule", *columns], bodies), "</section>"]


def html_rule_link(rule: RuleDoc) -> str:
    return f'<a href="#{rule.anchor}">{esc(rule.name)}</a><span class="detail">{esc(rule.versions)}</span>'


def html_verdict(verdict: Verdict) -> str:
    detail = f'<span class="detail">{esc(verdict.detail)}</span>' if verdict.detail else ""
    return f"{badge(verdict.kind, verdict.label)}{detail}"


def html_feature(feature: FeatureDoc, targets: Sequence[TargetColumn]) -> list[str]:
    lines = [f'<section class="feature" id="{feature.anchor}">', f"<h2>Feature: {esc(feature.name)}</h2>"]
    lines += [f"<p>{linked(paragraph)}</p>" for paragraph in feature.paragraphs]
    lines += html_gherkin(feature.background)
    for rule in feature.rules:
        lines += html_rule(rule, targets)
    return [*lines, "</section>"]


def html_rule(rule: RuleDoc, targets: Sequence[TargetColumn]) -> list[str]:
    page = rule.source.rstrip("/").rsplit("/", 1)[-1]
    source = f' · source: <a href="{esc(rule.source)}">{esc(page)}</a>' if rule.source else ""
    lines = [f'<article class="rule" id="{rule.anchor}">', f"<h3>Rule: {esc(rule.name)}</h3>"]
    lines += [f'<p class="meta">{esc(rule.versions)}{source}</p>', *html_quote(rule.quote)]
    if targets:
        items = [f"<li>{esc(t.name)} {html_verdict(v)}</li>" for t, v in zip(targets, rule.verdicts, strict=True)]
        lines.append(f'<ul class="verdicts">{"".join(items)}</ul>')
    lines += html_gherkin(rule.background)
    for scenario in rule.scenarios:
        lines += html_scenario(scenario, targets)
    return [*lines, "</article>"]


def html_quote(quote: Quote) -> list[str]:
    parts = [f"<pre>{esc(quote.code)}</pre>"] if quote.code else []
    parts += [f"<p>{linked(sentence)}</p>" for sentence in quote.sentences]
    parts += [f"<footer>— {linked(quote.note)}</footer>"] if quote.note else []
    return ["<blockquote>", *parts, "</blockquote>"] if parts else []


def html_gherkin(lines: Sequence[str]) -> list[str]:
    """Gherkin lines, each a block whose wrapped continuation hangs under its own indentation;
    table rows do not wrap (their columns stay aligned) and scroll sideways instead."""
    if not lines:
        return []
    blocks = []
    for line in lines:
        text = line.lstrip()
        kind = "line row" if text.startswith("|") else "line"
        blocks.append(f'<span class="{kind}" style="--indent: {len(line) - len(text)}ch">{highlighted(text)}</span>')
    return [f'<pre class="gherkin">{"".join(blocks)}</pre>']


def highlighted(text: str) -> str:
    """A Gherkin line (without its indentation) with its keyword or tags marked up."""
    if text.startswith("@"):
        return f'<span class="tag">{esc(text)}</span>'
    keyword = next((k for k in BLOCK_KEYWORDS if text.startswith(k)), None)
    if keyword is None and text.split(" ", 1)[0] in STEP_KEYWORDS:
        keyword = text.split(" ", 1)[0]
    if keyword is None:
        return esc(text)
    return f'<span class="kw">{esc(keyword)}</span>{esc(text[len(keyword) :])}'


def html_scenario(scenario: ScenarioDoc, targets: Sequence[TargetColumn]) -> list[str]:
    lines = html_gherkin(scenario.gherkin)
    columns = [*scenario.params, *(target_heading(t) for t in targets)]
    if not columns:
        return lines
    rows = [html_row(columns, [*map(esc, row.values), *map(html_cell, row.cells)]) for row in scenario.rows]
    caption = ['<p class="meta"><span class="kw">Examples:</span></p>'] if scenario.params else []
    return [*lines, *caption, *html_table("outcomes", columns, [rows])]


def html_cell(cell: Cell) -> str:
    step = f'<span class="detail">at <code>{esc(cell.step)}</code></span>' if cell.step else ""
    note = f'<span class="detail">{linked(cell.note)}</span>' if cell.note else ""
    return f"{badge(cell.outcome, OUTCOME_LABELS[cell.outcome])}{step}{note}"


def badge(kind: str, label: str) -> str:
    return f'<span class="badge {slug(kind)}">{esc(label)}</span>'


def html_table(css_class: str, headers: Sequence[str], bodies: Iterable[Sequence[str]]) -> list[str]:
    """A table (bodies of rows made by html_row) that is a grid on a wide screen, scrolling sideways
    if it must, and on a phone a stack of cards, one per row, each cell labelled with its column."""
    head = "<thead><tr>" + "".join(f"<th>{esc(header)}</th>" for header in headers) + "</tr></thead>"
    tbodies = ["<tbody>" + "".join(rows) + "</tbody>" for rows in bodies]
    return [f'<div class="scroll"><table class="cards {css_class}">', head, *tbodies, "</table></div>"]


def html_row(labels: Sequence[str], cells: Iterable[str]) -> str:
    """A row of HTML cells; a cell with a label shows it on a phone, where the table head is hidden."""
    tds = (
        f'<td data-label="{esc(label)}"><div>{cell}</div></td>' if label else f'<td class="title">{cell}</td>'
        for label, cell in zip(labels, cells, strict=True)
    )
    return "<tr>" + "".join(tds) + "</tr>"


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def linked(text: str) -> str:
    """Escaped text with its URLs made links."""
    parts, last = [], 0
    for match in URL_RE.finditer(text):
        url = match.group(0)
        parts += [esc(text[last : match.start()]), f'<a href="{esc(url)}">{esc(url)}</a>']
        last = match.end()
    return "".join([*parts, esc(text[last:])])


# Writing


def write_report(report: Report, markdown_path: Path) -> tuple[Path, Path]:
    """Write the report as Markdown to markdown_path and as HTML beside it; return both paths."""
    html_path = markdown_path.with_suffix(".html")
    markdown_path.parent.mkdir(parents=True, exist_ok=True)
    markdown_path.write_text(render_markdown(report))
    html_path.write_text(render_html(report))
    return markdown_path, html_path


def write_conformance_report(
    features: Iterable[Feature], results: Path, config: Config, output: Path | None = None
) -> tuple[Path, Path]:
    """The report of results.json's records, to output (default: conformance.md beside it) and .html."""
    report = build_report(features, json.loads(results.read_text()), config, CONFORMANCE_TITLE)
    return write_report(report, output or results.parent / "conformance.md")


def main(argv: Sequence[str] | None = None, prog: str = "python -m logoutspec.report") -> int:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Render the conformance report from an existing results.json, or (--spec) the features "
        "alone as documentation, without running anything. Writes OUTPUT (Markdown) and OUTPUT with .html.",
    )
    parser.add_argument("--spec", action="store_true", help="render the features alone (default: reports/spec.md)")
    parser.add_argument("output", nargs="?", type=Path, help="default: conformance.md beside results.json")
    parser.add_argument("--features", type=Path, default=FEATURES, metavar="DIR", help="default: the packaged ones")
    parser.add_argument("--results", type=Path, default=Path("reports/results.json"), metavar="PATH")
    parser.add_argument(
        "--conformance-config",
        type=Path,
        default=config_in(Path.cwd())[0],
        metavar="PATH",
        help="default: ./conformance.toml, else the packaged",
    )
    args = parser.parse_args(argv)
    features = parse_features(args.features)
    if args.spec:
        written = write_report(build_report(features, [], None, SPEC_TITLE), args.output or Path("reports/spec.md"))
    else:
        try:
            config = load_config(args.conformance_config)
        except ConfigError as error:
            print(error, file=sys.stderr)
            return 2
        written = write_conformance_report(features, args.results, config, args.output)
    print("\n".join(str(path) for path in written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
