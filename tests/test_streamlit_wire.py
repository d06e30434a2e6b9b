"""The real-Streamlit groundwork, exercised against Streamlit 1.50.0 and the fixture IdP.

These tests need a provisioned Streamlit virtualenv (the first run downloads Streamlit from
PyPI) and start real servers on loopback, hence the `streamlit` mark. They pin down the facts a
headless client relies on: the codec agrees with Streamlit's own protobuf classes, a fresh
session is logged out, st.login/st.logout travel as auth_redirect, the identity cookie is set by
the OAuth callback and deleted by /auth/logout, and only a new session sees the change.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
import requests
from logoutspec.fixtures import Fixtures, render_secrets
from logoutspec.fixtures.idp import IdpServer, start_idp_server
from requests.cookies import get_cookie_header

from logoutspec.contract import Element, ScriptRun
from logoutspec.resources import reserve_port
from logoutspec.targets.streamlit.processes import StreamlitServer, base_url_for
from logoutspec.targets.streamlit.proto import (
    AuthRedirect,
    NewSession,
    ScriptFinished,
    decode_forward_msg,
    encode_rerun_script,
)
from logoutspec.targets.streamlit.provision import provision, requirements_for, resolve_version
from logoutspec.targets.streamlit.wire import StreamlitConnection, subprotocols

pytestmark = pytest.mark.streamlit

VERSION = "1.50.0"
ROOT = Path(__file__).resolve().parent.parent
PROBE = ROOT / "fixtures" / "apps" / "probe.py"
IDP_CONFIG = ROOT / "fixtures" / "idp.toml"
ALICE = {"username": "alice", "password": "alice-password"}
LOGGED_OUT = {"is_logged_in": False}
IDENTITY_COOKIE = "_streamlit_user"


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def python() -> Path:
    return provision(VERSION)


@pytest.fixture(scope="module")
def idp() -> Iterator[IdpServer]:
    with start_idp_server(IDP_CONFIG) as server:
        yield server


@pytest.fixture(scope="module")
def server(python: Path, idp: IdpServer) -> Iterator[StreamlitServer]:
    with start_probe_server(python, idp) as started:
        yield started


def start_probe_server(python: Path, idp: IdpServer, base_path: str = "") -> StreamlitServer:
    """A probe-app server whose secrets point at the fixture IdP; the port is reserved first
    because redirect_uri has to name it."""
    port = reserve_port()
    secrets_toml = render_secrets(
        Fixtures.default().secrets_template("default"),
        base_url=base_url_for(port, base_path),
        cookie_secret=secrets.token_hex(16),
        issuer=idp.issuer,
    )
    return StreamlitServer(python, PROBE, secrets_toml, port=port, base_path=base_path)


# --- a browser made of a requests.Session -------------------------------------------------------


def open_tab(browser: requests.Session, page_url: str) -> StreamlitConnection:
    """A new app session with the browser's cookies, as a page load opens it. The Cookie header
    comes from the jar's request preparation: requests files localhost cookies under
    localhost.local, so a lookup by domain would miss them."""
    cookie = get_cookie_header(browser.cookies, requests.Request("GET", page_url).prepare())
    headers = {"Cookie": cookie} if cookie else {}
    return StreamlitConnection(page_url, headers, session=browser)


def first_run(browser: requests.Session, page_url: str) -> ScriptRun:
    """What a freshly loaded page shows (the on-connect run of a new session)."""
    tab = open_tab(browser, page_url)
    try:
        return tab.run()
    finally:
        tab.close()


def click(tab: StreamlitConnection, run: ScriptRun, label: str) -> ScriptRun:
    buttons = [e.widget_id for e in run.elements if e.kind == "button" and e.text == label]
    assert buttons, f"no button {label!r} in {run.elements}"
    return tab.run(buttons[0])


def json_values(run: ScriptRun) -> list[Any]:
    """The st.json values of a run, in order."""
    return [json.loads(e.text) for e in run.elements if e.kind == "json"]


def shown_user(run: ScriptRun) -> dict[str, Any]:
    """st.user as the probe app printed it at the start of the run."""
    return json_values(run)[0]["user"]


class _LoginForm(HTMLParser):
    """The fixture IdP's <form id="login">: its action (None until found) and hidden inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form" and values.get("id") == "login":
            self.action = values.get("action", "")
        elif tag == "input" and self.action is not None and values.get("type") == "hidden":
            self.fields[values["name"]] = values.get("value", "")


def login_form(response: requests.Response) -> _LoginForm | None:
    """The IdP's login form, if this response is a page showing one."""
    if response.status_code != 200 or 'id="login"' not in response.text:
        return None
    form = _LoginForm()
    form.feed(response.text)
    return form if form.action is not None else None


def navigate(browser: requests.Session, url: str) -> list[requests.Response]:
    """Follow a navigation hop by hop (no auto-follow), typing Alice's credentials when the IdP
    shows its login form; every response on the way, the final page last."""
    hops: list[requests.Response] = []
    method, data = "GET", None
    for _ in range(20):
        response = browser.request(method, url, data=data, allow_redirects=False, timeout=10)
        hops.append(response)
        if response.is_redirect:
            url, method, data = urljoin(url, response.headers["Location"]), "GET", None
        elif (form := login_form(response)) is not None and form.action is not None:
            url, method, data = urljoin(url, form.action), "POST", {**form.fields, **ALICE}
        else:
            return hops
    raise AssertionError(f"endless navigation: {[hop.url for hop in hops]}")


def log_in(server: StreamlitServer) -> requests.Session:
    """A browser in which Alice clicked "Log in" and went through the IdP."""
    browser = requests.Session()
    tab = open_tab(browser, server.base_url)
    try:
        redirect = click(tab, tab.run(), "Log in").auth_redirect
    finally:
        tab.close()
    assert redirect is not None and redirect.startswith("/auth/login?provider=")
    final = navigate(browser, urljoin(server.base_url, redirect))[-1]
    assert (final.status_code, final.url) == (200, server.base_url)
    return browser


# --- the codec agrees with Streamlit's generated classes ----------------------------------------


def run_in_streamlit(python: Path, code: str, stdin: bytes = b"") -> bytes:
    return subprocess.run([str(python), "-c", code], input=stdin, capture_output=True, check=True).stdout


def test_rerun_script_reads_back_with_streamlits_backmsg(python: Path) -> None:
    frame = encode_rerun_script("a=1&b=2", "hash-1", "$$ID-abc-None", "account")
    code = """
import sys
from streamlit.proto.BackMsg_pb2 import BackMsg
m = BackMsg(); m.ParseFromString(sys.stdin.buffer.read()); c = m.rerun_script
w = c.widget_states.widgets[0]
print(m.WhichOneof("type"), c.query_string, c.page_script_hash, c.page_name)
print(w.id, w.WhichOneof("value"), w.trigger_value)
"""
    out = run_in_streamlit(python, code, frame).decode().split()
    assert out == ["rerun_script", "a=1&b=2", "hash-1", "account", "$$ID-abc-None", "trigger_value", "True"]


def test_a_reconnect_names_the_session_as_the_third_subprotocol() -> None:
    """As the frontend offers them: the XSRF token second (its placeholder without one), the session last."""
    assert subprotocols("tok", None) == ["streamlit", "tok"]
    assert subprotocols(None, None) == ["streamlit"]
    assert subprotocols("tok", "s-1") == ["streamlit", "tok", "s-1"]
    assert subprotocols(None, "s-1") == ["streamlit", "PLACEHOLDER_AUTH_TOKEN", "s-1"]


def test_forward_msgs_built_by_streamlit_decode(python: Path) -> None:
    code = """
import sys
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
def emit(fill):
    m = ForwardMsg(); m.hash = "h"; m.metadata.delta_path.extend([0, 1]); fill(m)
    sys.stdout.write(m.SerializeToString().hex() + "\\n")
def session(m):
    m.new_session.initialize.session_id = "sid"; m.new_session.page_script_hash = "psh"
emit(session)
emit(lambda m: setattr(m.delta.new_element.markdown, "body", "**hi**"))
emit(lambda m: setattr(m.delta.new_element.json, "body", '{"a": 1}'))
def button(m):
    m.delta.new_element.button.id = "bid"; m.delta.new_element.button.label = "Log in"
emit(button)
def exception(m):
    m.delta.new_element.exception.type = "AttributeError"; m.delta.new_element.exception.message = "no"
emit(exception)
emit(lambda m: setattr(m.auth_redirect, "url", "/auth/logout"))
emit(lambda m: setattr(m, "script_finished", ForwardMsg.FINISHED_EARLY_FOR_RERUN))
emit(lambda m: setattr(m, "script_finished", ForwardMsg.FINISHED_SUCCESSFULLY))
"""
    frames = [bytes.fromhex(line) for line in run_in_streamlit(python, code).decode().split()]
    assert [decode_forward_msg(frame) for frame in frames] == [
        NewSession(session_id="sid", page_script_hash="psh"),
        Element("markdown", "**hi**"),
        Element("json", '{"a": 1}'),
        Element("button", "Log in", widget_id="bid"),
        Element("exception", "no", exc_type="AttributeError"),
        AuthRedirect("/auth/logout"),
        ScriptFinished(2),
        ScriptFinished(0),
    ]


# --- provisioning -------------------------------------------------------------------------------


def test_companion_pins_follow_the_version() -> None:
    assert requirements_for("1.42.0") == ["streamlit==1.42.0", "Authlib==1.4.1"]
    assert requirements_for("1.50.0") == ["streamlit==1.50.0", "Authlib==1.6.5"]
    assert requirements_for("1.57.0") == ["streamlit[auth]==1.57.0", "httpx==0.28.1"]
    assert requirements_for("1.55.0", "starlette") == [
        "streamlit[starlette]==1.55.0",
        "Authlib==1.6.5",
        "httpx==0.28.1",
    ]
    assert requirements_for("1.66.2.dev20261026") == ["streamlit-nightly[auth]==1.66.2.dev20261026", "httpx==0.28.1"]
    with pytest.raises(RuntimeError, match=r"has no server\.useStarlette"):
        requirements_for("1.57.0", "starlette")
    with pytest.raises(RuntimeError, match=r"1\.41\.0"):
        requirements_for("1.41.0")


def test_latest_and_nightly_resolve_against_their_packages() -> None:
    releases = {
        "streamlit": ["1.67.0", "1.68.0rc1", "1.66.1"],
        "streamlit-nightly": ["1.66.2.dev20261026", "1.66.1.dev1"],
    }
    assert resolve_version("latest", releases.__getitem__) == "1.67.0"
    assert resolve_version("nightly", releases.__getitem__) == "1.66.2.dev20261026"
    assert resolve_version("1.48.1", releases.__getitem__) == "1.48.1"


def test_a_version_missing_from_pypi_fails_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match=r"1\.49\.99") as error:
        provision("1.49.99", cache_root=tmp_path)
    assert "\n" not in str(error.value)
    assert not (tmp_path / "1.49.99").exists()


# --- the server ---------------------------------------------------------------------------------


def test_server_that_dies_early_is_reported_with_its_output(python: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no_such_app.py"
    with pytest.raises(RuntimeError, match="exited with code") as error, StreamlitServer(python, missing, ""):
        pass
    assert "no_such_app.py" in str(error.value)


def test_server_becomes_healthy_quickly_and_stops_by_pid(python: Path, idp: IdpServer) -> None:
    server = start_probe_server(python, idp)
    started = time.monotonic()
    with server:
        healthy_after = time.monotonic() - started
        pid = server.pid
        assert requests.get(urljoin(server.base_url, "_stcore/health"), timeout=5).text == "ok"
    print(f"\nStreamlit {VERSION}: start to healthy {healthy_after:.2f} s")
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_silent_script_run_times_out_naming_the_url(python: Path, tmp_path: Path) -> None:
    slow_app = tmp_path / "slow.py"
    slow_app.write_text("import time\n\nimport streamlit as st\n\nst.markdown('before')\ntime.sleep(2)\n")
    with StreamlitServer(python, slow_app, "") as server:
        tab = StreamlitConnection(server.base_url, {}, timeout=0.5)
        try:
            with pytest.raises(TimeoutError, match=r"ws://localhost:\d+/_stcore/stream"):
                tab.run()
        finally:
            tab.close()


# --- sessions, login and logout -----------------------------------------------------------------


def test_a_new_session_is_logged_out(server: StreamlitServer) -> None:
    tab = open_tab(requests.Session(), server.base_url)
    try:
        run = tab.run()
        assert tab.session_id
    finally:
        tab.close()
    assert json_values(run)[0] == {"at": "start", "user": LOGGED_OUT}
    assert run.auth_redirect is None
    assert "Log in" in [e.text for e in run.elements if e.kind == "button"]


def test_login_then_logout_changes_only_new_sessions(server: StreamlitServer) -> None:
    started = time.monotonic()
    browser = log_in(server)
    assert browser.cookies.get(IDENTITY_COOKIE)
    logged_in_tab = open_tab(browser, server.base_url)
    logged_in = logged_in_tab.run()
    login_took = time.monotonic() - started
    user = shown_user(logged_in)
    assert user["is_logged_in"] is True
    assert (user["sub"], user["email"], user["name"]) == ("alice-0001", "alice@example.com", "Alice Liddell")

    other_tab = open_tab(browser, server.base_url)
    other_tab.run()
    started = time.monotonic()
    after_click = click(logged_in_tab, logged_in, "Log out")
    assert after_click.auth_redirect == "/auth/logout"
    assert json_values(after_click)[-1]["user"] == LOGGED_OUT  # st.user is cleared in the run
    logged_in_tab.close()
    logout = navigate(browser, urljoin(server.base_url, after_click.auth_redirect))
    logged_out = first_run(browser, server.base_url)
    logout_took = time.monotonic() - started

    assert (logout[0].status_code, logout[0].headers["Location"]) == (302, "/")
    assert logout[0].headers["Set-Cookie"].startswith(f'{IDENTITY_COOKIE}="";')
    assert IDENTITY_COOKIE not in browser.cookies
    assert shown_user(logged_out) == LOGGED_OUT
    assert shown_user(other_tab.run())["is_logged_in"] is True  # a running session keeps its st.user
    other_tab.close()
    print(f"\nStreamlit {VERSION}: login {login_took:.2f} s, logout {logout_took:.2f} s")


def test_identity_cookie_is_ignored_from_another_origin(server: StreamlitServer) -> None:
    browser = log_in(server)
    cookie = {"Cookie": f"{IDENTITY_COOKIE}={browser.cookies[IDENTITY_COOKIE]}"}
    loopback_page = server.base_url.replace("localhost", "127.0.0.1")
    tab = StreamlitConnection(loopback_page, cookie)
    try:
        assert shown_user(tab.run()) == LOGGED_OUT
    finally:
        tab.close()
    assert "Origin mismatch" in server.log_tail()
    assert shown_user(first_run(browser, server.base_url))["is_logged_in"] is True


def test_base_path_prefixes_every_endpoint(python: Path, idp: IdpServer) -> None:
    with start_probe_server(python, idp, base_path="myapp") as server:
        assert server.base_url.endswith("/myapp/")
        browser = requests.Session()
        tab = open_tab(browser, server.base_url)
        try:
            run = tab.run()
            redirect = click(tab, run, "Log out").auth_redirect
        finally:
            tab.close()
        assert shown_user(run) == LOGGED_OUT
        assert redirect == "/myapp/auth/logout"
        logout = navigate(browser, urljoin(server.base_url, redirect))
        assert (logout[0].status_code, logout[0].headers["Location"]) == (302, "/myapp/")
