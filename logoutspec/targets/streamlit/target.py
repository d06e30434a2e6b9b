"""The Streamlit target: a real Streamlit server of a pinned version, driven over its wire protocol.

Nothing is mocked. The fixture IdP runs as a real HTTP server on 127.0.0.1, each app is a real
`streamlit run` in a private working directory, and the browser is the cookie-jar HttpBrowser
whose app sessions are protobuf websockets (streamlit/wire.py). Servers start ahead of the
scenarios that want them (or on first use) and live until the end of the run; scenarios are
isolated by fresh browsers and a reset IdP record, never by restarts.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from packaging.version import Version

from logoutspec.contract import AppSpec, IdpRecord, Person
from logoutspec.resources import SuiteResources
from logoutspec.targets.http_browser import HttpBrowser
from logoutspec.targets.streamlit.processes import Server, StreamlitServer, base_url_for
from logoutspec.targets.streamlit.provision import SERVERS, provision, resolve_version
from logoutspec.targets.streamlit.topologies import (
    FASTAPI,
    FIRST_ST_APP,
    TOPOLOGIES,
    FastApiServer,
    NginxServer,
    Topology,
    describe_topology,
)
from logoutspec.targets.streamlit.wire import wire_browser

KNOWN_OPTIONS = ("flags", "server", "topology", "prefix", "replicas")
DEFAULT_PREFIXES = {"proxy": "proxied", "replicas": "proxied", "fastapi": "dash"}
# Servers starting at once, per target: a start is half waiting, so two keep two cores busy without
# making the scenario that waits for its server wait much longer.
START_WORKERS = 2
AppKey = tuple[AppSpec, str]  # an app spec and the secrets template text it is served with


class StreamlitApp:
    """One running server of an app with its secrets and base path, driven over the wire."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.base_url = server.base_url

    def new_browser(self, person: Person | None = None) -> HttpBrowser:
        return wire_browser(self.base_url, person)


class ServedTarget:
    """A target whose apps are server processes that speak Streamlit's HTTP and websocket protocol:
    one per app, secrets and base path, started on first use and reused until the end of the run.
    Subclasses say how a server is made (make_server()) and what it is (the `kind` in messages).

    The servers the run's scenarios will want are started ahead (start_ahead(), the harness calls
    it once the scenarios are collected), START_WORKERS at a time in background threads, and
    stopped all at once at the end: a Streamlit server takes about a second to start (half of it
    waiting, not computing) and half a second to stop, and a run needs a dozen of them.
    """

    capabilities: frozenset[str] = frozenset()
    kind = "server"

    def __init__(self, *, name: str, version: str, resources: SuiteResources) -> None:
        self.name = name
        self.version = version
        self.resources = resources
        self.cookie_secret = secrets.token_urlsafe(32)
        self.apps: dict[AppKey, StreamlitApp] = {}
        self.failed: dict[AppKey, RuntimeError] = {}
        self.starting: dict[AppKey, Future[StreamlitApp]] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._running: list[Server] = []  # every server started, in order; appended to by the start threads
        self._running_lock = threading.Lock()

    @property
    def idp(self) -> IdpRecord:
        """The run's fixture IdP server (the harness starts it on first use and stops it)."""
        return self.resources.idp_server().record

    def app_key(self, spec: AppSpec, secrets_toml: str | None) -> AppKey:
        """What makes one server: the app, its base path and the secrets template's text, whether
        named or given (a scenario that writes the default template's text gets the default's server)."""
        template = secrets_toml if secrets_toml is not None else self.resources.secrets_template(spec.secrets)
        return replace(spec, secrets=""), template

    def start_ahead(self, apps: Sequence[tuple[AppSpec, str | None]]) -> None:
        """Queue the start of each app not started yet, in this order, START_WORKERS at a time.
        The IdP is started first, here: every secrets.toml names it, and its start is not thread-safe."""
        self.resources.idp_server()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=START_WORKERS, thread_name_prefix=f"start-{self.name}")
        for spec, secrets_toml in apps:
            key = self.app_key(spec, secrets_toml)
            if key not in self.apps and key not in self.starting and key not in self.failed:
                self.starting[key] = self._pool.submit(self._start_app, *key)

    def serve(self, spec: AppSpec, secrets_toml: str | None = None) -> StreamlitApp:
        key = self.app_key(spec, secrets_toml)
        if key in self.failed:  # a server that would not start is not tried again in every scenario
            raise self.failed[key]
        if key not in self.apps:
            started_ahead = self.starting.pop(key, None)
            try:
                self.apps[key] = started_ahead.result() if started_ahead else self._start_app(*key)
            except RuntimeError as error:
                self.failed[key] = error
                raise
        return self.apps[key]

    def make_server(self, spec: AppSpec, secrets_toml: str, port: int) -> Server:
        """The (not yet started) server of spec on port, with this secrets.toml."""
        raise NotImplementedError

    def base_path_of(self, spec: AppSpec) -> str:
        """The path under which browsers reach spec's app: its own base path unless a deployment adds a prefix."""
        return spec.base_path

    def _start_app(self, spec: AppSpec, template: str) -> StreamlitApp:
        """Reserve a port, render the secrets for it and start the server (in a start thread or
        the caller's); the port is reserved just before the server binds it, as late as it can be."""
        port = self.resources.reserve_port()
        base_url = base_url_for(port, self.base_path_of(spec))
        issuer = self.resources.idp_server().issuer
        secrets_toml = self.resources.render_secrets(
            template, base_url=base_url, cookie_secret=self.cookie_secret, issuer=issuer
        )
        server = self.make_server(spec, secrets_toml, port)
        try:
            server.__enter__()
        except (RuntimeError, TimeoutError) as exc:
            raise RuntimeError(f"target {self.name}: {self.kind} did not start: {exc}") from None
        with self._running_lock:
            self._running.append(server)
        return StreamlitApp(server)

    def begin_scenario(self) -> None:
        self.idp.reset()

    def end_scenario(self) -> None:
        """Nothing to undo: browsers are per scenario, servers are shared."""

    def advance_clock(self, seconds: float) -> None:
        raise NotImplementedError(f"target {self.name} has no controllable clock")

    def close(self) -> None:
        """Cancel the starts not begun, wait for those under way, then stop every server at once,
        each by its PID (the harness stops the IdP)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self.starting.clear()
        with self._running_lock:
            running, self._running = self._running, []
        self.apps.clear()
        stop_all(running)


def stop_all(servers: Sequence[Server]) -> None:
    """Stop the servers concurrently, one thread each (stopping is mostly waiting for the process
    to exit); every one is stopped even if another fails, and the first failure is raised after."""
    if not servers:
        return
    with ThreadPoolExecutor(max_workers=len(servers), thread_name_prefix="stop") as pool:
        stops = [pool.submit(server.__exit__, None, None, None) for server in reversed(servers)]
    failures = [error for stop in stops if (error := stop.exception()) is not None]
    if failures:
        raise failures[0]


class StreamlitTarget(ServedTarget):
    """Adapter "streamlit": options.flags holds extra `streamlit run` flags (name -> value);
    options.server = "starlette" runs the second server of 1.53 to 1.56 (server.useStarlette,
    with the starlette extra installed). version may be "latest" or "nightly" (streamlit-nightly).

    options.topology is how it is deployed: "direct" (default, `streamlit run` reached on its own
    port), "proxy" (behind nginx under the path options.prefix, default "proxied", which is also
    Streamlit's server.baseUrlPath; an app with a base path of its own is served under that one)
    or "replicas" (options.replicas processes, default 2, with the same secrets behind that nginx;
    see topologies.py for how requests are balanced) or "fastapi" (st.App, 1.57+, mounted at the
    path options.prefix, default "dash", in a FastAPI site served by uvicorn)."""

    def __init__(self, *, name: str, version: str, options: Mapping[str, Any], resources: SuiteResources) -> None:
        unknown = set(options) - set(KNOWN_OPTIONS)
        if unknown:
            raise ValueError(f"unknown option(s) {', '.join(sorted(unknown))}; known: {', '.join(KNOWN_OPTIONS)}")
        self.deployment = str(options.get("topology", "direct"))
        if self.deployment not in TOPOLOGIES:
            raise ValueError(f"option topology: {self.deployment!r} is not one of {', '.join(TOPOLOGIES)}")
        self.prefix = str(options.get("prefix", DEFAULT_PREFIXES.get(self.deployment, ""))).strip("/")
        self.replicas = options.get("replicas", 2 if self.deployment == "replicas" else 1)
        if not isinstance(self.replicas, int) or isinstance(self.replicas, bool) or self.replicas < 1:
            raise ValueError(f"option replicas: {self.replicas!r} is not a positive whole number")
        if self.deployment == "replicas" and self.replicas < 2:
            raise ValueError("option replicas: the replicas topology needs at least 2")
        super().__init__(name=name, version=resolve_version(version), resources=resources)  # "latest" resolved
        self.kind = f"Streamlit {self.version}"
        self.server = str(options.get("server", "tornado"))
        if self.server not in SERVERS:
            raise ValueError(f"option server: {self.server!r} is not one of {', '.join(SERVERS)}")
        self.flags = {str(k): str(v) for k, v in dict(options.get("flags", {})).items()}
        if self.server == "starlette":
            self.flags["server.useStarlette"] = "true"
        extras: tuple[str, ...] = ()
        if self.deployment == "fastapi":
            if Version(self.version) < Version(FIRST_ST_APP):
                raise ValueError(f"option topology: Streamlit {self.version} has no st.App (from {FIRST_ST_APP})")
            if self.flags:
                raise ValueError("option flags: `streamlit run` flags do not apply to st.App under uvicorn")
            extras = (FASTAPI,)
        self.python: Path = provision(self.version, self.server, extras=extras)  # at set-up: fails here

    @property
    def topology(self) -> str:
        """What runs behind what (the report lists it with the target)."""
        return describe_topology(self.deployment, self.version, self.prefix, self.replicas)

    def base_path_of(self, spec: AppSpec) -> str:
        """An app with a base path of its own keeps it (nginx serves that path); the others get the prefix."""
        return spec.base_path.strip("/") or self.prefix

    def make_server(self, spec: AppSpec, secrets_toml: str, port: int) -> Server:
        """`streamlit run` on port, or (proxy, replicas) nginx on port in front of Streamlit on ports of their own."""
        app = self.resources.app(spec.app)
        base_path = self.base_path_of(spec)
        if self.deployment == "direct":
            return StreamlitServer(self.python, app, secrets_toml, port=port, base_path=base_path, options=self.flags)
        if self.deployment == "fastapi":
            return FastApiServer(self.python, app, secrets_toml, port=port, mount=base_path)
        ports = [self.resources.reserve_port() for _ in range(self.replicas)]
        backends = [
            StreamlitServer(self.python, app, secrets_toml, port=own, base_path=base_path, options=self.flags)
            for own in ports
        ]
        return Topology(NginxServer(port=port, base_path=base_path, backends=ports), backends)
