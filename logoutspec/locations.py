"""Where things are, whether logoutspec runs from its checkout or is installed as a tool.

What the suite ships (features, steps, fixtures, the default configs) is found through the
package; what a run produces (reports) goes to the user's directory; what is downloaded once
(Streamlit's virtualenvs) goes to a cache that outlives both.
"""

from __future__ import annotations

import os
from pathlib import Path

import logoutspec.features
import logoutspec.steps

PACKAGE = Path(__file__).resolve().parent
FEATURES = Path(logoutspec.features.__file__).resolve().parent
STEPS = Path(logoutspec.steps.__file__).resolve().parent  # the conformance suite's tests
CACHE_VARIABLE = "LOGOUTSPEC_CACHE"


def checkout() -> Path | None:
    """The repository logoutspec runs from (an editable install), or None when it is installed."""
    root = PACKAGE.parent
    return root if (root / "pyproject.toml").is_file() and (root / "features").is_dir() else None


def packaged_config(name: str) -> Path:
    """conformance.toml or mutations.toml as the project ships them: the checkout's own, or (in a
    wheel) the copy pyproject.toml maps into logoutspec/configs/."""
    root = checkout()
    return root / name if root is not None else PACKAGE / "configs" / name


def config_in(directory: Path, name: str = "conformance.toml") -> tuple[Path, bool]:
    """The config a run in directory uses, and whether it is the packaged default (the directory
    has none of its own)."""
    own = directory / name
    return (own, False) if own.is_file() else (packaged_config(name), True)


def cache_dir(kind: str) -> Path:
    """A cache folder that outlives runs: $LOGOUTSPEC_CACHE/kind if set; else the checkout's
    .cache/kind (CI keeps that folder); else the user's cache ($XDG_CACHE_HOME or ~/.cache)/logoutspec/kind."""
    if os.environ.get(CACHE_VARIABLE):
        return Path(os.environ[CACHE_VARIABLE]) / kind
    root = checkout()
    if root is not None:
        return root / ".cache" / kind
    user_cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(user_cache) / "logoutspec" / kind
