"""Servers started ahead: the steps say which app a scenario serves (the hook the plugin asks);
the served targets' side is in test_command_target.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from logoutspec.steps.actions import pytest_logoutspec_app_of

from logoutspec.contract import AppSpec
from logoutspec.resources import SuiteResources


@pytest.fixture
def resources() -> Iterator[SuiteResources]:
    with SuiteResources.default() as resources:
        yield resources


def test_the_steps_name_the_app_a_scenario_serves(resources: SuiteResources) -> None:
    """The app-choosing Given steps, applied in order; a scenario that chooses none serves the default."""
    assert pytest_logoutspec_app_of(["Alice is logged in"], resources) == (AppSpec(), None)
    given = ["the callback app with the default secrets.toml", 'the probe app is served under the base path "myapp"']
    assert pytest_logoutspec_app_of(given, resources) == (AppSpec(app="callback", base_path="myapp"), None)
    named = pytest_logoutspec_app_of(['the probe app with the secrets.toml "no-end-session"'], resources)
    assert named == (AppSpec(secrets="no-end-session"), None)
    spec, template = pytest_logoutspec_app_of(
        ["the probe app with the default secrets.toml, changed so that auth.client_id is missing"], resources
    )
    assert spec == AppSpec(secrets="default, changed so that auth.client_id is missing")
    assert template is not None and "logoutspec-app" not in template and "app-secret" in template
