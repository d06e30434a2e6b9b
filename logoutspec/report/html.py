"""The report as one self-contained HTML page: its stylesheet (templates/report.css) inlined, no
script, no request for anything outside the file; readable on a phone (tables become cards)."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from pathlib import Path

from logoutspec.report.markdown import blocked_text, cause_cells
from logoutspec.report.model import (
    CAUSE_HEADERS,
    NOT_EXERCISED,
    OUTCOME_LABELS,
    SUMMARY_HEADERS,
    Cell,
    FeatureDoc,
    Report,
    RuleDoc,
    ScenarioDoc,
    TargetColumn,
    Verdict,
    summary_cells,
    target_heading,
)
from logoutspec.report.quotes import BLOCK_KEYWORDS, STEP_KEYWORDS, URL_RE, Quote, slug

STYLESHEET = Path(__file__).resolve().parents[1] / "templates" / "report.css"


def stylesheet() -> str:
    """The report's CSS, kept in its own file and inlined, so that the page is one file."""
    return STYLESHEET.read_text()


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
            f"<style>{stylesheet()}</style>",
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
    described = [f"<li><b>{esc(t.name)}</b>: {linked(t.described)}</li>" for t in report.targets if t.described]
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
