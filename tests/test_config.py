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

# A deviation of the reference, for the checks of fails_at against the steps of the features.
DEVIATION = """
[[deviations]]
target = "reference"
{selects}
fails_at = {fails_at}
category = "harness limit"
reason = "r"
"""
DELETES_RULE = "st.logout deletes the identity cookie"
DELETES = "The logout response deletes the identity cookie with the name and path it was set with"
OUTLINE = "A login answer that does not belong to the login the app started logs nobody in"


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
    "targets_from not a list": ('[suite]\ntargets_from = "x:y"\n' + GOOD[9:], "suite.targets_from: must be a list"),
    "targets_from import error": (
        '[suite]\ntargets_from = ["no_such_package.mod:make"]\n' + GOOD[9:],
        "suite.targets_from[0]: cannot import 'no_such_package.mod': ModuleNotFoundError",
    ),
    "targets_from making a declared target": (
        '[suite]\ntargets_from = ["test_config:generated_reference"]\n' + GOOD[9:],
        "suite.targets_from[0]: makes the target 'reference', which is declared already",
    ),
    "targets_from making a bad table": (
        '[suite]\ntargets_from = ["test_config:generated_without_adapter"]\n' + GOOD[9:],
        "targets.made.adapter: missing",
    ),
    "deviation with a bad category": (
        GOOD
        + '\n[[deviations]]\ntarget = "reference"\nscenario = "s"\nfails_at = "x"\ncategory = "oops"\nreason = "r"\n',
        "deviations[0].category: 'oops' is not one of",
    ),
    "deviation without the step it fails at": (
        GOOD + '\n[[deviations]]\ntarget = "reference"\nscenario = "s"\ncategory = "harness limit"\nreason = "r"\n',
        "deviations[0].fails_at: missing: the step (or a list of steps) where the scenario fails",
    ),
    "deviation without reason": (
        GOOD + '\n[[deviations]]\ntarget = "reference"\nscenario = "s"\nfails_at = "x"\ncategory = "harness limit"\n',
        "deviations[0].reason: missing",
    ),
    "deviation failing at a misspelt step": (
        GOOD + DEVIATION.format(selects=f'scenario = "{DELETES}"', fails_at='"the browser holds no identity cookies"'),
        "deviations[0].fails_at: 'the browser holds no identity cookies' is not a step of any scenario this "
        "deviation selects; did you mean 'the browser holds no identity cookie'?",
    ),
    "deviation failing at an outline's step as its template has it": (
        GOOD
        + DEVIATION.format(
            selects=f'scenario = "{OUTLINE}"',
            fails_at='["the browser holds no identity cookie", "the identity provider answers logins with <answer>"]',
        ),
        "deviations[0].fails_at[1]: 'the identity provider answers logins with <answer>' is not a step",
    ),
    "deviation failing at a step of another rule": (
        GOOD + DEVIATION.format(selects=f'rule = "{DELETES_RULE}"', fails_at='"she reruns the app"'),
        "deviations[0].fails_at: 'she reruns the app' is not a step of any scenario this deviation selects",
    ),
}


def generated_reference() -> dict[str, dict[str, str]]:
    """A target generator (suite.targets_from) that makes a target the file declares too."""
    return {"reference": {"adapter": "reference", "version": "1.50.0"}}


def generated_without_adapter() -> dict[str, dict[str, str]]:
    return {"made": {"version": "1.50.0"}}


def test_targets_from_adds_the_targets_a_function_makes(tmp_path: Path) -> None:
    path = write(tmp_path, '[suite]\ntargets_from = ["test_config:generated_reference"]\n')
    config = load_config(path)
    assert list(config.targets) == ["reference"] and config.targets["reference"].adapter == "reference"


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
    "selects, fails_at",
    [
        (f'scenario = "{DELETES}"', '"the browser holds no identity cookie"'),
        (f'scenario = "{DELETES}"', '"And the browser holds no identity cookie"'),  # as a failure names it
        (
            f'scenarios = ["{DELETES}", "{OUTLINE}"]',
            '"the identity provider answers logins with a state the app did not send"',
        ),
        (f'rule = "{DELETES_RULE}"', '["she clicks \\"Log out\\"", "she reloads the tab"]'),
        ('scenario = "A scenario nobody wrote"', '"a step"'),  # stale: the run's ledger says so
    ],
    ids=["text", "keyword and text", "an outline's step as an example fills it in", "steps of a rule", "stale"],
)
def test_fails_at_names_a_step_as_it_runs(tmp_path: Path, selects: str, fails_at: str) -> None:
    """A step of a scenario the deviation selects, in either form expects_failure_at matches at run
    time; a deviation that selects no scenario is not refused (the ledger reports it as stale)."""
    config = load_config(write(tmp_path, GOOD + DEVIATION.format(selects=selects, fails_at=fails_at)))
    assert len(config.deviations) == 1


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
        (
            GOOD + DEVIATION.format(selects=f'scenario = "{DELETES}"', fails_at='"the browser holds no cookie"'),
            [],
            "conformance.toml: deviations[0].fails_at: 'the browser holds no cookie' is not a step",
        ),
    ],
    ids=["not TOML", "unknown target", "factory raising", "misspelt fails_at"],
)
def test_pytest_exits_with_one_line(tmp_path: Path, text: str, args: list[str], expected: str) -> None:
    """End to end: the real command prints one ERROR line, no traceback, exit 4."""
    path = write(tmp_path, text)
    run = run_suite("--conformance-config", str(path), *args, reports=tmp_path / "reports", cwd=tmp_path, timeout=60)
    assert run.returncode == 4, run.output
    errors = [line for line in run.output.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1 and expected in errors[0], run.output
    assert "Traceback" not in run.output, run.output


MATRIX = """
[targets.reference]
adapter = "reference"
version = "1.50.0"

[matrices.st]
adapter = "streamlit"
versions = ["1.42..latest", "1.43.1", "nightly"]
name = "st-{version}"
notes = { "1.43" = "the second minor" }

[matrices.starlette]
adapter = "streamlit"
versions = ["1.42..1.43"]
name = "st-{version}-starlette"
options = { server = "starlette" }
"""
RELEASES = ["1.44.0rc1", "1.43.1", "1.43.0", "1.42.2", "1.42.0", "1.41.0"]


def fake_releases(package: str) -> list[str]:
    assert package == "streamlit"
    return RELEASES


def test_a_matrix_expands_into_addressable_targets(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MATRIX), releases=fake_releases)
    cells = {t.name: (t.version, dict(t.options), t.matrix) for t in config.targets.values() if t.matrix}
    assert cells == {
        "st-1.42": ("1.42.0", {}, "st"),
        "st-1.43": ("1.43.0", {}, "st"),
        "st-1.43.1": ("1.43.1", {}, "st"),
        "st-nightly": ("nightly", {}, "st"),
        "st-1.42-starlette": ("1.42.0", {"server": "starlette"}, "starlette"),
        "st-1.43-starlette": ("1.43.0", {"server": "starlette"}, "starlette"),
    }
    assert config.targets["st-1.43"].description == "the second minor"
    assert [t.name for t in config.select(["st-1.43-starlette"])] == ["st-1.43-starlette"]


def test_declared_targets_are_selected_without_asking_the_index(tmp_path: Path) -> None:
    def no_index(package: str) -> list[str]:
        raise AssertionError("the package index was asked")

    config = load_config(write(tmp_path, MATRIX), releases=no_index)
    assert [t.name for t in config.select(["reference"])] == ["reference"]


BAD_MATRICES = {
    "missing name": ('[matrices.m]\nadapter = "streamlit"\nversions = ["1.42"]\n', "matrices.m.name: missing"),
    "bad range": (
        '[matrices.m]\nadapter = "s"\nname = "m-{version}"\nversions = ["1.42..soon"]\n',
        "matrices.m.versions[0]: '1.42..soon' is not a range",
    ),
    "backwards range": (
        '[matrices.m]\nadapter = "s"\nname = "m-{version}"\nversions = ["1.50..1.42"]\n',
        "matrices.m.versions[0]: '1.50..1.42' ends before it starts",
    ),
    "bad version": (
        '[matrices.m]\nadapter = "s"\nname = "m-{version}"\nversions = ["1.42", "newest"]\n',
        "matrices.m.versions[1]: 'newest' is not a version number",
    ),
    "name without version": (
        '[matrices.m]\nadapter = "s"\nname = "m"\nversions = ["1.42", "1.43"]\n',
        "matrices.m.name: 'm' lacks {version}",
    ),
    "unknown key": ('[matrices.m]\nadapter = "s"\nname = "m"\nversions = ["1.42"]\nserver = 1\n', "matrices.m.server"),
    "name clash": (
        '[targets."m-1.42"]\nadapter = "s"\nversion = "1.42.0"\n'
        '[matrices.m]\nadapter = "s"\nname = "m-{version}"\nversions = ["1.42"]\n',
        "matrices.m.name: makes the target 'm-1.42', which is already declared",
    ),
    "empty range": (
        '[matrices.m]\nadapter = "s"\nname = "m-{version}"\nversions = ["1.30..1.31"]\n',
        "matrices.m.versions[0]: no release of streamlit in 1.30..1.31",
    ),
    "deviation selecting nothing by kind": (
        GOOD + '\n[[deviations]]\nscenario = "s"\nfails_at = "x"\ncategory = "harness limit"\nreason = "r"\n',
        "deviations[0]: select its targets by target (a name) or adapter",
    ),
    "deviation with bad options": (
        GOOD
        + '\n[[deviations]]\nadapter = "x"\noptions = 1\nscenario = "s"\nfails_at = "x"\n'
        + 'category = "harness limit"\nreason = ""\n',
        "deviations[0].options: must be a table",
    ),
}


@pytest.mark.parametrize("text, expected", BAD_MATRICES.values(), ids=BAD_MATRICES.keys())
def test_bad_matrix_names_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, releases=fake_releases).select(["all"])
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and expected in message and "\n" not in message, message


def test_a_deviation_selects_by_adapter_versions_and_options(tmp_path: Path) -> None:
    text = MATRIX + (
        '\n[[deviations]]\nadapter = ["streamlit", "browser"]\nversions = "<1.43"\noptions = { server = "starlette" }\n'
        'scenario = "s"\nfails_at = "x"\ncategory = "implementation bug"\nreason = "r"\n'
        '\n[[deviations]]\nadapter = "streamlit"\nversions = "<1.43"\nunless_options = { server = "starlette" }\n'
        'scenario = "s"\nfails_at = "x"\ncategory = "implementation bug"\nreason = "r"\n'
        '\n[[deviations]]\nadapter = "streamlit"\nversions = "<1.43"\n'
        'unless_options = [{ server = "tornado" }, { server = "starlette" }]\n'
        'scenario = "s"\nfails_at = "x"\ncategory = "implementation bug"\nreason = "r"\n'
    )
    config = load_config(write(tmp_path, text), releases=fake_releases)
    deviation, unless, unless_any = config.deviations
    assert [t.name for t in config.targets.values() if deviation.selects(t)] == ["st-1.42-starlette"]
    assert [t.name for t in config.targets.values() if unless.selects(t)] == ["st-1.42"]  # not the starlette one
    assert [t.name for t in config.targets.values() if unless_any.selects(t)] == ["st-1.42"]  # any table leaves out
    assert not deviation.selects(config.targets["st-nightly"])  # not resolved: cannot be decided
    assert not deviation.may_select(config.targets["st-nightly"])  # no server option: never


def test_an_adapter_module_beside_the_config_needs_no_installing(tmp_path: Path) -> None:
    """A module next to conformance.toml is importable as the adapter, as a conftest.py is;
    what it returns is checked against Target all the same."""
    (tmp_path / "beside_the_config.py").write_text("from types import SimpleNamespace as Factory\n")
    message = config_error(write(tmp_path, '[targets.x]\nadapter = "beside_the_config:Factory"\nversion = "1.50.0"\n'))
    assert "targets.x.adapter: the adapter returned a SimpleNamespace, which lacks idp, serve" in message


UNRESOLVED = """
from logoutspec.targets.reference import ReferenceTarget


def Factory(**kwargs):
    target = ReferenceTarget(**kwargs)
    target.version = "latest"  # as the browser adapter once left it: every versioned rule skipped
    return target
"""


def test_a_target_whose_adapter_leaves_its_version_symbolic_is_refused(tmp_path: Path) -> None:
    """A built target's version must be a release: "latest" would satisfy no rule's range, so
    every versioned rule would be skipped as not applicable, a run that checks nothing."""
    (tmp_path / "unresolved.py").write_text(UNRESOLVED)
    message = config_error(write(tmp_path, '[targets.x]\nadapter = "unresolved:Factory"\nversion = "1.50.0"\n'))
    assert "targets.x.version: the adapter left it 'latest', not a release such as 1.67.0" in message


def test_a_deviation_names_several_scenarios_of_one_cause(tmp_path: Path) -> None:
    text = (
        MATRIX
        + '\n[[deviations]]\nadapter = "streamlit"\nscenarios = ["a", "b"]\nfails_at = ["x", "y"]\n'
        + 'category = "harness limit"\nreason = "r"\n'
    )
    config = load_config(write(tmp_path, text), releases=fake_releases)
    (deviation,) = config.deviations
    target = config.targets["st-1.42"]
    assert deviation.matches(target, "1.42.0", None, "b") and not deviation.matches(target, "1.42.0", None, "c")
    assert deviation.names == ("a", "b")
