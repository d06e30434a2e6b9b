"""The conformance report: the features read as documentation, with every target's outcome beside
each scenario, as Markdown (for the README and code review) and as one self-contained HTML page.

Split by job: model.py builds the report from the features, the records of results.json and the
config; quotes.py parses the features' conventions (a Rule's quote, source and versions); markdown.py
and html.py render it (html.py with its stylesheet in templates/report.css, inlined); cli.py is
`logoutspec report`. With no records it is the specification alone: `logoutspec report --spec`.
This module writes both renderings and re-exports what the rest of the harness uses.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from pytest_bdd.parser import Feature

from logoutspec.config import Config
from logoutspec.report.html import render_html
from logoutspec.report.markdown import render_markdown
from logoutspec.report.model import (
    CONFORMANCE_TITLE,
    ICONS,
    NOT_EXERCISED,
    NOT_RUN,
    OUTCOME_LABELS,
    SPEC_TITLE,
    Cell,
    FeatureDoc,
    Report,
    RuleDoc,
    TargetColumn,
    Verdict,
    build_report,
    rule_verdict,
)
from logoutspec.report.quotes import Quote, parse_features, parse_quote, source_link

__all__ = [
    "CONFORMANCE_TITLE",
    "ICONS",
    "NOT_EXERCISED",
    "NOT_RUN",
    "OUTCOME_LABELS",
    "SPEC_TITLE",
    "Cell",
    "FeatureDoc",
    "Quote",
    "Report",
    "RuleDoc",
    "TargetColumn",
    "Verdict",
    "build_report",
    "main",
    "parse_features",
    "parse_quote",
    "render_html",
    "render_markdown",
    "rule_verdict",
    "source_link",
    "write_conformance_report",
    "write_report",
]


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


def main(argv: list[str] | None = None, prog: str = "python -m logoutspec.report") -> int:
    """`logoutspec report` (cli.py, imported when it runs: it needs this module's writers)."""
    from logoutspec.report.cli import main as report_main

    return report_main(argv, prog)
