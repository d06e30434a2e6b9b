"""What the harness provides every target of a run: the fixture data, the identity provider, free
ports and the secrets contract.

One SuiteResources object is made per run and handed to every target's factory (`resources=`),
so that an adapter never reaches into the fixtures: it asks for an app file, a person, the IdP
and a rendered secrets.toml here. The IdP exists once per run, shared by every target (each
scenario resets its record), in the form a target needs:

- idp_server(): the real fixture IdP on 127.0.0.1, a separate process started on first use and
  stopped by its PID when the run ends (also on Ctrl-C, through close()); for real servers and
  real browsers.
- mocked_idp(): the same IdP in this process, to be mounted on a `responses` mock; for targets
  whose HTTP never leaves the process (the reference).

The secrets contract: an app's base URL (its home page) ends with "/"; its `redirect_uri` is
`<base URL>oauth2callback`; the provider's metadata URL is `<issuer>/.well-known/openid-configuration`.
"""

from __future__ import annotations

import socket
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import responses

from logoutspec.contract import IdpRecord, Person
from logoutspec.fixtures import Fixtures, render_secrets
from logoutspec.fixtures.idp import FixtureIdP, load_idp_config, mount, start_idp_server

MOCKED_ISSUER = "http://127.0.0.1:9000"  # never bound: `responses` answers for it in process


@dataclass(frozen=True)
class IdpEndpoint:
    """The fixture IdP as a target sees it: where it is (issuer) and what it did (record)."""

    issuer: str
    record: IdpRecord


class MockedIdp:
    """The fixture IdP in this process: mount() routes `requests` calls under its issuer to it."""

    def __init__(self, idp: FixtureIdP) -> None:
        self._idp = idp
        self.issuer = idp.issuer
        self.record: IdpRecord = idp

    def mount(self, mock: responses.RequestsMock) -> None:
        mount(self._idp, mock)


class SuiteResources:
    """The harness's side of the adapter contract, for one run; close() stops what it started."""

    def __init__(self, fixtures: Fixtures, config_dir: Path | None = None) -> None:
        self.fixtures = fixtures
        self.config_dir = (config_dir or Path.cwd()).resolve()  # where paths in a target's options start
        self._stack = ExitStack()
        self._server: IdpEndpoint | None = None
        self._mocked: MockedIdp | None = None

    def __enter__(self) -> SuiteResources:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @classmethod
    def default(cls) -> SuiteResources:
        """The packaged fixtures (for tests and scripts that build a target by hand)."""
        return cls(Fixtures.default())

    def app(self, name: str) -> Path:
        """The app script NAME (AppSpec.app), e.g. "probe"."""
        return self.fixtures.app(name)

    def secrets_template(self, name: str) -> str:
        """The secrets.toml template NAME (AppSpec.secrets), with ${...} placeholders."""
        return self.fixtures.secrets_template(name)

    def person(self, username: str) -> Person:
        """A user of the fixture IdP, with the password they type at its login form."""
        return self.fixtures.person(username)

    def render_secrets(self, template: str, *, base_url: str, cookie_secret: str, issuer: str) -> str:
        """secrets.toml for an app at base_url (ending in "/") whose IdP is issuer; see the module
        docstring for what is filled in."""
        if not base_url.endswith("/"):
            raise ValueError(f"base URL {base_url!r} must end with '/' (redirect_uri is <base URL>oauth2callback)")
        return render_secrets(template, base_url=base_url, cookie_secret=cookie_secret, issuer=issuer)

    @staticmethod
    def reserve_port() -> int:
        return reserve_port()

    def idp_server(self, port: int = 0) -> IdpEndpoint:
        """The fixture IdP as a real HTTP server on 127.0.0.1, started on the first call of the run.

        port is the port it must listen on: a deployment the harness did not start names the IdP
        in a secrets.toml written before the run (adapter "url"); 0 takes any free port. A run has
        one IdP: RuntimeError if it already listens on another port than the one asked for."""
        if self._server is None:
            server = self._stack.enter_context(start_idp_server(self.fixtures.idp, port))
            self._server = IdpEndpoint(issuer=server.issuer, record=server.record)
        listening = urlsplit(self._server.issuer).port
        if port and listening != port:
            raise RuntimeError(f"the run's fixture IdP already listens on port {listening}, not on {port}")
        return self._server

    def mocked_idp(self) -> MockedIdp:
        """The fixture IdP in this process, made on the first call of the run."""
        if self._mocked is None:
            self._mocked = MockedIdp(FixtureIdP(MOCKED_ISSUER, load_idp_config(self.fixtures.idp)))
        return self._mocked

    def close(self) -> None:
        """Stop the IdP server (by its PID) if one was started; safe to call twice."""
        self._server = None
        self._mocked = None
        self._stack.close()


def reserve_port() -> int:
    """A free TCP port on 127.0.0.1, chosen before the server starts.

    The caller needs the port first: redirect_uri in secrets.toml must name it. The port is only
    probably free when the server binds it; a clash makes the server exit, which its start reports.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
