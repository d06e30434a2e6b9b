"""The features' conventions the report relies on, parsed.

A Rule's description is its quote: the documentation's words in double quotes (a quote with none
is code, kept verbatim), then a note in parentheses saying where the quote is from and for which
versions. A feature's description names its source pages by URL; a rule links the page named at
the start of its note (st.login, st.user, ...), else the first URL; a URL in the rule's own
description comes first. Also the Gherkin text of backgrounds and scenarios, as the report shows it.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_bdd.parser import Background, Feature, FeatureParser, ScenarioTemplate, Step

VERSION_TAG = "streamlit:"


BLOCK_KEYWORDS = ("Background:", "Scenario Outline:", "Scenario:", "Examples:")


STEP_KEYWORDS = ("Given", "When", "Then", "And", "But", "*")


URL_RE = re.compile(r"https?://[^\s<>\"'()]*[^\s<>\"'().,;:]")


@dataclass(frozen=True)
class Quote:
    """A Rule's description: quoted code, documented sentences, and the note on source and versions."""

    code: str
    sentences: tuple[str, ...]
    note: str


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
