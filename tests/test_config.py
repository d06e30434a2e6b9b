"""Bad conformance.toml input: one clear line naming the file and the key, a non-zero exit."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from logoutspec.config import ConfigError, create_target, load_config
from logoutspec.resources import SuiteResources
from logoutspec.runner import run_suite

ROOT = Path(__file__).resolve().parent.parent
GOOD = """
[suite]
default_targets = ["reference"]

[targets.reference]
adapter = "reference"
version = "1.50.0"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "conformance.toml"
    path.write_text(textwrap.dedent(text))
    return path


def config_error(path: Path, targets: list[str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        config = load_config(path)
        for target in config.select(targets or []):
            create_target(config, target, SuiteResources(config.fixtures))
    return str(caught.value)


BAD_CONFIGS = {
    "not TOML": ("[targets.reference\nadapter = 1", "(file): not valid TOML"),
    "unknown top-level key": (GOOD + "\n[extras]\nx = 1\n", "extras: unknown key"),
    "unknown target key": (GOOD + 'colour = "red"\n', "targets.reference.colour: unknown key"),
    "missing adapter": ('[targets.reference]\nversion = "1.50.0"\n', "targets.reference.adapter: missing"),
    "missing version": (
        '[targets.mine]\nadapter = "reference"\n',
        "targets.mine.version: missing: the Streamlit version",
    ),
    "unknown adapter": (
        '[targets.x]\nadapter = "nonsense"\nversion = "1.50.0"\n',
        "targets.x.adapter: unknown adapter 'nonsense'",
    ),
    "adapter import error": (
        '[targets.x]\nadapter = "no_such_package.mod:Factory"\nversion = "1.50.0"\n',
        "targets.x.adapter: cannot import 'no_such_package.mod': ModuleNotFoundError",
    ),
    "adapter without the factory": (
        '[targets.x]\nadapter = "logoutspec.config:NoSuchFactory"\nversion = "1.50.0"\n',
        "targets.x.adapter: 'logoutspec.config' has no callable 'NoSuchFactory'",
    ),
    "factory raising": (
        '[targets.x]\nadapter = "reference"\noptions = { colour = "red" }\nversion = "1.50.0"\n',
        "targets.x: adapter failed: ValueError: takes no options, got colour",
    ),
    "factory returning no Target": (
        '[targets.x]\nadapter = "types:SimpleNamespace"\nversion = "1.50.0"\n',
        "targets.x.adapter: the adapter returned a SimpleNamespace, which lacks idp, serve, begin_scenario, "
        "end_scenario, advance_clock, close, capabilities of Target",
    ),
    "wrong type of version": (
        '[targets.x]\nadapter = "reference"\nversion = 1.5\n',
        "targets.x.version: must be a string",
    ),
    "not a version": (
        '[targets.x]\nadapter = "reference"\nversion = "latest-ish"\n',
        "targets.x.version: 'latest-ish'",
    ),
    "wrong type of targets": ('targets = "reference"\n', "targets: must be a table, not str"),
    "missing app folder": (GOOD.replace("[suite]", '[suite]\napps = "nowhere/apps"'), "suite.apps: "),
    "missing idp fixture file": (GOOD.replace("[suite]", '[suite]\nidp = "nowhere/idp.toml"'), "suite.idp: "),
    "default target not declared": (
        '[suite]\ndefault_targets = ["ghost"]\n[targets.reference]\nadapter = "reference"\nversion = "1.50.0"\n',
        "suite.default_targets: names 'ghost'",
    ),
    "baseline not declared": (
        '[suite]\nbaselines = ["ghost"]\n[targets.reference]\nadapter = "reference"\nversion = "1.50.0"\n',
        "suite.baselines: names 'ghost'",
    ),
    "deviation with a bad category": (
        GOOD + '\n[[deviations]]\ntarget = "reference"\nscenario = "s"\ncategory = "oops"\nreason = "r"\n',
        "deviations[0].category: 'oops' is not one of",
    ),
    "deviation without reason": (
        GOOD + '\n[[deviations]]\ntarget = "reference"\nscenario = "s"\ncategory = "harness limit"\n',
        "deviations[0].reason: missing",
    ),
}


@pytest.mark.parametrize("text, expected", BAD_CONFIGS.values(), ids=BAD_CONFIGS.keys())
def test_bad_config_names_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    message = config_error(path)
    assert message.startswith(f"{path}: "), message
    assert expected in message, message
    assert "\n" not in message


def test_unknown_target_on_the_command_line(tmp_path: Path) -> None:
    message = config_error(write(tmp_path, GOOD), ["ghost"])
    assert "targets.ghost: no such target (--target); known: reference" in message


def test_good_config_loads() -> None:
    config = load_config(ROOT / "conformance.toml")
    assert "reference" in config.targets
    assert [t.name for t in config.select([])] == list(config.default_targets)


@pytest.mark.parametrize(
    "text, args, expected",
    [
        ("[targets\n", [], "conformance.toml: (file): not valid TOML"),
        (GOOD, ["--target", "ghost"], "conformance.toml: targets.ghost: no such target"),
        (
            '[targets.x]\nadapter = "reference"\noptions = { colour = "red" }\nversion = "1.50.0"\n',
            [],
            "targets.x: adapter failed",
        ),
    ],
    ids=["not TOML", "unknown target", "factory raising"],
)
def test_pytest_exits_with_one_line(tmp_path: Path, text: str, args: list[str], expected: str) -> None:
    """End to end: the real command prints one ERROR line, no traceback, exit 4."""
    path = write(tmp_path, text)
    run = run_suite("--conformance-config", str(path), *args, reports=tmp_path / "reports", cwd=tmp_path, timeout=60)
    assert run.returncode == 4, run.output
    errors = [line for line in run.output.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1 and expected in errors[0], run.output
    assert "Traceback" not in run.output, run.output
