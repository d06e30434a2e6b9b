"""The report as Markdown, for the README and code review."""

from __future__ import annotations

from collections.abc import Sequence

from logoutspec.causes import Cause
from logoutspec.report.model import (
    CAUSE_HEADERS,
    ICONS,
    NOT_EXERCISED,
    OUTCOME_LABELS,
    SUMMARY_HEADERS,
    Cell,
    FeatureDoc,
    Report,
    RuleDoc,
    ScenarioDoc,
    TargetColumn,
    summary_cells,
    target_heading,
)
from logoutspec.report.quotes import Quote


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
    lines += [f"- **{md(t.name)}**: {md(t.described)}" for t in report.targets if t.described]
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
