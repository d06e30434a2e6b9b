"""conformance.toml: the one declarative file naming the targets and their known deviations.

Everything in it is checked before any scenario runs, and every problem is reported as one line
naming the file and the key, because a conformance suite is run by people who did not write it.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from logoutspec.contract import Target
from logoutspec.fixtures import Fixtures
from logoutspec.resources import SuiteResources

BUILTIN_ADAPTERS = {
    "reference": "logoutspec.targets.reference:ReferenceTarget",
    "streamlit": "logoutspec.targets.streamlit.target:StreamlitTarget",
    "browser": "logoutspec.targets.browser:BrowserTarget",
}
CATEGORIES = ("implementation bug", "behaviour changed", "documentation ambiguity", "harness limit")

_TOP_KEYS = {"suite", "targets", "deviations"}
_SUITE_KEYS = {"default_targets", "baselines", "apps", "secrets", "idp"}
_TARGET_KEYS = {"adapter", "version", "description", "options"}
_DEVIATION_KEYS = {"target", "versions", "scenario", "rule", "category", "reason", "link"}


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


@dataclass(frozen=True)
class Deviation:
    """A known, declared difference between a target and the spec: expected to fail, strictly."""

    target: str
    category: str
    reason: str
    scenario: str | None = None
    rule: str | None = None
    link: str | None = None
    versions: str | None = None  # a version range of the target, e.g. ">=1.53"

    def matches(self, target: str, version: str, rule: str | None, scenario: str) -> bool:
        if self.target != target:
            return False
        if self.versions and not SpecifierSet(self.versions).contains(version, prereleases=True):
            return False
        return self.scenario == scenario if self.scenario else self.rule == rule


@dataclass(frozen=True)
class Config:
    path: Path
    fixtures: Fixtures
    default_targets: tuple[str, ...]
    targets: Mapping[str, TargetConfig]
    deviations: tuple[Deviation, ...] = field(default_factory=tuple)
    baselines: tuple[str, ...] = ()  # for the mutation check: the targets that must pass

    def select(self, names: list[str]) -> list[TargetConfig]:
        """The targets named on the command line (--target), or the default ones."""
        if not names:
            names = list(self.default_targets)
        if "all" in names:
            return list(self.targets.values())
        for name in names:
            if name not in self.targets:
                known = ", ".join(sorted(self.targets))
                raise ConfigError(self.path, f"targets.{name}", f"no such target (--target); known: {known}")
        return [self.targets[name] for name in dict.fromkeys(names)]


def load_config(path: Path) -> Config:
    """Read and check conformance.toml; raise ConfigError on the first problem."""
    raw = _read_toml(path)
    _reject_unknown(path, "", raw, _TOP_KEYS)
    suite = _table(path, "suite", raw.get("suite", {}))
    _reject_unknown(path, "suite.", suite, _SUITE_KEYS)
    fixtures = _fixtures(path, suite)
    targets_raw = _table(path, "targets", raw.get("targets", {}))
    if not targets_raw:
        raise ConfigError(path, "targets", "no target is declared")
    targets = {name: _target(path, name, value) for name, value in targets_raw.items()}
    defaults = _declared_names(path, "suite.default_targets", suite.get("default_targets", list(targets)[:1]), targets)
    baselines = _declared_names(path, "suite.baselines", suite.get("baselines", list(targets)[:1]), targets)
    deviations = _array_of_tables(path, "deviations", raw.get("deviations", []))
    return Config(
        path=path,
        fixtures=fixtures,
        default_targets=defaults,
        baselines=baselines,
        targets=targets,
        deviations=tuple(_deviation(path, i, d, targets) for i, d in enumerate(deviations)),
    )


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
    """The factory named by `adapter`, imported."""
    key = f"targets.{target.name}.adapter"
    module_name, attr = adapter_spec(config, target)
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # an adapter's import can fail in any way; report it as one line
        raise ConfigError(config.path, key, f"cannot import {module_name!r}: {type(exc).__name__}: {exc}") from None
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise ConfigError(config.path, key, f"{module_name!r} has no callable {attr!r}")
    return factory


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
    version = _string(path, f"{prefix}.version", table["version"])
    try:
        if version != "latest":  # an adapter that supports "latest" resolves it to a release
            Version(version)
    except InvalidVersion:
        raise ConfigError(path, f"{prefix}.version", f"{version!r} is not a version number or 'latest'") from None
    return TargetConfig(
        name=name,
        adapter=_string(path, f"{prefix}.adapter", table["adapter"]),
        version=version,
        options=_table(path, f"{prefix}.options", table.get("options", {})),
        description=_string(path, f"{prefix}.description", table.get("description", "")),
    )


def _deviation(path: Path, index: int, value: Any, targets: Mapping[str, TargetConfig]) -> Deviation:
    prefix = f"deviations[{index}]"
    table = _table(path, prefix, value)
    _reject_unknown(path, f"{prefix}.", table, _DEVIATION_KEYS)
    for key in ("target", "category", "reason"):
        if key not in table:
            raise ConfigError(path, f"{prefix}.{key}", "missing")
    deviation = Deviation(**{key: _string(path, f"{prefix}.{key}", v) for key, v in table.items()})
    if deviation.target not in targets:
        raise ConfigError(path, f"{prefix}.target", f"{deviation.target!r} is not a declared target")
    if deviation.category not in CATEGORIES:
        raise ConfigError(path, f"{prefix}.category", f"{deviation.category!r} is not one of {', '.join(CATEGORIES)}")
    if bool(deviation.scenario) == bool(deviation.rule):
        raise ConfigError(path, prefix, "name exactly one of scenario or rule")
    try:
        SpecifierSet(deviation.versions or "")
    except InvalidSpecifier:
        raise ConfigError(path, f"{prefix}.versions", f"{deviation.versions!r} is not a version range") from None
    return deviation


def _reject_unknown(path: Path, prefix: str, table: Mapping[str, Any], allowed: set[str]) -> None:
    for key in table:
        if key not in allowed:
            raise ConfigError(path, f"{prefix}{key}", f"unknown key; allowed: {', '.join(sorted(allowed))}")


def _table(path: Path, key: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(path, key, f"must be a table, not {type(value).__name__}")
    return value


def _array_of_tables(path: Path, key: str, value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ConfigError(path, key, f"must be an array of tables ([[{key}]]), not {type(value).__name__}")
    return value


def _string(path: Path, key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigError(path, key, f"must be a string, not {type(value).__name__}")
    return value


def _declared_names(path: Path, key: str, value: Any, targets: Mapping[str, TargetConfig]) -> tuple[str, ...]:
    """A list of target names, each of which must be declared."""
    names = tuple(_string_list(path, key, value))
    for name in names:
        if name not in targets:
            raise ConfigError(path, key, f"names {name!r}, which is not a declared target")
    return names


def _string_list(path: Path, key: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(path, key, "must be a list of strings")
    return value
