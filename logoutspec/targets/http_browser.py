"""A browser made of a requests cookie jar, for targets driven over HTTP and app sessions.

It does what a browser does and nothing more: follows redirects hop by hop (recording each
Set-Cookie and Location), fills the identity provider's login form for the person at the
keyboard, and opens a new app session whenever a tab lands on a page of the app. How an app
session is opened is the target's business (the Connector): a function call for the reference
implementation, a protobuf websocket for real Streamlit. The Connector is given the URL the
browser landed on, and only once that URL is under the app's base URL and serves the app's page
(app_page_problem): a tab is an app session only where a person would see the app.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import requests
from requests.cookies import get_cookie_header

from logoutspec.compat import nonstandard_cookie_attributes
from logoutspec.contract import Connection, Connector, Cookie, Hop, NavigationError, Person, ScriptRun, SetCookie

MAX_HOPS = 20


class HttpBrowser:
    """One browser: a cookie jar shared by its tabs, and the history of its navigations.

    Its requests skip the environment's proxies and .netrc (http.trust_env is turned off): the
    apps it browses are on loopback or in process, and requests would otherwise read all of
    os.environ again for every request (a third of a reference run's time).
    """

    def __init__(self, base_url: str, connect: Connector, person: Person | None, http: requests.Session) -> None:
        self.base_url = base_url
        self.origin = origin_of(base_url)
        self.connect = connect
        self.person = person
        self.http = http
        self.http.trust_env = False
        self.navigations: list[list[Hop]] = []
        self.tabs: list[HttpTab] = []

    def open_tab(self, path: str = "", resume: str | None = None) -> HttpTab:
        tab = HttpTab(self)
        self.tabs.append(tab)
        tab.load(urljoin(self.base_url, path), resume)
        return tab

    def cookies(self) -> list[Cookie]:
        return [
            Cookie(
                name=c.name,
                value=c.value or "",
                domain=c.domain,
                path=c.path,
                expires=float(c.expires) if c.expires is not None else None,
                http_only="httponly" in nonstandard_cookie_attributes(c),
                secure=bool(c.secure),
                same_site=nonstandard_cookie_attributes(c).get("samesite"),
            )
            for c in self.http.cookies
        ]

    def set_cookie_value(self, name: str, value: str) -> None:
        for cookie in self.http.cookies:
            if cookie.name == name:
                cookie.value = value
                return
        raise LookupError(f"the browser holds no cookie {name!r}")

    def restart(self) -> None:
        for tab in self.tabs:
            tab.close()
        self.tabs.clear()
        self.http.cookies.clear_session_cookies()

    def close(self) -> None:
        for tab in self.tabs:
            tab.close()
        self.http.close()

    def navigate(self, url: str, stop_before: str | None = None) -> str:
        """Follow a navigation to its end and return the final URL; records its hops. With
        stop_before, return the first URL whose path ends with it, without requesting it."""
        hops: list[Hop] = []
        self.navigations.append(hops)
        method, data = "GET", None
        for _ in range(MAX_HOPS):
            if stop_before and urlsplit(url).path.endswith(stop_before):
                return url
            response = self.request(method, url, data)
            hops.append(hop_of(method, url, response))
            if response.is_redirect:
                url, method, data = urljoin(url, response.headers["Location"]), "GET", None
                continue
            login_form = find_login_form(response.text) if response.status_code == 200 else None
            if login_form is None:
                self.expect_app_page(url, response.status_code, response.text)
                return url
            url, method, data = self.fill_login_form(url, login_form)
        raise NavigationError(f"more than {MAX_HOPS} hops from {hops[0].url}: {[h.url for h in hops]}")

    def request(self, method: str, url: str, data: dict[str, str] | None) -> requests.Response:
        """One hop; a server that is gone is the target's failure, said with the URL.

        Each hop on a connection of its own: a pooled keep-alive connection that the server has
        just closed (after answering a request that said Connection: close, or as idle: uvicorn
        after 5 s) ends the next request sent on it in RemoteDisconnected, which a real browser
        retries and requests does not. Asking for Connection: close is not enough: urllib3 pools
        the connection unless the server's answer says close too, and the fixture IdP's does not.
        The flakiness gate saw it in 3 of 15 runs on Streamlit 1.67, every time at the IdP."""
        try:
            headers = {"Connection": "close"}
            return self.http.request(method, url, data=data, headers=headers, allow_redirects=False, timeout=30)
        except requests.ConnectionError as error:
            raise NavigationError(f"cannot reach {url}: {error}") from None
        finally:
            self.http.close()  # drops the pooled connections; the cookies stay

    def fill_login_form(self, url: str, form: LoginForm) -> tuple[str, str, dict[str, str]]:
        """What the person does at the identity provider's login page: type name and password."""
        if self.person is None:
            raise NavigationError(f"{url} asks for credentials, but nobody sits at this browser")
        fields = {**form.hidden, "username": self.person.username, "password": self.person.password}
        return urljoin(url, form.action), form.method, fields

    def expect_app_page(self, url: str, status: int, body: str) -> None:
        """A navigation must end on a page of the app; anything else is the target's failure."""
        problem = app_page_problem(url, status, body, self.base_url)
        if problem:
            raise NavigationError(f"navigation ended on {url} with {status}, {problem}: {body[:200]!r}")

    def session_headers(self, url: str) -> dict[str, str]:
        """The headers a browser sends when its page opens the app's websocket."""
        headers = {"Origin": self.origin}
        cookie = get_cookie_header(self.http.cookies, requests.Request("GET", url).prepare())
        if cookie:
            headers["Cookie"] = cookie
        return headers


class HttpTab:
    """One tab: the page it shows and the app session behind it."""

    def __init__(self, browser: HttpBrowser) -> None:
        self.browser = browser
        self.url = ""
        self.connection: Connection | None = None
        self.runs: list[ScriptRun] = []

    @property
    def session_id(self) -> str:
        assert self.connection is not None, "the tab shows no app page"
        return self.connection.session_id

    @property
    def last_run(self) -> ScriptRun:
        assert self.runs, "the tab has not run the app"
        return self.runs[-1]

    def load(self, url: str, resume: str | None = None) -> None:
        """Navigate to url and open an app session on the page it lands on: a new one, unless the
        server gives back the earlier session `resume` asks for (passed to the Connector only then)."""
        self.close()
        self.url = self.browser.navigate(url)
        headers = self.browser.session_headers(self.url)
        if resume is None:
            self.connection = self.browser.connect(self.url, headers)
        else:
            self.connection = self.browser.connect(self.url, headers, resume=resume)
        self.run(None)

    def click(self, label: str) -> None:
        self.run(self.button(label))

    def button(self, label: str) -> str:
        """The widget id of the button with this label on the page."""
        buttons = [e for e in self.last_run.elements if e.kind == "button" and e.text == label]
        if not buttons:
            shown = [e.text for e in self.last_run.elements if e.kind == "button"]
            raise AssertionError(f"no button {label!r} on the page; buttons shown: {shown}")
        return buttons[0].widget_id

    def click_and_stop_before(self, label: str, path: str) -> str:
        run = self.run_script(self.button(label))
        if not run.auth_redirect:
            raise NavigationError(f"clicking {label!r} asked the browser to go nowhere")
        stopped = self.browser.navigate(urljoin(self.url, run.auth_redirect), stop_before=path)
        if not urlsplit(stopped).path.endswith(path):
            raise NavigationError(f"clicking {label!r} never led to a URL ending in {path!r}: it ended on {stopped}")
        return stopped

    def rerun(self) -> None:
        self.run(None)

    def reload(self) -> None:
        self.load(self.url)

    def run(self, trigger: str | None) -> None:
        """One script run; an auth redirect it asks for is followed as the browser would."""
        run = self.run_script(trigger)
        if run.auth_redirect:
            self.load(urljoin(self.url, run.auth_redirect))

    def run_script(self, trigger: str | None) -> ScriptRun:
        assert self.connection is not None, "the tab shows no app page"
        run = self.connection.run(trigger)
        self.runs.append(run)
        return run

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def app_page_problem(url: str, status: int, body: str, base_url: str) -> str | None:
    """Why the page a navigation ended on is not the app, or None when it is: it must answer 200,
    under the app's base URL, with the page that starts Streamlit's frontend (an HTML document with
    the element id="root" the frontend renders into). Any other page of the same origin (the host's
    own page beside a mounted app, a "logged in" page) is not one a person could use the app on."""
    if not is_under(url, base_url):
        return f"which is not under the app's base URL {base_url}"
    if status != 200:
        return "not the app's page"
    if not has_app_root(body):
        return 'a page without the app\'s root element (id="root"), so not the app'
    return None


def is_under(url: str, base_url: str) -> bool:
    """Whether url is base_url or a page below it (its query and fragment aside)."""
    page, base = urlsplit(url), urlsplit(base_url)
    return (page.scheme, page.netloc) == (base.scheme, base.netloc) and f"{page.path}/".startswith(base.path)


class _AppRootParser(HTMLParser):
    """Finds the element with id="root": where Streamlit's frontend renders the app."""

    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found = self.found or ("id", "root") in attrs


def has_app_root(html: str) -> bool:
    parser = _AppRootParser()
    parser.feed(html)
    return parser.found


class LoginForm:
    def __init__(self, action: str, method: str, hidden: dict[str, str]) -> None:
        self.action, self.method, self.hidden = action, method, hidden


class _LoginFormParser(HTMLParser):
    """Finds <form id="login"> and its hidden inputs: the fixture IdP's credentials page."""

    def __init__(self) -> None:
        super().__init__()
        self.form: LoginForm | None = None
        self.inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form" and values.get("id") == "login":
            self.form = LoginForm(values.get("action", ""), values.get("method", "get").upper(), {})
            self.inside = True
        elif tag == "input" and self.inside and self.form is not None and values.get("type") == "hidden":
            self.form.hidden[values.get("name", "")] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


def find_login_form(html: str) -> LoginForm | None:
    if 'id="login"' not in html:
        return None
    parser = _LoginFormParser()
    parser.feed(html)
    return parser.form


def hop_of(method: str, url: str, response: requests.Response) -> Hop:
    raw_cookies = response.raw.headers.getlist("Set-Cookie") if response.raw is not None else []
    return Hop(
        method=method,
        url=url,
        status=response.status_code,
        location=response.headers.get("Location"),
        set_cookies=tuple(parse_set_cookie(raw) for raw in raw_cookies),
    )


def parse_set_cookie(raw: str) -> SetCookie:
    """Split one Set-Cookie header; attribute names are lower-cased, flags map to ""."""
    first, *rest = raw.split(";")
    name, _, value = first.strip().partition("=")
    attributes = {}
    for part in rest:
        key, _, attr_value = part.strip().partition("=")
        if key:
            attributes[key.lower()] = attr_value
    return SetCookie(name=name, value=value.strip('"'), attributes=attributes, raw=raw)


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
