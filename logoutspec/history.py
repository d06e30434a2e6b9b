"""The conformance history: every Rule against every release, oldest to newest, and what changed.

Built from a Report over many targets (report.build_report: the same verdicts and the same cell
explanations as the conformance report), ordered by version, with a changelog per release: the
Rules that started or stopped holding compared with the release before it in the same line
(a matrix of conformance.toml), and the documentation drift found for that release (handed in by
the caller: the drift check belongs to the Streamlit adapter, which the generic harness does not
import). Rendered as Markdown (the README's matrix) and as one HTML page from a Jinja2 template,
its CSS inlined, so that the page is one file that fetches nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from packaging.version import Version

from logoutspec.report import ICONS, OUTCOME_LABELS, Cell, Report, RuleDoc, TargetColumn, Verdict
from logoutspec.report.html import stylesheet

HISTORY_TITLE = "st.logout: the conformance history of every Streamlit release"
TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class HistoryCell:
    """One Rule on one release: its verdict and why, scenario by scenario, when it does not hold."""

    verdict: Verdict
    explanations: tuple[str, ...]


@dataclass(frozen=True)
class HistoryRule:
    feature: str
    name: str
    versions: str
    cells: tuple[HistoryCell, ...]


@dataclass(frozen=True)
class Change:
    """What a release changed against the one before it in its line."""

    target: TargetColumn
    before: str | None  # the previous release's target name (None: the first of its line)
    started: tuple[str, ...]
    stopped: tuple[str, ...]
    applies: tuple[str, ...]  # Rules that began to apply (their version range starts here)
    ended: tuple[str, ...]  # Rules that no longer apply
    drift: tuple[str, ...]


@dataclass(frozen=True)
class History:
    title: str
    targets: tuple[TargetColumn, ...]
    labels: tuple[str, ...]  # short column headings: the names without their common prefix
    rules: tuple[HistoryRule, ...]
    changes: tuple[Change, ...]


def release_order(targets: Sequence[TargetColumn]) -> list[int]:
    """Indexes of the targets from the oldest release to the newest (a server option after the plain one)."""
    return sorted(range(len(targets)), key=lambda i: (Version(targets[i].version), len(targets[i].name)))


def build_history(report: Report, lines: Mapping[str, str], drift: Mapping[str, Sequence[str]]) -> History:
    """The history of a report over many releases. lines maps each target to its line (the matrix
    it comes from), drift each version to the drift check's findings for it."""
    order = release_order(report.targets)
    targets = tuple(report.targets[i] for i in order)
    rules = tuple(
        HistoryRule(feature.name, rule.name, rule.versions, tuple(history_cell(rule, i) for i in order))
        for feature in report.features
        for rule in feature.rules
    )
    changes = tuple(change(targets, rules, index, lines, drift) for index in range(len(targets)))
    return History(HISTORY_TITLE, targets, short_labels([t.name for t in targets]), rules, changes)


def history_cell(rule: RuleDoc, index: int) -> HistoryCell:
    """A rule's verdict on one target, with one line per scenario (or example row) that did not pass."""
    verdict = rule.verdicts[index]
    lines = []
    for scenario in rule.scenarios:
        name = scenario.gherkin[0].split(":", 1)[-1].strip()
        for row in scenario.rows:
            cell = row.cells[index]
            if cell.outcome != "passed":
                example = f" [{' / '.join(row.values[:2])}]" if row.values else ""
                lines.append(f"{name}{example}: {explanation(cell)}")
    if verdict.label == "not applicable":  # every scenario says the same: say it once
        lines = [explanation(rule.scenarios[0].rows[0].cells[index])] if rule.scenarios else []
    return HistoryCell(verdict, tuple(dict.fromkeys(lines)))


def explanation(cell: Cell) -> str:
    """An outcome as the report explains it: its label, the step that failed, and the reason."""
    step = f" at “{cell.step}”" if cell.step else ""
    note = f": {cell.note}" if cell.note else ""
    return f"{OUTCOME_LABELS[cell.outcome]}{step}{note}"


def change(
    targets: Sequence[TargetColumn],
    rules: Sequence[HistoryRule],
    index: int,
    lines: Mapping[str, str],
    drift: Mapping[str, Sequence[str]],
) -> Change:
    """Compare a release with the previous one of its line (or, the first of a line, the same
    version in another line: the Starlette server against Tornado's)."""
    target = targets[index]
    line = lines.get(target.name)
    earlier = [i for i in range(index) if lines.get(targets[i].name) == line]
    same_version = [i for i in range(len(targets)) if i != index and targets[i].version == target.version]
    before = earlier[-1] if earlier else (same_version[0] if same_version else None)
    findings = tuple(drift.get(target.version, ()))
    if before is None:
        return Change(target, None, (), (), (), (), findings)

    def named(test: Callable[[str, str], bool]) -> tuple[str, ...]:
        return tuple(r.name for r in rules if test(r.cells[before].verdict.label, r.cells[index].verdict.label))

    return Change(
        target,
        targets[before].name,
        started=named(lambda old, new: new == "holds" and old not in ("holds", "not applicable")),
        stopped=named(lambda old, new: old == "holds" and new not in ("holds", "not applicable")),
        applies=named(lambda old, new: old == "not applicable" and new != "not applicable"),
        ended=named(lambda old, new: old != "not applicable" and new == "not applicable"),
        drift=findings,
    )


def short_labels(names: Sequence[str]) -> tuple[str, ...]:
    """The target names without the prefix they all share ("streamlit-1.55" -> "1.55")."""
    words = [name.split("-") for name in names]
    shared = 0
    while len(words) > 1 and all(len(w) > shared + 1 and w[shared] == words[0][shared] for w in words):
        shared += 1
    return tuple("-".join(w[shared:]) for w in words)


# Rendering


def render_history_markdown(history: History) -> str:
    """The matrix (icons, one column per release), then why each cell does not hold, then the changelog."""
    lines = [f"# {history.title}", "", legend(), ""]
    header = ["Rule", *history.labels]
    lines += [md_row(header), md_row(["---"] * len(header))]
    for rule in history.rules:
        lines.append(md_row([md(rule.name), *(ICONS[c.verdict.kind] for c in rule.cells)]))
    lines += ["", "## Why a cell does not hold", ""]
    for rule in history.rules:
        explained = [(label, c) for label, c in zip(history.labels, rule.cells, strict=True) if c.explanations]
        if any(c.verdict.label != "not applicable" for _, c in explained):
            lines += [f"### {md(rule.name)}", ""]
            lines += [
                f"- **{md(label)}** {c.verdict.label}: " + "; ".join(md(e) for e in c.explanations)
                for label, c in explained
                if c.verdict.label != "not applicable"
            ]
            lines.append("")
    lines += ["## Changelog", ""]
    for item in reversed(history.changes):
        lines += [f"### {md(item.target.name)} ({item.target.version})", "", *change_lines(item, md), ""]
    return "\n".join(lines).rstrip() + "\n"


def change_lines(item: Change, esc: Callable[[str], str]) -> list[str]:
    """The changelog entries of one release, as Markdown list items (esc escapes a Rule's name)."""
    if item.before is None:
        entries = [f"- first release of its line{': ' + item.target.description if item.target.description else ''}"]
    else:
        entries = [
            f"- compared with {item.before}" + (f"; {item.target.description}" if item.target.description else "")
        ]
        for label, names in (
            ("started holding", item.started),
            ("stopped holding", item.stopped),
            ("now applies", item.applies),
            ("no longer applies", item.ended),
        ):
            entries += [f"- {label}: {esc(name)}" for name in names]
        if len(entries) == 1:
            entries.append("- no Rule changed")
    entries += [f"- documentation drift: {esc(finding)}" for finding in item.drift]
    return entries


def legend() -> str:
    kinds = ("passed", "failed", "xfailed", "xpassed", "skipped")
    names = {"passed": "holds", "failed": "deviates (failed)", "xfailed": "declared deviation"}
    return " · ".join(f"{ICONS[k]} {names.get(k, OUTCOME_LABELS[k])}" for k in kinds)


def md_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def md(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace("\n", " ")


def render_history_html(history: History) -> str:
    """One self-contained page: the Jinja2 template with autoescaping, the stylesheet inlined."""
    environment = Environment(
        loader=PackageLoader("logoutspec", "templates"), autoescape=select_autoescape(["html", "j2"])
    )
    template = environment.get_template("history.html.j2")
    return template.render(
        history=history,
        icons=ICONS,
        legend=legend(),
        css=stylesheet() + (TEMPLATES / "history.css").read_text(),  # the report's look, and the grid's
        change_lines=lambda item: [line.removeprefix("- ") for line in change_lines(item, str)],
        columns=list(zip(history.labels, history.targets, strict=True)),
    )


def write_history(history: History, directory: Path) -> tuple[Path, Path]:
    """index.md and index.html in directory (reports/history/)."""
    directory.mkdir(parents=True, exist_ok=True)
    markdown, page = directory / "index.md", directory / "index.html"
    markdown.write_text(render_history_markdown(history))
    page.write_text(render_history_html(history))
    return markdown, page
