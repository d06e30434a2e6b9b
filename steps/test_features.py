"""Binds every scenario of features/ to the step definitions: the conformance suite itself."""

from pytest_bdd import scenarios

scenarios("../features")
