"""A tab is an app session only on a page that is the app: the HTTP browser's check, seen by a
third party's adapter (HttpBrowser with its own Connector) and through the conformance suite."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import requests
import responses

from logoutspec.contract import NavigationError, ScriptRun
from logoutspec.runner import run_suite
from logoutspec.targets.http_browser import HttpBrowser, app_page_problem

ROOT = Path(__file__).resolve().parent.parent
HOST = "http://localhost:8600"
BASE_URL = f"{HOST}/dash/"
APP_PAGE = '<!DOCTYPE html><html><head><title>Streamlit</title></head><body><div id="root"></div></body></html>'
HOST_PAGE = '{"service": "host"}'


class RecordingConnection:
    session_id = "s1"

    def run(self, trigger: str | None = None) -> ScriptRun:
        return ScriptRun(elements=())

    def close(self) -> None:
        """Nothing to close."""


class RecordingConnector:
    """A third party's Connector that remembers every page URL it was asked to open a session for."""

    def __init__(self) -> None:
        self.pages: list[str] = []

    def __call__(self, page_url: str, headers: dict[str, str]) -> RecordingConnection:
        self.pages.append(page_url)
        return RecordingConnection()


@pytest.fixture
def mounted_app() -> responses.RequestsMock:
    """An app mounted under /dash of a host that serves its own JSON page at /, as in the issue:
    /dash/oauth2callback redirects to the host's root instead of to /dash/."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(BASE_URL, body=APP_PAGE, content_type="text/html")
        mock.get(f"{BASE_URL}?view=details", body=APP_PAGE, content_type="text/html")
        mock.get(f"{HOST}/dash", status=307, headers={"Location": "/dash/?view=details"})
        mock.get(f"{BASE_URL}oauth2callback", status=302, headers={"Location": "/"})
        mock.get(f"{HOST}/", body=HOST_PAGE, content_type="application/json")
        mock.get(f"{BASE_URL}welcome", body=HOST_PAGE, content_type="application/json")
        yield mock


def test_the_connector_gets_the_url_the_browser_landed_on(mounted_app: responses.RequestsMock) -> None:
    connect = RecordingConnector()
    browser = HttpBrowser(BASE_URL, connect, None, requests.Session())
    tab = browser.open_tab(f"{HOST}/dash")
    assert tab.url == f"{BASE_URL}?view=details"
    assert connect.pages == [f"{BASE_URL}?view=details"]


@pytest.mark.parametrize(
    "path, problem",
    [
        ("oauth2callback", f"navigation ended on {HOST}/ with 200, which is not under the app's base URL {BASE_URL}"),
        ("welcome", f"navigation ended on {BASE_URL}welcome with 200, a page without the app's root element"),
    ],
    ids=["host root", "same origin under the base path"],
)
def test_a_page_that_is_not_the_app_opens_no_session(
    mounted_app: responses.RequestsMock, path: str, problem: str
) -> None:
    connect = RecordingConnector()
    browser = HttpBrowser(BASE_URL, connect, None, requests.Session())
    with pytest.raises(NavigationError) as raised:
        browser.open_tab(path)
    assert str(raised.value).startswith(problem), raised.value
    assert HOST_PAGE in str(raised.value)
    assert connect.pages == []


@pytest.mark.parametrize(
    "url, status, body, expected",
    [
        (BASE_URL, 200, APP_PAGE, None),
        (f"{BASE_URL}?view=details", 200, APP_PAGE, None),
        (f"{HOST}/dash", 200, APP_PAGE, None),
        (f"{HOST}/dashboard/", 200, APP_PAGE, "which is not under the app's base URL"),
        ("http://127.0.0.1:8600/dash/", 200, APP_PAGE, "which is not under the app's base URL"),
        (BASE_URL, 500, APP_PAGE, "not the app's page"),
        (BASE_URL, 200, "<html><body><div id='main'></div></body></html>", "without the app's root element"),
    ],
)
def test_what_counts_as_the_app(url: str, status: int, body: str, expected: str | None) -> None:
    problem = app_page_problem(url, status, body, BASE_URL)
    assert (problem is None) if expected is None else (expected in (problem or "")), problem


def test_on_a_target_whose_callback_lands_elsewhere_alice_is_not_logged_in(tmp_path: Path) -> None:
    """Through the whole suite: the reference with its callback sending the browser to /welcome, a
    page of the same origin that is not the app (mutation callback-lands-off-app)."""
    config = tmp_path / "conformance.toml"
    fixtures = ROOT / "fixtures"
    config.write_text(
        f'[suite]\napps = "{fixtures}/apps"\nsecrets = "{fixtures}/secrets"\nidp = "{fixtures}/idp.toml"\n\n'
        '[targets.mounted]\nadapter = "reference"\nversion = "1.50.0"\n'
        'options = { mutation = "callback-lands-off-app" }\n'
    )
    scenario = "st.user keeps the user's information while st.logout is not called"
    options = ("--target", "mounted", "--conformance-config", str(config), "-k", "keeps_the_users")
    done = run_suite(*options, reports=tmp_path / "reports", cwd=tmp_path, timeout=120)
    [record] = [r for r in done.records if r["scenario"] == scenario]
    assert record["outcome"] == "failed", done.output
    assert record["step"] == "Given Alice is logged in"
    assert "navigation ended on http://localhost:8501/welcome with 200" in record["reason"], record
    assert "not the app" in record["reason"]
    # the end of the run says the same once, as a cause with the number of scenarios it explains
    assert "failures by cause" in done.output
    cause = 'mounted: 1 scenario: at "Given Alice is logged in": logoutspec.contract.NavigationError: navigation'
    assert f"{cause} ended on http://localhost:<port>/welcome with 200" in done.output, done.output


class _ClientPorts(BaseHTTPRequestHandler):
    """Answers 200 on HTTP/1.1 without ever saying Connection: close, as the fixture IdP does, and
    keeps the connection open even when asked to close it, so that a client that pools it does
    reuse it; notes the client's port of every request: one port per TCP connection."""

    protocol_version = "HTTP/1.1"
    ports: ClassVar[list[int]] = []

    def do_GET(self) -> None:
        self.ports.append(self.client_address[1])
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
        self.close_connection = False

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


def test_every_hop_goes_on_a_connection_of_its_own() -> None:
    """A connection the server has closed after a hop must never carry the next one (the request
    would end in RemoteDisconnected, which requests does not retry): the gate saw exactly that at
    the fixture IdP, whose answers do not say Connection: close."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ClientPorts)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        browser = HttpBrowser(BASE_URL, RecordingConnector(), None, requests.Session())
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        assert [browser.request("GET", url, None).status_code for _ in range(3)] == [200, 200, 200]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert len(set(_ClientPorts.ports)) == 3, _ClientPorts.ports
