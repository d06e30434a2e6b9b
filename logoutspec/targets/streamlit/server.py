"""Real Streamlit servers for the wire target: provisioning, lifecycle, and a headless session client.

One cached virtualenv per Streamlit version keeps the versions from fighting over dependencies
and makes every run after the first offline-fast. A server runs as a subprocess with its own
HOME and working directory, so secrets from the developer's machine can never leak into a
scenario. StreamlitConnection speaks the websocket protocol the way a browser tab does; what that
takes (verified on Streamlit 1.42 to 1.67) is said where it is done:

- every request uses the host of redirect_uri, `localhost`: the websocket's Origin must equal the
  origin of redirect_uri, or Streamlit silently ignores the identity cookie (base_url_for);
- GET /_stcore/health first: it sets `_streamlit_xsrf`, and with [auth] configured the websocket
  must offer the subprotocols `streamlit, <that token>` (a third entry would resume an earlier
  session; a reload sends none), with the browser's cookies in the handshake (StreamlitConnection._open);
- frames are binary protobuf: BackMsg rerun_script out, ForwardMsgs in until script_finished (proto.py);
- Streamlit reads .streamlit/secrets.toml from its working directory and merges
  ~/.streamlit/secrets.toml: each server gets its own cwd and HOME (StreamlitServer._write_secrets).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Self
from urllib.parse import urljoin, urlsplit

import requests
import websocket
from packaging.version import InvalidVersion, Version
from uv import find_uv_bin

from logoutspec.compat import forget_websocket_handshake_cookies
from logoutspec.contract import Person, ScriptRun
from logoutspec.locations import cache_dir
from logoutspec.releases import newest, package_releases
from logoutspec.resources import reserve_port
from logoutspec.targets.http_browser import HttpBrowser, origin_of
from logoutspec.targets.streamlit.proto import RunCollector, encode_rerun_script

CACHE_ROOT = cache_dir("streamlit")  # the checkout's .cache/streamlit, $LOGOUTSPEC_CACHE/streamlit or the user's cache
_MARKER = "provisioned.txt"
_INSTALL_TIMEOUT = 900.0
_HEALTH_POLL_INTERVAL = 0.05
XSRF_COOKIE = "_streamlit_xsrf"
SECRETS_FILE = ".streamlit/secrets.toml"  # relative to the server's working directory


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


def provision(version: str, server: str = "tornado", cache_root: Path = CACHE_ROOT) -> Path:
    """The python executable of a virtualenv with this Streamlit version, created on first use.

    The marker file is written only after the install succeeded, so an interrupted install is
    redone rather than trusted; a file lock keeps parallel test processes from installing twice.
    RuntimeError (one line, naming the version) when the version cannot be installed.
    """
    requirements = requirements_for(version, server)
    name = version if server == "tornado" else f"{version}-{server}"
    venv_dir = cache_root / name
    marker = venv_dir / _MARKER
    cache_root.mkdir(parents=True, exist_ok=True)
    with (cache_root / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        wanted = "\n".join(requirements) + "\n"
        if not marker.exists() or marker.read_text() != wanted:  # new pins make a new venv
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
    minutes on a loaded 2-core machine, since uv resolves in parallel and links from its cache."""
    shutil.rmtree(venv_dir, ignore_errors=True)
    uv = find_uv_bin()
    python = str(venv_dir / "bin" / "python")
    try:
        _run_or_explain([uv, "venv", "--quiet", "--python", sys.executable, str(venv_dir)], version)
        _run_or_explain([uv, "pip", "install", "--quiet", "--python", python, *requirements], version)
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


# --- server lifecycle -------------------------------------------------------------------------


def base_url_for(port: int, base_path: str = "") -> str:
    """The app's home page as a browser addresses it: always host localhost (see the facts sheet:
    the websocket Origin must match redirect_uri's origin, and redirect_uri uses localhost)."""
    path = base_path.strip("/")
    return f"http://localhost:{port}/{path}/" if path else f"http://localhost:{port}/"


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
        """Terminate the process group (kill it if it lingers) and remove the private directory."""
        if self._process is not None:
            _signal_group(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _signal_group(self._process.pid, signal.SIGKILL)
                self._process.wait()
            _signal_group(self._process.pid, signal.SIGKILL)  # children that outlived their parent
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
        """The parent's environment minus anything that configures Streamlit or Python paths."""
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith("STREAMLIT_") and name not in ("PYTHONPATH", "VIRTUAL_ENV")
        }
        env["HOME"] = str(workdir)
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
        start_timeout: float = 30.0,
    ) -> None:
        self.python = python
        self.app = app.resolve()
        port = port if port is not None else reserve_port()
        command = streamlit_run(python, self.app, port, base_path.strip("/"), options or {})
        super().__init__(
            command, secrets_toml, port=port, base_path=base_path, start_timeout=start_timeout, name="streamlit"
        )


def streamlit_run(python: Path, app: Path, port: int, base_path: str, options: Mapping[str, str]) -> list[str]:
    """The `streamlit run` command line: headless, loopback only, no telemetry, no watcher."""
    flags = {
        "server.headless": "true",
        "server.port": str(port),
        "server.address": "127.0.0.1",
        "server.baseUrlPath": base_path,
        "server.fileWatcherType": "none",
        "global.developmentMode": "false",
        "browser.gatherUsageStats": "false",
        **options,
    }
    args = [arg for name, value in flags.items() for arg in (f"--{name}", value)]
    return [str(python), "-m", "streamlit", "run", str(app), *args]


# --- the browser ---------------------------------------------------------------------------------


def wire_browser(base_url: str, person: Person | None) -> HttpBrowser:
    """A cookie-jar browser whose tabs are app sessions over Streamlit's websocket: how the harness
    drives any server that speaks Streamlit's HTTP and websocket protocol. A tab opens its websocket
    from the page it landed on (its folder, as Streamlit's frontend does), never from base_url."""
    http = requests.Session()
    return HttpBrowser(base_url, partial(StreamlitConnection, session=http), person, http)


# --- the browser tab's session ------------------------------------------------------------------


class StreamlitConnection:
    """One app session over Streamlit's websocket, opened the way a browser tab opens it.

    headers are the browser's request headers for the page: Cookie (built by the caller from its
    jar) and optionally Origin (default: the page's origin). session is the browser's cookie jar:
    the health request that hands out `_streamlit_xsrf` goes through it, so the browser keeps
    that cookie as a real one would. base_url defaults to the page URL's directory.

    Opening does not run the script: a browser sends rerun_script right after connecting, and
    the first run() is that request. session_id is empty until then.
    """

    def __init__(
        self,
        page_url: str,
        headers: Mapping[str, str],
        *,
        session: requests.Session | None = None,
        base_url: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.page_url = page_url
        self.base_url = base_url or urljoin(page_url, ".")
        self.timeout = timeout
        self._query_string = urlsplit(page_url).query
        self._stream_url = "ws" + urljoin(self.base_url, "_stcore/stream").removeprefix("http")
        self._session_id = ""
        self._page_script_hash = ""
        self._socket = self._open(dict(headers), session or requests.Session())

    @property
    def session_id(self) -> str:
        return self._session_id

    def run(self, trigger: str | None = None) -> ScriptRun:
        """Ask for a script run (a click on the button whose widget id is trigger, if given) and
        collect it until script_finished; TimeoutError if it does not finish within timeout."""
        self._socket.send_binary(encode_rerun_script(self._query_string, self._page_script_hash, trigger))
        collector = RunCollector(self._session_id, self._page_script_hash)
        deadline = time.monotonic() + self.timeout
        while not collector.feed(self._receive(deadline)):
            pass
        self._session_id = collector.session_id
        self._page_script_hash = collector.page_script_hash
        return collector.result()

    def close(self) -> None:
        self._socket.close()

    def _open(self, headers: dict[str, str], session: requests.Session) -> websocket.WebSocket:
        """Fetch the XSRF cookie, then open the websocket with the browser's Origin, cookies
        and the subprotocols `streamlit, <xsrf token>` (no third entry: never resume)."""
        cookies = _parse_cookie_header(headers.get("Cookie", ""))
        xsrf = self._fetch_xsrf_token(session, headers) or cookies.get(XSRF_COOKIE)
        if xsrf:
            cookies[XSRF_COOKIE] = xsrf
        origin = headers.get("Origin") or origin_of(self.page_url)
        try:
            ws = websocket.create_connection(
                self._stream_url,
                timeout=self.timeout,
                origin=origin,
                cookie="; ".join(f"{name}={value}" for name, value in cookies.items()) or None,
                subprotocols=["streamlit", xsrf] if xsrf else ["streamlit"],
            )
        except (OSError, websocket.WebSocketException) as error:
            raise ConnectionError(f"cannot open {self._stream_url}: {error}") from error
        finally:
            forget_websocket_handshake_cookies()  # the only cookie jar must be the browser's own
        return ws

    def _fetch_xsrf_token(self, session: requests.Session, headers: dict[str, str]) -> str | None:
        """GET /_stcore/health as the browser does; with XSRF protection on (always, once [auth]
        is configured) the answer sets `_streamlit_xsrf`, whose value is the token to offer."""
        response = session.get(urljoin(self.base_url, "_stcore/health"), headers=headers, timeout=self.timeout)
        response.raise_for_status()
        return response.cookies.get(XSRF_COOKIE)

    def _receive(self, deadline: float) -> bytes:
        """The next ForwardMsg frame; TimeoutError naming the URL once the deadline has passed,
        so a silent server can never hang a scenario."""
        remaining = deadline - time.monotonic()
        timed_out = TimeoutError(f"no finished script run from {self._stream_url} within {self.timeout} s")
        if remaining <= 0:
            raise timed_out
        self._socket.settimeout(remaining)
        try:
            frame = self._socket.recv()
        except websocket.WebSocketTimeoutException:
            raise timed_out from None
        except websocket.WebSocketConnectionClosedException as error:
            raise ConnectionError(f"{self._stream_url} closed the websocket during a script run") from error
        if not isinstance(frame, bytes):
            raise ConnectionError(f"{self._stream_url} sent a text frame; Streamlit sends binary protobuf")
        return frame


def _parse_cookie_header(header: str) -> dict[str, str]:
    """name -> value from a Cookie request header, in order."""
    pairs = (part.strip().partition("=") for part in header.split(";") if part.strip())
    return {name: value for name, _, value in pairs}
