"""Server processes: one app server in a private working directory (its own cwd and HOME, so secrets
from the developer's machine never leak into a scenario), polled until healthy and stopped by its
process group; `streamlit run` as such a server. Streamlit reads .streamlit/secrets.toml from its
working directory and merges ~/.streamlit/secrets.toml: hence both point at the private directory.
Topologies of several processes (a proxy, replicas) are in topologies.py.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol, Self
from urllib.parse import urljoin

import requests

from logoutspec.resources import reserve_port

_HEALTH_POLL_INTERVAL = 0.05
# Seconds for `streamlit run` to answer its health route: a bound that catches a hang, not a speed
# check (about 1 s idle). 30 s failed whole releases of a history run on 2 cores at load 15 to 50,
# where every release ran two suites and each started its servers two at a time.
STREAMLIT_START_TIMEOUT = 90.0
SECRETS_FILE = ".streamlit/secrets.toml"  # relative to the server's working directory


def base_url_for(port: int, base_path: str = "") -> str:
    """The app's home page as a browser addresses it: always host localhost (see the facts sheet:
    the websocket Origin must match redirect_uri's origin, and redirect_uri uses localhost)."""
    path = base_path.strip("/")
    return f"http://localhost:{port}/{path}/" if path else f"http://localhost:{port}/"


class Server(Protocol):
    """What a target serves an app with: a context manager (start, stop) with the app's home page."""

    @property
    def base_url(self) -> str: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc_info: object) -> None: ...


class AppServer:
    """One app server process, started in a private working directory that holds its
    .streamlit/secrets.toml (HOME points there too), healthy once <base URL>_stcore/health answers
    200, and stopped by its PID: the whole process group, so that a launcher's children go too.

    Use as a context manager. command is the full command line; env is added to the parent's
    environment, from which anything that configures Streamlit or Python paths is removed; files
    (relative path -> text) are written into the working directory beside the secrets.
    """

    def __init__(
        self,
        command: list[str],
        secrets_toml: str,
        *,
        port: int,
        base_path: str = "",
        env: Mapping[str, str] | None = None,
        files: Mapping[str, str] | None = None,
        start_timeout: float = 30.0,
        name: str = "server",
    ) -> None:
        self._command = command
        self.files = {**(files or {}), SECRETS_FILE: secrets_toml}
        self.port = port
        self.base_path = base_path.strip("/")
        self.env = dict(env or {})
        self.start_timeout = start_timeout
        self.name = name
        self._workdir: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return base_url_for(self.port, self.base_path)

    @property
    def pid(self) -> int:
        if self._process is None:
            raise RuntimeError("the server is not running")
        return self._process.pid

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        """Launch the server and return once its health route answers 200."""
        self._workdir = Path(tempfile.mkdtemp(prefix="logoutspec-server-"))
        self._write_files(self._workdir)
        log = (self._workdir / "server.log").open("wb")
        try:
            self._process = subprocess.Popen(
                self.command(),
                cwd=self._workdir,
                env={**self._environment(self._workdir), **self.env},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, stopped as one
            )
        except OSError as error:
            self.stop()
            raise RuntimeError(f"cannot start {self._command[0]!r}: {error}") from None
        finally:
            log.close()
        try:
            self._wait_until_healthy()
        except BaseException:
            self.stop()
            raise

    def command(self) -> list[str]:
        return list(self._command)

    def stop(self) -> None:
        """Kill the process group and remove the private directory.

        Killed rather than asked to stop: nothing a server holds outlives the run (its directory
        goes next), and Streamlit's graceful shutdown cost about 0.3 s of CPU per server, 1.8 s
        at the end of a wire run that stops its 13 servers at once on 2 cores."""
        if self._process is not None:
            _signal_group(self._process.pid, signal.SIGKILL)
            self._process.wait()
            self._process = None
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def log_tail(self, lines: int = 20) -> str:
        """The last lines the server printed (stdout and stderr, interleaved as written)."""
        if self._workdir is None:
            return ""
        text = (self._workdir / "server.log").read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def _write_files(self, workdir: Path) -> None:
        """.streamlit/secrets.toml (and any other file) in the server's cwd; HOME points at the
        same private directory, so ~/.streamlit holds nothing Streamlit could merge in."""
        for name, text in self.files.items():
            path = workdir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)

    @staticmethod
    def _environment(workdir: Path) -> dict[str, str]:
        """The parent's environment minus anything that configures Streamlit or Python paths, and
        an empty directory of trusted TLS certificates (SSL_CERT_DIR).

        Why the certificates: from 1.57 Streamlit's auth routes build an httpx client, and with it
        a TLS context that loads certifi's CA bundle, for every request (about 0.1 s of CPU each,
        three per login: 60% of a 1.67 server's CPU in a login). The servers reach nothing but the
        fixture IdP, over plain HTTP on loopback, so no certificate is ever checked and the empty
        directory costs nothing to load (httpx takes SSL_CERT_DIR when SSL_CERT_FILE is unset)."""
        env = {
            name: value
            for name, value in environment_snapshot().items()
            if not name.startswith("STREAMLIT_") and name not in ("PYTHONPATH", "VIRTUAL_ENV", "SSL_CERT_FILE")
        }
        env["HOME"] = str(workdir)
        no_certificates = workdir / "no-certificates"
        no_certificates.mkdir(exist_ok=True)
        env["SSL_CERT_DIR"] = str(no_certificates)
        return env

    def _wait_until_healthy(self) -> None:
        """Poll the health endpoint until it answers 200; fail fast if the process dies."""
        health = urljoin(self.base_url, "_stcore/health")
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with code {self._process.returncode} before it was healthy:\n{self.log_tail()}"
                )
            try:
                if requests.get(health, timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(_HEALTH_POLL_INTERVAL)
        raise TimeoutError(f"{health} not healthy within {self.start_timeout} s:\n{self.log_tail()}")


def environment_snapshot() -> dict[str, str]:
    """This process's environment as it is now, safe to take in a thread while the main thread
    changes it. Servers start in background threads while pytest sets and deletes
    PYTEST_CURRENT_TEST around every scenario, and os.environ.items() lists the names first and
    reads each value after: a name deleted in between raised KeyError, and a server "did not
    start" (1 run in 5 of a fresh clone; a history run). A variable deleted meanwhile is left out."""
    return {name: value for name in list(os.environ) if (value := os.environ.get(name)) is not None}


def _signal_group(pid: int, signum: int) -> None:
    """Signal the process group led by pid, if any of it is left."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signum)


class StreamlitServer(AppServer):
    """One `streamlit run` subprocess serving an app with the given secrets.

    python is a provisioned interpreter (see provision()), secrets_toml the filled-in secrets
    text; options are extra `--name value` config flags.
    """

    def __init__(
        self,
        python: Path,
        app: Path,
        secrets_toml: str,
        *,
        port: int | None = None,
        base_path: str = "",
        options: Mapping[str, str] | None = None,
        start_timeout: float = STREAMLIT_START_TIMEOUT,
    ) -> None:
        self.python = python
        self.app = app.resolve()
        port = port if port is not None else reserve_port()
        command = streamlit_run(python, self.app, port, base_path.strip("/"), options or {})
        super().__init__(
            command, secrets_toml, port=port, base_path=base_path, start_timeout=start_timeout, name="streamlit"
        )


# The options every app server of the harness runs with, whatever its launcher (`streamlit run`
# flags, or config.toml under an ASGI server): nothing of them touches authentication or sessions.
# runner.postScriptGC: Streamlit runs a full garbage collection after every script run (its
# default), which took 55 of the 67 ms of a rerun of the probe app on Streamlit 1.50 (2 cores,
# idle): most of the wire suite's time. It only trades memory for time, and a flag can restore it.
QUIET_OPTIONS = {
    "server.headless": "true",
    "server.fileWatcherType": "none",
    "browser.gatherUsageStats": "false",
    "runner.postScriptGC": "false",
}


def streamlit_run(python: Path, app: Path, port: int, base_path: str, options: Mapping[str, str]) -> list[str]:
    """The `streamlit run` command line: headless, loopback only, no telemetry, no watcher, no
    collection after each script run (QUIET_OPTIONS); options override any of it."""
    flags = {
        **QUIET_OPTIONS,
        "server.port": str(port),
        "server.address": "127.0.0.1",
        "server.baseUrlPath": base_path,
        "global.developmentMode": "false",
        **options,
    }
    args = [arg for name, value in flags.items() for arg in (f"--{name}", value)]
    return [str(python), "-m", "streamlit", "run", str(app), *args]
