"""Servers started ahead: the steps say which app a scenario serves (the hook the plugin asks);
the served targets' side is in test_command_target.py."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest
from logoutspec.steps.actions import pytest_logoutspec_app_of

from logoutspec.contract import AppSpec
from logoutspec.resources import SuiteResources
from logoutspec.targets.streamlit.processes import environment_snapshot


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


def test_the_environment_is_read_whole_while_the_main_thread_changes_it() -> None:
    """Servers start in threads while pytest sets and deletes PYTEST_CURRENT_TEST: reading the
    environment then must not fail on a variable deleted halfway (it raised KeyError)."""
    stop = threading.Event()

    def churn() -> None:
        while not stop.is_set():
            os.environ["LOGOUTSPEC_CHURN"] = "1"
            os.environ.pop("LOGOUTSPEC_CHURN", None)

    changer = threading.Thread(target=churn)
    changer.start()
    try:
        snapshots = [environment_snapshot() for _ in range(3000)]
    finally:
        stop.set()
        changer.join()
    assert all(snapshot.get("PATH") == os.environ["PATH"] for snapshot in snapshots)
