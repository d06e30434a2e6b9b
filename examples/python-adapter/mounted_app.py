"""A Python adapter for logoutspec: st.App mounted in a Starlette site (host.py), served by uvicorn.

It imports nothing of logoutspec but logoutspec.adapter (tests/test_examples.py checks that).
The harness calls MountedApp(name=, version=, options=, resources=) once per run; every app the
suite asks for (AppSpec: an app script, a secrets template, a base path) becomes one server,
started on first use and kept until close().
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from logoutspec.adapter import (
    AppServer,
    AppSpec,
    HttpBrowser,
    IdpRecord,
    Person,
    SuiteResources,
    base_url_for,
    provision,
    wire_browser,
)

HERE = Path(__file__).resolve().parent
CONFIG_TOML = '[server]\nbaseUrlPath = "{base_path}"\nheadless = true\n\n[browser]\ngatherUsageStats = false\n'


class MountedApp:
    capabilities: frozenset[str] = frozenset()  # no controllable clock

    def __init__(self, *, name: str, version: str, options: Mapping[str, Any], resources: SuiteResources) -> None:
        if options:
            raise ValueError(f"takes no options, got {', '.join(options)}")
        self.name, self.version, self.resources = name, version, resources
        self.python = provision(version)  # a virtualenv with this Streamlit release (uvicorn comes with 1.67)
        self.cookie_secret = secrets.token_urlsafe(32)
        self.apps: dict[tuple[AppSpec, str], Served] = {}
        self.servers = ExitStack()

    @property
    def idp(self) -> IdpRecord:
        return self.resources.idp_server().record

    def serve(self, spec: AppSpec, secrets_toml: str | None = None) -> Served:
        template = secrets_toml if secrets_toml is not None else self.resources.secrets_template(spec.secrets)
        if (spec, template) not in self.apps:
            port = self.resources.reserve_port()
            base_path = spec.base_path.strip("/")
            filled = self.resources.render_secrets(
                template,
                base_url=base_url_for(port, base_path),
                cookie_secret=self.cookie_secret,
                issuer=self.resources.idp_server().issuer,
            )
            command = [str(self.python), "-m", "uvicorn", "--app-dir", str(HERE), "host:app", "--port", str(port)]
            server = AppServer(
                command,
                filled,
                port=port,
                base_path=base_path,
                env={"LOGOUTSPEC_APP": str(self.resources.app(spec.app))},
                files={".streamlit/config.toml": CONFIG_TOML.format(base_path=base_path)},
            )
            self.apps[spec, template] = Served(self.servers.enter_context(server).base_url)
        return self.apps[spec, template]

    def begin_scenario(self) -> None:
        self.idp.reset()  # the IdP is shared by the run; each scenario starts with a clean record

    def end_scenario(self) -> None:
        """Browsers are per scenario; servers are shared."""

    def advance_clock(self, seconds: float) -> None:
        raise NotImplementedError("no controllable clock")

    def close(self) -> None:
        self.servers.close()  # stops every server's process group


class Served:
    """One app, reached over Streamlit's HTTP and websocket protocol."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def new_browser(self, person: Person | None = None) -> HttpBrowser:
        return wire_browser(self.base_url, person)
