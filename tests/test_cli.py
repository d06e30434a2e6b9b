"""The logoutspec command and the plugin's run-anywhere behaviour: every subcommand has --help, a
run in a directory of its own uses that directory, and --reports-dir moves every report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from logoutspec.cli import COMMANDS, main
from logoutspec.runner import pytest_arguments

pytest_plugins = ["pytester"]

ONE_SCENARIO = ("-k", "without_being_logged_in", "-p", "no:cacheprovider")
EVERY_REPORT = {"results.json", "conformance.md", "conformance.html", "deviations.json", "cucumber.json", "junit.xml"}


@pytest.mark.parametrize("command", ["run", *COMMANDS])
def test_every_subcommand_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: logoutspec {command}")


def test_the_command_lists_its_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    listed = capsys.readouterr().out
    assert all(f"    {command} " in listed for command in ["run", *COMMANDS]), listed


def test_an_unknown_subcommand_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["nonsense"])
    assert exited.value.code == 2
    assert "invalid choice: 'nonsense'" in capsys.readouterr().err


def run_in(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """pytest as `logoutspec run` calls it, rooted in pytester's directory: the plugin, not the
    command, finds the config and places the reports."""
    return pytester.runpytest_subprocess(*pytest_arguments(*ONE_SCENARIO, *args, rootdir=pytester.path))


def test_the_reports_dir_gets_every_report_and_the_header_names_the_packaged_config(pytester: pytest.Pytester) -> None:
    reports = pytester.path / "elsewhere"
    result = run_in(pytester, "--target", "reference", f"--reports-dir={reports}")
    result.assert_outcomes(passed=1)
    packaged = f"the packaged default ({pytester.path} has no conformance.toml)"
    result.stdout.fnmatch_lines([f"logoutspec config: *, {packaged}"])
    assert {path.name for path in reports.iterdir()} >= EVERY_REPORT
    assert not (pytester.path / "reports").exists()


def test_a_directory_with_its_own_config_runs_its_targets(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", conformance='[targets.mine]\nadapter = "reference"\nversion = "1.53.0"\n')
    result = run_in(pytester)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["logoutspec targets: mine (Streamlit 1.53.0)"])
    records = json.loads((pytester.path / "reports" / "results.json").read_text())
    assert [(r["target"], r["target_version"]) for r in records] == [("mine", "1.53.0")]
    assert {path.name for path in (pytester.path / "reports").iterdir()} >= EVERY_REPORT


def test_a_given_cucumber_path_wins(pytester: pytest.Pytester, tmp_path: Path) -> None:
    cucumber = tmp_path / "mine.json"
    result = run_in(pytester, "--target", "reference", f"--cucumberjson={cucumber}")
    result.assert_outcomes(passed=1)
    assert cucumber.exists()
    assert not (pytester.path / "reports" / "cucumber.json").exists()
