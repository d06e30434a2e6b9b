"""The conformance report: every outcome kind shown right, over two targets, in both formats; a
real run that writes it; the spec rendered without running; the HTML page in headless Chromium."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import pytest
from conftest import PHONE_WIDTH, PhoneView  # tests/conftest.py: the phone check both pages share

from logoutspec.causes import normalised, not_exercised
from logoutspec.report import (
    CONFORMANCE_TITLE,
    ICONS,
    NOT_EXERCISED,
    Cell,
    Quote,
    Report,
    build_report,
    main,
    parse_features,
    parse_quote,
    render_html,
    render_markdown,
    rule_verdict,
    source_link,
)
from logoutspec.runner import run_suite

ROOT = Path(__file__).resolve().parent.parent
RUN_TIMEOUT = 300  # seconds; the two-target run takes a few
NOT_APPLICABLE = ICONS["skipped"]

FEATURE = """
@source:st.logout
Feature: Logging out
  What st.logout promises.

  Sources: https://docs.example.org/st.logout and https://docs.example.org/st.user

  Background:
    Given the probe app

  @streamlit:>=1.42,<1.53
  Rule: st.logout deletes the identity cookie
    > "This command deletes their identity cookie."
    > (st.logout, docs 1.50.0; Streamlit 1.42 to 1.52)

    Scenario: The cookie is gone
      Given Alice is logged in
      When she clicks "Log out"
      Then the browser holds no identity cookie

    @needs:clock
    Scenario: The cookie expires
      Given Alice is logged in
      Then st.user has these values:
        | key  | value   |
        | name | "Alice" |

  @streamlit:>=1.42
  Rule: st.user is cleared
    > "st.user will not be cleared in any other session."
    > (st.user, docs 1.53.0: https://docs.example.org/1.53.0/st.user)

    Scenario Outline: A tab shows <who>
      Given <who> is logged in
      Then the tab shows "<text>"

      Examples:
        | who   | state | text  |
        | Alice | in    | Hello |
        | Bob   | out   | Bye   |
"""
COOKIE_RULE = "st.logout deletes the identity cookie"
USER_RULE = "st.user is cleared"
OUTLINE = "A tab shows <who>"


def record(target: str, rule: str, scenario: str, outcome: str, reason: str = "", **extra: str) -> dict[str, str]:
    version = {"good": "1.50.0", "bad": "1.53.0"}[target]
    base = {"target": target, "target_version": version, "feature": "Logging out", "rule": rule}
    return {**base, "scenario": scenario, "example": "", "outcome": outcome, "reason": reason, "step": "", **extra}


# Every outcome kind over two targets: "good" holds both rules (one scenario lacks a capability, one
# declared deviation does not occur); "bad" is too new for the cookie rule and fails the other.
RECORDS = [
    record("good", COOKIE_RULE, "The cookie is gone", "passed"),
    record("good", COOKIE_RULE, "The cookie expires", "skipped", "not applicable: target good lacks 'clock'"),
    record("good", USER_RULE, OUTLINE, "passed", example="Alice / in"),
    record(
        "good",
        USER_RULE,
        OUTLINE,
        "xpassed",
        "[XPASS(strict)] declared deviation [harness limit]: flaky (https://example.org/1)",
        example="Bob / out",
    ),
    record(
        "bad", COOKIE_RULE, "The cookie is gone", "skipped", "not applicable: holds for >=1.42,<1.53; bad is 1.53.0"
    ),
    record(
        "bad", COOKIE_RULE, "The cookie expires", "skipped", "not applicable: holds for >=1.42,<1.53; bad is 1.53.0"
    ),
    record(
        "bad",
        USER_RULE,
        OUTLINE,
        "failed",
        "AssertionError: still logged in\nassert False",
        example="Alice / in",
        step='Then the tab shows "Hello"',
    ),
    record(
        "bad",
        USER_RULE,
        OUTLINE,
        "xfailed",
        "declared deviation [implementation bug]: Bob stays (https://example.org/2)",
        example="Bob / out",
        step='Then the tab shows "Bye"',
    ),
]


@pytest.fixture
def report(tmp_path: Path) -> Report:
    (tmp_path / "logout.feature").write_text(FEATURE)
    return build_report(parse_features(tmp_path), RECORDS, None, CONFORMANCE_TITLE)


def test_the_summary_counts_rules_and_scenarios_per_target(report: Report) -> None:
    markdown = render_markdown(report)
    assert "| **good (1.50.0)** | 2 of 2 | 0 | 0 | 2 passed · 1 unexpected pass · 1 not applicable |" in markdown
    assert "| **bad (1.53.0)** | 0 of 2 | 1 | 1 | 1 failed · 1 declared deviation · 2 not applicable |" in markdown


def test_the_matrix_has_a_row_per_rule_and_a_column_per_target(report: Report) -> None:
    markdown = render_markdown(report)
    assert "| rule | versions | good (1.50.0) | bad (1.53.0) |" in markdown
    assert (
        f"| {COOKIE_RULE} | Streamlit ≥1.42, &lt;1.53 | ✅ holds (1 not applicable) | {NOT_APPLICABLE} not applicable |"
        in markdown
    )
    assert (
        f"| {USER_RULE} | Streamlit ≥1.42 | ❗ holds (1 unexpected pass) "
        "| ❌ deviates (1 failed · 1 declared deviation) |" in markdown
    )


def test_a_rule_shows_its_quote_source_and_versions(report: Report) -> None:
    markdown = render_markdown(report)
    assert "*Streamlit ≥1.42, &lt;1.53* · source: https://docs.example.org/st.logout" in markdown
    assert "*Streamlit ≥1.42* · source: https://docs.example.org/1.53.0/st.user" in markdown  # its own URL
    assert (
        '> "This command deletes their identity cookie."\n>\n> — st.logout, docs 1.50.0; Streamlit 1.42 to 1.52'
        in markdown
    )
    assert "```gherkin\nBackground:\n  Given the probe app\n```" in markdown


def test_scenarios_are_gherkin_with_an_outcome_per_target(report: Report) -> None:
    markdown = render_markdown(report)
    assert "@needs:clock\nScenario: The cookie expires\n  Given Alice is logged in\n" in markdown
    assert '  Then st.user has these values:\n    | key  | value   |\n    | name | "Alice" |\n' in markdown
    assert (
        f"| good (1.50.0) | bad (1.53.0) |\n| --- | --- |\n| ✅ **passed** "
        f"| {NOT_APPLICABLE} **not applicable** — holds for" in markdown
    )


def test_every_outcome_kind_is_shown_per_outline_row(report: Report) -> None:
    markdown = render_markdown(report)
    assert "| who | state | text | good (1.50.0) | bad (1.53.0) |" in markdown
    alice = (
        '| Alice | in | Hello | ✅ **passed** | ❌ **failed** at `Then the tab shows "Hello"` — '
        "AssertionError: still logged in |"
    )
    assert alice in markdown
    bob = (
        "| Bob | out | Bye | ❗ **passed despite a declared deviation** — "
        "[harness limit]: flaky (https://example.org/1) "
        '| ⚠️ **declared deviation** at `Then the tab shows "Bye"` — [implementation bug]: Bob stays '
        "(https://example.org/2) |"
    )
    assert bob in markdown
    assert "assert False" not in markdown  # pytest's introspection stays in results.json


def test_the_html_page_shows_the_same_and_is_self_contained(report: Report) -> None:
    page = render_html(report)
    assert_well_formed(page)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "<script" not in page and " src=" not in page and 'rel="stylesheet"' not in page
    assert "<th>good (1.50.0)</th><th>bad (1.53.0)</th>" in page
    for kind in ("passed", "failed", "xfailed", "xpassed", "skipped"):
        assert f'<span class="badge {kind}">' in page, kind
    assert '<td data-label="bad (1.53.0)"><div><span class="badge failed">failed</span>' in page
    assert "at <code>Then the tab shows &quot;Hello&quot;</code>" in page
    assert '[implementation bug]: Bob stays (<a href="https://example.org/2">https://example.org/2</a>)' in page
    assert "Scenario Outline:</span> A tab shows &lt;who&gt;" in page


def test_a_scenario_without_a_result_is_not_run(tmp_path: Path) -> None:
    (tmp_path / "logout.feature").write_text(FEATURE)
    report = build_report(parse_features(tmp_path), RECORDS[:1], None, CONFORMANCE_TITLE)
    assert "| ✅ **passed** |" in render_markdown(report)
    assert report.features[0].rules[1].verdicts[0].label == "not run"


@pytest.mark.parametrize(
    ("outcomes", "verdict"),
    [
        (["passed", "passed"], "holds"),
        (["passed", "skipped"], "holds"),
        (["passed", "xpassed"], "holds"),
        (["skipped", "skipped"], "not applicable"),
        (["passed", "xfailed"], "deviates"),
        (["xfailed", "failed"], "deviates"),
        (["passed", "not run"], "not run"),
    ],
)
def test_a_rule_fully_holds_only_when_every_applicable_scenario_passed(outcomes: list[str], verdict: str) -> None:
    assert rule_verdict([Cell(outcome) for outcome in outcomes]).label == verdict


def test_quoted_code_stays_verbatim() -> None:
    quote = parse_quote('    > if x:\n    >     st.logout("home")\n    > (st.logout, docs)')
    assert quote == Quote('if x:\n    st.logout("home")', (), "st.logout, docs")


def test_quoted_sentences_join_their_lines_into_paragraphs() -> None:
    quote = parse_quote(
        '    > "One sentence on\n    > (two) lines."\n    > is_logged_in: "Whether a user\n    > is logged in."\n'
        '    > "Required:" client_id,\n    > client_secret.\n    > (st.user, docs 1.50.0;\n    > 1.42 and later)'
    )
    assert quote.sentences == (
        '"One sentence on (two) lines."',
        'is_logged_in: "Whether a user is logged in."',
        '"Required:" client_id, client_secret.',
    )
    assert quote.note == "st.user, docs 1.50.0; 1.42 and later"


def test_a_rule_links_the_page_its_note_names() -> None:
    urls = ["https://d.example/st.login", "https://d.example/st.user"]
    assert source_link("st.user, docs 1.50.0", urls) == "https://d.example/st.user"
    assert source_link("the docs", urls) == "https://d.example/st.login"
    assert source_link("st.user", []) == ""


def test_the_spec_renders_without_running_anything(tmp_path: Path) -> None:
    main(["--spec", str(tmp_path / "spec.md")])
    markdown = (tmp_path / "spec.md").read_text()
    for feature in parse_features(ROOT / "features"):
        for template in feature.scenarios.values():
            assert f"### Rule: {template.rule.name}\n" in markdown
            assert f"{template.keyword}: {template.name}\n" in markdown
    assert "## Summary" not in markdown and "passed" not in markdown
    assert_well_formed((tmp_path / "spec.html").read_text())


# One real run over two targets: the reference checked as Streamlit 1.44.0 (so the documented
# example, which needs st.user from 1.45, does not apply) with a declared deviation that does not
# occur, and a mutant of the reference (reference_impl/mutations.py) that keeps the identity cookie,
# with one of the failures that causes declared.
TWO_TARGETS = """
[suite]
default_targets = ["reference", "mutant"]

[targets.reference]
adapter = "reference"
version = "1.44.0"
description = "The reference implementation, checked as Streamlit 1.44.0."

[targets.mutant]
adapter = "reference"
version = "1.50.0"
options = { mutation = "cookie-kept" }
description = "The reference implementation with a logout that keeps the identity cookie."

[[deviations]]
target = "reference"
scenario = "The second tab stays logged in after it reruns"
fails_at = 'the second tab shows st.user logged in as "Alice Liddell"'
category = "harness limit"
reason = "declared although it holds"

[[deviations]]
target = "mutant"
scenario = "A tab opened after the logout is logged out"
fails_at = 'the new tab shows st.user {"is_logged_in": false}'
category = "implementation bug"
reason = "the identity cookie outlives the logout"
link = "https://example.org/issues/1"
"""


@pytest.fixture(scope="module")
def two_target_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reports folder of a real pytest run over two targets, in a folder of its own."""
    folder = tmp_path_factory.mktemp("two-targets")
    (folder / "conformance.toml").write_text(TWO_TARGETS)
    run = run_suite(reports=folder / "reports", cwd=folder, timeout=RUN_TIMEOUT)  # folder's own conformance.toml
    assert run.returncode == 1, run.output  # the mutant fails, as it must
    return run.reports


def test_a_run_over_two_targets_writes_the_matrix_with_every_outcome_kind(two_target_run: Path) -> None:
    outcomes = {record["outcome"] for record in json.loads((two_target_run / "results.json").read_text())}
    assert outcomes == {"passed", "failed", "xfailed", "xpassed", "skipped"}
    markdown = (two_target_run / "conformance.md").read_text()
    assert "| rule | versions | reference (1.44.0) | mutant (1.50.0) |" in markdown
    assert "| st.logout deletes the identity cookie | Streamlit ≥1.42 | ✅ holds | ❌ deviates (1 failed) |" in markdown
    for shown in (
        "✅ **passed**",
        "❌ **failed** at `Then the logout response deletes the identity cookie with the path it was set with` — "
        "AssertionError: ",
        "⚠️ **declared deviation** at `Then the new tab shows st.user",
        "— [implementation bug]: the identity cookie outlives the logout (https://example.org/issues/1)",
        "❗ **passed despite a declared deviation** — [harness limit]: declared although it holds",
        f"{NOT_APPLICABLE} **not applicable** — the rule holds for Streamlit >=1.45; target reference is 1.44.0",
        "- **mutant**: The reference implementation with a logout that keeps the identity cookie.",
    ):
        assert shown in markdown, shown
    page = (two_target_run / "conformance.html").read_text()
    assert_well_formed(page)
    for kind in ("passed", "failed", "xfailed", "xpassed", "skipped"):
        assert f'<span class="badge {kind}">' in page, kind


def test_a_run_writes_cucumber_json_and_junit_xml_for_ci(two_target_run: Path) -> None:
    cucumber = json.loads((two_target_run / "cucumber.json").read_text())
    assert {feature["name"] for feature in cucumber} >= {"st.logout"}
    suite = ElementTree.parse(two_target_run / "junit.xml").getroot().find("testsuite")
    assert suite is not None and int(suite.get("failures", "0")) > 0


def test_the_report_re_renders_from_results_json(two_target_run: Path, tmp_path: Path) -> None:
    results, config = str(two_target_run / "results.json"), str(two_target_run.parent / "conformance.toml")
    main(["--results", results, "--conformance-config", config, str(tmp_path / "again.md")])
    assert (tmp_path / "again.md").read_text() == (two_target_run / "conformance.md").read_text()
    assert (tmp_path / "again.html").read_text() == (two_target_run / "conformance.html").read_text()


@pytest.mark.browser
def test_the_html_page_reads_on_a_phone_in_headless_chromium(
    two_target_run: Path, read_on_phone: Callable[[Path, str], PhoneView]
) -> None:
    """At 375 px: no console error, no request leaving the file, nothing wider than the screen,
    every rule and every target shown; the screenshot is reports/conformance.png."""
    rules = {t.rule.name for f in parse_features(ROOT / "features") for t in f.scenarios.values() if t.rule}

    targets = {"reference (1.44.0)", "mutant (1.50.0)"}
    view = read_on_phone(two_target_run / "conformance.html", "conformance")
    assert view.problems == []
    assert view.width <= PHONE_WIDTH
    assert [rule for rule in rules if rule not in view.text] == []
    assert view.matrix_labels == targets
    assert all(target in view.text for target in targets)  # the summary names them


class TagBalance(HTMLParser):
    """Checks that every element that is opened is closed, in order."""

    VOID = frozenset({"meta", "link", "br", "img", "input", "hr"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open.pop() == tag, f"</{tag}> closes {self.open[-1:]}"


def assert_well_formed(page: str) -> None:
    checker = TagBalance()
    checker.feed(page)
    assert checker.open == [], checker.open
    assert page.startswith("<!DOCTYPE html>")


LOGIN_FAILED = (
    "logoutspec.contract.NavigationError: navigation ended on http://localhost:{port}/welcome?state={state} "
    'with 200, a page without the app\'s root element (id="root"), so not the app: \'{{"service": "host"}}\''
)


def login_failure(target: str, rule: str, scenario: str, outcome: str, port: int, state: str, **extra: str) -> dict:
    """A scenario that failed at "Given Alice is logged in", its message naming a port and a state."""
    message = LOGIN_FAILED.format(port=port, state=state)
    return record(target, rule, scenario, outcome, message, step="Given Alice is logged in", step_type="given", **extra)


def test_failures_are_grouped_by_cause_before_the_rules() -> None:
    """Two failures that differ only in port and state are one cause; a third is another."""
    records = [
        record("good", COOKIE_RULE, "The cookie is gone", "passed"),
        login_failure("good", COOKIE_RULE, "The cookie expires", "failed", port=8501, state="a1b2"),
        login_failure("good", USER_RULE, OUTLINE, "failed", port=41234, state="zz9", example="Alice / in"),
        record(
            "good",
            USER_RULE,
            OUTLINE,
            "failed",
            "AssertionError: st.user is {'iat': 1796192539}\nassert False",
            example="Bob / out",
            step='Then the tab shows "Bye"',
            step_type="then",
        ),
    ]
    report = build_report(parse_features(write_feature()), records, None, CONFORMANCE_TITLE)
    markdown = render_markdown(report)
    causes = markdown.index("## Failures by cause")
    assert markdown.index("## Summary") < causes < markdown.index("## Rules by target")
    assert (
        "| good (1.50.0) | 2 | `Given Alice is logged in` | logoutspec.contract.NavigationError: navigation ended on "
        "http://localhost:&lt;port>/welcome?state=&lt;value> with 200, a page without the app's root element"
    ) in markdown
    assert (
        "| good (1.50.0) | 1 | `Then the tab shows \"Bye\"` | AssertionError: st.user is {'iat': &lt;number>} |"
        in markdown
    )
    assert NOT_EXERCISED not in markdown
    page = render_html(report)
    assert_well_formed(page)
    assert page.index('id="causes"') < page.index('id="matrix"')
    assert "http://localhost:&lt;port&gt;/welcome?state=&lt;value&gt;" in page


def test_a_target_whose_every_scenario_failed_in_setup_could_not_be_exercised() -> None:
    """Every scenario that applies failed in a Given step (an "And" after a Given is one too): the
    target is flagged with the cause, and its Rules are not reported as deviating."""
    records = [
        record("bad", COOKIE_RULE, "The cookie is gone", "skipped", "not applicable: 1.53.0"),
        record("bad", COOKIE_RULE, "The cookie expires", "skipped", "not applicable: 1.53.0"),
        login_failure("bad", USER_RULE, OUTLINE, "failed", port=8501, state="x", example="Alice / in"),
        {
            **login_failure("bad", USER_RULE, OUTLINE, "xfailed", port=8501, state="y", example="Bob / out"),
            "step": "And Alice is logged in",
        },
    ]
    report = build_report(parse_features(write_feature()), records, None, CONFORMANCE_TITLE)
    [summary] = report.summaries()
    assert summary.rules == {"not applicable": 1, NOT_EXERCISED: 1}
    markdown = render_markdown(report)
    assert f"| **bad (1.53.0) — {NOT_EXERCISED}** | 0 of 2 | 0 | 1 |" in markdown
    assert (
        f'- **bad** {NOT_EXERCISED}: every scenario that applies failed in setup; 1 scenario: at "Given Alice is '
        'logged in": logoutspec.contract.NavigationError: navigation ended on http://localhost:&lt;port>/welcome'
    ) in markdown
    assert f"| {USER_RULE} | Streamlit ≥1.42 | ❌ {NOT_EXERCISED} (1 failed · 1 declared deviation) |" in markdown
    assert f'<span class="badge failed">{NOT_EXERCISED}</span>' in render_html(report)


def test_one_passing_scenario_means_the_target_was_exercised() -> None:
    records = [
        record("bad", USER_RULE, OUTLINE, "failed", "boom", example="Alice / in", step="Given x", step_type="given"),
        record("bad", USER_RULE, OUTLINE, "passed", example="Bob / out"),
    ]
    assert not_exercised(records) == {}


@pytest.mark.parametrize(
    "message, expected",
    [
        (
            "ended on http://127.0.0.1:58053/oauth2callback?code=abc&state=def",
            "ended on http://127.0.0.1:<port>/oauth2callback?code=<value>&state=<value>",
        ),
        ("session 3f2a0c1e-8b7d-4f5e-9a6b-1c2d3e4f5a6b changed", "session <id> changed"),
        ("cookie eyJzdWIiOiAiYWxpY2UtMDAwMSJ9.1796192539.9f8e7d6c5b4a39281706 kept", "cookie <id> kept"),
        ("AssertionError: not logged in\nassert False\n  where False = f()", "AssertionError: not logged in"),
        ("the identity_provider_session_alive check", "the identity_provider_session_alive check"),
    ],
    ids=["ports and query values", "uuid", "token", "introspection", "a long word stays"],
)
def test_a_failure_message_is_normalised_into_a_cause(message: str, expected: str) -> None:
    assert normalised(message) == expected


def write_feature() -> Path:
    folder = Path(tempfile.mkdtemp())
    (folder / "logout.feature").write_text(FEATURE)
    return folder
