"""The reference target: reference_impl/ and the fixture IdP, in process, behind `responses`.

Every HTTP request of the browser and of the server's OIDC client goes through `requests`;
`responses` routes it to the reference server or the fixture IdP without a socket. This is the
only target where a mock is used, and the only one with a controllable clock (freezegun).

Its one option, `mutation = "NAME"`, makes it a deliberately broken variant of the reference (a
negative control, see reference_impl/mutations.py), broken only while its own scenarios run.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
import responses
from freezegun import freeze_time
from freezegun.api import FrozenDateTimeFactory
from packaging.version import InvalidVersion, Version

from logoutspec.contract import AppSpec, Element, IdpRecord, Person, ScriptRun
from logoutspec.reference_impl import ReferenceServer, mutations, runtime
from logoutspec.resources import MockedIdp, SuiteResources
from logoutspec.targets.http_browser import HttpBrowser

APP_HOST = "http://localhost"
# The modules whose time the reference's clock must not move (freezegun's ignore: by module name)
OTHER_TARGETS = ["logoutspec.targets.streamlit", "logoutspec.targets.browser", "logoutspec.targets.command"]
FIRST_PORT = 8501


def in_process_session() -> requests.Session:
    """A requests session whose requests `responses` answers in process: it skips looking up
    proxies and .netrc in the environment, which requests otherwise does for every request (as
    HttpBrowser does for the browsers' sessions)."""
    session = requests.Session()
    session.trust_env = False
    return session


class ReferenceConnection:
    """A reference app session as the contract's Connection: its runs in the contract's types
    (reference_impl keeps its own, so that it depends on nothing of the harness)."""

    def __init__(self, session: runtime.AppSession) -> None:
        self._session = session

    @property
    def session_id(self) -> str:
        return self._session.session_id

    def run(self, trigger: str | None = None) -> ScriptRun:
        done = self._session.run(trigger)
        elements = tuple(Element(e.kind, e.text, widget_id=e.widget_id, exc_type=e.exc_type) for e in done.elements)
        return ScriptRun(elements=elements, auth_redirect=done.auth_redirect)

    def close(self) -> None:
        self._session.close()


class ReferenceApp:
    """One ReferenceServer on its own (pretend) port, routed to by `responses`."""

    def __init__(self, server: ReferenceServer, base_url: str) -> None:
        self.server = server
        self.base_url = base_url

    def new_browser(self, person: Person | None = None) -> HttpBrowser:
        return HttpBrowser(self.base_url, self.connect, person, requests.Session())

    def connect(self, page_url: str, headers: dict[str, str], resume: str | None = None) -> ReferenceConnection:
        return ReferenceConnection(self.server.connect(page_url, headers, resume))

    def mount(self, mock: responses.RequestsMock) -> None:
        origin = self.base_url.split("/", 3)[:3]
        pattern = re.compile(re.escape("/".join(origin)) + r"(/.*)?$")
        for method in ("GET", "POST"):
            mock.add_callback(method, pattern, callback=self.server.handle)


def release_number(version: str) -> str:
    """The reference implements a given release's documented behaviour: "latest" names none."""
    try:
        Version(version)
    except InvalidVersion:
        raise ValueError(f"version {version!r}: the reference implements a release; name one") from None
    return version


class ReferenceTarget:
    """Adapter "reference": builds ReferenceServers per app and routes requests to them."""

    capabilities = frozenset({"clock"})

    def __init__(self, *, name: str, version: str, options: Mapping[str, Any], resources: SuiteResources) -> None:
        self.mutation = mutation_option(options)
        self.name = name
        self.version = release_number(version)
        self.resources = resources
        self.cookie_secret = secrets.token_urlsafe(32)
        self.apps: dict[tuple[AppSpec, str], ReferenceApp] = {}
        self.mock: responses.RequestsMock | None = None
        self.clock: FrozenDateTimeFactory | None = None
        self._in_scenario = ExitStack()  # what end_scenario undoes: the mutation, the frozen clock

    @property
    def mocked_idp(self) -> MockedIdp:
        """The run's fixture IdP, in process (made on first use)."""
        return self.resources.mocked_idp()

    @property
    def idp(self) -> IdpRecord:
        return self.mocked_idp.record

    def serve(self, spec: AppSpec, secrets_toml: str | None = None) -> ReferenceApp:
        template = secrets_toml if secrets_toml is not None else self.resources.secrets_template(spec.secrets)
        key = (spec, template)
        if key not in self.apps:
            self.apps[key] = self._start_app(spec, template, FIRST_PORT + len(self.apps))
            if self.mock is not None:
                self.apps[key].mount(self.mock)
        return self.apps[key]

    def _start_app(self, spec: AppSpec, template: str, port: int) -> ReferenceApp:
        base_path = f"{spec.base_path.strip('/')}/" if spec.base_path else ""
        base_url = f"{APP_HOST}:{port}/{base_path}"
        issuer = self.mocked_idp.issuer
        filled = self.resources.render_secrets(
            template, base_url=base_url, cookie_secret=self.cookie_secret, issuer=issuer
        )
        server = ReferenceServer(
            app=self.resources.app(spec.app),
            secrets_toml=filled,
            base_url=base_url,
            http=in_process_session(),
            version=self.version,
        )
        return ReferenceApp(server, base_url)

    def begin_scenario(self) -> None:
        """A fresh IdP record and, for a mutant, its mutation in force until end_scenario: other
        targets in the same process must see the reference as it is."""
        if self.mutation is not None:
            self._in_scenario.enter_context(mutations.applied(self.mutation))
        self.idp.reset()
        self.mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        self.mocked_idp.mount(self.mock)
        for app in self.apps.values():
            app.mount(self.mock)
        self.mock.start()

    def end_scenario(self) -> None:
        if self.mock is not None:
            self.mock.stop()
            self.mock.reset()
            self.mock = None
        self._in_scenario.close()
        self.clock = None

    def advance_clock(self, seconds: float) -> None:
        """Freeze time at now on first use, then move it; the jar, server and IdP all see it.

        freezegun patches the clock of the whole process: the code of the other targets, which
        may be starting servers in background threads meanwhile (StartsAhead), keeps the real
        one, or a clock moved by 31 days ends a server's 90 s wait for its health route at once."""
        if self.clock is None:
            frozen = freeze_time(datetime.now(UTC), ignore=OTHER_TARGETS)
            self.clock = self._in_scenario.enter_context(frozen)
        self.clock.tick(timedelta(seconds=seconds))

    def close(self) -> None:
        self.end_scenario()
        self.apps.clear()


def mutation_option(options: Mapping[str, Any]) -> str | None:
    """The mutation named in the options, checked against the registry; None for the reference itself."""
    unknown = [key for key in options if key != "mutation"]
    if unknown:
        raise ValueError(f"takes no options, got {', '.join(unknown)} (except mutation = NAME)")
    name = options.get("mutation")
    if name is not None and name not in mutations.MUTATIONS:
        raise ValueError(f"unknown mutation {name!r}; known: {', '.join(sorted(mutations.MUTATIONS))}")
    return name
