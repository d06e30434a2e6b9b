"""Loads the harness plugin and the step definitions for every test under this folder."""

pytest_plugins = ["harness.plugin", "steps.actions", "steps.outcomes"]
