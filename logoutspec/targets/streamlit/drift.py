"""Documentation drift: does each Rule's quoted sentence still stand in Streamlit's docstrings?

A Rule quotes the documentation between double quotes on its `>` lines and names its source as
"(st.logout, docs 1.50.0; ...)". The docs pages are generated from the docstrings, so for every
Streamlit version this reads the installed docstrings of st.logout, st.login and st.user and
reports each Rule whose quoted text is no longer there: that is how the suite notices that the
documentation moved under it. A drift inside the Rule's version range means the spec is out of
date; outside it, it is the documented reason the range ends.

    logoutspec drift [--version V ...]    (default: the versions of the config's Streamlit targets)
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from packaging.specifiers import SpecifierSet
from pytest_bdd.feature import get_features

from logoutspec.config import ConfigError, load_config
from logoutspec.locations import FEATURES, config_in
from logoutspec.report import parse_quote
from logoutspec.targets.streamlit.provision import provision, resolve_version

QUOTED = re.compile(r'"([^"]+)"')
SOURCE = re.compile(r"(st\.\w+), docs (\d+(?:\.\d+)*)")  # the note's opening: "st.logout, docs 1.50.0; ..."
VERSION_TAG = "streamlit:"
READ_DOCSTRINGS = """
import json, streamlit as st
user = st.user if hasattr(st, "user") else st.experimental_user
print(json.dumps({"st.logout": st.logout.__doc__, "st.login": st.login.__doc__, "st.user": type(user).__doc__}))
"""


@dataclass(frozen=True)
class Quote:
    """What one Rule quotes: from which function's docs, of which version, and the fragments."""

    feature: str
    rule: str
    versions: str
    source: str
    docs_version: str
    fragments: tuple[str, ...]


@dataclass(frozen=True)
class Drift:
    version: str
    feature: str
    rule: str
    source: str
    quoted_from: str
    in_range: bool
    missing: tuple[str, ...]


def normalize(text: str) -> str:
    """Docstring text as the docs page reads: no rst backticks or >>> prompts, single spaces.

    st.experimental_user reads as st.user: the same object under its name before 1.45, a rename
    the features acknowledge rather than a change of promise.
    """
    text = text.replace("``", "").replace(">>>", " ").replace("st.experimental_user", "st.user")
    text = re.sub(r"\s+", " ", text)
    return re.sub(r" ([.,;:!?])", r"\1", text).strip()


def rule_quotes(features_dir: Path) -> list[Quote]:
    """Every Rule of the features that quotes a named source, in the order they are written."""
    quotes: dict[tuple[str, str], Quote] = {}
    for feature in get_features([str(features_dir)]):
        for scenario in feature.scenarios.values():
            rule = scenario.rule
            if rule is None or (feature.name, rule.name) in quotes:
                continue
            quote = quote_of(feature.name, rule.name, rule.description, rule.tags)
            if quote is not None:
                quotes[(feature.name, rule.name)] = quote
    return list(quotes.values())


def quote_of(feature: str, rule: str, description: str, tags: set[str]) -> Quote | None:
    """The quoted sentences of a Rule (read as the report reads them) and the source its note names."""
    parsed = parse_quote(description)
    source = SOURCE.match(parsed.note)
    if source is None or not parsed.sentences:
        return None
    fragments = tuple(
        normalize(part) for text in QUOTED.findall(" ".join(parsed.sentences)) for part in text.split("[...]")
    )
    versions = next((t.removeprefix(VERSION_TAG) for t in tags if t.startswith(VERSION_TAG)), "")
    return Quote(feature, rule, versions, source.group(1), source.group(2), tuple(f for f in fragments if f))


def docstrings(version: str) -> dict[str, str]:
    """The normalized docstrings of st.logout, st.login and st.user in that Streamlit version."""
    python = provision(version)
    result = subprocess.run([str(python), "-c", READ_DOCSTRINGS], capture_output=True, text=True, check=True)
    return {name: normalize(doc or "") for name, doc in json.loads(result.stdout).items()}


def drifts(quotes: list[Quote], version: str, docs: dict[str, str]) -> list[Drift]:
    """The Rules whose quoted fragments are not all in that version's docstring of their source."""
    found = []
    for quote in quotes:
        missing = tuple(f for f in quote.fragments if f not in docs.get(quote.source, ""))
        if missing:
            in_range = not quote.versions or SpecifierSet(quote.versions).contains(version, prereleases=True)
            found.append(Drift(version, quote.feature, quote.rule, quote.source, quote.docs_version, in_range, missing))
    return found


def streamlit_versions(config_path: Path) -> list[str]:
    config = load_config(config_path)
    return sorted(
        {resolve_version(t.version) for t in config.targets.values() if t.adapter in ("streamlit", "browser")},
        key=lambda v: tuple(int(p) for p in v.split(".")),
    )


def print_drifts(version: str, found: list[Drift]) -> None:
    print(f"Streamlit {version}: {len(found)} rule(s) quote text its docstrings no longer have")
    for drift in found:
        where = "IN RANGE: the spec is out of date" if drift.in_range else "outside the rule's range"
        print(f"  [{where}] {drift.feature} / {drift.rule} ({drift.source}, docs {drift.quoted_from})")
        for fragment in drift.missing:
            print(f"      no longer says: {fragment!r}")


def main(argv: list[str] | None = None, prog: str = "python -m logoutspec.targets.streamlit.drift") -> int:
    parser = argparse.ArgumentParser(prog=prog, description="Report rules whose quoted documentation changed.")
    parser.add_argument("--version", action="append", default=[], help="default: the targets' versions")
    parser.add_argument(
        "--config", type=Path, default=config_in(Path.cwd())[0], help="default: ./conformance.toml, else the packaged"
    )
    parser.add_argument(
        "--report", type=Path, default=Path("reports") / "drift.json", help="default: reports/drift.json"
    )
    args = parser.parse_args(argv)
    try:
        versions = [resolve_version(v) for v in args.version] or streamlit_versions(args.config)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    quotes = rule_quotes(FEATURES)
    everything = []
    for version in versions:
        found = drifts(quotes, version, docstrings(version))
        print_drifts(version, found)
        everything.extend(found)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps([asdict(d) for d in everything], indent=2) + "\n")
    return 1 if any(d.in_range for d in everything) else 0


if __name__ == "__main__":
    sys.exit(main())
