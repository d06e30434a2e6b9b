"""The HTTP endpoints of a Streamlit (Tornado) server, 1.50 by default, and its session connections.

What changed in later versions is decided in one place, VersionBehaviour, from the version the
server is asked to be.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from packaging.version import Version
from requests.structures import CaseInsensitiveDict

from . import auth
from .runtime import AppSession

Response = tuple[int, list[tuple[str, str]], str]

DEFAULT_VERSION = "1.50.0"  # the version of the st.logout documentation the suite starts from
IDP_LOGOUT_VERSION = "1.53.0"  # the first release that logs out of the IdP and keeps the tokens cookie
HEALTH_PATH = "_stcore/health"
APP_PAGE = '<html><head><title>Streamlit</title></head><body><div id="root"></div></body></html>'
# Endpoint -> the method answering it, looked up by name for every request, so that a deliberately
# broken variant of the reference (reference_impl/mutations.py) can replace exactly one endpoint.
ROUTES = {
    HEALTH_PATH: "_health",
    auth.LOGIN_PATH: "_login",
    auth.LOGOUT_PATH: "_logout",
    auth.CALLBACK_PATH: "_oauth_callback",
}


@dataclass(frozen=True)
class VersionBehaviour:
    """The behaviours that depend on the Streamlit version, chosen once from it (of())."""

    tokens_cookie: bool  # the login also keeps the IdP's tokens in a cookie, which logout deletes too
    idp_logout: bool  # the identity cookie names its provider; logout goes through its end_session_endpoint
    chunked_cookies: bool  # a cookie too large for a browser is split into chunks, which logout deletes too

    @classmethod
    def of(cls, version: str) -> VersionBehaviour:
        """1.53 added all three: logging out of the IdP needs the id_token, which the tokens cookie keeps,
        and a tokens cookie is easily too large for one Set-Cookie."""
        since = Version(version) >= Version(IDP_LOGOUT_VERSION)
        return cls(tokens_cookie=since, idp_logout=since, chunked_cookies=since)

    @property
    def auth_cookies(self) -> tuple[str, ...]:
        """The cookies a login sets and a logout deletes."""
        return (auth.IDENTITY_COOKIE, auth.TOKENS_COOKIE) if self.tokens_cookie else (auth.IDENTITY_COOKIE,)


@dataclass(frozen=True)
class Request:
    """What an endpoint reads of a GET request: its query and its cookies."""

    query: Mapping[str, str]
    cookies: Mapping[str, str]


class ReferenceServer:
    """An app served under a base path: HTTP endpoints via handle(), websocket sessions via connect()."""

    def __init__(
        self,
        *,
        app: Path,
        secrets_toml: str,
        base_url: str,
        http: requests.Session,
        version: str = DEFAULT_VERSION,
    ) -> None:
        self.app = app
        self.secrets = auth.AuthSecrets(secrets_toml)
        self.base_path = base_path_of(base_url)
        self.behaviour = VersionBehaviour.of(version)
        self.oidc = auth.OidcClient(http)
        self.pending_logins = auth.PendingLogins()
        self.sessions: dict[str, AppSession] = {}  # every session by id, kept for a reconnect

    def handle(self, request: requests.PreparedRequest) -> Response:
        """Answer one HTTP request: (status, headers, with one Set-Cookie entry per cookie, body)."""
        url = urlsplit(request.url or "")
        if not f"{url.path}/".startswith(self.base_path):
            return 404, [("Content-Type", "text/plain")], "Not Found"
        if request.method != "GET":
            return 405, [("Content-Type", "text/plain")], "Method Not Allowed"
        route: Callable[[Request], Response] = getattr(self, ROUTES.get(url.path[len(self.base_path) :], "_app_page"))
        cookies = parse_cookie_header(request.headers.get("Cookie", ""))
        return route(Request(dict(parse_qsl(url.query)), cookies))

    def connect(self, page_url: str, headers: dict[str, str], resume: str | None = None) -> AppSession:
        """Open a session on page_url; st.user comes from the identity cookie, read here and only here.

        Nothing st.user depends on is in page_url: the session only knows which page it shows. resume
        is the id of an earlier session the connection asks to resume (Streamlit's websocket: the third
        Sec-WebSocket-Protocol entry, sent by the frontend when it reconnects after a dropped
        connection); it is given back only as session_resumable() allows, else a new session starts.
        """
        request_headers = CaseInsensitiveDict(headers)
        cookies = parse_cookie_header(request_headers.get("Cookie", ""))
        cookie = self._cookie_value(cookies, auth.IDENTITY_COOKIE)
        origin = request_headers.get("Origin")
        user_info = (
            auth.user_info_from_cookie(cookie, origin, self.secrets.cookie_secret, time.time()) if cookie else {}
        )
        if user_info and self.behaviour.tokens_cookie and auth.TOKENS_COOKIE in cookies:
            tokens = self._signed_cookie(cookies, auth.TOKENS_COOKIE)
            user_info["tokens"] = auth.exposed_tokens(tokens, self.secrets.expose_tokens)
        earlier = self.sessions.get(resume or "")
        if earlier is not None and earlier.closed and session_resumable(earlier, user_info):
            earlier.reopen()
            return earlier
        session = AppSession(
            app=self.app, secrets=self.secrets, base_path=self.base_path, page_url=page_url, user_info=user_info
        )
        self.sessions[session.session_id] = session
        return session

    def _health(self, _request: Request) -> Response:
        return 200, [("Content-Type", "text/plain")], "ok"

    def _app_page(self, _request: Request) -> Response:
        return 200, [("Content-Type", "text/html; charset=UTF-8")], APP_PAGE

    def _login(self, request: Request) -> Response:
        """Check the provider token from st.login, then send the browser to the IdP."""
        provider = auth.decode_provider_token(
            request.query.get("provider", ""), self.secrets.cookie_secret, time.time()
        )
        if provider is None:
            return self._redirect_home()
        try:
            settings = self.secrets.provider_settings(provider)
            location = self.oidc.authorization_url(settings, self.pending_logins, time.time())
        except (auth.StreamlitAuthError, auth.LoginRejected) as exc:
            return 400, [("Content-Type", "text/plain")], str(exc)  # Tornado's send_error(400)
        state = dict(parse_qsl(urlsplit(location).query))["state"]
        return redirect(location, auth.login_state_cookie_header(state))

    def _oauth_callback(self, request: Request) -> Response:
        """Finish the login: on any failure the browser goes home without an identity cookie.

        So does the IdP's return from its logout (1.53+), which carries no state.
        """
        query = request.query
        origin = self.secrets.redirect_origin
        if origin is None or auth.callback_reports_error(query):
            return self._redirect_home()
        # The state is claimed only after the error check: an error= callback leaves it usable.
        if not auth.state_belongs_to_browser(query.get("state"), request.cookies):
            return self._redirect_home()
        pending = self.pending_logins.claim(query.get("state"), time.time())
        if pending is None:
            return self._redirect_home()
        try:
            settings = self.secrets.provider_settings(pending.provider)
            login = self.oidc.complete_login(settings, pending, query.get("code", ""), time.time())
        except (auth.StreamlitAuthError, auth.LoginRejected):
            return self._redirect_home()
        return self._redirect_home(*self._login_cookies(pending.provider, login, origin))

    def _login_cookies(self, provider: str, login: auth.CompletedLogin, origin: str) -> list[str]:
        """The Set-Cookie headers of a completed login: the identity cookie, and from 1.53 the tokens cookie."""
        now = time.time()
        secret = self.secrets.cookie_secret
        identity = {**login.claims, "origin": origin, "is_logged_in": True}
        if self.behaviour.idp_logout:
            identity["provider"] = provider  # whose end_session_endpoint the logout will look up
        values = {auth.IDENTITY_COOKIE: auth.encode_identity_cookie(identity, secret, now)}
        if self.behaviour.tokens_cookie:
            values[auth.TOKENS_COOKIE] = auth.encode_signed_cookie(auth.TOKENS_COOKIE, login.tokens, secret, now)
        if not self.behaviour.chunked_cookies:
            return [auth.cookie_header(name, value, now) for name, value in values.items()]
        return [header for name, value in values.items() for header in auth.cookie_headers(name, value, secret, now)]

    def _logout(self, request: Request) -> Response:
        """Delete the auth cookies in this browser (nothing is revoked on the server), then go home;
        from 1.53 by way of the IdP's logout, when its metadata publishes one."""
        now = time.time()
        names = [*self.behaviour.auth_cookies, *self._chunks_to_delete(request.cookies)]
        deletions = [auth.cookie_deletion_header(name, now) for name in names]
        idp_logout = self._idp_logout_url(request.cookies) if self.behaviour.idp_logout else None
        return redirect(idp_logout or self.base_path, *deletions)

    def _idp_logout_url(self, cookies: Mapping[str, str]) -> str | None:
        """The end-session URL of the provider the identity cookie names, with the tokens cookie's
        id_token as hint; None when no valid identity cookie names one (nothing to end at the IdP)."""
        provider = self._signed_cookie(cookies, auth.IDENTITY_COOKIE).get("provider")
        if not isinstance(provider, str):
            return None
        try:
            settings = self.secrets.provider_settings(provider)
        except auth.StreamlitAuthError:
            return None
        id_token = self._signed_cookie(cookies, auth.TOKENS_COOKIE).get("id_token")
        return self.oidc.end_session_url(settings, id_token if isinstance(id_token, str) else None)

    def _chunks_to_delete(self, cookies: Mapping[str, str]) -> list[str]:
        """Every chunk of an auth cookie the browser sent, by name: also those of a cookie whose
        count does not verify (tampered, or signed with another secret) or that an earlier, larger
        login left behind."""
        if not self.behaviour.chunked_cookies:
            return []
        return [chunk for name in self.behaviour.auth_cookies for chunk in auth.chunk_names(name, cookies)]

    def _cookie_value(self, cookies: Mapping[str, str], name: str) -> str:
        """The cookie's signed value as it was set: joined from its chunks where it was split."""
        if not self.behaviour.chunked_cookies:
            return cookies.get(name, "")
        return auth.joined_cookie(name, cookies, self.secrets.cookie_secret, time.time())

    def _signed_cookie(self, cookies: Mapping[str, str], name: str) -> dict[str, Any]:
        """The payload of the cookie `name` if this server signed it, else {}."""
        value = self._cookie_value(cookies, name)
        return auth.decode_signed_cookie(name, value, self.secrets.cookie_secret, time.time()) or {}

    def _redirect_home(self, *set_cookies: str) -> Response:
        return redirect(self.base_path, *set_cookies)


def session_resumable(session: AppSession, user_info: dict[str, Any]) -> bool:
    """A reconnect may resume a session only if st.logout never ran in it ("Logging out creates a new
    session") and it presents the identity the session has: a session id alone is no credential."""
    return not session.logged_out and session.user_info == user_info


def redirect(location: str, *set_cookies: str) -> Response:
    """A 302 to location, with one Set-Cookie header per cookie."""
    return 302, [("Location", location), *(("Set-Cookie", cookie) for cookie in set_cookies)], ""


def base_path_of(base_url: str) -> str:
    """The base path with a slash at each end: "/" or "/myapp/"."""
    path = urlsplit(base_url).path.strip("/")
    return f"/{path}/" if path else "/"


def parse_cookie_header(header: str) -> dict[str, str]:
    """name -> value from a Cookie request header (double quotes around a value dropped)."""
    cookies: dict[str, str] = {}
    for pair in header.split(";"):
        name, sep, value = pair.strip().partition("=")
        if sep:
            cookies.setdefault(name.strip(), value.strip().strip('"'))
    return cookies
