"""conformance.toml: the one declarative file naming the targets and their known deviations.

Everything in it is checked before any scenario runs, and every problem is reported as one line
naming the file and the key, because a conformance suite is run by people who did not write it.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import tomli
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from logoutspec.contract import Target
from logoutspec.fixtures import Fixtures
from logoutspec.locations import FEATURES
from logoutspec.releases import minor_releases, package_releases
from logoutspec.resources import SuiteResources

BUILTIN_ADAPTERS = {
    "reference": "logoutspec.targets.reference:ReferenceTarget",
    "streamlit": "logoutspec.targets.streamlit.target:StreamlitTarget",
    "browser": "logoutspec.targets.browser:BrowserTarget",
    "command": "logoutspec.targets.command:CommandTarget",
    "url": "logoutspec.targets.url:UrlTarget",
}
CATEGORIES = ("implementation bug", "behaviour changed", "documentation ambiguity", "harness limit", "deployment limit")

_TOP_KEYS = {"suite", "targets", "matrices", "deviations"}
_SUITE_KEYS = {"default_targets", "baselines", "apps", "secrets", "idp", "targets_from"}
_TARGET_KEYS = {"adapter", "version", "description", "options"}
_MATRIX_KEYS = {"adapter", "package", "versions", "name", "options", "description", "notes"}
_DEVIATION_KEYS = {
    "target",
    "adapter",
    "options",
    "unless_options",
    "versions",
    "scenario",
    "scenarios",
    "rule",
    "category",
    "reason",
    "link",
    "fails_at",
}
# Versions an adapter resolves itself when it builds the target (the newest release, the newest nightly build).
SYMBOLIC_VERSIONS = ("latest", "nightly")
RANGE = ".."  # "1.42..latest": the first release of every minor version from 1.42 to the newest


class ConfigError(Exception):
    """A problem in conformance.toml, already phrased as one line naming file and key."""

    def __init__(self, path: Path, key: str, problem: str) -> None:
        super().__init__(f"{path}: {key}: {problem}")


@dataclass(frozen=True)
class TargetConfig:
    """One [targets.NAME] table."""

    name: str
    adapter: str
    version: str
    options: Mapping[str, Any]
    description: str = ""
    matrix: str | None = None  # the [matrices.NAME] it was expanded from


@dataclass(frozen=True)
class MatrixConfig:
    """One [matrices.NAME] table: a target per version, all with the same adapter and options.

    versions holds items: a release ("1.48.1"), a symbolic version the adapter resolves
    ("latest", "nightly"), or a range of minor versions ("1.42..latest", "1.53..1.56"), resolved
    against the releases of package on the index. The name pattern's {version} is the item, or
    the minor version ("1.55") for a range's member.
    """

    key: str
    adapter: str
    package: str
    versions: tuple[str, ...]
    name: str
    options: Mapping[str, Any]
    description: str = ""
    notes: Mapping[str, str] = field(default_factory=dict)  # by {version}: what that release changed


@dataclass(frozen=True)
class Deviation:
    """A known, declared difference between targets and the spec: expected to fail, strictly.

    It selects its targets by name (target), or by adapter, options (each one named must be
    equal) and the version range of the target (versions, e.g. "<1.58"), all that are given; a
    target whose options include every one of unless_options (a table, or any table of a list of
    them) is not selected (a deployment in which the deviation cannot happen, say, because a limit
    of that deployment comes first, or the other server of a release).
    """

    category: str
    reason: str
    target: str | None = None
    adapter: tuple[str, ...] | None = None
    options: Mapping[str, Any] | None = None
    unless_options: tuple[Mapping[str, Any], ...] = ()
    versions: str | None = None
    scenario: str | None = None
    rule: str | None = None
    link: str | None = None
    scenarios: tuple[str, ...] | None = None  # several scenarios of one cause, declared once
    fails_at: tuple[str, ...] = ()  # the steps (text without keyword) where it fails; another failure is no match

    def expects_failure_at(self, step: str) -> bool:
        """Whether a failure at this step (its text as run, with or without its keyword, or "" for a
        failure outside any step) is the declared one: a deviation that fails elsewhere, say in a
        Given step that timed out, is a failure the deviation does not explain."""
        return bool(step) and (step in self.fails_at or step.partition(" ")[2] in self.fails_at)

    def selects(self, target: TargetConfig, version: str | None = None) -> bool:
        """Whether the deviation applies to this target, at its resolved version (default: configured)."""
        version = version or target.version
        if self.target is not None and self.target != target.name:
            return False
        if self.adapter is not None and target.adapter not in self.adapter:
            return False
        if any(target.options.get(key) != value for key, value in (self.options or {}).items()):
            return False
        if any(all(target.options.get(k) == v for k, v in unless.items()) for unless in self.unless_options):
            return False
        if self.versions and version in SYMBOLIC_VERSIONS:
            return False  # not resolved yet: the range cannot be decided
        return not self.versions or SpecifierSet(self.versions).contains(version, prereleases=True)

    def may_select(self, target: TargetConfig) -> bool:
        """Whether it selects the target, or might once a symbolic version ("latest") is resolved."""
        if target.version in SYMBOLIC_VERSIONS:
            return replace(self, versions=None).selects(target)
        return self.selects(target)

    def matches(self, target: TargetConfig, version: str, rule: str | None, scenario: str) -> bool:
        return self.selects(target, version) and self.names_scenario(rule, scenario)

    def names_scenario(self, rule: str | None, scenario: str) -> bool:
        """Whether it is declared for this scenario (by its name, or its rule's), on whichever targets."""
        if self.scenarios:
            return scenario in self.scenarios
        return self.scenario == scenario if self.scenario else self.rule == rule

    @property
    def names(self) -> tuple[str, ...]:
        """The scenarios (or the rule) it names."""
        return self.scenarios or ((self.scenario or self.rule or ""),)


@dataclass(frozen=True)
class Config:
    """The checked config. A matrix's targets are expanded on first need (targets, target()),
    because a range up to "latest" asks the package index (once a day)."""

    path: Path
    fixtures: Fixtures
    default_targets: tuple[str, ...]
    declared: Mapping[str, TargetConfig]  # the [targets.NAME] tables
    deviations: tuple[Deviation, ...] = field(default_factory=tuple)
    baselines: tuple[str, ...] = ()  # for the mutation check: the targets that must pass
    matrices: Mapping[str, MatrixConfig] = field(default_factory=dict)
    releases: Callable[[str], list[str]] = package_releases

    @cached_property
    def targets(self) -> Mapping[str, TargetConfig]:
        """Every target: the declared ones, then each matrix's, in config order."""
        found = dict(self.declared)
        for matrix in self.matrices.values():
            for target in expand_matrix(self.path, matrix, self.releases):
                if target.name in found:
                    problem = f"makes the target {target.name!r}, which is already declared"
                    raise ConfigError(self.path, f"matrices.{matrix.key}.name", problem)
                found[target.name] = target
        return found

    def target(self, name: str) -> TargetConfig | None:
        """One target by name, expanding the matrices only if it is not a declared one."""
        return self.declared.get(name) or self.targets.get(name)

    def select(self, names: list[str]) -> list[TargetConfig]:
        """The targets named on the command line (--target), or the default ones."""
        if not names:
            names = list(self.default_targets)
        if "all" in names:
            return list(self.targets.values())
        selected = []
        for name in dict.fromkeys(names):
            target = self.target(name)
            if target is None:
                known = ", ".join(sorted(self.targets))
                raise ConfigError(self.path, f"targets.{name}", f"no such target (--target); known: {known}")
            selected.append(target)
        return selected


def load_config(
    path: Path, releases: Callable[[str], list[str]] = package_releases, features: Path = FEATURES
) -> Config:
    """Read and check conformance.toml; raise ConfigError on the first problem. A deviation's
    fails_at is checked against the steps of the scenarios in features."""
    raw = _read_toml(path)
    _reject_unknown(path, "", raw, _TOP_KEYS)
    suite = _table(path, "suite", raw.get("suite", {}))
    _reject_unknown(path, "suite.", suite, _SUITE_KEYS)
    fixtures = _fixtures(path, suite)
    targets_raw = _table(path, "targets", raw.get("targets", {}))
    matrices_raw = _table(path, "matrices", raw.get("matrices", {}))
    targets = {name: _target(path, name, value) for name, value in targets_raw.items()}
    targets |= _generated_targets(path, suite.get("targets_from", []), targets)
    if not targets and not matrices_raw:
        raise ConfigError(path, "targets", "no target is declared")
    matrices = {key: _matrix(path, key, value) for key, value in matrices_raw.items()}
    config = Config(
        path=path, fixtures=fixtures, default_targets=(), declared=targets, matrices=matrices, releases=releases
    )
    defaults = _declared_names(path, "suite.default_targets", suite.get("default_targets", list(targets)[:1]), config)
    baselines = _declared_names(path, "suite.baselines", suite.get("baselines", list(targets)[:1]), config)
    deviations = _array_of_tables(path, "deviations", raw.get("deviations", []))
    steps = cache(lambda: _scenario_steps(features))  # parsed only if a deviation is declared
    return replace(
        config,
        default_targets=defaults,
        baselines=baselines,
        deviations=tuple(_deviation(path, i, d, config, steps) for i, d in enumerate(deviations)),
    )


@dataclass(frozen=True)
class ScenarioSteps:
    """A scenario of the features as a deviation names it (rule, scenario) and the steps it runs."""

    rule: str | None
    scenario: str
    steps: tuple[tuple[str, str], ...]  # (keyword, text) of each; an outline's text as each example fills it in


def _scenario_steps(features: Path) -> list[ScenarioSteps]:
    """Every scenario of the .feature files under features with the text of its steps as they run:
    an outline's steps are rendered with each row of its examples, as pytest-bdd renders the
    scenario a failing step belongs to (the plugin's FAILED_STEP), background steps included."""
    from pytest_bdd.feature import get_features  # only here: most commands never parse the features

    found = []
    for feature in get_features([str(features)]):
        for template in feature.scenarios.values():
            rows = [row for examples in template.examples for row in examples.as_contexts()] or [{}]
            steps = ((step.keyword, step.name) for row in rows for step in template.render(row).steps)
            rule = template.rule.name if template.rule else None
            found.append(ScenarioSteps(rule, template.name, tuple(dict.fromkeys(steps))))
    return found


def expand_matrix(path: Path, matrix: MatrixConfig, releases: Callable[[str], list[str]]) -> list[TargetConfig]:
    """The targets of a matrix, one per version item (a range gives one per minor version)."""
    prefix = f"matrices.{matrix.key}"
    targets = []
    for index, item in enumerate(matrix.versions):
        for label, version in _resolve_item(path, f"{prefix}.versions[{index}]", matrix.package, item, releases):
            targets.append(
                TargetConfig(
                    name=matrix.name.replace("{version}", label),
                    adapter=matrix.adapter,
                    version=version,
                    options=matrix.options,
                    description=matrix.notes.get(label, matrix.description),
                    matrix=matrix.key,
                )
            )
    return targets


def _resolve_item(
    path: Path, key: str, package: str, item: str, releases: Callable[[str], list[str]]
) -> list[tuple[str, str]]:
    """(name label, version) of one versions item; a range asks the index for the releases."""
    first, sep, last = item.partition(RANGE)
    if not sep:
        return [(item, item)]
    try:
        known = releases(package)
    except RuntimeError as error:
        raise ConfigError(path, key, str(error)) from None
    found = minor_releases(known, first, None if last == "latest" else last)
    if not found:
        raise ConfigError(path, key, f"no release of {package} in {item}")
    return [(".".join(version.split(".")[:2]), version) for version in found]


def adapter_spec(config: Config, target: TargetConfig) -> tuple[str, str]:
    """The module and factory named by `adapter` (a built-in name or "package.module:Factory"),
    checked for form only: nothing is imported until the target is built."""
    spec = BUILTIN_ADAPTERS.get(target.adapter, target.adapter)
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        builtins = ", ".join(sorted(BUILTIN_ADAPTERS))
        raise ConfigError(
            config.path,
            f"targets.{target.name}.adapter",
            f"unknown adapter {target.adapter!r}; use one of {builtins} or 'package.module:Factory'",
        )
    return module_name, attr


def resolve_adapter(config: Config, target: TargetConfig) -> Callable[..., Any]:
    """The factory named by `adapter`, imported. The config file's folder comes first on the import
    path, so that an adapter module beside conformance.toml needs no installing (as a conftest.py)."""
    module_name, attr = adapter_spec(config, target)
    return _import_callable(config.path, f"targets.{target.name}.adapter", f"{module_name}:{attr}")


def _import_callable(path: Path, key: str, spec: str) -> Callable[..., Any]:
    """The callable named "package.module:name", the config file's folder first on the import path
    (a module beside conformance.toml needs no installing, as a conftest.py); any failure is one
    line naming file and key."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ConfigError(path, key, f"{spec!r} is not 'package.module:name'")
    folder = str(path.parent.resolve())
    if folder not in sys.path:
        sys.path.insert(0, folder)
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # an imported module can fail in any way; report it as one line
        raise ConfigError(path, key, f"cannot import {module_name!r}: {type(exc).__name__}: {exc}") from None
    found = getattr(module, attr, None)
    if not callable(found):
        raise ConfigError(path, key, f"{module_name!r} has no callable {attr!r}")
    return found


def _generated_targets(path: Path, specs: Any, declared: Mapping[str, TargetConfig]) -> dict[str, TargetConfig]:
    """The targets made by the callables of suite.targets_from ("package.module:function", each
    returning {name: a table as [targets.NAME] has it}): a registry of many similar targets, such
    as the reference's mutants, need not be copied table by table into the file."""
    generated: dict[str, TargetConfig] = {}
    for index, spec in enumerate(_string_list(path, "suite.targets_from", specs)):
        key = f"suite.targets_from[{index}]"
        function = _import_callable(path, key, spec)
        try:
            tables = function()
        except Exception as exc:  # a third party's generator can fail in any way; report it as one line
            raise ConfigError(path, key, f"{spec} failed: {type(exc).__name__}: {exc}") from None
        for name, table in _table(path, key, tables).items():
            if name in declared or name in generated:
                raise ConfigError(path, key, f"makes the target {name!r}, which is declared already")
            generated[name] = _target(path, name, table)
    return generated


def create_target(config: Config, target: TargetConfig, resources: SuiteResources) -> Target:
    """Build the target object (cheap: servers start on first use), reporting a failing factory
    and an object that lacks part of the Target interface."""
    factory = resolve_adapter(config, target)
    try:
        options = dict(target.options)
        built = factory(name=target.name, version=target.version, options=options, resources=resources)
    except Exception as exc:  # a third-party factory can fail in any way; report it as one line
        problem = f"adapter failed: {type(exc).__name__}: {exc}"
        raise ConfigError(config.path, f"targets.{target.name}", problem) from None
    missing = missing_members(built, Target)
    if missing:
        problem = f"the adapter returned a {type(built).__name__}, which lacks {', '.join(missing)} of Target"
        raise ConfigError(config.path, f"targets.{target.name}.adapter", problem)
    try:
        Version(built.version)
    except (InvalidVersion, TypeError):
        problem = f"the adapter left it {built.version!r}, not a release such as 1.67.0 (no version range holds for it)"
        raise ConfigError(config.path, f"targets.{target.name}.version", problem) from None
    return built


def missing_members(obj: object, protocol: type) -> list[str]:
    """The attributes and methods of a Protocol that obj does not have. Looked up statically
    (as isinstance does from Python 3.12), so that a lazy property such as Target.idp does not
    start anything."""
    members = [name for name in vars(protocol) if not name.startswith("_")] + list(protocol.__annotations__)
    return [name for name in dict.fromkeys(members) if not _has_static(obj, name)]


def _has_static(obj: object, name: str) -> bool:
    try:
        inspect.getattr_static(obj, name)
    except AttributeError:
        return False
    return True


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomli.load(handle)
    except FileNotFoundError:
        raise ConfigError(path, "(file)", "not found") from None
    except tomli.TOMLDecodeError as exc:
        raise ConfigError(path, "(file)", f"not valid TOML: {exc}") from None


def _fixtures(path: Path, suite: Mapping[str, Any]) -> Fixtures:
    """The fixture files and folders, relative to the config file, each checked to exist."""
    defaults = Fixtures.default()
    found = {}
    for key, default in (("apps", defaults.apps), ("secrets", defaults.secrets), ("idp", defaults.idp)):
        value = suite.get(key)
        if value is None:
            found[key] = default
            continue
        location = path.parent / _string(path, f"suite.{key}", value)
        if not location.exists():
            raise ConfigError(path, f"suite.{key}", f"{location} does not exist")
        found[key] = location
    return Fixtures(**found)


def _target(path: Path, name: str, value: Any) -> TargetConfig:
    prefix = f"targets.{name}"
    table = _table(path, prefix, value)
    _reject_unknown(path, f"{prefix}.", table, _TARGET_KEYS)
    if "adapter" not in table:
        raise ConfigError(path, f"{prefix}.adapter", 'missing (e.g. adapter = "reference")')
    if "version" not in table:  # no silent default: every report names the version a target was checked against
        raise ConfigError(
            path, f"{prefix}.version", 'missing: the Streamlit version it is checked against (e.g. version = "1.50.0")'
        )
    version = _version(path, f"{prefix}.version", table["version"])
    return TargetConfig(
        name=name,
        adapter=_string(path, f"{prefix}.adapter", table["adapter"]),
        version=version,
        options=_table(path, f"{prefix}.options", table.get("options", {})),
        description=_string(path, f"{prefix}.description", table.get("description", "")),
    )


def _version(path: Path, key: str, value: Any) -> str:
    """A version number, or one of the symbolic versions an adapter resolves."""
    version = _string(path, key, value)
    if version in SYMBOLIC_VERSIONS:
        return version
    try:
        Version(version)
    except InvalidVersion:
        allowed = " or ".join(repr(v) for v in SYMBOLIC_VERSIONS)
        raise ConfigError(path, key, f"{version!r} is not a version number, {allowed}") from None
    return version


def _matrix(path: Path, key: str, value: Any) -> MatrixConfig:
    prefix = f"matrices.{key}"
    table = _table(path, prefix, value)
    _reject_unknown(path, f"{prefix}.", table, _MATRIX_KEYS)
    for required in ("adapter", "versions", "name"):
        if required not in table:
            raise ConfigError(path, f"{prefix}.{required}", "missing")
    versions = tuple(_string_list(path, f"{prefix}.versions", table["versions"]))
    if not versions:
        raise ConfigError(path, f"{prefix}.versions", "lists no version")
    for index, item in enumerate(versions):
        _version_item(path, f"{prefix}.versions[{index}]", item)
    name = _string(path, f"{prefix}.name", table["name"])
    if "{version}" not in name and (len(versions) > 1 or RANGE in versions[0]):
        raise ConfigError(path, f"{prefix}.name", f"{name!r} lacks {{version}}, so its targets would share one name")
    notes = _table(path, f"{prefix}.notes", table.get("notes", {}))
    return MatrixConfig(
        key=key,
        adapter=_string(path, f"{prefix}.adapter", table["adapter"]),
        package=_string(path, f"{prefix}.package", table.get("package", "streamlit")),
        versions=versions,
        name=name,
        options=_table(path, f"{prefix}.options", table.get("options", {})),
        description=_string(path, f"{prefix}.description", table.get("description", "")),
        notes={label: _string(path, f"{prefix}.notes.{label}", text) for label, text in notes.items()},
    )


def _version_item(path: Path, key: str, item: str) -> None:
    """A matrix's versions item: a version, a symbolic version, or FIRST..LAST minor versions."""
    first, sep, last = item.partition(RANGE)
    if not sep:
        _version(path, key, item)
        return
    try:
        low = Version(first)
        high = None if last == "latest" else Version(last)
    except InvalidVersion:
        raise ConfigError(path, key, f"{item!r} is not a range of minor versions such as '1.42..latest'") from None
    if high is not None and high.release[:2] < low.release[:2]:
        raise ConfigError(path, key, f"{item!r} ends before it starts")


def _deviation(
    path: Path, index: int, value: Any, config: Config, steps: Callable[[], list[ScenarioSteps]]
) -> Deviation:
    prefix = f"deviations[{index}]"
    table = _table(path, prefix, value)
    _reject_unknown(path, f"{prefix}.", table, _DEVIATION_KEYS)
    for key in ("category", "reason"):
        if key not in table:
            raise ConfigError(path, f"{prefix}.{key}", "missing")
    if "target" not in table and "adapter" not in table:
        raise ConfigError(path, prefix, "select its targets by target (a name) or adapter (with versions, options)")
    if "fails_at" not in table:
        raise ConfigError(path, f"{prefix}.fails_at", "missing: the step (or a list of steps) where the scenario fails")
    lists = ("options", "unless_options", "adapter", "scenarios", "fails_at")
    fields = {key: _string(path, f"{prefix}.{key}", v) for key, v in table.items() if key not in lists}
    if "scenarios" in table:
        fields["scenarios"] = tuple(_string_list(path, f"{prefix}.scenarios", table["scenarios"]))
    fields["fails_at"] = _one_or_more(path, f"{prefix}.fails_at", table["fails_at"])
    options = _table(path, f"{prefix}.options", table["options"]) if "options" in table else None
    deviation = Deviation(
        **fields,
        options=options,
        unless_options=_tables(path, f"{prefix}.unless_options", table.get("unless_options", [])),
        adapter=_one_or_more(path, f"{prefix}.adapter", table.get("adapter")),
    )
    if deviation.target is not None and config.target(deviation.target) is None:
        raise ConfigError(path, f"{prefix}.target", f"{deviation.target!r} is not a declared target")
    if deviation.category not in CATEGORIES:
        raise ConfigError(path, f"{prefix}.category", f"{deviation.category!r} is not one of {', '.join(CATEGORIES)}")
    if [bool(deviation.scenario), bool(deviation.scenarios), bool(deviation.rule)].count(True) != 1:
        raise ConfigError(path, prefix, "name exactly one of scenario, scenarios or rule")
    try:
        SpecifierSet(deviation.versions or "")
    except InvalidSpecifier:
        raise ConfigError(path, f"{prefix}.versions", f"{deviation.versions!r} is not a version range") from None
    listed = isinstance(table["fails_at"], list)
    for position, step in enumerate(deviation.fails_at):
        _check_fails_at(path, f"{prefix}.fails_at" + (f"[{position}]" if listed else ""), step, deviation, steps)
    return deviation


def _check_fails_at(
    path: Path, key: str, step: str, deviation: Deviation, steps: Callable[[], list[ScenarioSteps]]
) -> None:
    """A step the deviation says its scenarios fail at must be one of theirs, as expects_failure_at
    matches it at run time (its text, or its keyword and text), or else a misspelt step would
    only show up as a failure when a run gets there. A deviation that names no scenario of the
    features is left to the run's ledger, which reports it as stale."""
    selected = [found for found in steps() if deviation.names_scenario(found.rule, found.scenario)]
    texts = [text for found in selected for _, text in found.steps]
    keyed = {f"{keyword} {text}" for found in selected for keyword, text in found.steps}
    if not selected or step in texts or step in keyed:
        return
    close = difflib.get_close_matches(step, texts, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ConfigError(path, key, f"{step!r} is not a step of any scenario this deviation selects{hint}")


def _one_or_more(path: Path, key: str, value: Any) -> tuple[str, ...] | None:
    """A deviation's adapter selector or its steps: one string or a list of strings."""
    if value is None:
        return None
    return (value,) if isinstance(value, str) else tuple(_string_list(path, key, value))


def _reject_unknown(path: Path, prefix: str, table: Mapping[str, Any], allowed: set[str]) -> None:
    for key in table:
        if key not in allowed:
            raise ConfigError(path, f"{prefix}{key}", f"unknown key; allowed: {', '.join(sorted(allowed))}")


def _table(path: Path, key: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(path, key, f"must be a table, not {type(value).__name__}")
    return value


def _tables(path: Path, key: str, value: Any) -> tuple[dict[str, Any], ...]:
    """A table, or a list of tables, as a tuple of tables."""
    return tuple(_table(path, key, item) for item in (value if isinstance(value, list) else [value]))


def _array_of_tables(path: Path, key: str, value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ConfigError(path, key, f"must be an array of tables ([[{key}]]), not {type(value).__name__}")
    return value


def _string(path: Path, key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigError(path, key, f"must be a string, not {type(value).__name__}")
    return value


def _declared_names(path: Path, key: str, value: Any, config: Config) -> tuple[str, ...]:
    """A list of target names, each of which must be declared (or made by a matrix; "all" stands
    for every target)."""
    names = tuple(_string_list(path, key, value))
    for name in names:
        if name != "all" and config.target(name) is None:
            raise ConfigError(path, key, f"names {name!r}, which is not a declared target")
    return names


def _string_list(path: Path, key: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(path, key, "must be a list of strings")
    return value
