"""The examples stand for a third party: a Python adapter of examples/ may import nothing of
logoutspec but its public adapter API (logoutspec.adapter), so that what the API offers is enough.
Whole runs of the examples are in CI (.ci/run), from a directory outside the checkout."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import logoutspec.adapter

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_API = "logoutspec.adapter"
ADAPTERS = sorted(path for path in (ROOT / "examples").rglob("*.py") if "logoutspec" in path.read_text())


def logoutspec_imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) of every import of logoutspec in a file, anywhere in it."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names if alias.name.split(".")[0] == "logoutspec"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "logoutspec":
            found.append((node.module or "", [alias.name for alias in node.names]))
    return found


def test_there_is_an_example_python_adapter() -> None:
    assert ADAPTERS, "examples/ holds no Python adapter"


@pytest.mark.parametrize("path", ADAPTERS, ids=lambda p: str(p.relative_to(ROOT / "examples")))
def test_an_example_adapter_imports_only_the_public_api(path: Path) -> None:
    for module, names in logoutspec_imports(path):
        assert module == PUBLIC_API, f"{path.relative_to(ROOT)} imports {module}; adapters import {PUBLIC_API} only"
        unknown = set(names) - set(logoutspec.adapter.__all__)
        assert not unknown, f"{path.relative_to(ROOT)} imports {', '.join(sorted(unknown))}, not in the API"


def test_the_public_api_names_what_it_exports() -> None:
    assert all(hasattr(logoutspec.adapter, name) for name in logoutspec.adapter.__all__)
