"""The fixture IdP, driven the way a relying party and a browser drive a real one."""

from __future__ import annotations

import base64
import hashlib
import html
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
import responses
from freezegun import freeze_time
from logoutspec.fixtures.idp import FixtureIdP, load_idp_config, mount, start_idp_server
from logoutspec.fixtures.idp.provider import another

from logoutspec.contract import IdpRecord

CONFIG_PATH = Path(__file__).resolve().parent.parent / "fixtures" / "idp.toml"
CONFIG = load_idp_config(CONFIG_PATH)
ISSUER = "http://127.0.0.1:9000"
CLIENT, SECRET = "logoutspec-app", "app-secret"
REDIRECT_URI = "http://localhost:8501/oauth2callback"
# What a first login and the relying party's verification of its id_token leave in the record.
EXPECTED_FLOW = ["authorize", "credentials_prompt", "login", "token", "discovery", "jwks"]


@pytest.fixture
def idp() -> FixtureIdP:
    return FixtureIdP(ISSUER, CONFIG)


@pytest.fixture
def browser(idp: FixtureIdP) -> Iterator[requests.Session]:
    """A cookie-keeping HTTP client whose requests to the issuer reach the in-process IdP."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mount(idp, mock)
        yield requests.Session()


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize(browser: requests.Session, issuer: str = ISSUER, **overrides: str) -> requests.Response:
    params = {
        "response_type": "code",
        "client_id": CLIENT,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid profile email",
        "state": "state-1",
        "nonce": "nonce-1",
        **overrides,
    }
    return browser.get(f"{issuer}/authorize", params=params, allow_redirects=False)


def submit_login(
    browser: requests.Session,
    page: requests.Response,
    username: str = "alice",
    password: str = "alice-password",
) -> requests.Response:
    """Fill in and submit the login form as a browser would: its action, its hidden inputs."""
    action = re.search(r'<form id="login" method="post" action="([^"]+)"', page.text)
    assert action, page.text
    hidden = re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', page.text)
    form = {html.unescape(k): html.unescape(v) for k, v in hidden}
    form |= {"username": username, "password": password}
    return browser.post(html.unescape(action[1]), data=form, allow_redirects=False)


def redirect_params(response: requests.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def login(browser: requests.Session, issuer: str = ISSUER, **overrides: str) -> str:
    """Authorize with the credentials form and return the authorization code."""
    return redirect_params(submit_login(browser, authorize(browser, issuer, **overrides)))["code"]


def exchange(
    browser: requests.Session, code: str, issuer: str = ISSUER, secret: str = SECRET, **extra: str
) -> requests.Response:
    """The token request of client_secret_basic."""
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, **extra}
    return browser.post(f"{issuer}/token", data=data, auth=(CLIENT, secret))


def verify_id_token(browser: requests.Session, id_token: str, issuer: str = ISSUER) -> dict[str, object]:
    """Verify an id_token as a relying party does: keys from the discovered JWKS."""
    metadata = browser.get(f"{issuer}/.well-known/openid-configuration").json()
    keys = jwt.PyJWKSet.from_dict(browser.get(metadata["jwks_uri"]).json())
    key = keys[jwt.get_unverified_header(id_token)["kid"]]
    return jwt.decode(id_token, key, algorithms=["RS256"], audience=CLIENT, issuer=metadata["issuer"])


def kinds(record: IdpRecord) -> list[str]:
    return [event.kind for event in record.events()]


def test_discovery_names_the_endpoints(browser: requests.Session, idp: FixtureIdP) -> None:
    metadata = browser.get(f"{ISSUER}/.well-known/openid-configuration").json()

    assert metadata["issuer"] == ISSUER
    assert metadata["end_session_endpoint"] == f"{ISSUER}/logout"
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert kinds(idp) == ["discovery"]


def test_code_flow_with_pkce_yields_a_verifiable_id_token(browser: requests.Session, idp: FixtureIdP) -> None:
    verifier, challenge = pkce_pair()
    page = authorize(browser, code_challenge=challenge, code_challenge_method="S256")
    assert page.status_code == 200
    assert '<input id="password" name="password" type="password">' in page.text

    answer = submit_login(browser, page)
    assert redirect_params(answer)["state"] == "state-1"
    assert "HttpOnly" in answer.headers["Set-Cookie"]
    assert idp.live_sessions() == ["alice"]

    tokens = exchange(browser, redirect_params(answer)["code"], code_verifier=verifier).json()
    claims = verify_id_token(browser, tokens["id_token"])

    assert claims["nonce"] == "nonce-1"
    assert claims["sub"] == "alice-0001"
    assert claims["email"] == "alice@example.com"
    assert claims["exp"] == claims["iat"] + 3600
    assert tokens["token_type"] == "Bearer"
    assert tokens["scope"] == "openid profile email"
    userinfo = browser.get(f"{ISSUER}/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert userinfo.json()["name"] == "Alice Liddell"
    assert kinds(idp) == EXPECTED_FLOW
    assert [e.user for e in idp.events()[2:4]] == ["alice", "alice"]


def test_client_secret_post_is_accepted(browser: requests.Session) -> None:
    data = {"grant_type": "authorization_code", "code": login(browser), "redirect_uri": REDIRECT_URI}
    data |= {"client_id": CLIENT, "client_secret": SECRET}

    assert browser.post(f"{ISSUER}/token", data=data).status_code == 200


def test_the_session_cookie_reauthorizes_silently(browser: requests.Session, idp: FixtureIdP) -> None:
    first = verify_id_token(browser, exchange(browser, login(browser)).json()["id_token"])

    again = redirect_params(authorize(browser, state="state-2"))
    second = verify_id_token(browser, exchange(browser, again["code"]).json()["id_token"])

    assert again["state"] == "state-2"
    assert kinds(idp).count("credentials_prompt") == 1
    authorizations = [e for e in idp.events() if e.kind == "authorize"]
    assert [(e.user, e.params["silent"]) for e in authorizations] == [(None, "false"), ("alice", "true")]
    assert second["auth_time"] == first["auth_time"]


def test_prompt_login_asks_again_and_replaces_the_session(browser: requests.Session, idp: FixtureIdP) -> None:
    login(browser)

    page = authorize(browser, prompt="login")
    assert page.status_code == 200
    submit_login(browser, page, "bob", "bob-password")

    assert kinds(idp).count("credentials_prompt") == 2
    assert idp.live_sessions() == ["bob"]


def test_prompt_none_without_a_session_is_refused_by_redirect(browser: requests.Session) -> None:
    assert redirect_params(authorize(browser, prompt="none")) == {
        "error": "login_required",
        "state": "state-1",
    }


def test_end_session_ends_the_browsers_session(browser: requests.Session, idp: FixtureIdP) -> None:
    login(browser)
    params = {"client_id": CLIENT, "post_logout_redirect_uri": "http://localhost:8501/", "state": "bye"}

    answer = browser.get(f"{ISSUER}/logout", params=params, allow_redirects=False)

    assert answer.headers["Location"] == "http://localhost:8501/?state=bye"
    assert answer.headers["Set-Cookie"].startswith("idp_session=; Max-Age=0; Path=/")
    assert idp.live_sessions() == []
    assert idp.events()[-1].kind == "end_session"
    assert idp.events()[-1].user == "alice"
    assert idp.events()[-1].params == params
    assert authorize(browser).status_code == 200
    assert kinds(idp).count("credentials_prompt") == 2


def test_id_token_hint_ends_the_session_it_was_issued_in(browser: requests.Session, idp: FixtureIdP) -> None:
    other_browser = requests.Session()
    login(other_browser)
    id_token = exchange(browser, login(browser)).json()["id_token"]

    answer = requests.get(f"{ISSUER}/logout", params={"id_token_hint": id_token})

    assert (answer.status_code, answer.text) == (200, "logged out")
    assert idp.live_sessions() == ["alice"]
    assert redirect_params(authorize(other_browser))["code"]


def test_a_pkce_mismatch_is_refused(browser: requests.Session) -> None:
    _, challenge = pkce_pair()
    code = login(browser, code_challenge=challenge, code_challenge_method="S256")

    answer = exchange(browser, code, code_verifier="not-the-verifier-" + "x" * 40)

    assert (answer.status_code, answer.json()) == (400, {"error": "invalid_grant"})


def test_a_code_is_single_use(browser: requests.Session) -> None:
    code = login(browser)

    assert exchange(browser, code).status_code == 200
    assert exchange(browser, code).json() == {"error": "invalid_grant"}


def test_a_code_expires_after_a_minute(browser: requests.Session) -> None:
    with freeze_time("2025-01-01 12:00:00") as clock:
        code = login(browser)
        clock.tick(61)

        assert exchange(browser, code).json() == {"error": "invalid_grant"}


@pytest.mark.parametrize(
    ("client", "secret", "redirect_uri"),
    [(CLIENT, SECRET, "http://localhost:8501/elsewhere"), ("logoutspec-acme", "acme-secret", REDIRECT_URI)],
)
def test_a_code_is_bound_to_its_client_and_redirect_uri(
    browser: requests.Session, client: str, secret: str, redirect_uri: str
) -> None:
    data = {"grant_type": "authorization_code", "code": login(browser), "redirect_uri": redirect_uri}

    answer = browser.post(f"{ISSUER}/token", data=data, auth=(client, secret))

    assert (answer.status_code, answer.json()) == (400, {"error": "invalid_grant"})


def test_a_wrong_client_secret_is_refused(browser: requests.Session) -> None:
    answer = exchange(browser, login(browser), secret="guess")

    assert (answer.status_code, answer.json()) == (401, {"error": "invalid_client"})
    assert answer.headers["WWW-Authenticate"].startswith("Basic")


def test_a_wrong_password_shows_the_form_again(browser: requests.Session, idp: FixtureIdP) -> None:
    answer = submit_login(browser, authorize(browser), password="guess")

    assert answer.status_code == 200
    assert 'id="error"' in answer.text
    assert "Set-Cookie" not in answer.headers
    assert idp.events()[-1].kind == "login_failed"
    assert idp.live_sessions() == []
    assert redirect_params(submit_login(browser, answer))["code"]


@pytest.mark.parametrize(
    "override",
    [
        {"client_id": "stranger"},
        {"redirect_uri": "http://evil.example/callback"},
        {"redirect_uri": "https://localhost:8501/oauth2callback"},
        {"response_type": "token"},
    ],
)
def test_a_bad_authorize_request_is_not_redirected(
    browser: requests.Session, idp: FixtureIdP, override: dict[str, str]
) -> None:
    answer = authorize(browser, **override)

    assert answer.status_code == 400
    assert "Location" not in answer.headers
    assert idp.events() == []


def test_unknown_paths_and_methods(browser: requests.Session) -> None:
    assert browser.get(f"{ISSUER}/nothing").status_code == 404
    assert browser.post(f"{ISSUER}/jwks").status_code == 405


def test_reset_forgets_events_sessions_and_codes(browser: requests.Session, idp: FixtureIdP) -> None:
    code = login(browser)

    idp.reset()

    assert (idp.events(), idp.live_sessions()) == ([], [])
    assert exchange(browser, code).json() == {"error": "invalid_grant"}
    assert authorize(browser).status_code == 200


def test_the_issuer_may_have_a_path(browser: requests.Session) -> None:
    issuer = "http://localhost:9001/realms/test"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mount(FixtureIdP(issuer, CONFIG), mock)
        tokens = exchange(browser, login(browser, issuer), issuer).json()
        assert verify_id_token(browser, tokens["id_token"], issuer)["iss"] == issuer


def test_a_bad_config_names_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "idp.toml"
    path.write_text('[clients.app]\nsecret = "s"\n[users.alice]\npass = "typo"\n')

    with pytest.raises(ValueError, match=r"idp\.toml: key 'users\.alice\.password'"):
        load_idp_config(path)


def test_random_claims_are_new_text_of_their_length_in_every_token(tmp_path: Path) -> None:
    """Carol's claims must be large and incompressible: random, and never the same twice."""
    first, second = (FixtureIdP(ISSUER, CONFIG)._claims("carol")["bulk"] for _ in range(2))
    assert len(first) == len(second) == CONFIG.users["carol"].random_claims["bulk"] == 5000
    assert first != second
    path = tmp_path / "idp.toml"
    path.write_text('[clients.app]\nsecret = "s"\n[users.carol]\npassword = "p"\nrandom_claims = { bulk = 0 }\n')
    with pytest.raises(ValueError, match=r"idp\.toml: key users\.carol\.random_claims\.'bulk' must be a positive"):
        load_idp_config(path)


def test_the_real_server_serves_the_same_idp_over_http() -> None:
    with start_idp_server(CONFIG_PATH) as server:
        browser = requests.Session()
        tokens = exchange(browser, login(browser, server.issuer), server.issuer).json()
        claims = verify_id_token(browser, tokens["id_token"], server.issuer)

        assert claims["iss"] == server.issuer
        assert server.issuer.startswith("http://127.0.0.1:")
        assert isinstance(server.record, IdpRecord)
        assert kinds(server.record) == EXPECTED_FLOW
        assert server.record.live_sessions() == ["alice"]
        server.record.reset()
        assert server.record.events() == []

    with pytest.raises(ProcessLookupError):
        os.kill(server.pid, 0)


def test_a_server_with_a_bad_config_fails_with_its_reason(tmp_path: Path) -> None:
    path = tmp_path / "idp.toml"
    path.write_text("[clients]\n")

    with (
        pytest.raises(RuntimeError, match=r"exited with 2 before READY: .*idp\.toml: key 'users'"),
        start_idp_server(path),
    ):
        pass


def test_discovery_can_leave_out_the_end_session_endpoint(browser: requests.Session) -> None:
    metadata = browser.get(f"{ISSUER}/.well-known/openid-configuration?end_session=no").json()
    assert "end_session_endpoint" not in metadata and metadata["issuer"] == ISSUER


@pytest.mark.parametrize(
    "fault, claim, honest",
    [("nonce", "nonce", "nonce-1"), ("issuer", "iss", ISSUER), ("audience", "aud", CLIENT)],
)
def test_misbehave_issues_an_id_token_with_another_claim(
    browser: requests.Session, idp: FixtureIdP, fault: str, claim: str, honest: str
) -> None:
    idp.misbehave(fault)
    id_token = exchange(browser, login(browser)).json()["id_token"]
    claims = jwt.decode(id_token, options={"verify_signature": False})
    assert claims[claim] != honest
    idp.reset()
    id_token = exchange(browser, login(browser)).json()["id_token"]
    assert jwt.decode(id_token, options={"verify_signature": False})[claim] == honest


@pytest.mark.parametrize("sent", ["another-nonce", "another", ""], ids=["old-constant", "another", "empty"])
def test_a_misbehaving_nonce_is_wrong_whatever_the_client_sent(
    browser: requests.Session, idp: FixtureIdP, sent: str
) -> None:
    """Wrong for certain, not with high probability: a client may send any nonce, even the one a
    misbehaving IdP would have made up (the old fault answered "another-nonce"), or an empty one."""
    idp.misbehave("nonce")
    code = login(browser, nonce=sent)
    claims = jwt.decode(exchange(browser, code).json()["id_token"], options={"verify_signature": False})
    assert claims["nonce"] != sent


@pytest.mark.parametrize("honest", ["state-1", "another", "x/another", "", None])
def test_another_value_is_never_the_honest_one(honest: str | None) -> None:
    assert another(honest) not in (honest, None)


def test_misbehave_answers_with_a_state_the_client_did_not_send(browser: requests.Session, idp: FixtureIdP) -> None:
    idp.misbehave("state")
    assert redirect_params(submit_login(browser, authorize(browser)))["state"] != "state-1"
    with pytest.raises(ValueError, match="unknown fault 'everything'"):
        idp.misbehave("everything")


def test_misbehave_access_denied_answers_every_authorization_with_the_error(
    browser: requests.Session, idp: FixtureIdP
) -> None:
    idp.misbehave("access_denied")
    params = redirect_params(authorize(browser))
    assert params["error"] == "access_denied" and params["state"] == "state-1" and "code" not in params
    assert "credentials_prompt" not in kinds(idp)


def test_misbehave_token_error_refuses_every_code(browser: requests.Session, idp: FixtureIdP) -> None:
    code = login(browser)
    idp.misbehave("token_error")
    answer = exchange(browser, code)
    assert (answer.status_code, answer.json()) == (400, {"error": "invalid_grant"})


def test_misbehave_expired_issues_id_tokens_that_expire_as_they_are_issued(
    browser: requests.Session, idp: FixtureIdP
) -> None:
    idp.misbehave("expired")
    id_token = exchange(browser, login(browser)).json()["id_token"]
    claims = jwt.decode(id_token, options={"verify_signature": False})
    assert claims["exp"] == claims["iat"]


def test_misbehave_metadata_makes_the_discovery_document_fail(browser: requests.Session, idp: FixtureIdP) -> None:
    idp.misbehave("metadata")
    assert browser.get(f"{ISSUER}/.well-known/openid-configuration").status_code == 503
