"""The HTTP endpoints of a Streamlit 1.50 (Tornado) server, and its session connections."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import requests
from requests.structures import CaseInsensitiveDict

from . import auth
from .runtime import AppSession

Response = tuple[int, list[tuple[str, str]], str]
Query = Mapping[str, str]

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


class ReferenceServer:
    """An app served under a base path: HTTP endpoints via handle(), websocket sessions via connect()."""

    def __init__(self, *, app: Path, secrets_toml: str, base_url: str, http: requests.Session) -> None:
        self.app = app
        self.secrets = auth.AuthSecrets(secrets_toml)
        self.base_path = base_path_of(base_url)
        self.oidc = auth.OidcClient(http)
        self.pending_logins = auth.PendingLogins()

    def handle(self, request: requests.PreparedRequest) -> Response:
        """Answer one HTTP request: (status, headers, with one Set-Cookie entry per cookie, body)."""
        url = urlsplit(request.url or "")
        if not f"{url.path}/".startswith(self.base_path):
            return 404, [("Content-Type", "text/plain")], "Not Found"
        if request.method != "GET":
            return 405, [("Content-Type", "text/plain")], "Method Not Allowed"
        route: Callable[[Query], Response] = getattr(self, ROUTES.get(url.path[len(self.base_path) :], "_app_page"))
        return route(dict(parse_qsl(url.query)))

    def connect(self, page_url: str, headers: dict[str, str]) -> AppSession:
        """Open a new session on page_url; st.user comes from the identity cookie, read here and only here.

        Nothing st.user depends on is in page_url: the session only knows which page it shows.
        """
        request_headers = CaseInsensitiveDict(headers)
        cookie = parse_cookie_header(request_headers.get("Cookie", "")).get(auth.IDENTITY_COOKIE)
        origin = request_headers.get("Origin")
        user_info = (
            auth.user_info_from_cookie(cookie, origin, self.secrets.cookie_secret, time.time())
            if cookie
            else {}
        )
        return AppSession(
            app=self.app, secrets=self.secrets, base_path=self.base_path, page_url=page_url, user_info=user_info
        )

    def _health(self, _query: Query) -> Response:
        return 200, [("Content-Type", "text/plain")], "ok"

    def _app_page(self, _query: Query) -> Response:
        return 200, [("Content-Type", "text/html; charset=UTF-8")], APP_PAGE

    def _login(self, query: Query) -> Response:
        """Check the provider token from st.login, then send the browser to the IdP."""
        provider = auth.decode_provider_token(
            query.get("provider", ""), self.secrets.cookie_secret, time.time()
        )
        if provider is None:
            return self._redirect_home()
        try:
            settings = self.secrets.provider_settings(provider)
            location = self.oidc.authorization_url(settings, self.pending_logins, time.time())
        except (auth.StreamlitAuthError, auth.LoginRejected) as exc:
            return 400, [("Content-Type", "text/plain")], str(exc)  # Tornado's send_error(400)
        return 302, [("Location", location)], ""

    def _oauth_callback(self, query: Query) -> Response:
        """Finish the login: on any failure the browser goes home without an identity cookie."""
        origin = self.secrets.redirect_origin
        if origin is None or auth.callback_reports_error(query):
            return self._redirect_home()
        # The state is claimed only after the error check: an error= callback leaves it usable.
        pending = self.pending_logins.claim(query.get("state"), time.time())
        if pending is None:
            return self._redirect_home()
        try:
            settings = self.secrets.provider_settings(pending.provider)
            claims = self.oidc.complete_login(settings, pending, query.get("code", ""), time.time())
        except (auth.StreamlitAuthError, auth.LoginRejected):
            return self._redirect_home()
        cookie = auth.encode_identity_cookie(
            {**claims, "origin": origin, "is_logged_in": True}, self.secrets.cookie_secret, time.time()
        )
        return self._redirect_home(auth.identity_cookie_header(cookie, time.time()))

    def _logout(self, _query: Query) -> Response:
        """Delete the identity cookie in this browser; nothing is revoked on the server."""
        return self._redirect_home(auth.identity_cookie_deletion_header(time.time()))

    def _redirect_home(self, set_cookie: str | None = None) -> Response:
        headers = [("Location", self.base_path)]
        if set_cookie is not None:
            headers.append(("Set-Cookie", set_cookie))
        return 302, headers, ""


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
