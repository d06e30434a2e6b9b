"""The pytest plugin: chooses targets, runs every scenario once per target, applies what config
and tags say about applicability and deviations, and writes reports/results.json.

Modelled on pytest-httpserver: targets (and the servers behind them) live for the whole session;
each scenario gets a clean view of its target through begin_scenario/end_scenario.
"""

from __future__ import annotations

import gc
import json
import signal
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from pytest_bdd.feature import get_features

from logoutspec import hooks
from logoutspec.causes import causes_by_target, not_exercised
from logoutspec.compat import collected_features, example_row, scenario_template_of
from logoutspec.config import Config, ConfigError, Deviation, TargetConfig, adapter_spec, create_target, load_config
from logoutspec.contract import AppSpec, NotServed, RecordsFailures, ShowsTopology, StartsAhead, Target
from logoutspec.locations import FEATURES, config_in
from logoutspec.report import write_conformance_report
from logoutspec.resources import SuiteResources
from logoutspec.results import ResultLog, ScenarioInfo, deviation_ledger, example_label
from logoutspec.runner import PROGRESS_PREFIX, elapsed

# The step definitions, shared by every scenario (pytest-bdd steps are fixtures).
pytest_plugins = ["logoutspec.steps.actions", "logoutspec.steps.outcomes"]

VERSION_TAG = "streamlit:"
NEEDS_TAG = "needs:"


class Progress:
    """Which targets' scenarios have all finished: a long run says so target by target, with the
    time elapsed (not a time per target: pytest interleaves the targets of outline scenarios)."""

    def __init__(self, totals: Counter[str]) -> None:
        self.totals = totals
        self.done: Counter[str] = Counter()
        self.started = time.monotonic()

    def finish(self, target: str, version: str) -> str | None:
        """The progress line once target's last scenario finished, else None."""
        self.done[target] += 1
        if self.done[target] != self.totals[target]:
            return None
        finished = sum(1 for name, total in self.totals.items() if self.done[name] == total)
        return (
            f"{target} (Streamlit {version}): its {self.totals[target]} scenarios done; "
            f"{finished} of {len(self.totals)} targets done, {elapsed(time.monotonic() - self.started)} elapsed"
        )


class Suite:
    """The selected targets of one pytest run and the resources they share (the IdP, ports).

    Collection needs only the config: a target is built once collection is over, and only if a
    collected scenario runs on it, so that a run imports no adapter it does not use. Building all
    of them before the first scenario (not at each one's first scenario) keeps the rule that bad
    input stops the run before anything runs.
    """

    def __init__(self, config: Config, selected: list[TargetConfig]) -> None:
        self.config = config
        self.selected = {target.name: target for target in selected}
        for target in selected:
            adapter_spec(config, target)  # a misspelt adapter stops the run before collection
        self.resources = SuiteResources(config.fixtures, config.path.parent)
        self.targets: dict[str, Target] = {}

    def build(self, names: Iterable[str]) -> None:
        """Build the targets named (in config order); ConfigError if an adapter cannot build one."""
        for name in self.selected:
            if name in names and name not in self.targets:
                self.targets[name] = create_target(self.config, self.selected[name], self.resources)

    def close(self) -> None:
        """Stop every target (and so every server it started), then the shared IdP; safe to call twice."""
        try:
            while self.targets:
                _, target = self.targets.popitem()
                target.close()
        finally:
            self.resources.close()


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hooks)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("logoutspec")
    group.addoption(
        "--target",
        action="append",
        default=[],
        metavar="NAME",
        help="run the conformance scenarios against this target from conformance.toml "
        "(repeatable; 'all' for every target; default: suite.default_targets)",
    )
    group.addoption(
        "--conformance-config",
        default=None,
        metavar="PATH",
        help="default: <rootdir>/conformance.toml, else the packaged one with the built-in targets",
    )
    group.addoption(
        "--reports-dir",
        default=None,
        metavar="DIR",
        help="where every report goes: results.json, conformance.md/.html, deviations.json, failures/, "
        "cucumber.json, junit.xml (default: <rootdir>/reports)",
    )


@pytest.hookimpl(tryfirst=True, specname="pytest_configure")
def pytest_configure_reports(config: pytest.Config) -> None:
    """Send pytest-bdd's Cucumber JSON and pytest's JUnit XML to the reports folder, unless given
    their own paths; first, because both plugins read their option in their own pytest_configure."""
    reports = reports_dir(config)
    if not config.option.cucumber_json_path:
        config.option.cucumber_json_path = str(reports / "cucumber.json")
    if not config.option.xmlpath:
        config.option.xmlpath = str(reports / "junit.xml")
    # pytest-bdd writes its file at the end of the run but does not create the folder
    Path(config.option.cucumber_json_path).parent.mkdir(parents=True, exist_ok=True)


def reports_dir(config: pytest.Config) -> Path:
    return Path(config.getoption("reports_dir") or config.rootpath / "reports")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "streamlit_versions(spec): the Streamlit versions a rule holds for")
    config.addinivalue_line("markers", "needs(capability): a capability the scenario needs from its target")
    given = config.getoption("conformance_config")
    path, packaged = (Path(given), False) if given else config_in(config.rootpath)
    try:
        loaded = load_config(path)
        suite = Suite(loaded, loaded.select(config.getoption("target")))
    except ConfigError as error:
        raise pytest.UsageError(str(error)) from None
    config.stash[SUITE] = suite
    config.stash[CONFIG_ORIGIN] = f"packaged default ({config.rootpath} has no conformance.toml)" if packaged else ""
    signal.signal(signal.SIGTERM, interrupt)
    config.stash[RESULTS] = ResultLog(reports_dir(config) / "results.json")


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Which config, which targets (and the Streamlit version each is checked against), where the reports go."""
    suite = config.stash[SUITE]
    origin = config.stash[CONFIG_ORIGIN]
    targets = ", ".join(f"{t.name} (Streamlit {t.version})" for t in suite.selected.values())
    return [
        f"logoutspec config: {suite.config.path}" + (f", the {origin}" if origin else ""),
        f"logoutspec targets: {targets}",
        f"logoutspec reports: {config.stash[RESULTS].path.parent}",
    ]


def interrupt(signum: int, frame: object) -> None:
    """SIGTERM ends the run like Ctrl-C, so that every server the targets started is stopped."""
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_unconfigure(config: pytest.Config) -> None:
    if SUITE in config.stash:
        config.stash[SUITE].close()


@pytest.hookimpl(tryfirst=True)  # a firstresult hook: ours must answer before pytest-bdd's default
def pytest_bdd_apply_tag(tag: str, function: Any) -> Any:
    """Turn version and capability tags into markers; leave other tags to pytest-bdd."""
    if tag.startswith(VERSION_TAG):
        return pytest.mark.streamlit_versions(tag.removeprefix(VERSION_TAG))(function)
    if tag.startswith(NEEDS_TAG):
        return pytest.mark.needs(tag.removeprefix(NEEDS_TAG))(function)
    if tag.startswith("source:"):
        return function
    return None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every scenario runs once per selected target."""
    if "target_name" in metafunc.fixturenames:
        names = list(metafunc.config.stash[SUITE].selected)
        metafunc.parametrize("target_name", names, ids=names, scope="session")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    suite = config.stash[SUITE]
    for item in items:
        info = scenario_info(item, suite)
        if info is not None:
            item.stash[INFO] = info


def pytest_collection_finish(session: pytest.Session) -> None:
    """Build the targets the collected scenarios run on (those -k and the like left), then decide
    what applies to each, and count each target's scenarios for the progress lines.

    Then everything imported and collected so far, which lives for the whole run, is moved out of
    the garbage collector's sight (gc.freeze): pytest collects five times over at the end of a
    session, and scanning those objects each time cost a tenth of a reference run."""
    if session.config.option.collectonly:
        return
    suite = session.config.stash[SUITE]
    scenarios = [item for item in session.items if INFO in item.stash]
    try:
        suite.build({item.stash[INFO].target for item in scenarios})
    except ConfigError as error:
        raise pytest.UsageError(str(error)) from None
    for item in scenarios:
        target = suite.targets[item.stash[INFO].target]
        topology = target.topology if isinstance(target, ShowsTopology) else ""
        item.stash[INFO] = info = replace(item.stash[INFO], target_version=target.version, target_topology=topology)
        reason = not_applicable(item, target)
        if reason:
            item.add_marker(pytest.mark.skip(reason=f"not applicable: {reason}"))
            continue
        deviation = declared_deviation(suite.config.deviations, suite.selected[info.target], info)
        if deviation:
            item.add_marker(pytest.mark.xfail(strict=True, reason=deviation_reason(deviation)))
            item.stash[DEVIATION] = deviation
    session.config.stash[PROGRESS] = Progress(Counter(item.stash[INFO].target for item in scenarios))
    start_apps_ahead(session.config, suite, [item for item in scenarios if not item.get_closest_marker("skip")])
    gc.freeze()


def start_apps_ahead(config: pytest.Config, suite: Suite, scenarios: list[pytest.Item]) -> None:
    """Hand each target that starts its servers ahead (StartsAhead) the apps its scenarios will
    serve, in the order the scenarios run, each once; the steps say which app a scenario serves."""
    planned: dict[str, dict[tuple[AppSpec, str | None], None]] = {}
    for item in scenarios:
        name = item.stash[INFO].target
        template = scenario_template_of(getattr(item, "obj", None))
        if template is None or not isinstance(suite.targets[name], StartsAhead):
            continue
        steps = template.render(example_row(item.callspec.params) or {}).steps
        given = [step.name for step in steps if step.type == "given"]
        app = config.hook.pytest_logoutspec_app_of(given=given, fixtures=suite.resources)
        if app is not None:
            planned.setdefault(name, {})[app] = None
    for name, apps in planned.items():
        target = suite.targets[name]
        assert isinstance(target, StartsAhead)
        target.start_ahead(list(apps))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[object]:
    result = yield
    info = item.stash.get(INFO, None)
    if info is not None:
        report_progress(item.config, info)
    return result


def report_progress(config: pytest.Config, info: ScenarioInfo) -> None:
    """After a target's last scenario, one line starting with PROGRESS_PREFIX (the runner forwards them)."""
    line = config.stash[PROGRESS].finish(info.target, info.target_version)
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    if line and terminal is not None:
        if terminal.verbosity < 0:  # -q's letters stand on a line of their own that write_line does not end
            terminal.write("\n")
        terminal.write_line(PROGRESS_PREFIX + line)


def scenario_info(item: pytest.Item, suite: Suite) -> ScenarioInfo | None:
    """Feature, rule and scenario of a scenario item; None for the harness's own tests. The target's
    version is the configured one until the target is built (which may resolve "latest")."""
    callspec = getattr(item, "callspec", None)
    template = scenario_template_of(getattr(item, "obj", None))
    if template is None or callspec is None or "target_name" not in callspec.params:
        return None
    name = callspec.params["target_name"]
    return ScenarioInfo(
        target=name,
        target_version=suite.selected[name].version,
        feature=template.feature.name,
        rule=template.rule.name if template.rule else None,
        scenario=template.name,
        example=example_label(example_row(callspec.params)),
    )


def not_applicable(item: pytest.Item, target: Target) -> str | None:
    """Why a scenario does not apply to a target (its version or capabilities), or None."""
    for mark in item.iter_markers("streamlit_versions"):
        spec = mark.args[0]
        try:
            holds = SpecifierSet(spec).contains(target.version, prereleases=True)
        except InvalidSpecifier:
            raise pytest.UsageError(f"{item.location[0]}: tag @{VERSION_TAG}{spec}: not a version range") from None
        if not holds:
            return f"the rule holds for Streamlit {spec}; target {target.name} is {target.version}"
    for mark in item.iter_markers("needs"):
        capability = mark.args[0]
        if capability not in target.capabilities:
            return f"target {target.name} lacks the capability {capability!r}"
    return None


def declared_deviation(deviations: tuple[Deviation, ...], target: TargetConfig, info: ScenarioInfo) -> Deviation | None:
    return next((d for d in deviations if d.matches(target, info.target_version, info.rule, info.scenario)), None)


def deviation_reason(deviation: Deviation) -> str:
    link = f" ({deviation.link})" if deviation.link else ""
    return f"declared deviation [{deviation.category}]: {deviation.reason}{link}"


@pytest.fixture(scope="session")
def suite(pytestconfig: pytest.Config) -> Suite:
    return pytestconfig.stash[SUITE]


@pytest.fixture(scope="session")
def resources(suite: Suite) -> SuiteResources:
    """The run's shared resources: steps read the people and secrets templates from it."""
    return suite.resources


@pytest.fixture
def target(suite: Suite, target_name: str) -> Iterator[Target]:
    """The scenario's target, with a clean view (fresh IdP record) for this scenario only."""
    chosen = suite.targets[target_name]
    chosen.begin_scenario()
    try:
        yield chosen
    finally:
        chosen.end_scenario()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """A scenario that asks a target for an app it cannot serve (NotServed: a deployment the
    harness did not start serves one app) does not apply to it; the target's message says why."""
    try:
        return (yield)
    except NotServed as reason:
        if INFO not in item.stash:
            raise
        pytest.skip(f"not applicable: {reason}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    if DEVIATION in item.stash and call.excinfo is not None:
        shorten_declared_failure(call.excinfo, item.stash[DEVIATION], item.stash.get(FAILED_STEP, ("", ""))[0])
    report = yield
    if INFO in item.stash:
        results = item.config.stash[RESULTS]
        failed_step, step_type = item.stash.get(FAILED_STEP, ("", ""))
        if DEVIATION in item.stash:
            fail_unless_declared(report, item.stash[DEVIATION], failed_step)
        results.record(item.stash[INFO], report, failed_step, step_type)
        if report.when == "call" and report.failed:
            record_failure(item.config.stash[SUITE], item.stash[INFO], results.path.parent / "failures")
    return report


def shorten_declared_failure(excinfo: pytest.ExceptionInfo[BaseException], deviation: Deviation, step: str) -> None:
    """A failure where its declared deviation says the scenario fails keeps only the frame that
    raised it: it is recorded (its message, its step), not debugged, and pytest formats every frame
    of a traceback with its source parsed anew, a tenth of a wire run with five such failures (and
    more on older releases). Any other failure keeps its whole traceback."""
    if deviation.expects_failure_at(step):
        excinfo.traceback = excinfo.traceback[-1:]
        for error in exception_chain(excinfo.value):
            error.__traceback__ = last_frame_of(error.__traceback__)


def exception_chain(error: BaseException) -> Iterator[BaseException]:
    """The exceptions behind error (causes and contexts, as pytest shows them), error excluded."""
    seen = {id(error)}
    while True:
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
        if error is None or id(error) in seen:
            return
        seen.add(id(error))
        yield error


def last_frame_of(traceback: TracebackType | None) -> TracebackType | None:
    while traceback is not None and traceback.tb_next is not None:
        traceback = traceback.tb_next
    return traceback


def fail_unless_declared(report: pytest.TestReport, deviation: Deviation, failed_step: str) -> None:
    """An expected failure (xfail) stays expected only where the deviation says the scenario
    fails: failing anywhere else (a Given step that timed out, a fixture's error) is a failure the
    deviation does not explain, and reported as one, naming both places."""
    if not (report.skipped and hasattr(report, "wasxfail")) or deviation.expects_failure_at(failed_step):
        return
    where = f"at {failed_step!r}" if failed_step else f"in its {report.when}, outside any step"
    expected = " or ".join(repr(step) for step in deviation.fails_at)
    del report.wasxfail
    report.outcome = "failed"
    report.longrepr = f"failed {where}, not where its declared deviation fails ({expected}):\n{report.longrepr}"


def record_failure(suite: Suite, info: ScenarioInfo, directory: Path) -> None:
    """Let a target that can show what a person saw (a screenshot, the page) keep it, named after
    the scenario; the call phase ends before the scenario's browsers close, so the page is there."""
    target = suite.targets.get(info.target)
    if isinstance(target, RecordsFailures):
        example = f" [{info.example}]" if info.example else ""
        target.record_failure(f"{info.target} - {info.scenario}{example}", directory)


def pytest_bdd_step_error(request: pytest.FixtureRequest, step: Any) -> None:
    """Remember which Gherkin step failed, and its kind (given, when, then), for the report."""
    request.node.stash[FAILED_STEP] = (f"{step.keyword} {step.name}", step.type)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if RESULTS in session.config.stash:
        results = session.config.stash[RESULTS]
        results.write()
        write_deviation_ledger(session.config, results)
        write_conformance_report(collected_features(), results.path, session.config.stash[SUITE].config)


def write_deviation_ledger(config: pytest.Config, results: ResultLog) -> None:
    """reports/deviations.json: every declared deviation and whether it still holds."""
    features = get_features([str(FEATURES)])  # all of them, run or not
    known = {(s.rule.name if s.rule else None, s.name) for f in features for s in f.scenarios.values()}
    records = [result.as_record() for result in results.results.values()]
    loaded = config.stash[SUITE].config
    ledger = deviation_ledger(loaded.deviations, known, records, lambda: loaded.targets.values(), loaded.target)
    config.stash[LEDGER] = ledger
    (results.path.parent / "deviations.json").write_text(json.dumps(ledger, indent=2) + "\n")


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if RESULTS in config.stash:
        report_causes(terminalreporter, [result.as_record() for result in config.stash[RESULTS].results.values()])
    stale = [entry for entry in config.stash.get(LEDGER, []) if entry["status"].startswith("stale")]
    if stale:
        terminalreporter.section("stale declared deviations (conformance.toml)")
        for entry in stale:
            name = entry["scenario"] or "; ".join(entry.get("scenarios") or ()) or f"rule {entry['rule']}"
            terminalreporter.line(f"{selection_text(entry)}: {name}: {entry['status']}")


def selection_text(deviation: dict[str, Any]) -> str:
    """The targets a deviation selects, as it declares them: 'streamlit-1.45' or 'streamlit <1.58'."""
    if deviation.get("target"):
        return str(deviation["target"])
    adapters = "/".join(deviation.get("adapter") or ())
    options = [f"{k}={v}" for k, v in (deviation.get("options") or {}).items()]
    options += [
        "unless " + " ".join(f"{k}={v}" for k, v in unless.items()) for unless in deviation.get("unless_options") or ()
    ]
    return " ".join(part for part in (adapters, deviation.get("versions"), *options) if part)


def report_causes(terminalreporter: Any, records: list[dict[str, str | None]]) -> None:
    """The distinct causes of the run's failures per target, each with the number of scenarios it
    explains; a target that could not be exercised is said to be so first."""
    blocked = not_exercised(records)
    causes = {target: found for target, found in causes_by_target(records).items() if found}
    if not causes:
        return
    terminalreporter.section("failures by cause")
    for target, found in causes.items():
        if target in blocked:
            terminalreporter.line(f"{target}: COULD NOT BE EXERCISED: every scenario that applies failed in setup")
        for cause in found:
            terminalreporter.line(f"{target}: {cause.line()}")


SUITE = pytest.StashKey[Suite]()
CONFIG_ORIGIN = pytest.StashKey[str]()
RESULTS = pytest.StashKey[ResultLog]()
INFO = pytest.StashKey[ScenarioInfo]()
PROGRESS = pytest.StashKey[Progress]()
LEDGER = pytest.StashKey[list[dict[str, Any]]]()
FAILED_STEP = pytest.StashKey[tuple[str, str]]()
DEVIATION = pytest.StashKey[Deviation]()
