"""The browser target: real Streamlit servers, and headless Chromium clicking their real buttons.

The wire target imitates a browser; this one is a browser, so it is the reference for what users
see and the check that the imitation is right. It is a StreamlitTarget (same provisioning, same
servers, same fixture IdP) with another kind of browser: one Chromium, launched once per run and
driven by Playwright, in which every Browser is a fresh browser context (tabs of a context share
cookies, contexts share nothing).

What a tab shows is read from the app's own websocket frames, decoded with the wire target's
codec (targets/streamlit_proto.py): these are the ForwardMsgs the Streamlit frontend renders, so
st.user, exceptions and auth redirects are exact instead of scraped from the DOM, and the two
targets can be compared scenario by scenario. Redirect chains come from the network events of
document navigations, cookies from the context's cookie store. The frontend's static files come
from one cache per run (frontend_cache.py), as a returning person's come from the browser's
cache; every other request reaches the server. Everything a tab does ends by
waiting for Playwright events (a websocket frame, a new websocket, a document's response)
under one deadline, never by sleeping: the sync API delivers events only while a call waits.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from playwright.sync_api import Browser as PlaywrightBrowser
from playwright.sync_api import BrowserContext, Page, Playwright, Request, Response, Route, WebSocket, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from logoutspec.contract import AppSpec, Cookie, Hop, IdpRecord, NavigationError, Person, ScriptRun
from logoutspec.resources import SuiteResources
from logoutspec.targets.frontend_cache import FrontendCache
from logoutspec.targets.http_browser import app_page_problem, parse_set_cookie
from logoutspec.targets.streamlit.proto import RunCollector
from logoutspec.targets.streamlit.target import StreamlitTarget

CHROMIUM = "/usr/bin/chromium"  # Debian's package; `playwright install` is neither possible nor needed
# Chromium keeps only the last --disable-features switch, so ours repeats the features that
# Playwright (1.65.2) disables with its own and adds the top-chrome WebUI (the address bar's
# popup) that Chromium builds for every window: a headless page never shows it, and it cost about
# as much CPU as the app's page. tests/test_browser_target.py checks that every feature either
# switch names is disabled.
PLAYWRIGHT_DISABLED_FEATURES = (
    "AvoidUnnecessaryBeforeUnloadCheckSync,DestroyProfileOnBrowserClose,HttpsUpgrades,HttpsFirstBalancedModeAutoEnable,"
    "LensOverlay,MediaRouter,PaintHolding,ThirdPartyStoragePartitioning,AvoidCorsURLLoaderRestartOnRedirect,"
    "TcpPortRandomizationWin,OptimizationHints,NetworkTimeServiceQuerying,AimEnabled,PreconnectToSearch,"
    "msForceBrowserSignIn,msEdgeUpdateLaunchServicesPreferredVersion"
)
UNSHOWN_WEBUI_FEATURES = "WebUIOmniboxPopup,WebUIOmniboxFullPopup,WebUIOmniboxAimPopup,PreloadTopChromeWebUI"
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    f"--disable-features={PLAYWRIGHT_DISABLED_FEATURES},{UNSHOWN_WEBUI_FEATURES}",
)
# Seconds for one tab action (a click with its whole login or logout flow): a bound that catches a
# hang, not a speed check (the benchmark measures speed). 15 s failed 14 scenarios of a run on this
# 2-core machine at load 25, where a login that takes 4 s idle takes over 15 s.
TIMEOUT = 60.0
APP_STREAM = "/_stcore/stream"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_UNSAFE_IN_FILE_NAMES = re.compile(r"[^\w\-.,() ]+")


class BrowserTarget:
    """Adapter "browser": the options of the streamlit adapter, whose target it wraps.

    The StreamlitTarget provisions the version and runs the servers and the fixture IdP; this
    target opens the apps it serves in Chromium instead of the wire client.
    """

    def __init__(self, *, name: str, version: str, options: Mapping[str, Any], resources: SuiteResources) -> None:
        if not Path(CHROMIUM).is_file():
            raise RuntimeError(f"no Chromium at {CHROMIUM}; install Debian's with `apt-get install -y chromium`")
        self.servers = StreamlitTarget(name=name, version=version, options=options, resources=resources)
        self.name = name
        self.version = self.servers.version  # resolved: "latest" is the newest release's number
        self.capabilities = self.servers.capabilities
        self.scenario = ScenarioPages()
        self._chromium: PlaywrightBrowser | None = None
        self._frontend: FrontendCache | None = None

    @property
    def idp(self) -> IdpRecord:
        return self.servers.idp

    def serve(self, spec: AppSpec, secrets_toml: str | None = None) -> BrowserApp:
        return BrowserApp(self.servers.serve(spec, secrets_toml).base_url, self.new_browser)

    def start_ahead(self, apps: Sequence[tuple[AppSpec, str | None]]) -> None:
        self.servers.start_ahead(apps)

    @property
    def topology(self) -> str:
        return f"headless Chromium -> {self.servers.topology}"

    def new_browser(self, base_url: str, person: Person | None) -> ChromiumBrowser:
        """A new browser context of the shared Chromium: an empty cookie jar of its own."""
        if self._chromium is None:
            self._chromium = CHROMIUM_PROCESS.acquire()
        if self._frontend is None:
            self._frontend = FrontendCache()
        context = self._chromium.new_context()
        context.set_default_timeout(TIMEOUT * 1000)
        self._frontend.serve_to(context, base_url)
        browser = ChromiumBrowser(context, base_url, person, self.scenario)
        self.scenario.browsers.append(browser)
        return browser

    def begin_scenario(self) -> None:
        self.servers.begin_scenario()

    def end_scenario(self) -> None:
        """Close every context the scenario opened, so the next one starts with fresh browsers."""
        self.scenario.close()
        self.scenario = ScenarioPages()
        self.servers.end_scenario()

    def advance_clock(self, seconds: float) -> None:
        self.servers.advance_clock(seconds)

    def record_failure(self, name: str, directory: Path) -> list[Path]:
        """Save what the person saw when the scenario failed: a screenshot and the HTML of the page
        the scenario last acted on, as <directory>/<name>.png and .html (nothing without a page)."""
        page = self.scenario.active_page
        if page is None or page.is_closed():
            return []
        directory.mkdir(parents=True, exist_ok=True)
        stem = _UNSAFE_IN_FILE_NAMES.sub("_", name).strip()[:150] or "scenario"
        screenshot, html = directory / f"{stem}.png", directory / f"{stem}.html"
        page.screenshot(path=screenshot, full_page=True)
        html.write_text(page.content())
        return [screenshot, html]

    def close(self) -> None:
        """Close the contexts, let go of Chromium, stop the frontend cache, then stop the servers;
        each step runs even if an earlier one fails, as after an interrupted Playwright call."""
        with ExitStack() as steps:
            steps.callback(self.servers.close)
            steps.callback(self._stop_frontend_cache)
            steps.callback(self._release_chromium)
            self.scenario.close()

    def _release_chromium(self) -> None:
        if self._chromium is not None:
            self._chromium = None
            CHROMIUM_PROCESS.release()

    def _stop_frontend_cache(self) -> None:
        if self._frontend is not None:
            self._frontend, frontend = None, self._frontend
            frontend.close()


class SharedChromium:
    """The one Chromium of this process, launched on first use and closed (with every helper
    process) when its last user lets go of it.

    Shared because Playwright's sync API allows one instance per thread, and because several
    browser targets in one run (two Streamlit versions, say) need no more than one browser:
    their browsers are separate contexts anyway.
    """

    def __init__(self) -> None:
        self._playwright: Playwright | None = None
        self._browser: PlaywrightBrowser | None = None
        self._users = 0

    def acquire(self) -> PlaywrightBrowser:
        if self._browser is None:
            self._playwright = sync_playwright().start()
            try:
                self._browser = self._playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
            except BaseException:
                self._stop()
                raise
        self._users += 1
        return self._browser

    def release(self) -> None:
        self._users -= 1
        if self._users == 0:
            self._stop()

    def _stop(self) -> None:
        try:
            if self._browser is not None:
                close_unless_gone(self._browser, self._browser)
        finally:
            try:
                if self._playwright is not None:
                    self._playwright.stop()
            finally:
                self._browser = self._playwright = None


CHROMIUM_PROCESS = SharedChromium()


@dataclass
class ScenarioPages:
    """The contexts one scenario opened, and the page it last acted on (what a failure shows)."""

    browsers: list[ChromiumBrowser] = field(default_factory=list)
    active_page: Page | None = None

    def close(self) -> None:
        for browser in self.browsers:
            browser.close()


@dataclass(frozen=True)
class BrowserApp:
    """An app served by a real Streamlit server, opened in Chromium browsers."""

    base_url: str
    open_browser: Callable[[str, Person | None], ChromiumBrowser]

    def new_browser(self, person: Person | None = None) -> ChromiumBrowser:
        return self.open_browser(self.base_url, person)


class ChromiumBrowser:
    """One browser context: the cookie jar of its tabs, and its document navigations."""

    def __init__(self, context: BrowserContext, base_url: str, person: Person | None, scenario: ScenarioPages) -> None:
        self.context = context
        self.base_url = base_url
        self.person = person
        self.scenario = scenario
        self._landings: list[Request] = []  # the last request of every navigation, in order
        self._chains: list[list[Hop]] = []
        context.on("response", self._on_response)

    @property
    def navigations(self) -> list[list[Hop]]:
        """Built when read, not in the event handlers: a response's raw headers are a round trip
        to the Playwright driver, which the handlers of every response would wait for."""
        for request in self._landings[len(self._chains) :]:
            self._chains.append(redirect_chain(request))
        return list(self._chains)

    def open_tab(self, path: str = "", resume: str | None = None) -> ChromiumTab:
        page = self.context.new_page()
        if resume is not None:
            page.add_init_script(resuming_websocket_script(resume))
        tab = ChromiumTab(self, page)
        tab.load(urljoin(self.base_url, path))
        return tab

    def cookies(self) -> list[Cookie]:
        return [
            Cookie(
                name=cookie["name"],
                value=cookie["value"],
                domain=cookie["domain"],
                path=cookie["path"],
                expires=None if cookie["expires"] == -1 else cookie["expires"],
                http_only=cookie["httpOnly"],
                secure=cookie["secure"],
                same_site=cookie.get("sameSite"),
            )
            for cookie in self.context.cookies()
        ]

    def set_cookie_value(self, name: str, value: str) -> None:
        held = [cookie for cookie in self.context.cookies() if cookie["name"] == name]
        if not held:
            raise LookupError(f"the browser holds no cookie {name!r}")
        self.context.add_cookies([{**held[0], "value": value}])

    def restart(self) -> None:
        """The context's pages close and it keeps only the cookies with an expiry (-1: a session cookie)."""
        for page in self.context.pages:
            page.close()
        kept = [cookie for cookie in self.context.cookies() if cookie["expires"] != -1]
        self.context.clear_cookies()
        self.context.add_cookies(kept)

    def close(self) -> None:
        close_unless_gone(self.context, self.context.browser)

    def _on_response(self, response: Response) -> None:
        if is_landing(response):
            self._landings.append(response.request)


class ChromiumTab:
    """One page of a context: what a person sees and clicks, and the app sessions behind it."""

    def __init__(self, browser: ChromiumBrowser, page: Page) -> None:
        self.browser = browser
        self.page = page
        self.auth_gate = AuthNavigationGate(page)
        self.sessions = AppSessions(on_finished=self.auth_gate.review)
        self._landings: list[Response] = []  # the final response of every navigation of this page
        self._deadline = 0.0
        page.on("websocket", self.sessions.watch)
        page.on("response", self._on_response)

    @property
    def url(self) -> str:
        return self.page.url

    @property
    def session_id(self) -> str:
        return self._last.session_id

    @property
    def last_run(self) -> ScriptRun:
        return self._last.run

    @property
    def runs(self) -> list[ScriptRun]:
        return [finished.run for finished in self.sessions.finished]

    def load(self, url: str) -> None:
        """Open url in this tab and wait for the first run of the session the page starts."""
        self._begin_action()
        sockets = len(self.sessions.sockets)
        landing = self.page.goto(url, wait_until="commit")
        if landing is None:
            raise NavigationError(f"opening {url} loaded no document")
        self._expect_app_page(landing)
        self._await_new_session(sockets)

    def click(self, label: str) -> None:
        """Click the real button, wait for the run it triggers and, when that run redirects (st.login,
        st.logout), for the page the frontend navigates to and the first run there."""
        self._begin_action()
        sockets, landings = len(self.sessions.sockets), len(self._landings)
        if self._click_and_run(label).auth_redirect:
            self._follow_auth_redirect(landings)
            self._await_new_session(sockets)

    def click_and_stop_before(self, label: str, path: str) -> str:
        """Click the real button and follow the navigation its run asks for, signing in at the
        identity provider's form as click does, until the browser is about to request a URL whose
        path ends with `path`: that request is stopped before it leaves the browser, and its URL
        returned. The tab stays on the page it showed then (the IdP's form, or the app's page when
        the IdP asked for no credentials)."""
        self._begin_action()
        with NavigationStop(self.page, path) as stop:

            def click_and_run() -> None:
                if not self._click_and_run(label).auth_redirect:
                    raise NavigationError(f"clicking {label!r} asked the browser to go nowhere")

            landed = self._navigate(click_and_run, stop)
            if landed and not self._on_app_page():
                landed = self._navigate(self._sign_in, stop)
            if landed:
                landing = self._landings[-1]
                raise NavigationError(
                    f"clicking {label!r} never led to a URL ending in {path!r}: "
                    f"the navigation ended on {landing.url} with {landing.status}"
                )
            assert stop.url is not None, "a navigation that did not land was stopped"
            return stop.url

    def rerun(self) -> None:
        """Press "r", Streamlit's rerun key: the same session runs the script again."""
        self._begin_action()
        runs = len(self.sessions.finished)
        self.page.locator("body").press("r")
        self._await_run(runs)

    def reload(self) -> None:
        self._begin_action()
        sockets = len(self.sessions.sockets)
        self.page.reload(wait_until="commit")
        self._await_new_session(sockets)

    def close(self) -> None:
        """Close the page, and with it the app's websocket."""
        self.page.close()

    @property
    def _last(self) -> FinishedRun:
        assert self.sessions.finished, "the tab has not run the app"
        return self.sessions.finished[-1]

    def _begin_action(self) -> None:
        self.browser.scenario.active_page = self.page
        self._deadline = time.monotonic() + TIMEOUT

    def _click_and_run(self, label: str) -> ScriptRun:
        """Click the real button and wait for the run it triggers; the navigation the run asks for
        (st.login, st.logout) is held until the run has finished, then let go.

        The click is Playwright's whole click, with its wait after: that is where Playwright learns
        whether the button itself received the click. If the page moved under the pointer (a font
        or a lazily loaded part of the frontend arriving after the run was shown), another element
        was hit; Playwright keeps the page from seeing that click and clicks again. Skipping the
        wait (no_wait_after) skips that check too, and the click was lost: a person would click
        again, the scenario waited a minute for a run that never came. The wait after a click
        also waits for a navigation the click started, which the gate lets go as soon as the run
        has finished, while Playwright is still waiting."""
        shown = [e.text for e in self.last_run.elements if e.kind == "button"]
        if label not in shown:
            raise AssertionError(f"no button {label!r} on the page; buttons shown: {shown}")
        runs = len(self.sessions.finished)
        with self.auth_gate.holding(until=lambda: len(self.sessions.finished) > runs):
            self.page.get_by_role("button", name=label, exact=True).click()
            self._await_run(runs)
        return self.sessions.finished[runs].run

    def _navigate(self, act: Callable[[], None], stop: NavigationStop) -> bool:
        """Do act, and wait under the action's deadline for the navigation of the page it causes:
        True once that navigation has landed (its final response is in self._landings), False when
        stop stopped it. A navigation that fails otherwise is the target's failure.

        Playwright's wait for a navigation is the one wait that ends either way: it returns when a
        document commits and fails when the navigation is aborted, as a stopped request aborts it."""
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"{self.page.url}: no time left for a navigation in {TIMEOUT} s")
        acted = False
        try:
            with self.page.expect_navigation(wait_until="commit", timeout=remaining * 1000):
                act()
                acted = True
        except PlaywrightTimeoutError:
            raise
        except PlaywrightError as error:
            if not acted:
                raise
            if stop.url is not None:
                return False
            raise NavigationError(f"the navigation from {self.page.url} failed: {error.message}") from None
        return True

    def _follow_auth_redirect(self, landings: int) -> None:
        """The frontend sends the page to the redirect URL by itself; where the navigation lands
        on the identity provider's login form, the person signs in, once."""
        self._await_landing(landings)
        if self._on_app_page():
            return
        landings = len(self._landings)
        self._sign_in()
        self._await_landing(landings)
        self._expect_app_page(self._landings[-1])

    def _sign_in(self) -> None:
        """What the person does at the identity provider's login page: type name and password.

        The page's response arrives before the page shows it, so first wait for the page to be
        the one the navigation landed on.
        """
        landing = self._landings[-1]
        self.page.wait_for_url(lambda url: url == landing.url, wait_until="domcontentloaded")
        form = self.page.locator("form#login")
        if form.count() == 0:
            self._expect_app_page(landing)  # neither the IdP's form nor the app: say what it was
            raise NavigationError(f"{landing.url} is the app's page, not the identity provider's login form")
        person = self.browser.person
        if person is None:
            raise NavigationError(f"{self.page.url} asks for credentials, but nobody sits at this browser")
        form.locator("#username").fill(person.username)
        form.locator("#password").fill(person.password)
        form.locator("#submit").click()

    def _on_app_page(self) -> bool:
        """Whether the last navigation ended on a page of the app, as HttpBrowser decides it."""
        landing = self._landings[-1]
        return app_page_problem(landing.url, landing.status, document_text(landing), self.browser.base_url) is None

    def _expect_app_page(self, landing: Response) -> None:
        """A navigation must end on a page of the app (as HttpBrowser decides it): else the target failed."""
        body = document_text(landing)
        problem = app_page_problem(landing.url, landing.status, body, self.browser.base_url)
        if problem:
            raise NavigationError(f"navigation ended on {landing.url} with {landing.status}, {problem}: {body[:200]!r}")

    def _await_run(self, runs: int) -> None:
        """Until the session has finished more than `runs` script runs."""
        self._wait(lambda: len(self.sessions.finished) > runs, self.sessions.sockets[-1], "framereceived")

    def _await_new_session(self, sockets: int) -> None:
        """Until an app websocket opened after the first `sockets` has finished a script run."""
        self._wait(lambda: len(self.sessions.sockets) > sockets, self.page, "websocket")
        self._wait(lambda: self.sessions.finished_on(sockets), self.sessions.sockets[-1], "framereceived")

    def _await_landing(self, landings: int) -> None:
        """Until more than `landings` navigations of the page have received their final response."""
        self._wait(lambda: len(self._landings) > landings, self.page, "response")

    def _wait(self, done: Callable[[], bool], source: Page | WebSocket, event: str) -> None:
        """Let Playwright deliver `event`s of source until done() holds or the action's deadline
        passes (TimeoutError saying what did not happen)."""
        while not done():
            remaining = self._deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{self.page.url}: no {event} brought the tab to rest in {TIMEOUT} s")
            source.wait_for_event(event, timeout=remaining * 1000)

    def _on_response(self, response: Response) -> None:
        if is_landing(response):
            self._landings.append(response)


class AuthNavigationGate:
    """Holds a page's requests to Streamlit's auth endpoints while a clicked script run goes on.

    Streamlit's frontend follows an auth_redirect the moment it arrives, while the script run
    that sent it goes on; Chromium then unloads the page, and whether the rest of the run
    (st.user after st.logout, the documented example's exception) arrives before that is a
    matter of milliseconds. Holding the request until the run has finished is what a slow
    network does, and lets the browser see the whole run, as the wire client does.

    The route stays installed for the page's lifetime: removing it while a request is on its
    way makes Playwright lose that request, and with it the first hop of the redirect chain.
    Held requests are let go from an event handler, as soon as the run has finished (the tab
    calls review() for every finished run), not when the clicking code gets control back: a
    click waits for the navigation it started, and so must not wait for the gate.
    """

    ENDPOINTS = re.compile(r"^[^?#]*/auth/log(?:in|out)(?:[?#].*)?$")

    def __init__(self, page: Page) -> None:
        self._until: Callable[[], bool] | None = None  # None: requests pass at once
        self._held: list[Route] = []
        page.route(self.ENDPOINTS, self._on_route)

    @contextmanager
    def holding(self, until: Callable[[], bool]) -> Iterator[None]:
        """Hold the requests made during the block until until() holds (or the block ends)."""
        self._until = until
        try:
            yield
        finally:
            self._until = None
            self._let_go()

    def review(self) -> None:
        """Let the held requests go if what they wait for has happened."""
        if self._open():
            self._let_go()

    def _on_route(self, route: Route) -> None:
        if self._open():
            route.continue_()
        else:
            self._held.append(route)

    def _open(self) -> bool:
        return self._until is None or self._until()

    def _let_go(self) -> None:
        held, self._held = self._held, []
        for route in held:
            route.continue_()


class NavigationStop:
    """Stops a page's request for a URL whose path ends with `path` before it leaves the browser,
    and keeps the URL: what a person does who copies a link instead of following it.

    The request is the last hop of a redirect chain (the identity provider's redirect back to the
    app), and Playwright's routes see only the first request of a chain; the DevTools protocol's
    Fetch domain sees every hop. So the page gets a DevTools session of its own, beside the one
    through which Playwright routes (AuthNavigationGate), that pauses every document request and
    lets all go on but the one to stop, which it fails as aborted. Playwright never learns of that
    request: it reports the one that redirected to it as failed, and records no landing.
    """

    def __init__(self, page: Page, path: str) -> None:
        self.page = page
        self.path = path
        self.url: str | None = None  # the stopped request's, once stopped

    def __enter__(self) -> NavigationStop:
        self._session = self.page.context.new_cdp_session(self.page)
        self._session.on("Fetch.requestPaused", self._on_paused)
        documents = {"urlPattern": "*", "resourceType": "Document", "requestStage": "Request"}
        self._session.send("Fetch.enable", {"patterns": [documents]})
        return self

    def __exit__(self, *exc_info: object) -> None:
        if not self.page.is_closed():
            self._session.detach()

    def _on_paused(self, event: dict[str, Any]) -> None:
        url = event["request"]["url"]
        try:
            if urlsplit(url).path.endswith(self.path):
                self.url = self.url or url
                self._session.send("Fetch.failRequest", {"requestId": event["requestId"], "errorReason": "Aborted"})
            else:
                self._session.send("Fetch.continueRequest", {"requestId": event["requestId"]})
        except PlaywrightError:
            pass  # the page gave the request up meanwhile (closed, navigated elsewhere): it never left


@dataclass(frozen=True)
class FinishedRun:
    """A script run as one app websocket delivered it: socket is the websocket's number in its tab."""

    socket: int
    session_id: str
    run: ScriptRun


class AppSessions:
    """The app websockets of one tab, in order, and every script run they delivered."""

    def __init__(self, on_finished: Callable[[], None]) -> None:
        """on_finished is called after every finished run, in the event handler that saw it finish."""
        self.sockets: list[WebSocket] = []
        self.finished: list[FinishedRun] = []
        self._on_finished = on_finished

    def watch(self, socket: WebSocket) -> None:
        if socket.url.split("?")[0].endswith(APP_STREAM):
            socket.on("framereceived", SocketReader(len(self.sockets), self._record).feed)
            self.sockets.append(socket)

    def _record(self, finished: FinishedRun) -> None:
        self.finished.append(finished)
        self._on_finished()

    def finished_on(self, first_socket: int) -> bool:
        """Whether a socket numbered first_socket or later has finished a run."""
        return any(finished.socket >= first_socket for finished in self.finished)


class SocketReader:
    """Decodes one websocket's ForwardMsgs into script runs, as the frontend receives them."""

    def __init__(self, socket: int, record: Callable[[FinishedRun], None]) -> None:
        self.socket = socket
        self.record = record
        self.collector = RunCollector()

    def feed(self, payload: str | bytes) -> None:
        """Take one frame; a finished run is handed on and the next run is collected for the same
        session.

        The next collector is in place before the run is handed on: what receives it may call
        Playwright (the auth gate lets requests go), and while such a call waits, Playwright
        delivers this socket's next frames to this method again; they belong to the next run."""
        if isinstance(payload, str):
            raise ConnectionError("the app's websocket sent a text frame; Streamlit sends binary protobuf")
        collector = self.collector
        if collector.feed(payload):
            self.collector = RunCollector(collector.session_id, collector.page_script_hash)
            self.record(FinishedRun(self.socket, collector.session_id, collector.result()))


def resuming_websocket_script(session_id: str) -> str:
    """A script that runs in the page before the frontend and makes the first app websocket it opens
    ask to resume session_id: the frontend offers ["streamlit", <XSRF token>, <last session id>],
    the last only after a dropped connection; this adds it on a page load, nothing else changed."""
    return f"""(() => {{
  const Native = window.WebSocket;
  let resume = {json.dumps(session_id)};
  window.WebSocket = class extends Native {{
    constructor(url, protocols) {{
      if (resume !== null && String(url).split("?")[0].endsWith("{APP_STREAM}") && Array.isArray(protocols)) {{
        protocols = [...protocols.slice(0, 2), resume];
        resume = null;
      }}
      super(url, protocols);
    }}
  }};
}})();"""


def close_unless_gone(closable: BrowserContext | PlaywrightBrowser, chromium: PlaywrightBrowser | None) -> None:
    """Close a context or Chromium itself; once Chromium is gone there is nothing left to close,
    as when Ctrl-C reached Playwright's driver too (it is in the same process group)."""
    try:
        closable.close()
    except PlaywrightError:
        if chromium is None or chromium.is_connected():
            raise


def is_landing(response: Response) -> bool:
    """Whether a response ends a navigation: a document response that is not a redirect.

    Decided from the response alone, without a call to Playwright, because event handlers run
    it; the request's redirected_to is not known yet when the redirect response arrives.
    """
    return response.request.is_navigation_request() and response.status not in REDIRECT_STATUSES


def document_text(landing: Response) -> str:
    """The document a navigation landed on, as the server sent it; "" when Chromium kept no body
    (a page that was left at once), which no check can take for the app."""
    try:
        return landing.text()
    except PlaywrightError:
        return ""


def redirect_chain(last: Request) -> list[Hop]:
    """The hops of the navigation that ended with `last`, first request first."""
    requests: list[Request] = []
    request: Request | None = last
    while request is not None:
        requests.append(request)
        request = request.redirected_from
    return [hop_of_request(request) for request in reversed(requests)]


def hop_of_request(request: Request) -> Hop:
    """One hop as the browser received it: the raw headers, every Set-Cookie separately."""
    response = request.response()
    assert response is not None, f"{request.url} is in a redirect chain without a response"
    headers = response.headers_array()
    return Hop(
        method=request.method,
        url=request.url,
        status=response.status,
        location=next((h["value"] for h in headers if h["name"].lower() == "location"), None),
        set_cookies=tuple(parse_set_cookie(h["value"]) for h in headers if h["name"].lower() == "set-cookie"),
    )
