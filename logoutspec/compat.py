"""Every private API of another library that the harness relies on, in one place.

As pytest-bdd keeps its own compat.py: each function here wraps one name a library does not
promise to keep, says why no public API does the job, and names the version it was read in
(pyproject.toml pins every one of them), so that an upgrade is checked here and nowhere else.

Each function imports its library when it is called, not when this module is imported: the
plugin imports this module on every run, and a run imports only the libraries its targets use.
reference_impl/ never imports the harness; it uses no private API of another library.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from http.cookiejar import Cookie
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_bdd.parser import Feature
    from pytest_bdd.scenario import ScenarioTemplate


def scenario_template_of(function: Callable[..., object] | None) -> ScenarioTemplate | None:
    """The Gherkin scenario a pytest-bdd test function runs, or None for any other function.

    pytest-bdd 9.0.1 keeps the mapping in `pytest_bdd.scenario.scenario_wrapper_template_registry`
    (its own reporting reads it the same way); a test item exposes no public link to its scenario.
    """
    from pytest_bdd.scenario import scenario_wrapper_template_registry

    if function is None:
        return None
    return scenario_wrapper_template_registry.get(function)


def collected_features() -> Iterable[Feature]:
    """Every feature whose scenarios were bound to tests in this process, once each."""
    from pytest_bdd.scenario import scenario_wrapper_template_registry

    features = {t.feature.filename: t.feature for t in scenario_wrapper_template_registry.values()}
    return features.values()


def example_row(params: Mapping[str, Any]) -> dict[str, str] | None:
    """The Examples row of a Scenario Outline test from its parameters (None for a Scenario).

    pytest-bdd 9.0.1 parametrizes an outline's test with the private argument `_pytest_bdd_example`.
    """
    return params.get("_pytest_bdd_example")


def nonstandard_cookie_attributes(cookie: Cookie) -> dict[str, str | None]:
    """A cookie's attributes that http.cookiejar does not model (HttpOnly, SameSite), by lowercase name.

    http.cookiejar keeps them in `Cookie._rest` with the case the server sent ("HttpOnly" from
    Tornado, "httponly" from Starlette); its public get_nonstandard_attr() matches case-sensitively.
    """
    return {name.lower(): value for name, value in getattr(cookie, "_rest", {}).items()}


def forget_websocket_handshake_cookies() -> None:
    """Empty websocket-client's process-wide handshake cookie jar.

    websocket-client 1.9.2 stores every Set-Cookie of a handshake response in one global jar
    (`websocket._handshake.CookieJar`, a `websocket._cookiejar.SimpleCookieJar`) and replays it on
    later handshakes to the same host, which would leak cookies between the simulated browsers;
    it has no option to turn that off.
    """
    from websocket import _handshake
    from websocket._cookiejar import SimpleCookieJar

    _handshake.CookieJar = SimpleCookieJar()
