"""The reference implementation driven directly: its HTTP endpoints, its sessions, its checks.

The identity provider here is a tiny fake registered with `responses`: discovery, token and JWKS
endpoints, with the authorize step done by the test itself, so that each test can hand the
server exactly the id_token it wants to see rejected.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import time
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
import responses
from cryptography.hazmat.primitives.asymmetric import rsa
from freezegun import freeze_time
from jwt.algorithms import RSAAlgorithm
from logoutspec.reference_impl import ReferenceServer, auth
from logoutspec.reference_impl.auth import IDENTITY_COOKIE, TOKENS_COOKIE, AuthSecrets, StreamlitAuthError
from logoutspec.reference_impl.runtime import AppSession, ScriptRun
from logoutspec.reference_impl.server import VersionBehaviour
from logoutspec.steps import signed_cookies

APPS = Path(__file__).resolve().parent.parent / "fixtures" / "apps"
ISSUER = "http://127.0.0.1:9100"
METADATA_URL = f"{ISSUER}/.well-known/openid-configuration"
ORIGIN = "http://localhost:8501"
SECRET = "reference-test-cookie-secret-0123456789"
CLIENTS = {"logoutspec-app": "app-secret", "logoutspec-acme": "acme-secret"}
ALICE = {"sub": "alice-0001", "name": "Alice Liddell", "email": "alice@example.com"}
DAY = 86400

Response = tuple[int, list[tuple[str, str]], str]


def secrets_toml(base_url: str = f"{ORIGIN}/", cookie_secret: str = SECRET, extra: str = "") -> str:
    return f"""
[auth]
redirect_uri = "{base_url}oauth2callback"
cookie_secret = "{cookie_secret}"
client_id = "logoutspec-app"
client_secret = "app-secret"
server_metadata_url = "{METADATA_URL}"
{extra}
[auth.acme]
client_id = "logoutspec-acme"
client_secret = "acme-secret"
server_metadata_url = "{METADATA_URL}"
"""


@cache
def rsa_key(name: str) -> rsa.RSAPrivateKey:
    """RSA keys are slow to make: one per name for the whole module."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeIdP:
    """Just enough of an OpenID provider; claim overrides and the signing key are per test."""

    def __init__(self, mock: responses.RequestsMock) -> None:
        self.overrides: dict[str, Any] = {}
        self.signing_key = rsa_key("idp")
        self.codes: dict[str, dict[str, str]] = {}
        self.token_requests: list[requests.PreparedRequest] = []
        self.metadata: dict[str, Any] = {
            "issuer": ISSUER,
            "authorization_endpoint": f"{ISSUER}/authorize",
            "token_endpoint": f"{ISSUER}/token",
            "jwks_uri": f"{ISSUER}/jwks",
            "code_challenge_methods_supported": ["S256"],
        }
        mock.add_callback("GET", METADATA_URL, callback=lambda _r: (200, {}, json.dumps(self.metadata)))
        mock.add_callback("POST", f"{ISSUER}/token", callback=self._token)
        mock.add_callback("GET", f"{ISSUER}/jwks", callback=self._jwks)

    def authorize(self, authorize_url: str) -> tuple[str, str]:
        """What the IdP does when the user signs in: a code bound to the request. Returns (code, state)."""
        params = {key: values[0] for key, values in parse_qs(urlsplit(authorize_url).query).items()}
        code = secrets.token_urlsafe(8)
        self.codes[code] = params
        return code, params["state"]

    def _token(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        self.token_requests.append(request)
        form = {key: values[0] for key, values in parse_qs(str(request.body)).items()}
        params = self.codes.pop(form["code"], None)
        client_id, _, client_secret = basic_credentials(request)
        if params is None or CLIENTS.get(client_id) != client_secret or params["client_id"] != client_id:
            return 400, {}, json.dumps({"error": "invalid_grant"})
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": client_id,
            "nonce": params["nonce"],
            "iat": now,
            "exp": now + 300,
            **ALICE,
            **self.overrides,
        }
        id_token = jwt.encode(claims, self.signing_key, algorithm="RS256", headers={"kid": "k1"})
        return 200, {}, json.dumps({"access_token": "at", "token_type": "Bearer", "id_token": id_token})

    def _jwks(self, _request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        jwk = RSAAlgorithm.to_jwk(rsa_key("idp").public_key(), as_dict=True)
        return 200, {}, json.dumps({"keys": [{**jwk, "kid": "k1", "alg": "RS256"}]})


def basic_credentials(request: requests.PreparedRequest) -> tuple[str, str, str]:
    encoded = str(request.headers.get("Authorization", "")).removeprefix("Basic ")
    return base64.b64decode(encoded).decode().partition(":")


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as requests_mock:
        yield requests_mock


@pytest.fixture
def idp(mock: responses.RequestsMock) -> FakeIdP:
    return FakeIdP(mock)


def make_server(
    app: str | Path = "probe", toml: str | None = None, base_url: str = f"{ORIGIN}/", version: str = "1.50.0"
) -> ReferenceServer:
    path = app if isinstance(app, Path) else APPS / f"{app}.py"
    toml = secrets_toml(base_url) if toml is None else toml
    return ReferenceServer(app=path, secrets_toml=toml, base_url=base_url, http=requests.Session(), version=version)


@pytest.fixture
def server() -> ReferenceServer:
    return make_server()


# --- driving the server as a browser would ---------------------------------------------------------


def get(server: ReferenceServer, path: str, cookies: dict[str, str] | None = None, **params: str) -> Response:
    query = f"{'&' if '?' in path else '?'}{urlencode(params)}" if params else ""
    return server.handle(requests.Request("GET", f"{ORIGIN}{path}{query}", cookies=cookies).prepare())


def header(response: Response, name: str) -> str | None:
    return next((value for key, value in response[1] if key.lower() == name.lower()), None)


def set_cookies(response: Response) -> list[str]:
    return [value for key, value in response[1] if key.lower() == "set-cookie"]


def open_tab(server: ReferenceServer, cookie: str | None = None, origin: str | None = ORIGIN) -> AppSession:
    headers = {"Cookie": f"_streamlit_user={cookie}"} if cookie else {}
    if origin is not None:
        headers["Origin"] = origin
    return server.connect(f"{ORIGIN}/", headers)


def click(session: AppSession, label: str) -> ScriptRun:
    """Render the page, then click the button with this label (a rerun with its trigger)."""
    buttons = {e.text: e.widget_id for e in session.run().elements if e.kind == "button"}
    return session.run(trigger=buttons[label])


def parse_json_elements(run: ScriptRun) -> list[Any]:
    """The JSON values a run rendered, in order (how the probe app shows st.user)."""
    return [json.loads(e.text) for e in run.elements if e.kind == "json"]


def user_at_end(run: ScriptRun) -> dict[str, Any]:
    return parse_json_elements(run)[-1]["user"]


def start_login(server: ReferenceServer, idp: FakeIdP, button: str = "Log in") -> tuple[str, str]:
    """Click the login button, follow /auth/login to the IdP and sign in: returns (code, state)."""
    redirect = click(open_tab(server), button).auth_redirect
    assert redirect is not None
    response = get(server, redirect)
    assert response[0] == 302, response
    return idp.authorize(str(header(response, "Location")))


def callback(
    server: ReferenceServer, path: str = "/oauth2callback", browser_state: str | None = None, **params: str
) -> Response:
    """The IdP's return to the app, in the browser that started the login: it carries the login's
    state cookie (browser_state, by default the state in the URL)."""
    state = browser_state if browser_state is not None else params.get("state")
    return get(server, path, cookies={auth.LOGIN_STATE_COOKIE: state} if state else None, **params)


def cookie_value(set_cookie: str) -> str:
    return set_cookie.split(";", 1)[0].partition("=")[2]


def cookie_payload(value: str) -> dict[str, Any]:
    """What a signed cookie holds (signed, not encrypted: anyone can read it)."""
    body = value.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def login_cookies(
    server: ReferenceServer, idp: FakeIdP, button: str = "Log in", callback_path: str = "/oauth2callback"
) -> dict[str, str]:
    """A complete login; returns the cookies it set, name -> value."""
    code, state = start_login(server, idp, button)
    response = callback(server, callback_path, code=code, state=state)
    return {cookie.partition("=")[0]: cookie_value(cookie) for cookie in set_cookies(response)}


def log_in(server: ReferenceServer, idp: FakeIdP, button: str = "Log in") -> str:
    """A complete login at 1.50, which sets the identity cookie only; returns its value."""
    cookies = login_cookies(server, idp, button)
    assert list(cookies) == [IDENTITY_COOKIE]
    return cookies[IDENTITY_COOKIE]


def assert_sent_home_without_cookie(response: Response, home: str = "/") -> None:
    assert response[0] == 302
    assert header(response, "Location") == home
    assert set_cookies(response) == []


# --- endpoints and st.user basics ------------------------------------------------------------------


def test_health_and_app_page(server: ReferenceServer) -> None:
    assert get(server, "/_stcore/health") == (200, [("Content-Type", "text/plain")], "ok")
    for path in ("/", "/some/page?view=details"):
        status, _, body = get(server, path)
        assert status == 200
        assert body.startswith("<html>")


def test_logged_out_user_with_auth_section(server: ReferenceServer) -> None:
    assert parse_json_elements(open_tab(server).run()) == [
        {"at": "start", "user": {"is_logged_in": False}},
        {"at": "end", "user": {"is_logged_in": False}},
    ]


@pytest.mark.parametrize("toml", ["", "title = 'no auth here'", "[auth\nbroken", "[auth]\n"])
def test_user_is_empty_without_auth_section(toml: str) -> None:
    server = make_server(toml=toml)
    assert user_at_end(open_tab(server).run()) == {}
    run = open_tab(make_server("example", toml)).run()
    assert [(e.kind, e.exc_type, e.text) for e in run.elements] == [
        ("exception", "AttributeError", 'st.user has no attribute "is_logged_in".')
    ]


@pytest.mark.parametrize(
    ("source", "exc_type", "message"),
    [
        ('st.user["name"]', "KeyError", "'st.user has no key \"name\".'"),
        ("st.user.name", "AttributeError", 'st.user has no attribute "name".'),
        ('st.user.name = "Mallory"', "StreamlitAPIException", "st.user cannot be modified"),
        ('st.user["name"] = "Mallory"', "StreamlitAPIException", "st.user cannot be modified"),
        ("st.experimental_user.name", "AttributeError", 'st.user has no attribute "name".'),
    ],
)
def test_user_is_a_read_only_mapping(tmp_path: Path, source: str, exc_type: str, message: str) -> None:
    app = tmp_path / "app.py"
    app.write_text(f"import streamlit as st\nst.write(dict(st.user), st.user.to_dict())\n{source}\n")
    run = open_tab(make_server(app)).run()
    assert [e.text for e in run.elements if e.kind == "json"] == ['{"is_logged_in": false}'] * 2
    assert (run.elements[-1].exc_type, run.elements[-1].text) == (exc_type, message)


# --- login ------------------------------------------------------------------------------------------


def test_login_redirect_carries_a_two_minute_provider_token(server: ReferenceServer) -> None:
    with freeze_time("2025-01-01 12:00:00"):
        redirect = click(open_tab(server), "Log in with acme").auth_redirect
        assert redirect is not None
        path, _, query = redirect.partition("?provider=")
        assert path == "/auth/login"
        claims = jwt.decode(query, SECRET, algorithms=["HS256"])
        assert claims == {"provider": "acme", "exp": int(time.time()) + 120}


def test_auth_login_sends_the_browser_to_the_idp_with_state_nonce_and_pkce(
    server: ReferenceServer, idp: FakeIdP
) -> None:
    redirect = click(open_tab(server), "Log in").auth_redirect
    location = str(header(get(server, str(redirect)), "Location"))
    assert location.startswith(f"{ISSUER}/authorize?")
    params = {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
    assert {key: params[key] for key in ("response_type", "client_id", "redirect_uri", "scope", "prompt")} == {
        "response_type": "code",
        "client_id": "logoutspec-app",
        "redirect_uri": f"{ORIGIN}/oauth2callback",
        "scope": "openid email profile",
        "prompt": "select_account",
    }
    assert params["state"] and params["nonce"] and params["code_challenge_method"] == "S256"


def test_without_s256_at_the_idp_there_is_no_pkce(server: ReferenceServer, idp: FakeIdP) -> None:
    del idp.metadata["code_challenge_methods_supported"]
    code, state = start_login(server, idp)
    assert "code_challenge" not in idp.codes[code]
    assert set_cookies(callback(server, code=code, state=state))
    assert "code_verifier" not in str(idp.token_requests[0].body)


def test_client_kwargs_override_scope_and_prompt(idp: FakeIdP) -> None:
    server = make_server(toml=secrets_toml(extra='client_kwargs = { prompt = "login", scope = "openid" }'))
    code, _ = start_login(server, idp)
    assert (idp.codes[code]["prompt"], idp.codes[code]["scope"]) == ("login", "openid")


def test_auth_login_answers_400_when_discovery_fails(server: ReferenceServer, mock: responses.RequestsMock) -> None:
    mock.add("GET", METADATA_URL, status=500)
    redirect = click(open_tab(server), "Log in").auth_redirect
    assert get(server, str(redirect))[0] == 400


def test_login_sets_the_identity_cookie_and_new_sessions_read_it(server: ReferenceServer, idp: FakeIdP) -> None:
    code, state = start_login(server, idp)
    authorize_params = dict(idp.codes[code])
    with freeze_time("2025-01-01 12:00:00"):
        response = callback(server, code=code, state=state)
    assert (response[0], header(response, "Location")) == (302, "/")
    [cookie] = set_cookies(response)
    assert re.fullmatch(r"_streamlit_user=[\w.-]+; expires=Fri, 31 Jan 2025 12:00:00 GMT; HttpOnly; Path=/", cookie)
    # The token request authenticated with client_secret_basic and proved PKCE.
    form = {key: values[0] for key, values in parse_qs(str(idp.token_requests[0].body)).items()}
    challenge = base64.urlsafe_b64encode(hashlib.sha256(form["code_verifier"].encode()).digest())
    assert challenge.decode().rstrip("=") == authorize_params["code_challenge"]
    assert basic_credentials(idp.token_requests[0]) == ("logoutspec-app", ":", "app-secret")

    with freeze_time("2025-01-02 12:00:00"):
        user = user_at_end(open_tab(server, cookie_value(cookie)).run())
    assert user["is_logged_in"] is True
    assert {key: user[key] for key in ALICE} == ALICE
    assert (user["iss"], user["aud"]) == (ISSUER, "logoutspec-app")
    assert {"iat", "exp", "nonce"} <= user.keys()
    assert "origin" not in user


def test_a_named_provider_logs_in_with_its_own_client(server: ReferenceServer, idp: FakeIdP) -> None:
    cookie = log_in(server, idp, "Log in with acme")
    assert user_at_end(open_tab(server, cookie).run())["aud"] == "logoutspec-acme"
    assert basic_credentials(idp.token_requests[0])[0] == "logoutspec-acme"


# --- logout -----------------------------------------------------------------------------------------


def test_logout_clears_st_user_for_the_rest_of_the_run_only_in_its_session(
    server: ReferenceServer, idp: FakeIdP
) -> None:
    cookie = log_in(server, idp)
    first, second = open_tab(server, cookie), open_tab(server, cookie)
    assert first.session_id != second.session_id

    run = click(first, "Log out")
    assert parse_json_elements(run)[0]["user"]["name"] == "Alice Liddell"
    assert user_at_end(run) == {"is_logged_in": False}
    assert run.auth_redirect == "/auth/logout"
    assert user_at_end(first.run()) == {"is_logged_in": False}
    assert user_at_end(second.run())["name"] == "Alice Liddell"


def test_logout_endpoint_deletes_the_cookie_and_revokes_nothing(server: ReferenceServer, idp: FakeIdP) -> None:
    cookie = log_in(server, idp)
    with freeze_time("2025-01-01 12:00:00"):
        response = get(server, "/auth/logout")
    assert response == (
        302,
        [
            ("Location", "/"),
            ("Set-Cookie", '_streamlit_user=""; expires=Tue, 02 Jan 2024 12:00:00 GMT; Path=/'),
        ],
        "",
    )
    assert user_at_end(open_tab(server, cookie).run())["name"] == "Alice Liddell"  # a copy still works
    assert get(server, "/auth/logout")[0] == 302  # also without any cookie


def test_a_closed_session_is_resumed_only_for_its_identity_and_never_after_logout(
    server: ReferenceServer, idp: FakeIdP
) -> None:
    cookie = log_in(server, idp)
    tab = open_tab(server, cookie)
    tab.run()
    tab.close()
    anyone = server.connect(f"{ORIGIN}/", {"Origin": ORIGIN}, tab.session_id)
    assert anyone.session_id != tab.session_id  # a session id is no credential
    again = server.connect(f"{ORIGIN}/", {"Origin": ORIGIN, "Cookie": f"_streamlit_user={cookie}"}, tab.session_id)
    assert again is tab and not tab.closed and user_at_end(tab.run())["name"] == "Alice Liddell"

    click(tab, "Log out")
    tab.close()
    after = server.connect(f"{ORIGIN}/", {"Origin": ORIGIN}, tab.session_id)
    assert after.session_id != tab.session_id and user_at_end(after.run()) == {"is_logged_in": False}


def test_st_navigation_runs_the_page_the_url_names(idp: FakeIdP) -> None:
    server = make_server("multipage")
    shown = {
        path: [
            e.text for e in server.connect(f"{ORIGIN}{path}", {"Origin": ORIGIN}).run().elements if e.kind == "markdown"
        ]
        for path in ("/", "/account", "/account?x=1", "/elsewhere")
    }
    home, account = ["This is the home page."], ["This is the account page."]
    assert shown == {"/": home, "/account": account, "/account?x=1": account, "/elsewhere": home}


def test_under_a_base_path_every_redirect_stays_under_it(idp: FakeIdP) -> None:
    base = f"{ORIGIN}/myapp/"
    server = make_server(toml=secrets_toml(base), base_url=base)
    tab = open_tab(server)
    assert str(click(tab, "Log in").auth_redirect).startswith("/myapp/auth/login?provider=")
    assert click(tab, "Log out").auth_redirect == "/myapp/auth/logout"
    assert get(server, "/auth/logout")[0] == 404
    logout = get(server, "/myapp/auth/logout")
    assert header(logout, "Location") == "/myapp/"
    assert set_cookies(logout)[0].endswith("; Path=/")

    code, state = start_login(server, idp)
    response = callback(server, "/myapp/oauth2callback", code=code, state=state)
    assert header(response, "Location") == "/myapp/"
    assert set_cookies(response)[0].endswith("; HttpOnly; Path=/")
    assert get(server, "/myapp")[0] == get(server, "/myapp/_stcore/health")[0] == 200


def test_the_documented_example_runs_unmodified(idp: FakeIdP) -> None:
    server = make_server("example")
    logged_out = open_tab(server).run()
    assert [(e.kind, e.text) for e in logged_out.elements] == [("button", "Log in")]

    cookie = log_in(server, idp)
    tab = open_tab(server, cookie)
    assert [(e.kind, e.text) for e in tab.run().elements] == [
        ("button", "Log out"),
        ("markdown", "Hello, Alice Liddell!"),
    ]
    run = click(tab, "Log out")
    assert [(e.kind, e.exc_type, e.text) for e in run.elements] == [
        ("button", "", "Log out"),
        ("exception", "AttributeError", 'st.user has no attribute "name".'),
    ]
    assert run.auth_redirect == "/auth/logout"


# --- from 1.53: the tokens cookie and the identity provider's logout ------------------------------

END_SESSION = f"{ISSUER}/logout"
EXPIRED = "expires=Tue, 02 Jan 2024 12:00:00 GMT; Path=/"  # deleted on 2025-01-01 12:00:00


@pytest.mark.parametrize(
    ("version", "since_1_53"),
    [("1.42.0", False), ("1.50.0", False), ("1.52.1", False), ("1.53.0", True), ("1.67.0", True)],
)
def test_the_1_53_behaviours_are_chosen_from_the_version(version: str, since_1_53: bool) -> None:
    expected = VersionBehaviour(tokens_cookie=since_1_53, idp_logout=since_1_53, chunked_cookies=since_1_53)
    assert VersionBehaviour.of(version) == expected


@pytest.fixture
def server_1_53() -> ReferenceServer:
    return make_server(version="1.53.0")


def end_session_params(response: Response) -> dict[str, str]:
    """The query of the end_session_endpoint URL the logout redirected to."""
    location = str(header(response, "Location"))
    assert location.startswith(f"{END_SESSION}?"), location
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def test_a_1_53_login_also_sets_the_tokens_cookie_and_records_the_provider(
    server_1_53: ReferenceServer, idp: FakeIdP
) -> None:
    code, state = start_login(server_1_53, idp, "Log in with acme")
    with freeze_time("2025-01-01 12:00:00"):
        identity, tokens = set_cookies(callback(server_1_53, code=code, state=state))
    attributes = "; expires=Fri, 31 Jan 2025 12:00:00 GMT; HttpOnly; Path=/"
    assert re.fullmatch(rf"{IDENTITY_COOKIE}=[\w.-]+{attributes}", identity)
    assert re.fullmatch(rf"{TOKENS_COOKIE}=[\w.-]+{attributes}", tokens)
    assert cookie_payload(cookie_value(identity))["provider"] == "acme"
    held = cookie_payload(cookie_value(tokens))
    assert (set(held), held["access_token"]) == ({"id_token", "access_token"}, "at")
    assert jwt.decode(held["id_token"], options={"verify_signature": False})["sub"] == ALICE["sub"]
    with freeze_time("2025-01-02 12:00:00"):
        user = user_at_end(open_tab(server_1_53, cookie_value(identity)).run())
    assert (user["name"], user["provider"]) == ("Alice Liddell", "acme")


def test_a_1_53_logout_deletes_both_cookies_and_goes_through_the_end_session_endpoint(
    server_1_53: ReferenceServer, idp: FakeIdP
) -> None:
    idp.metadata["end_session_endpoint"] = END_SESSION
    cookies = login_cookies(server_1_53, idp)
    with freeze_time("2025-01-01 12:00:00"):
        response = get(server_1_53, "/auth/logout", cookies=cookies)
    assert set_cookies(response) == [f'{IDENTITY_COOKIE}=""; {EXPIRED}', f'{TOKENS_COOKIE}=""; {EXPIRED}']
    assert end_session_params(response) == {
        "client_id": "logoutspec-app",
        "post_logout_redirect_uri": f"{ORIGIN}/oauth2callback",
        "id_token_hint": cookie_payload(cookies[TOKENS_COOKIE])["id_token"],
    }
    # The identity provider sends the browser back without state: home, and no cookie is set.
    assert_sent_home_without_cookie(callback(server_1_53))


def test_a_1_53_logout_without_the_tokens_cookie_sends_no_id_token_hint(
    server_1_53: ReferenceServer, idp: FakeIdP
) -> None:
    idp.metadata["end_session_endpoint"] = END_SESSION
    identity = login_cookies(server_1_53, idp)[IDENTITY_COOKIE]
    params = end_session_params(get(server_1_53, "/auth/logout", cookies={IDENTITY_COOKIE: identity}))
    assert "id_token_hint" not in params


def test_a_1_53_logout_stays_local_when_the_metadata_has_no_end_session_endpoint(
    server_1_53: ReferenceServer, idp: FakeIdP
) -> None:
    cookies = login_cookies(server_1_53, idp)
    with freeze_time("2025-01-01 12:00:00"):
        response = get(server_1_53, "/auth/logout", cookies=cookies)
    assert response == (
        302,
        [
            ("Location", "/"),
            ("Set-Cookie", f'{IDENTITY_COOKIE}=""; {EXPIRED}'),
            ("Set-Cookie", f'{TOKENS_COOKIE}=""; {EXPIRED}'),
        ],
        "",
    )


@pytest.mark.parametrize(
    "without_genuine_identity",
    [
        lambda cookies: {TOKENS_COOKIE: cookies[TOKENS_COOKIE]},
        lambda cookies: {**cookies, IDENTITY_COOKIE: tamper_payload(cookies[IDENTITY_COOKIE])},
    ],
    ids=["no identity cookie", "tampered identity cookie"],
)
def test_a_1_53_logout_ends_no_idp_session_without_a_genuine_identity_cookie(
    server_1_53: ReferenceServer, idp: FakeIdP, without_genuine_identity: Callable[[dict[str, str]], dict[str, str]]
) -> None:
    """Only a cookie this server signed names the provider whose session is ended."""
    idp.metadata["end_session_endpoint"] = END_SESSION
    cookies = without_genuine_identity(login_cookies(server_1_53, idp))
    response = get(server_1_53, "/auth/logout", cookies=cookies)
    assert header(response, "Location") == "/"
    assert len(set_cookies(response)) == 2


def test_a_1_53_cookie_too_large_is_split_and_its_logout_deletes_every_chunk_by_name() -> None:
    value = auth.encode_signed_cookie("_streamlit_user", {"bulk": "x" * 9000}, "secret", 0)
    headers = auth.cookie_headers("_streamlit_user", value, "secret", 0)
    assert len(headers) > 2 and all(len(header) <= auth.MAX_COOKIE_BYTES for header in headers)
    cookies = dict(header.split(";")[0].split("=", 1) for header in headers)
    assert list(cookies)[1:] == [f"_streamlit_user_{n}" for n in range(1, len(headers))]
    assert auth.joined_cookie("_streamlit_user", cookies, "secret", 0) == value
    assert auth.joined_cookie("_streamlit_user", cookies, "another secret", 0) == cookies["_streamlit_user"]

    response = get(make_server(version="1.53.0"), "/auth/logout", cookies={**cookies, "_streamlit_user_9": "left"})
    deleted = {cookie.split("=")[0] for cookie in set_cookies(response)}
    assert deleted == {*cookies, "_streamlit_user_9", "_streamlit_user_tokens"}


def test_a_1_53_logout_under_a_base_path_returns_through_its_own_callback(idp: FakeIdP) -> None:
    base = f"{ORIGIN}/myapp/"
    server = make_server(toml=secrets_toml(base), base_url=base, version="1.53.0")
    idp.metadata["end_session_endpoint"] = END_SESSION
    cookies = login_cookies(server, idp, callback_path="/myapp/oauth2callback")
    logout = get(server, "/myapp/auth/logout", cookies=cookies)
    assert end_session_params(logout)["post_logout_redirect_uri"] == f"{base}oauth2callback"
    assert_sent_home_without_cookie(callback(server, "/myapp/oauth2callback"), home="/myapp/")


# --- security checks: the identity cookie ----------------------------------------------------------


def tamper_payload(cookie: str) -> str:
    _, timestamp, mac = cookie.split(".")
    forged = {**cookie_payload(cookie), "name": "Mallory"}
    body = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode()
    return f"{body.rstrip('=')}.{timestamp}.{mac}"


def tamper_signature(cookie: str) -> str:
    return signed_cookies.parse(cookie).with_altered_signature().value


@pytest.mark.parametrize("tamper", [tamper_payload, tamper_signature])
def test_a_tampered_cookie_logs_nobody_in(server: ReferenceServer, idp: FakeIdP, tamper: Any) -> None:
    cookie = log_in(server, idp)
    assert user_at_end(open_tab(server, tamper(cookie)).run()) == {"is_logged_in": False}


def test_a_cookie_signed_with_another_secret_logs_nobody_in(idp: FakeIdP) -> None:
    foreign = make_server(toml=secrets_toml(cookie_secret="another-apps-secret"))
    cookie = log_in(foreign, idp)
    assert user_at_end(open_tab(make_server(), cookie).run()) == {"is_logged_in": False}


@pytest.mark.parametrize("origin", ["http://127.0.0.1:8501", "http://localhost:8502", None])
def test_a_cookie_is_ignored_on_another_origin(server: ReferenceServer, idp: FakeIdP, origin: str | None) -> None:
    cookie = log_in(server, idp)
    assert user_at_end(open_tab(server, cookie, origin).run()) == {"is_logged_in": False}


def test_a_signature_older_than_31_days_is_ignored(server: ReferenceServer, idp: FakeIdP) -> None:
    with freeze_time("2025-01-01 12:00:00") as clock:
        cookie = log_in(server, idp)
        clock.tick(31 * DAY - 1)
        assert user_at_end(open_tab(server, cookie).run())["is_logged_in"] is True
        clock.tick(2)
        assert user_at_end(open_tab(server, cookie).run()) == {"is_logged_in": False}


# --- security checks: the callback and the id_token -----------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"iss": f"{ISSUER}/"},
        {"aud": "someone-else"},
        {"aud": ["someone-else", "another"]},
        {"nonce": "replayed-nonce"},
        {"exp": 1_000_000_000},
    ],
    ids=["issuer", "audience", "audience-list", "nonce", "expired"],
)
def test_an_id_token_failing_a_check_sets_no_cookie(
    server: ReferenceServer, idp: FakeIdP, overrides: dict[str, Any]
) -> None:
    idp.overrides = overrides
    code, state = start_login(server, idp)
    assert_sent_home_without_cookie(callback(server, code=code, state=state))


def test_an_id_token_up_to_two_minutes_past_its_expiry_is_accepted(server: ReferenceServer, idp: FakeIdP) -> None:
    """Authlib's leeway at the login; after it, exp is never looked at (st.user docs)."""
    idp.overrides = {"exp": int(time.time()) - 110}
    assert log_in(server, idp)


def test_an_id_token_signed_with_another_key_sets_no_cookie(server: ReferenceServer, idp: FakeIdP) -> None:
    idp.signing_key = rsa_key("attacker")
    code, state = start_login(server, idp)
    assert_sent_home_without_cookie(callback(server, code=code, state=state))


def test_an_audience_list_with_the_client_is_accepted(server: ReferenceServer, idp: FakeIdP) -> None:
    idp.overrides = {"aud": ["other", "logoutspec-app"]}
    assert log_in(server, idp)


def test_a_state_is_used_once(server: ReferenceServer, idp: FakeIdP) -> None:
    code, state = start_login(server, idp)
    assert set_cookies(callback(server, code=code, state=state))
    assert_sent_home_without_cookie(callback(server, code=code, state=state))
    assert len(idp.token_requests) == 1


@pytest.mark.parametrize("params", [{"state": "never-issued", "code": "x"}, {"code": "x"}, {}])
def test_an_unknown_or_missing_state_sets_no_cookie(server: ReferenceServer, params: dict[str, str]) -> None:
    assert_sent_home_without_cookie(callback(server, **params))


def test_an_error_callback_sets_no_cookie_and_leaves_the_state_alone(server: ReferenceServer, idp: FakeIdP) -> None:
    code, state = start_login(server, idp)
    assert_sent_home_without_cookie(callback(server, error="access_denied", state=state))
    assert idp.token_requests == []
    assert set_cookies(callback(server, code=code, state=state))


def test_a_state_expires_after_ten_minutes(server: ReferenceServer, idp: FakeIdP) -> None:
    with freeze_time("2025-01-01 12:00:00") as clock:
        code, state = start_login(server, idp)
        clock.tick(10 * 60 + 1)
        assert_sent_home_without_cookie(callback(server, code=code, state=state))


def test_an_expired_or_forged_provider_token_goes_home(server: ReferenceServer) -> None:
    with freeze_time("2025-01-01 12:00:00") as clock:
        redirect = str(click(open_tab(server), "Log in").auth_redirect)
        clock.tick(121)
        assert_sent_home_without_cookie(get(server, redirect))
    forged = jwt.encode({"provider": "default", "exp": int(time.time()) + 60}, "not-the-cookie-secret-but-long-enough")
    for token in (forged, "garbage", ""):
        assert_sent_home_without_cookie(get(server, "/auth/login", provider=token))


# --- secrets validation ----------------------------------------------------------------------------

DEFAULT_AUTH = secrets_toml()
MISSING = "Authentication credentials in `.streamlit/secrets.toml`"
CHECK = "Please check your configuration."


@pytest.mark.parametrize(
    ("toml", "provider", "message"),
    [
        (
            "",
            "default",
            "To use authentication features you need to configure credentials for at least "
            "one authentication provider in `.streamlit/secrets.toml`.",
        ),
        (
            "[auth\n",
            "default",
            "To use authentication features you need to configure credentials for at "
            "least one authentication provider in `.streamlit/secrets.toml`.",
        ),
        (
            DEFAULT_AUTH.replace("redirect_uri", "#"),
            "default",
            f'{MISSING} are missing the "redirect_uri" key. {CHECK}',
        ),
        (
            DEFAULT_AUTH.replace("cookie_secret", "#"),
            "default",
            f'{MISSING} are missing the "cookie_secret" key. {CHECK}',
        ),
        (
            DEFAULT_AUTH.replace('client_id = "logoutspec-app"', 'client_id = ""'),
            "default",
            f"{MISSING} for the default authentication provider are missing the following keys: ['client_id']. {CHECK}",
        ),
        (
            DEFAULT_AUTH.replace('client_secret = "acme-secret"', ""),
            "acme",
            f'{MISSING} for the authentication provider "acme" are missing the following keys: '
            f"['client_secret']. {CHECK}",
        ),
        (
            DEFAULT_AUTH.replace("[auth.acme]", "[auth.other]").replace("[auth]", '[auth]\nacme = "not a table"'),
            "acme",
            f'{MISSING} for the authentication provider "acme" must be valid TOML. {CHECK}',
        ),
        (DEFAULT_AUTH, "nope", f'{MISSING} are missing for the authentication provider "nope". {CHECK}'),
        (
            DEFAULT_AUTH,
            "my_provider",
            'Auth provider name "my_provider" contains an underscore. Please use a provider name without underscores.',
        ),
    ],
)
def test_secrets_validation_messages(toml: str, provider: str, message: str) -> None:
    with pytest.raises(StreamlitAuthError) as raised:
        AuthSecrets(toml).provider_settings(provider)
    assert str(raised.value) == message


def test_st_login_shows_a_validation_error_as_the_runs_exception() -> None:
    server = make_server(toml=secrets_toml().replace("server_metadata_url", "# ", 1))
    run = click(open_tab(server), "Log in")
    assert run.auth_redirect is None
    assert (run.elements[-1].kind, run.elements[-1].exc_type, run.elements[-1].text) == (
        "exception",
        "StreamlitAuthError",
        f"{MISSING} for the default authentication provider are missing the following keys: "
        f"['server_metadata_url']. {CHECK}",
    )


def test_a_callback_in_another_browser_logs_nobody_in(server: ReferenceServer, idp: FakeIdP) -> None:
    """Login CSRF: the state in the URL must be the one in this browser's own cookie."""
    code, state = start_login(server, idp)
    assert set_cookies(callback(server, code=code, state=state, browser_state="")) == []
    assert set_cookies(callback(server, code=code, state=state, browser_state="another-login")) == []
