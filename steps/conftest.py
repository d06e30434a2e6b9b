"""Each scenario gets a World bound to one target (the plugin parametrizes target_name)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from logoutspec.steps.world import World

from logoutspec.contract import SuiteData, Target


@pytest.fixture(autouse=True)
def world(target: Target, resources: SuiteData) -> Iterator[World]:
    """Autouse, so that every scenario depends on the target and is run once per target."""
    world = World(target=target, fixtures=resources)
    yield world
    world.close()
