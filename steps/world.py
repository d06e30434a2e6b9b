"""What one scenario has in hand: its target, the app it serves, the browsers and tabs open.

Steps read and change the World only through the target interface (logoutspec/contract.py), so a
scenario means the same on every target.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from logoutspec.contract import App, AppSpec, Browser, Hop, ScriptRun, SetCookie, SuiteData, Tab, Target

IDENTITY_COOKIE = "_streamlit_user"
COOKIES = {"identity": IDENTITY_COOKIE, "tokens": "_streamlit_user_tokens"}  # the tokens cookie: 1.53+
LOGOUT_PATH = "/auth/logout"
CALLBACK_PATH = "oauth2callback"  # where the IdP sends the browser back (redirect_uri)


@dataclass
class World:
    target: Target
    fixtures: SuiteData
    spec: AppSpec = field(default_factory=AppSpec)
    secrets_template: str | None = None
    browsers: list[Browser] = field(default_factory=list)
    tabs: dict[str, Tab] = field(default_factory=dict)
    current: str = "first"
    session_before: str = ""
    login_started_at: float = 0.0
    kept_link: str = ""
    login_hops: list[Hop] = field(default_factory=list)  # every hop of the last login attempt
    _app: App | None = None

    @property
    def app(self) -> App:
        """The app the scenario set up, started (or reused) on first use."""
        if self._app is None:
            self._app = self.target.serve(self.spec, self.secrets_template)
        return self._app

    @property
    def callback_url(self) -> str:
        """The app's redirect_uri: its home page's /oauth2callback, as the rendered secrets.toml has it."""
        return f"{self.app.base_url}{CALLBACK_PATH}"

    def tab(self, name: str | None = None) -> Tab:
        name = name or self.current
        assert name in self.tabs, f"no {name} tab is open (open: {', '.join(self.tabs)})"
        return self.tabs[name]

    def open_browser(self, person: str | None) -> Browser:
        browser = self.app.new_browser(self.fixtures.person(person) if person else None)
        self.browsers.append(browser)
        return browser

    def close(self) -> None:
        for browser in self.browsers:
            browser.close()


def user_at(run: ScriptRun, at: str) -> dict[str, Any]:
    """st.user as the probe app showed it at the start or the end of a script run."""
    for element in run.elements:
        if element.kind == "json":
            shown = json.loads(element.text)
            if isinstance(shown, dict) and shown.get("at") == at:
                return shown["user"]
    raise AssertionError(f"the run did not show st.user at its {at}; it showed {describe(run)}")


def describe(run: ScriptRun) -> str:
    """A short account of a script run for assertion messages."""
    parts = [f"{e.kind}:{e.text[:120]}" for e in run.elements]
    if run.auth_redirect:
        parts.append(f"auth_redirect:{run.auth_redirect}")
    return "; ".join(parts) or "nothing"


def logout_run(tab: Tab) -> ScriptRun:
    """The script run in which the app called st.logout (the one that asked for the logout URL)."""
    for run in reversed(tab.runs):
        if run.auth_redirect and run.auth_redirect.split("?")[0].endswith(LOGOUT_PATH):
            return run
    raise AssertionError("no script run of this tab called st.logout (no redirect to /auth/logout)")


def set_cookies_named(navigations: list[list[Hop]], name: str) -> list[tuple[Hop, SetCookie]]:
    """Every Set-Cookie of the cookie name in the browser's history, oldest first."""
    return [(hop, cookie) for hops in navigations for hop in hops for cookie in hop.set_cookies if cookie.name == name]


def hops_since(browser: Browser, navigations: int) -> list[Hop]:
    """Every hop of the browser's navigations after the first `navigations`, in order."""
    return [hop for hops in browser.navigations[navigations:] for hop in hops]


def without_query(url: str) -> str:
    return urlsplit(url)._replace(query="", fragment="").geturl()


def came_back_to_callback(hops: list[Hop], issuer: str, callback: str) -> int:
    """The index of the hop in which the identity provider's answer reached the app's callback: the
    browser must have gone to the identity provider, and the provider must have sent it straight
    back to the callback (the hop before it is the provider's). AssertionError, with the URLs, if not."""
    urls = [hop.url for hop in hops]
    at_idp = next((i for i, hop in enumerate(hops) if hop.url.startswith(f"{issuer}/")), None)
    assert at_idp is not None, f"the login never reached the identity provider {issuer}: {urls}"
    back = next((i for i in range(at_idp, len(hops)) if without_query(hops[i].url) == callback), None)
    assert back is not None, f"the identity provider never sent the browser back to {callback}: {urls}"
    assert hops[back - 1].url.startswith(f"{issuer}/"), f"{callback} was not reached from the identity provider: {urls}"
    return back
