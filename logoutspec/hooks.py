"""The hook the plugin adds to pytest: how the harness learns, before a scenario runs, which app
it will serve, so that a target can start that app's server ahead (contract.StartsAhead).

The step definitions implement it: only they know which Given sentence chooses which app.
"""

from __future__ import annotations

import pytest

from logoutspec.contract import AppSpec, SuiteData


@pytest.hookspec(firstresult=True)
def pytest_logoutspec_app_of(given: list[str], fixtures: SuiteData) -> tuple[AppSpec, str | None] | None:
    """The app (spec and secrets_toml, as Target.serve() takes them) that a scenario whose Given
    steps read `given` (rendered, in order, background first) will serve."""
