"""The negative controls: the conformance suite must reject every broken variant of the reference.

The whole mutation check runs once (python -m logoutspec.mutants over mutations.toml, as CI runs it);
the other tests feed it small configs of their own.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from logoutspec.reference_impl import auth
from logoutspec.reference_impl.mutations import MUTATIONS

from logoutspec.config import load_config
from logoutspec.mutants import main
from logoutspec.resources import SuiteResources
from logoutspec.targets.reference import ReferenceTarget

ROOT = Path(__file__).resolve().parent.parent

Report = tuple[subprocess.CompletedProcess[str], dict[str, Any]]


def run_check(*args: str) -> subprocess.CompletedProcess[str]:
    """The check as a command; its limit guards against a hang, not a slow run: the whole suite runs
    once per mutant (about 90 s of CPU for 36 targets, some minutes on a shared, busy machine)."""
    return subprocess.run(
        [sys.executable, "-m", "logoutspec.mutants", *args], cwd=ROOT, capture_output=True, text=True, timeout=900
    )


def reference_and(tmp_path: Path, mutant: str, *lines: str) -> Path:
    """A config of the reference, as the baseline, and one mutant target made of these lines."""
    path = tmp_path / "mutations.toml"
    reference = '[targets.reference]\nadapter = "reference"\nversion = "1.50.0"\n'
    path.write_text("\n".join([reference, f"[targets.{mutant}]", 'version = "1.50.0"', *lines, ""]))
    return path


def run_reported_check(folder: Path, *args: str) -> Report:
    """The mutation check with its JSON report in folder: (the command's result, the report)."""
    report = folder / "mutations.json"
    done = run_check("--report", str(report), *args)
    assert report.exists(), done.stdout + done.stderr
    return done, json.loads(report.read_text())


@pytest.fixture(scope="module")
def check(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """The mutation check over mutations.toml as the README runs it: its baselines are the reference
    at 1.50 and at 1.53 (suite.baselines)."""
    return run_reported_check(tmp_path_factory.mktemp("mutations"))


def test_the_check_passes(check: Report) -> None:
    """The unmutated reference passes, no mutant survives and every Rule is exercised."""
    done, report = check
    assert done.returncode == 0, done.stdout + done.stderr
    assert report["baseline"] == {"targets": ["reference", "reference-1.53"], "passed": True, "failures": []}
    assert report["survived"] == [], done.stdout
    assert report["uncovered"] == [], done.stdout


def test_every_rule_of_every_version_is_broken_by_some_mutant(check: Report) -> None:
    """The check counts only the Rules that hold for its baseline's version; this counts them all."""
    _, report = check
    caught = {rule["rule"] for rule in report["rules"] if rule["caught"]}
    rules = {rule for feature in (ROOT / "features").glob("*.feature") for rule in rules_of(feature)}
    assert rules - caught == set(), report["rules"]


def rules_of(feature: Path) -> list[str]:
    return re.findall(r"^\s*Rule: (.+?)\s*$", feature.read_text(), flags=re.MULTILINE)


def test_every_mutation_is_caught_by_a_scenario_of_the_rule_it_breaks(check: Report) -> None:
    _, report = check
    for mutant in report["mutants"]:
        name = mutant["target"].removeprefix("mutant-")
        rules = {scenario["rule"] for scenario in mutant["caught_by"]}
        assert mutant["result"] == "caught", mutant
        assert all(scenario["scenario"] and scenario["reason"] for scenario in mutant["caught_by"]), mutant
        assert MUTATIONS[name].rule in rules, f"{name} breaks {MUTATIONS[name].rule!r} but was caught by {rules}"


def test_mutations_toml_declares_the_reference_and_one_target_per_mutation() -> None:
    """The references are declared in the file; the mutants are made from the registry (suite.targets_from)."""
    config = load_config(ROOT / "mutations.toml")
    options = {name: dict(target.options) for name, target in config.targets.items()}
    mutants = {f"mutant-{name}": {"mutation": name} for name in MUTATIONS}
    assert options == {"reference": {}, "reference-1.53": {}} | mutants
    for name, mutation in MUTATIONS.items():
        assert config.targets[f"mutant-{name}"].description == mutation.summary
        assert config.targets[f"mutant-{name}"].version == mutation.version
    assert [t.name for t in config.select([])] == list(config.targets)
    assert len(MUTATIONS) >= 14


def test_a_surviving_mutant_fails_the_check_by_name(tmp_path: Path) -> None:
    """A "mutant" that is the reference itself fails nothing, so it must be reported as SURVIVED."""
    config = reference_and(tmp_path, "mutant-none", 'adapter = "reference"', 'description = "the reference, unmutated"')
    done = run_check("--config", str(config), "--report", str(tmp_path / "report.json"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "mutant-none  SURVIVED" in done.stdout
    assert done.stdout.splitlines()[-1].startswith("Mutation check FAILED: SURVIVED: mutant-none;"), done.stdout
    assert json.loads((tmp_path / "report.json").read_text())["survived"] == ["mutant-none"]


def test_an_unknown_mutation_is_one_line_naming_file_and_key(tmp_path: Path) -> None:
    config = reference_and(tmp_path, "mutant-nope", 'adapter = "reference"', 'options = { mutation = "nope" }')
    done = run_check("--config", str(config))
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.splitlines() == [
        f"{config}: targets.mutant-nope: adapter failed: ValueError: unknown mutation 'nope'; "
        f"known: {', '.join(sorted(MUTATIONS))}"
    ]


@pytest.mark.parametrize(
    "targets, expected",
    [
        (None, "(file): not found"),
        (
            '[targets.mine]\nadapter = "reference"\nversion = "1.50.0"\n',
            "targets.reference: no such target (--baseline); known: mine",
        ),
    ],
    ids=["missing config", "baseline not in config"],
)
def test_bad_input_is_one_line_naming_file_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], targets: str | None, expected: str
) -> None:
    config = tmp_path / "mutations.toml"
    if targets is not None:
        config.write_text(targets)
    assert main(["--config", str(config), "--baseline", "reference"]) == 2
    assert capsys.readouterr().err.splitlines() == [f"{config}: {expected}"]


def test_a_mutation_is_in_force_only_between_begin_and_end_of_its_scenarios() -> None:
    """The unmutated reference runs in the same process as the mutants: it must never see one."""
    target = ReferenceTarget(
        name="mutant", version="1.50.0", options={"mutation": "cookie-lasts-1-day"}, resources=SuiteResources.default()
    )
    target.begin_scenario()
    try:
        assert auth.COOKIE_LIFETIME_SECONDS == auth.DAY_SECONDS
    finally:
        target.end_scenario()
    assert auth.COOKIE_LIFETIME_SECONDS == 30 * auth.DAY_SECONDS


# What each mutant that sends the browser off the app must be caught by: a NavigationError naming
# the page the browser ended on, not a crash somewhere after it.
NAVIGATION_ERROR = "logoutspec.contract.NavigationError: navigation ended on http://"
LEFT_THE_APP = {
    "callback-lands-off-app": ("/welcome with 200",),
    "login-url-outside-base-path": ("/auth/login?provider=", "with 404, which is not under the app's base URL"),
    "logout-url-outside-base-path": ("/auth/logout with 404, which is not under the app's base URL",),
    "auth-routes-redirect-to-origin-root": ("/ with 200, which is not under the app's base URL",),
}


def test_a_mutant_that_sends_the_browser_off_the_app_is_caught_where_it_leaves_it(check: Report) -> None:
    _, report = check
    caught = {m["target"].removeprefix("mutant-"): m["caught_by"] for m in report["mutants"]}
    for name, fragments in LEFT_THE_APP.items():
        assert caught[name], f"{name} was not caught"
        navigation_errors = [s for s in caught[name] if s["reason"].startswith(NAVIGATION_ERROR)]
        assert navigation_errors, f"{name} was caught by no NavigationError: {caught[name]}"
        for scenario in navigation_errors:
            assert all(fragment in scenario["reason"] for fragment in fragments), scenario
        for scenario in caught[name]:  # a step of its own (a Rule on failed logins) names where it ended too
            assert "ended on http://" in scenario["reason"], scenario


def test_a_login_that_never_starts_fails_the_wrong_answer_examples(check: Report) -> None:
    """A login the identity provider never saw is not the app refusing a wrong answer: each of the
    four examples fails at "she tries to log in", naming the page the browser ended on."""
    _, report = check
    [mutant] = [m for m in report["mutants"] if m["target"] == "mutant-login-never-starts"]
    wrong_answers = [s for s in mutant["caught_by"] if s["scenario"].startswith("A login answer that does not belong")]
    assert len(wrong_answers) == 4, mutant["caught_by"]
    for scenario in wrong_answers:
        assert scenario["step"] == "When she tries to log in", scenario
        assert "NavigationError: navigation ended on http://localhost:8501/auth/login?provider=" in scenario["reason"]
