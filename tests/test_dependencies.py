"""The project's dependency arrows, read from the imports of its source files (parsed, not run).

steps -> contract: a scenario means the same on every target only if its steps see nothing but
the contract. reference_impl -> nothing of logoutspec: the reference is an implementation, checked
by the harness, never a part of it. The generic harness -> no adapter: built-in adapters are named
by string in the config, so that a run imports only the adapters it uses.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The modules of the generic harness: every module at the top of logoutspec/ but the adapter API,
# whose job is to hand adapters the parts of the built-in ones they may reuse.
ADAPTER_API = {"adapter.py"}
HARNESS = sorted(path for path in (ROOT / "logoutspec").glob("*.py") if path.name not in ADAPTER_API)


def imported_modules(path: Path, package: str) -> set[str]:
    """Every module a file imports, anywhere in it (also inside functions), with relative imports
    resolved against package (the file's package as installed, e.g. logoutspec.steps)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                if not base:  # `from . import x`: x is a module of the package
                    found.update(f"{parent}.{alias.name}" for alias in node.names)
                base = f"{parent}.{base}" if base else parent
            found.add(base)
    return found


def project_imports(path: Path, package: str) -> set[str]:
    return {name for name in imported_modules(path, package) if name == "logoutspec" or name.startswith("logoutspec.")}


def within(name: str, *packages: str) -> bool:
    return any(name == package or name.startswith(f"{package}.") for package in packages)


def sources(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", sources("steps"), ids=lambda p: p.name)
def test_steps_import_only_the_contract(path: Path) -> None:
    wrong = {
        m for m in project_imports(path, "logoutspec.steps") if not within(m, "logoutspec.contract", "logoutspec.steps")
    }
    assert not wrong, f"{path.relative_to(ROOT)} imports {', '.join(sorted(wrong))}: steps may use only the contract"


@pytest.mark.parametrize("path", sources("reference_impl"), ids=lambda p: p.name)
def test_the_reference_imports_nothing_of_the_harness(path: Path) -> None:
    wrong = {
        m for m in project_imports(path, "logoutspec.reference_impl") if not within(m, "logoutspec.reference_impl")
    }
    assert not wrong, f"{path.relative_to(ROOT)} imports {', '.join(sorted(wrong))}: the reference stands alone"


@pytest.mark.parametrize("path", HARNESS, ids=lambda p: p.name)
def test_the_generic_harness_imports_no_adapter(path: Path) -> None:
    wrong = {m for m in project_imports(path, "logoutspec") if within(m, "logoutspec.targets")}
    assert not wrong, f"{path.relative_to(ROOT)} imports {', '.join(sorted(wrong))}: name built-in adapters by string"


def test_the_import_reader_sees_every_form(tmp_path: Path) -> None:
    """The check is only as good as its reader: absolute, relative and nested imports all count."""
    source = tmp_path / "m.py"
    source.write_text(
        "import logoutspec.a\nfrom logoutspec.b import c\nfrom . import d\nfrom ..e import f\n"
        "def later():\n    import logoutspec.g\n"
    )
    found = project_imports(source, "logoutspec.steps")
    assert {"logoutspec.a", "logoutspec.b", "logoutspec.steps.d", "logoutspec.e", "logoutspec.g"} <= found
