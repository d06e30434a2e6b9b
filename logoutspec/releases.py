"""The releases of a package on the package index, asked with pip and cached for the day.

A matrix in conformance.toml may span "every minor release from 1.42 to the newest"; what the
newest is changes over time, so it is resolved when a run needs it, and kept for a day beside the
provisioned environments so that every run of the day (and every shard of it) sees the same list.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

from packaging.version import InvalidVersion, Version

from logoutspec.locations import cache_dir

CACHE_ROOT = cache_dir("releases")  # beside the Streamlit venvs: the checkout's .cache/, or the user's cache
CACHE_SECONDS = 24 * 3600
_AVAILABLE = re.compile(r"^Available versions: (.+)$", re.MULTILINE)


def package_releases(package: str, cache_root: Path = CACHE_ROOT) -> list[str]:
    """Every release of package (pre-releases too), newest first. RuntimeError (one line) when
    the index cannot be asked and nothing from today is cached."""
    cached = cache_root / f"{package}.txt"
    if cached.exists() and time.time() - cached.stat().st_mtime < CACHE_SECONDS:
        return cached.read_text().split()
    command = [sys.executable, "-m", "pip", "index", "versions", package, "--pre", "--disable-pip-version-check"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    match = _AVAILABLE.search(result.stdout)
    if match is None:
        answer = (result.stderr.strip() or result.stdout.strip()).splitlines()
        raise RuntimeError(f"cannot list the releases of {package}: {answer[-1] if answer else 'no answer'}")
    releases = sorted(_versions(match.group(1).split(", ")), reverse=True)
    cache_root.mkdir(parents=True, exist_ok=True)
    cached.write_text("\n".join(str(v) for v in releases) + "\n")
    return [str(v) for v in releases]


def newest(releases: list[str], *, pre: bool = False) -> str:
    """The newest final release (or the newest of all, pre-releases and dev builds too)."""
    found = [v for v in _versions(releases) if pre or not (v.is_prerelease or v.is_devrelease)]
    if not found:
        raise RuntimeError("no release found")
    return str(max(found))


def minor_releases(releases: list[str], first: str, last: str | None) -> list[str]:
    """The first final release of every minor version from first to last (None: the newest),
    oldest first: "1.42".."1.44" gives 1.42.0, 1.43.0, 1.44.0."""
    low, high = Version(first), Version(last) if last else None
    firsts: dict[tuple[int, int], Version] = {}
    for version in _versions(releases):
        if version.is_prerelease or version.is_devrelease or version.is_postrelease:
            continue
        minor = version.release[:2]
        if minor < low.release[:2] or (high is not None and minor > high.release[:2]):
            continue
        if minor not in firsts or version < firsts[minor]:
            firsts[minor] = version
    return [str(firsts[minor]) for minor in sorted(firsts)]


def _versions(texts: list[str]) -> list[Version]:
    """The texts that are version numbers, parsed (an index may list a malformed one; skip it)."""
    parsed = []
    for text in texts:
        try:
            parsed.append(Version(text.strip()))
        except InvalidVersion:
            continue
    return parsed
