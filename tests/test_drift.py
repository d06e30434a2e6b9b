"""The drift check notices when Streamlit's docstrings stop saying what a Rule quotes."""

from __future__ import annotations

from pathlib import Path

import pytest

from logoutspec.targets.streamlit.drift import docstrings, drifts, normalize, quote_of, rule_quotes
from logoutspec.targets.streamlit.provision import resolve_version

ROOT = Path(__file__).resolve().parent.parent
HOME_PAGE_RULE = "st.logout redirects the browser to the app's home page"


def test_a_quote_is_read_with_its_source_fragments_and_versions() -> None:
    description = (
        '> "This command removes the user\'s information from st.user, [...] and redirects them"\n'
        "> (st.logout, docs 1.50.0; Streamlit 1.42 and later)"
    )
    quote = quote_of("f", "r", description, {"streamlit:>=1.42"})
    assert quote is not None
    assert (quote.source, quote.docs_version, quote.versions) == ("st.logout", "1.50.0", ">=1.42")
    assert quote.fragments == ("This command removes the user's information from st.user,", "and redirects them")


def test_docstrings_are_compared_as_the_docs_page_reads() -> None:
    assert normalize("removes it from ``st.experimental_user``,\n    deletes . Done") == (
        "removes it from st.user, deletes. Done"
    )


def test_every_rule_with_a_quote_names_its_source() -> None:
    quotes = rule_quotes(ROOT / "features")
    assert {q.source for q in quotes} == {"st.logout", "st.login", "st.user"}
    assert all(q.fragments and q.versions for q in quotes)


def test_a_fragment_missing_from_the_docstring_is_reported_in_or_out_of_range() -> None:
    quotes = [q for q in rule_quotes(ROOT / "features") if q.rule == HOME_PAGE_RULE]
    docs = {"st.logout": "This command removes the user's information from st.user, deletes their identity cookie"}
    [drift] = drifts(quotes, "1.60.0", docs)
    assert not drift.in_range and "redirects them back to your app's home page." in drift.missing[0]
    assert drifts(quotes, "1.50.0", docs)[0].in_range


@pytest.mark.streamlit
def test_the_real_docstring_change_of_st_logout_is_reported() -> None:
    """From 1.53 st.logout's docstring no longer says it redirects straight back home."""
    version = resolve_version("latest")
    found = drifts(rule_quotes(ROOT / "features"), version, docstrings(version))
    home = next(d for d in found if d.rule == HOME_PAGE_RULE)
    assert not home.in_range
    assert any("redirects them back to your app's home page" in m for m in home.missing)
    assert not [d for d in found if d.in_range], [d for d in found if d.in_range]
