"""The one interface every target speaks.

Steps are written against these types only, never against one target's internals, so the same
feature files run on the in-process reference implementation, on real Streamlit servers over
their wire protocol, in a real browser, and on implementations nobody here wrote.

The vocabulary is a browser's: a Target serves an App (an app script with its secrets); a
Browser has a cookie jar shared by its Tabs; a Tab is one app session (one websocket in real
Streamlit) that shows what its last script run rendered; every navigation leaves a redirect
chain of Hops. What the identity provider saw is read from its record (IdpRecord).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

# Capabilities a target may lack; a scenario tagged @needs:NAME is "not applicable" without it.
CAPABILITIES = frozenset({"clock"})


@dataclass(frozen=True)
class Person:
    """Who sits at a browser: what they type when the IdP asks for credentials."""

    username: str
    password: str


@dataclass(frozen=True)
class Cookie:
    """A cookie as the browser holds it."""

    name: str
    value: str
    domain: str
    path: str
    expires: float | None  # Unix time; None for a session cookie
    http_only: bool
    secure: bool = False
    same_site: str | None = None


@dataclass(frozen=True)
class SetCookie:
    """One Set-Cookie header as a server sent it (attribute names lower-cased)."""

    name: str
    value: str
    attributes: dict[str, str]
    raw: str

    @property
    def path(self) -> str | None:
        return self.attributes.get("path")

    def deletes(self, now: float) -> bool:
        """Whether this header makes the browser drop the cookie (Max-Age<=0, or expired at now)."""
        if "max-age" in self.attributes:
            return int(self.attributes["max-age"]) <= 0
        if "expires" in self.attributes:
            return parsedate_to_datetime(self.attributes["expires"]).timestamp() <= now
        return False


@dataclass(frozen=True)
class Hop:
    """One HTTP response the browser received while following a navigation."""

    method: str
    url: str
    status: int
    location: str | None = None
    set_cookies: tuple[SetCookie, ...] = ()

    @property
    def is_redirect(self) -> bool:
        return self.status in (301, 302, 303, 307, 308) and self.location is not None


@dataclass(frozen=True)
class Element:
    """One thing a script run rendered.

    kind is "markdown", "json", "button" or "exception"; text is the markdown, the JSON text,
    the button label or the exception message; widget_id identifies a button; exc_type names an
    exception's type.
    """

    kind: str
    text: str
    widget_id: str = ""
    exc_type: str = ""


@dataclass(frozen=True)
class ScriptRun:
    """What one run of the app script produced, and where it asked the browser to go."""

    elements: tuple[Element, ...]
    auth_redirect: str | None = None


@dataclass(frozen=True)
class IdpEvent:
    """One thing the identity provider did: kind is discovery, authorize, credentials_prompt,
    login, token, jwks or end_session; user is the person concerned, where known."""

    kind: str
    user: str | None = None
    params: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class IdpRecord(Protocol):
    """The IdP's own account of what happened, read by steps to check the IdP side; and the one
    switch a scenario has over it, to make it answer wrongly."""

    issuer: str

    def events(self) -> list[IdpEvent]: ...

    def live_sessions(self) -> list[str]:
        """Usernames of the IdP login sessions that are still alive."""
        ...

    def reset(self) -> None:
        """Forget all events, sessions and faults, so that each scenario starts clean."""
        ...

    def misbehave(self, fault: str) -> None:
        """Answer wrongly until reset. In a login: "state" (a state the app did not send), "nonce",
        "issuer" or "audience" (an id_token with another one), "access_denied" (the authorization
        answered error=access_denied, as when the person declines), "token_error" (the code
        exchange answered 400 invalid_grant), "expired" (id_tokens that expire the second they
        are issued). At any time: "metadata" (the discovery document answers 503)."""
        ...


class NavigationError(AssertionError):
    """A navigation that did not end on an app page (an error page, a hang): the target failed."""


class NotServed(Exception):
    """Raised by Target.serve for an app the target cannot serve at all, by design: a deployment
    the harness did not start serves the one app its deployer put there. The scenario that asked
    for it does not apply to that target (the run reports it as not applicable, with this message)."""


class Tab(Protocol):
    """One browser tab showing the app: one app session."""

    @property
    def url(self) -> str: ...

    @property
    def session_id(self) -> str: ...

    @property
    def last_run(self) -> ScriptRun:
        """What the tab shows: the most recent complete script run of its session."""
        ...

    @property
    def runs(self) -> list[ScriptRun]:
        """Every script run this tab saw, oldest first (across sessions)."""
        ...

    def click(self, label: str) -> None:
        """Click the button with this label, and follow any navigation it causes."""
        ...

    def click_and_stop_before(self, label: str, path: str) -> str:
        """Click the button with this label and follow the navigation it causes, filling in the
        IdP's login form as usual, until the browser is about to request a URL whose path ends
        with `path`; return that URL without requesting it. The tab is left where it stopped.
        (What an attacker does with their own login: keep the callback URL for someone else.)"""
        ...

    def rerun(self) -> None: ...

    def reload(self) -> None:
        """Reload the page: a new session that reads the cookies anew."""
        ...

    def close(self) -> None:
        """Close the tab: its app session is disconnected (Streamlit keeps it a while for a reconnect)."""
        ...


class Browser(Protocol):
    """A browser: one cookie jar shared by its tabs."""

    @property
    def navigations(self) -> list[list[Hop]]:
        """The redirect chain of every navigation, oldest first."""
        ...

    def open_tab(self, path: str = "", resume: str | None = None) -> Tab:
        """Open the page at path (relative to the app's home page) in a new tab. resume, when given, is
        the id of an earlier app session that the page's connection asks to resume, as Streamlit's
        frontend does when it reconnects after a dropped connection (the third entry of the
        websocket's Sec-WebSocket-Protocol): whether it gets that session back is the server's call."""
        ...

    def cookies(self) -> list[Cookie]: ...

    def set_cookie_value(self, name: str, value: str) -> None:
        """Overwrite a cookie's value in place, as a user with developer tools can."""
        ...

    def restart(self) -> None:
        """Quit and start again: every tab closes, and the session cookies (those without an
        expiry) are forgotten; cookies with an expiry stay, as in a browser's profile."""
        ...

    def close(self) -> None: ...


class App(Protocol):
    """An app script served by a target with a given secrets.toml and base path."""

    @property
    def base_url(self) -> str:
        """The app's home page, e.g. http://localhost:8501/ or http://localhost:8501/myapp/."""
        ...

    def new_browser(self, person: Person | None = None) -> Browser: ...


@dataclass(frozen=True)
class AppSpec:
    """What to serve: an app from fixtures/apps, the secrets template, and a base path."""

    app: str = "probe"
    secrets: str = "default"
    base_path: str = ""


class SuiteData(Protocol):
    """The suite's fixture data as steps read it (the harness hands it to every target too)."""

    def person(self, username: str) -> Person:
        """A user of the fixture IdP, with the password they type at its login form."""
        ...

    def secrets_template(self, name: str) -> str:
        """The secrets.toml template NAME, with ${...} placeholders the target fills in."""
        ...


@runtime_checkable
class Target(Protocol):
    """An implementation under test: what an adapter's factory returns (the harness checks it)."""

    name: str
    version: str  # the Streamlit version it implements or is
    capabilities: frozenset[str]

    @property
    def idp(self) -> IdpRecord: ...

    def serve(self, spec: AppSpec, secrets_toml: str | None = None) -> App:
        """The app for spec, started on first use and reused across scenarios.

        secrets_toml, when given, is the secrets template text itself (written in a feature),
        named by spec.secrets for reuse.
        """
        ...

    def begin_scenario(self) -> None:
        """Give the scenario a clean view (fresh IdP record); servers stay up."""
        ...

    def end_scenario(self) -> None: ...

    def advance_clock(self, seconds: float) -> None:
        """Move time forward (capability clock)."""
        ...

    def close(self) -> None:
        """Stop everything the target started."""
        ...


@runtime_checkable
class StartsAhead(Protocol):
    """Optional for a Target: start the apps the coming scenarios will serve before they ask.

    A real server takes about a second to start, and a run needs a dozen (one per app, secrets
    and base path): started in the background, in the order the scenarios will want them, they
    are up by the time a scenario asks. serve() still serves any app, started ahead or not.
    """

    def start_ahead(self, apps: Sequence[tuple[AppSpec, str | None]]) -> None:
        """Begin starting these apps (spec and secrets_toml as serve() takes them), in this order,
        and return at once; a start that fails is reported by serve() of that app."""
        ...


@runtime_checkable
class ShowsTopology(Protocol):
    """Optional for a Target: what runs behind what, in one line, for the report's list of targets
    (e.g. "nginx on 127.0.0.1 under /proxied/ -> streamlit run"), as the target really deploys it."""

    @property
    def topology(self) -> str: ...


@runtime_checkable
class RecordsFailures(Protocol):
    """Optional for a Target: keep what a person saw when a scenario failed (browser targets)."""

    def record_failure(self, name: str, directory: Path) -> list[Path]:
        """Save <directory>/<name>.png and .html (or nothing) and return the files written."""
        ...


class Connection(Protocol):
    """One app session as the HTTP browser drives it: a websocket in real Streamlit."""

    @property
    def session_id(self) -> str: ...

    def run(self, trigger: str | None = None) -> ScriptRun:
        """Run the script once; trigger is the widget id of a clicked button."""
        ...

    def close(self) -> None: ...


class Connector(Protocol):
    """Opens an app session for a page URL with the browser's request headers (Cookie, Origin);
    resume, passed only when a tab asks to resume an earlier session, is that session's id."""

    def __call__(self, page_url: str, headers: dict[str, str], resume: str | None = None) -> Connection: ...
