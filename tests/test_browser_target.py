"""The browser target's own promises, checked directly on Streamlit 1.50.0 in headless Chromium.

A browser context is one browser: its tabs share cookies, another context shares nothing. A
failure leaves a screenshot and the page's HTML. Chromium and its helpers never outlive the
target, nor a run that fails or is interrupted.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from logoutspec.fixtures import Fixtures
from test_faults import RUN_TIMEOUT, private_fixtures, take_ctrl_c, wait_for, write_config

from logoutspec.contract import AppSpec
from logoutspec.resources import SuiteResources
from logoutspec.runner import suite_command
from logoutspec.targets.browser import BrowserApp, BrowserTarget, ChromiumBrowser, FinishedRun, SocketReader
from logoutspec.targets.streamlit.proto import encode_varint

pytestmark = [pytest.mark.streamlit, pytest.mark.browser]

ROOT = Path(__file__).resolve().parent.parent
IDENTITY_COOKIE = "_streamlit_user"
RUN_MARKER = "LOGOUTSPEC_BROWSER_TEST_RUN"  # in the environment of every process a run starts


@pytest.fixture(scope="module")
def target() -> Iterator[BrowserTarget]:
    with SuiteResources.default() as resources:
        started = BrowserTarget(name="browser", version="1.50.0", options={}, resources=resources)
        try:
            yield started
        finally:
            started.close()


@pytest.fixture
def app(target: BrowserTarget) -> Iterator[BrowserApp]:
    target.begin_scenario()
    try:
        yield target.serve(AppSpec())
    finally:
        target.end_scenario()


def logged_in(app: BrowserApp) -> ChromiumBrowser:
    """A browser in which Alice clicked "Log in" and signed in at the identity provider."""
    browser = app.new_browser(SuiteResources.default().person("alice"))
    browser.open_tab().click("Log in")
    return browser


def identity_cookies(browser: ChromiumBrowser) -> list[str]:
    return [cookie.value for cookie in browser.cookies() if cookie.name == IDENTITY_COOKIE]


def shown_user(browser: ChromiumBrowser) -> str:
    """What a new tab of this browser shows of st.user at the start of its first run."""
    return next(e.text for e in browser.open_tab().last_run.elements if e.kind == "json")


def test_the_tabs_of_a_browser_share_its_cookies(app: BrowserApp) -> None:
    browser = logged_in(app)
    assert len(identity_cookies(browser)) == 1
    assert '"is_logged_in": true' in shown_user(browser)


def test_another_browser_shares_no_cookie(app: BrowserApp) -> None:
    logged_in(app)
    other = app.new_browser()
    assert '"is_logged_in": false' in shown_user(other)
    assert identity_cookies(other) == []


def test_the_login_chain_records_every_hop_and_its_set_cookie_headers(app: BrowserApp) -> None:
    hops = [hop for chain in logged_in(app).navigations for hop in chain]
    callback = next(hop for hop in hops if "/oauth2callback" in hop.url)
    assert callback.status == 302 and callback.location is not None
    assert IDENTITY_COOKIE in [cookie.name for cookie in callback.set_cookies]


def test_a_changed_cookie_value_replaces_the_cookie(app: BrowserApp) -> None:
    browser = logged_in(app)
    browser.set_cookie_value(IDENTITY_COOKIE, "tampered")
    assert identity_cookies(browser) == ["tampered"]


def test_a_login_stopped_before_the_callback_keeps_its_url_unrequested(target: BrowserTarget, app: BrowserApp) -> None:
    """What an attacker does with his own login: keep the link back to the app for someone else."""
    bob = app.new_browser(SuiteResources.default().person("bob"))
    url = bob.open_tab().click_and_stop_before("Log in", "oauth2callback")
    assert urlsplit(url).path.endswith("/oauth2callback")
    assert {"code", "state"} <= parse_qs(urlsplit(url).query).keys()
    assert identity_cookies(bob) == []
    assert not [hop.url for chain in bob.navigations for hop in chain if "/oauth2callback" in hop.url]
    assert "token" not in [event.kind for event in target.idp.events()]  # the app never saw the code
    tab = app.new_browser().open_tab(url)  # another browser follows the link: on to the app's page
    assert tab.url == app.base_url and tab.last_run.elements


def test_a_login_the_idp_answers_without_its_form_is_stopped_too(app: BrowserApp) -> None:
    """Signed in at the identity provider already, the browser goes from the click straight to the
    redirect back to the app: the stop comes before any page lands, and the tab stays on the app."""
    bob = app.new_browser(SuiteResources.default().person("bob"))
    first = bob.open_tab().click_and_stop_before("Log in", "oauth2callback")
    tab = bob.open_tab()
    second = tab.click_and_stop_before("Log in", "oauth2callback")
    assert urlsplit(second).path.endswith("/oauth2callback") and second != first
    assert tab.url == app.base_url
    assert identity_cookies(bob) == []


# Covers the page at the first press of a mouse button, before Playwright's own check of what
# the press hit, and uncovers it once the page has dispatched that press: a layout that moved
# under the pointer between Playwright's aim and its click, made to happen every time.
COVER_AT_FIRST_PRESS = """addEventListener("pointerdown", (event) => {
  if (window.covered || !event.isTrusted) return;
  window.covered = true;
  const cover = document.body.appendChild(document.createElement("div"));
  cover.style.cssText = "position: fixed; inset: 0; z-index: 99999";
  setTimeout(() => cover.remove());
}, true);"""


def test_a_click_that_hits_something_else_is_made_again_and_counts_once(app: BrowserApp) -> None:
    """Streamlit 1.67's page sometimes moved under the pointer just after its first run was shown
    (a font or a lazily loaded part arriving): Playwright saw its click hit another element and
    kept it from the page, and without its wait after the click it did not click again."""
    browser = app.new_browser()
    browser.context.add_init_script(COVER_AT_FIRST_PRESS)
    tab = browser.open_tab()
    tab.click("Log in with nope")  # a provider the secrets do not configure: a run, no navigation
    assert tab.page.evaluate("window.covered"), "the page was never covered: the test tested nothing"
    assert len(tab.runs) == 2, "one run for the page, one for the click"


SCRIPT_FINISHED = bytes([6 << 3]) + encode_varint(0)  # ForwardMsg field 6: script_finished, successfully


def test_frames_that_arrive_while_a_finished_run_is_handed_on_belong_to_the_next_run() -> None:
    """Handing a run on may call Playwright (the auth gate lets requests go), during which
    Playwright delivers the socket's next frames to the same reader: once, a single run was
    counted twice, so the next click's wait ended at once, on a run the click had not caused."""
    recorded: list[FinishedRun] = []

    def record(finished: FinishedRun) -> None:
        recorded.append(finished)
        if len(recorded) == 1:
            reader.feed(b"")  # a frame the specification does not read, delivered meanwhile

    reader = SocketReader(0, record)
    reader.feed(SCRIPT_FINISHED)
    assert len(recorded) == 1
    reader.feed(SCRIPT_FINISHED)
    assert len(recorded) == 2


def test_a_failure_saves_a_screenshot_and_the_html_of_the_last_page(
    target: BrowserTarget, app: BrowserApp, tmp_path: Path
) -> None:
    app.new_browser().open_tab()
    saved = target.record_failure("st.logout: a/b [example]", tmp_path / "failures")
    assert [path.name for path in saved] == ["st.logout_ a_b _example_.png", "st.logout_ a_b _example_.html"]
    assert saved[0].read_bytes().startswith(b"\x89PNG")
    assert "Log in" in saved[1].read_text()


ACCESS_LOG = """
import logging

log = logging.getLogger("tornado.access")  # the server's record of every request it answered
if not any(isinstance(handler, logging.FileHandler) for handler in log.handlers):
    handler = logging.FileHandler({path!r})
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
"""


@pytest.fixture
def logged_app(tmp_path: Path) -> Iterator[tuple[BrowserApp, Path]]:
    """The probe app on a target of its own whose script (from its first run on) appends every
    request the Streamlit server answers to a log: "<status> <method> <path> ..." per line."""
    log = tmp_path / "access.log"
    apps = tmp_path / "apps"
    apps.mkdir()
    probe = Fixtures.default().app("probe").read_text()
    (apps / "logged.py").write_text(probe + ACCESS_LOG.format(path=str(log)))
    defaults = Fixtures.default()
    with SuiteResources(Fixtures(apps=apps, secrets=defaults.secrets, idp=defaults.idp)) as resources:
        logged = BrowserTarget(name="browser", version="1.50.0", options={}, resources=resources)
        try:
            logged.begin_scenario()
            yield logged.serve(AppSpec(app="logged")), log
        finally:
            logged.end_scenario()
            logged.close()


def requested_paths(log: Path, after: int = 0) -> list[str]:
    """The paths (without query) of the requests the server logged, from line `after` on."""
    return [line.split()[2].split("?")[0] for line in log.read_text().splitlines()[after:]]


def lines_through(log: Path, marker: str, timeout: float = 10) -> int:
    """How many lines the log has up to the one with marker. Tornado logs a request after its
    last byte went out, so the client can hold the answer before the server's line is written."""
    deadline = time.monotonic() + timeout
    while True:
        lines = log.read_text().splitlines()
        found = [index for index, line in enumerate(lines) if marker in line]
        if found:
            return found[0] + 1
        assert time.monotonic() < deadline, f"the server never logged the request with {marker}"
        time.sleep(0.02)


def test_a_later_browser_gets_the_frontend_from_the_cache_and_the_rest_from_the_server(
    logged_app: tuple[BrowserApp, Path],
) -> None:
    """What the server sees of a browser that logs in and out after another browser has loaded
    the app: the page, the health route, the websocket, /auth/* and /oauth2callback, and not one
    of the frontend's static files (each was fetched once, for the first browser)."""
    app, log = logged_app
    first = app.new_browser(SuiteResources.default().person("bob"))  # fills the cache for the same flow:
    tab = first.open_tab()  # its first script run starts the log
    tab.click("Log in")  # the frontend loads some of its chunks later, as a page needs them
    tab.click("Log out")
    first.close()  # no fetch of its own can reach the log after the marker below
    script = re.search(r'src="\./(static/js/[^"]+)"', requests.get(app.base_url, timeout=10).text)
    assert script is not None, "the page names no script under static/"
    marker = f"marker={uuid.uuid4().hex}"
    requests.get(f"{app.base_url}{script.group(1)}?{marker}", timeout=10)  # a static file that reaches the server
    before = lines_through(log, marker)
    alice = app.new_browser(SuiteResources.default().person("alice"))
    tab = alice.open_tab()
    tab.click("Log in")
    tab.click("Log out")
    assert tab.last_run.elements  # the frontend ran: it came from the cache
    alice.close()  # the server logs a websocket when it closes
    seen = requested_paths(log, before)
    assert not [path for path in seen if path.startswith("/static/")], seen
    assert {"/", "/_stcore/health", "/_stcore/stream", "/auth/login", "/oauth2callback", "/auth/logout"} <= set(seen)
    assert seen.count("/") == 3, seen  # the page itself, each time: on opening, after logging in and out


def test_chromium_disables_every_feature_that_playwright_or_the_target_names(app: BrowserApp) -> None:
    """Chromium keeps only the last --disable-features switch: the target's must repeat Playwright's."""
    page = app.new_browser().context.new_page()
    page.goto("chrome://version/?show-variations-cmd")
    lines = page.inner_text("body").splitlines()
    command_line = next(line for line in lines if line.startswith("Command Line"))
    named = {name for switch in re.findall(r"--disable-features=(\S+)", command_line) for name in switch.split(",")}
    effective = re.search(
        r'--disable-features="([^"]*)"', next(line for line in lines if line.startswith("Command-line Variations"))
    )
    assert effective is not None and "WebUIOmniboxPopup" in named
    assert named <= set(effective.group(1).split(",")), named - set(effective.group(1).split(","))


def test_a_scenario_without_a_page_saves_nothing(target: BrowserTarget, tmp_path: Path) -> None:
    target.begin_scenario()
    target.end_scenario()
    assert target.record_failure("nothing", tmp_path) == []
    assert not tmp_path.joinpath("nothing.png").exists()


def test_no_chromium_process_outlives_close() -> None:
    """A process opens a tab and closes its target, then waits: by then only it may be left."""
    marker = uuid.uuid4().hex
    script = subprocess.Popen(
        [sys.executable, "-c", CLOSE_AND_WAIT],
        cwd=ROOT,
        env={**os.environ, RUN_MARKER: marker},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert script.stdout is not None and script.stdin is not None
        started = script.stdout.readline().split()
        closed = script.stdout.readline().strip()
        left = processes_marked(marker)
        script.stdin.write("\n")
        script.stdin.flush()
        script.wait(timeout=30)
    finally:
        if script.poll() is None:
            script.kill()
        script.communicate()
    assert any("chrom" in name for name in started), f"opening a tab started no Chromium: {started}"
    assert closed == "closed"
    assert set(left) == {script.pid}, f"left after close(): {left}"


CLOSE_AND_WAIT = f"""
import os, sys
sys.path.insert(0, "tests")
from test_browser_target import processes_marked
from logoutspec.resources import SuiteResources
from logoutspec.targets.browser import BrowserTarget
from logoutspec.contract import AppSpec
from logoutspec.fixtures import Fixtures
resources = SuiteResources.default()
target = BrowserTarget(name="browser", version="1.50.0", options={{}}, resources=resources)
target.serve(AppSpec()).new_browser().open_tab()
print(*processes_marked(os.environ["{RUN_MARKER}"]).values(), flush=True)
target.close()
resources.close()
print("closed", flush=True)
sys.stdin.readline()
"""


def test_a_failing_run_leaves_no_process(tmp_path: Path) -> None:
    private_fixtures(tmp_path, probe='raise RuntimeError("this app is broken")\n')
    marker = uuid.uuid4().hex
    run = start_run(tmp_path, marker, "-k", "before_logging_in")
    try:
        run.wait(timeout=RUN_TIMEOUT)
    finally:
        stop(run)
    output = (tmp_path / "run.log").read_text()
    assert run.returncode == 1, output
    assert "this app is broken" in output
    assert processes_marked(marker) == {}
    saved = sorted(path.name for path in (tmp_path / "reports" / "failures").iterdir())
    stem = "x - Before logging in, st.user is _is_logged_in_ false_"
    assert saved == [f"{stem}.html", f"{stem}.png"], saved  # named after the failing scenario


@pytest.mark.parametrize("ending", ["Ctrl-C", "SIGTERM"])
def test_an_interrupted_run_leaves_no_process(tmp_path: Path, ending: str) -> None:
    """Ctrl-C reaches the whole process group (Playwright's driver and Chromium too); SIGTERM
    reaches pytest alone."""
    private_fixtures(tmp_path)
    marker = uuid.uuid4().hex
    run = start_run(tmp_path, marker)
    try:
        wait_for(lambda: any("chrom" in name for name in processes_marked(marker).values()), run)
        if ending == "Ctrl-C":
            os.killpg(run.pid, signal.SIGINT)
        else:
            run.send_signal(signal.SIGTERM)
        run.wait(timeout=60)
    finally:
        stop(run)
    assert run.returncode == pytest.ExitCode.INTERRUPTED, (tmp_path / "run.log").read_text()
    assert processes_marked(marker) == {}


def start_run(tmp_path: Path, marker: str, *args: str) -> subprocess.Popen[bytes]:
    """The suite on the browser target and the private fixtures, in a process group of its own;
    every process it starts (servers, IdP, Playwright's driver, Chromium and its helpers)
    inherits the marker in its environment, to be looked for once the run has ended."""
    config = write_config(tmp_path, 'adapter = "browser"')
    command = suite_command("--conformance-config", str(config), *args, reports=tmp_path / "reports")
    with (tmp_path / "run.log").open("wb") as log:
        return subprocess.Popen(
            command,
            cwd=tmp_path,
            env={**os.environ, RUN_MARKER: marker},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=take_ctrl_c,
        )


def stop(run: subprocess.Popen[bytes]) -> None:
    if run.poll() is None:
        run.kill()
        run.wait()


def process_names() -> dict[int, str]:
    """PID -> command name of every live process, zombies left out."""
    found = {}
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text() if entry.name.isdigit() else ""
        except OSError:
            continue
        if stat and stat.rpartition(")")[2].split()[0] != "Z":
            found[int(entry.name)] = stat[stat.index("(") + 1 : stat.rindex(")")]
    return found


def processes_marked(marker: str) -> dict[int, str]:
    """PID -> command name of the live processes whose environment carries the run's marker."""
    needle = f"{RUN_MARKER}={marker}".encode()
    marked = {}
    for pid, name in process_names().items():
        try:
            environment = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        if needle in environment.split(b"\0"):
            marked[pid] = name
    return marked
