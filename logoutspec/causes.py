"""Failures grouped by cause: one finding that fails many scenarios is reported once, with a count.

A server that never shows the app fails every scenario at "Given Alice is logged in", each with a
long message that differs only in its port, its state parameter or its token. Reported one by
one, that reads as a target breaking every Rule; it is one finding. A cause is the first step
that failed (the step a scenario stopped at) with its message normalised: ports, query values,
ids, tokens and timestamps replaced by placeholders, pytest's assertion introspection dropped.

A target on which every scenario that applies failed while being set up (in a Given step, or
before any step) could not be exercised at all: its Rules were never reached, so it is flagged as
such, with the cause, instead of as deviating on every Rule.

Pure functions of the records of reports/results.json, used by the report and by the end of the
pytest run alike.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

Record = Mapping[str, str | None]

# Outcomes of a scenario that ran and failed; a declared deviation (xfailed) failed as declared.
FAILING = frozenset({"failed", "xfailed"})
NOT_APPLICABLE = "skipped"
SETUP_KEYWORD = "Given"
MESSAGE_LIMIT = 300  # characters of a normalised message shown

# (pattern, placeholder), applied in order: each later pattern sees the earlier placeholders.
NORMALISATIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(://[\w.-]+):\d+"), r"\1:<port>"),
    (re.compile(r"([?&][\w.-]+=)[^&\s'\"<>)\]]+"), r"\1<value>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<id>"),
    (re.compile(r"(?<![\w-])(?=[\w.-]*\d)[A-Za-z0-9_-]{20,}(?:\.[A-Za-z0-9_-]+)*"), "<id>"),
    (re.compile(r"\b\d{9,}(?:\.\d+)?\b"), "<number>"),
)


@dataclass(frozen=True)
class Cause:
    """One reason scenarios of a target failed: the step they stopped at and what it said."""

    target: str
    step: str
    message: str
    scenarios: int  # how many scenarios (Examples rows) it explains

    def line(self) -> str:
        """E.g. '28 scenarios: at "Given Alice is logged in": NavigationError: ...'."""
        count = f"{self.scenarios} scenario{'s' if self.scenarios != 1 else ''}"
        where = f'at "{self.step}"' if self.step else "before any step"
        return f"{count}: {where}: {self.message}"


def normalised(message: str) -> str:
    """A failure message as a cause: its first paragraph without pytest's introspection (the
    lines from "assert ..." on), ports, query values, ids, tokens and timestamps as placeholders."""
    lines = message.strip().splitlines()
    end = next((i for i, line in enumerate(lines) if line.startswith("assert ")), len(lines))
    text = " ".join(line.strip() for line in lines[:end] if line.strip())
    for pattern, placeholder in NORMALISATIONS:
        text = pattern.sub(placeholder, text)
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def failing_step(record: Record) -> str:
    """The step a record's scenario stopped at, written with the keyword of its kind (Given, When,
    Then) where results.json says it, so that "And Alice is logged in" after a Given reads as setup."""
    step = record.get("step") or ""
    step_type = record.get("step_type") or ""
    if not step or not step_type:
        return step
    _keyword, _, text = step.partition(" ")
    return f"{step_type.capitalize()} {text}"


def causes_by_target(records: Iterable[Record]) -> dict[str, list[Cause]]:
    """Per target (in the order of the records), the distinct causes of its failed scenarios, the
    one explaining most first. Declared deviations are not causes: they are reported as declared."""
    counts: dict[str, Counter[tuple[str, str]]] = {}
    for record in records:
        target = str(record["target"])
        counts.setdefault(target, Counter())
        if record["outcome"] == "failed":
            counts[target][(failing_step(record), normalised(record.get("reason") or ""))] += 1
    return {
        target: [Cause(target, step, message, n) for (step, message), n in counter.most_common()]
        for target, counter in counts.items()
    }


def not_exercised(records: Sequence[Record]) -> dict[str, Cause]:
    """The targets that could not be exercised, each with the cause that stopped it: every scenario
    that applies to it failed in setup (a declared deviation too), none passed."""
    causes = causes_by_target(records)
    flagged = {}
    for target, target_causes in causes.items():
        applicable = [r for r in records if r["target"] == target and r["outcome"] != NOT_APPLICABLE]
        in_setup = all(r["outcome"] in FAILING and is_setup_failure(r) for r in applicable)
        if applicable and target_causes and in_setup:
            flagged[target] = target_causes[0]
    return flagged


def is_setup_failure(record: Record) -> bool:
    """Whether a scenario failed before doing what it checks: in a Given step, or before any step."""
    step = failing_step(record)
    return not step or step.startswith(SETUP_KEYWORD)
