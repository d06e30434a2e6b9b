"""Provisioning: one cached virtualenv per Streamlit release (and server), created on first use.

One virtualenv per version keeps the versions from fighting over dependencies and makes every run
after the first offline-fast.
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from packaging.version import InvalidVersion, Version
from uv import find_uv_bin

from logoutspec.locations import cache_dir
from logoutspec.releases import newest, package_releases

CACHE_ROOT = cache_dir("streamlit")  # the checkout's .cache/streamlit, $LOGOUTSPEC_CACHE/streamlit or the user's cache
_MARKER = "provisioned.txt"
_INSTALL_TIMEOUT = 900.0


SERVERS = ("tornado", "starlette")  # Streamlit's two servers; 1.53 to 1.56 ship both (server.useStarlette)
NIGHTLY_PACKAGE = "streamlit-nightly"  # its versions are dev releases (1.66.2.dev20261026); Streamlit's never are


def resolve_version(version: str, releases: Callable[[str], list[str]] = package_releases) -> str:
    """A concrete version for "latest" (the newest release of streamlit) and "nightly" (the newest
    build of streamlit-nightly); the list of releases is asked once a day (logoutspec.releases)."""
    if version == "latest":
        return newest(releases("streamlit"))
    if version == "nightly":
        return newest(releases(NIGHTLY_PACKAGE), pre=True)
    return version


def requirements_for(version: str, server: str = "tornado") -> list[str]:
    """The pip requirements that make this Streamlit version's st.login work on this server.

    Authlib is pinned because Authlib 1.6.6+ breaks /auth/login on Streamlit before 1.57, and
    1.42 predates the Authlib 1.6 API; from 1.57 on the `auth` extra brings Authlib, and httpx
    is named too because the extra of 1.57 to 1.59.1 forgets it (/auth/login then answers 500).
    The Starlette server of 1.53 to 1.56 needs the `starlette` extra, and httpx, which Authlib's
    Starlette client uses (without it /auth/login answers 500). A dev version is a build of the
    streamlit-nightly package.
    """
    parsed = _parse_version(version)
    package = NIGHTLY_PACKAGE if parsed.is_devrelease else "streamlit"
    if server not in SERVERS:
        raise RuntimeError(f"unknown Streamlit server {server!r}; known: {', '.join(SERVERS)}")
    if parsed < Version("1.42"):
        raise RuntimeError(f"Streamlit {version} has no st.login/st.logout (they appeared in 1.42.0)")
    if server == "starlette" and not Version("1.53.0.dev0") <= parsed < Version("1.57.0.dev0"):
        raise RuntimeError(
            f"Streamlit {version} has no server.useStarlette (1.53 to 1.56 have it; 1.57+ only Starlette)"
        )
    if parsed >= Version("1.57.0.dev0"):  # the auth extra of some releases (1.58) lacks httpx, which Authlib needs
        return [f"{package}[auth]=={version}", "httpx==0.28.1"]
    authlib = "1.4.1" if parsed < Version("1.43") else "1.6.5"
    if server == "starlette":
        return [f"{package}[starlette]=={version}", f"Authlib=={authlib}", "httpx==0.28.1"]
    return [f"{package}=={version}", f"Authlib=={authlib}"]


# The marker's last line: environments provisioned before installs were compiled to bytecode
# are made again (where PYTHONDONTWRITEBYTECODE is set, they compiled Streamlit at every start).
_COMPILED = "# compiled to bytecode"


def provision(version: str, server: str = "tornado", cache_root: Path = CACHE_ROOT, extras: Sequence[str] = ()) -> Path:
    """The python executable of a virtualenv with this Streamlit version, created on first use.

    extras are pinned requirements installed beside it (a host framework such as FastAPI), in a
    virtualenv of their own named after them, so that the plain one stays what Streamlit brings.
    The marker file is written only after the install succeeded, so an interrupted install is
    redone rather than trusted; a file lock keeps parallel test processes from installing twice.
    RuntimeError (one line, naming the version) when the version cannot be installed.
    """
    requirements = [*requirements_for(version, server), *extras]
    name = "-".join([version, *([server] if server != "tornado" else []), *(r.split("==")[0] for r in extras)])
    venv_dir = cache_root / name
    marker = venv_dir / _MARKER
    cache_root.mkdir(parents=True, exist_ok=True)
    with (cache_root / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        wanted = "\n".join([*requirements, _COMPILED]) + "\n"
        if not marker.exists() or marker.read_text() != wanted:  # new pins (or an uncompiled venv) make a new venv
            _install(venv_dir, requirements, version)
            marker.write_text(wanted)
    return venv_dir / "bin" / "python"


def _parse_version(version: str) -> Version:
    try:
        return Version(version)
    except InvalidVersion:
        raise RuntimeError(f"{version!r} is not a Streamlit version number") from None


def _install(venv_dir: Path, requirements: list[str], version: str) -> None:
    """Create the virtualenv from scratch and install the requirements into it with uv; a failed
    attempt leaves nothing behind. uv, not pip: a cold environment takes about 11 s instead of
    minutes on a loaded 2-core machine, since uv resolves in parallel and links from its cache.
    Compiled to bytecode at install (uv does not by default): where PYTHONDONTWRITEBYTECODE is
    set, as in CI, every server start would otherwise compile Streamlit and its dependencies
    from source, and two servers starting at once took over 90 s on a 2-core machine."""
    shutil.rmtree(venv_dir, ignore_errors=True)
    uv = find_uv_bin()
    python = str(venv_dir / "bin" / "python")
    try:
        _run_or_explain([uv, "venv", "--quiet", "--python", sys.executable, str(venv_dir)], version)
        install = [uv, "pip", "install", "--quiet", "--compile-bytecode", "--python", python, *requirements]
        _run_or_explain(install, version)
    except BaseException:
        shutil.rmtree(venv_dir, ignore_errors=True)
        raise


def _run_or_explain(command: list[str], version: str) -> None:
    """Run a provisioning step; on failure raise one line naming the version and uv's reason (its
    error and cause lines, joined)."""
    result = subprocess.run(command, capture_output=True, text=True, timeout=_INSTALL_TIMEOUT, check=False)
    if result.returncode != 0:
        lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
        reason = " ".join(lines)[:400]
        raise RuntimeError(f"cannot provision Streamlit {version}: {reason}")
