"""App sessions, the `streamlit` module an app script sees, and the script runner.

A session is one browser tab (one websocket in Streamlit). It holds its own copy of st.user,
read from the identity cookie once when the session starts; afterwards only st.login and
st.logout running in that same session change it.
"""

from __future__ import annotations

import builtins
import functools
import hashlib
import json
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import CodeType, ModuleType
from typing import Any, NoReturn
from urllib.parse import urlsplit

from .auth import LOGIN_PATH, LOGOUT_PATH, AuthSecrets, encode_provider_token


@dataclass(frozen=True)
class Element:
    """One thing a script run rendered: kind is "markdown", "json", "button" or "exception"; text
    the markdown, JSON text, button label or exception message. (The reference keeps its own
    types: it is an implementation, and depends on nothing of the harness that checks it.)"""

    kind: str
    text: str
    widget_id: str = ""
    exc_type: str = ""


@dataclass(frozen=True)
class ScriptRun:
    """What one run of the app script rendered, and where it asked the browser to go."""

    elements: tuple[Element, ...]
    auth_redirect: str | None = None


class StreamlitAPIException(Exception):
    """Misuse of the st API, named like Streamlit's own error."""


class UserInfoProxy(Mapping[str, Any]):
    """st.user: a read-only view that reads the session's user info at every access.

    It must read live, not copy: an app may keep `user = st.user` and look at it again after
    st.logout() in the same run.
    """

    def __init__(self, read: Callable[[], dict[str, Any]]) -> None:
        object.__setattr__(self, "_read", read)

    def __getitem__(self, key: str) -> Any:
        try:
            return self._read()[key]
        except KeyError:
            raise KeyError(f'st.user has no key "{key}".') from None

    def __getattr__(self, key: str) -> Any:
        try:
            return self._read()[key]
        except KeyError:
            raise AttributeError(f'st.user has no attribute "{key}".') from None

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise StreamlitAPIException("st.user cannot be modified")

    def __setitem__(self, name: str, value: Any) -> NoReturn:
        raise StreamlitAPIException("st.user cannot be modified")

    def __iter__(self) -> Iterator[str]:
        return iter(self._read())

    def __len__(self) -> int:
        return len(self._read())

    def to_dict(self) -> dict[str, Any]:
        return self._read()


class AppSession:
    """One app session (a websocket in Streamlit); it is what ReferenceServer.connect returns."""

    def __init__(
        self, *, app: Path, secrets: AuthSecrets, base_path: str, page_url: str, user_info: dict[str, Any]
    ) -> None:
        self.session_id = str(uuid.uuid4())
        self.app = app
        self.secrets = secrets
        self.base_path = base_path
        self.page_url = page_url  # the page the tab shows, as a Streamlit session knows it
        self.user_info = user_info
        self.closed = False
        self.logged_out = False  # st.logout ran in it: no reconnect may resume it
        self.runner: ScriptRunner | None = None  # the script run in progress: where st calls act
        self.callbacks: dict[str, Callable[[], Any]] = {}  # widget id -> on_click of the last run

    def user_view(self) -> dict[str, Any]:
        """What st.user shows: a logged-out user is {"is_logged_in": False} only if [auth] is set."""
        view = dict(self.user_info)
        if "is_logged_in" not in view and self.secrets.auth_configured:
            view["is_logged_in"] = False
        return view

    def current_run(self) -> ScriptRunner:
        if self.runner is None:
            raise StreamlitAPIException("no script run in progress")
        return self.runner

    def run(self, trigger: str | None = None) -> ScriptRun:
        """Run the app script once; the button whose widget id is trigger returns True in it."""
        if self.closed:
            raise RuntimeError(f"session {self.session_id} is closed")
        return ScriptRunner(self, trigger).execute()

    @property
    def page_path(self) -> str:
        """The page the tab shows, as a path below the base path: "" for the home page."""
        return urlsplit(self.page_url).path.removeprefix(self.base_path.rstrip("/")).strip("/")

    def close(self) -> None:
        """Disconnect: the server keeps the session, which a reconnect may resume."""
        self.closed = True

    def reopen(self) -> None:
        self.closed = False


@dataclass(frozen=True)
class Page:
    """st.Page: one page of a multipage app, here a function of the app script."""

    page: Callable[[], Any]
    title: str | None = None
    url_path: str | None = None
    default: bool = False

    @property
    def path(self) -> str:
        """Where the page is served below the base path: "" for the default page, as in Streamlit."""
        return "" if self.default else (self.url_path if self.url_path is not None else self.page.__name__)

    def run(self) -> None:
        self.page()


def navigation(pages: list[Page], shown: str) -> Page:
    """st.navigation: the page the tab's URL names, else the default page (the first one unless one
    says default=True), as Streamlit runs its default page for a URL it does not know."""
    default = next((page for page in pages if page.default), pages[0])
    return next((page for page in pages if page.path == shown), default)


@functools.lru_cache(maxsize=16)
def compiled_script(source: str, filename: str) -> CodeType:
    """The app script compiled once per source text, as Streamlit keeps compiled scripts: a rerun
    execs the same code object again, and an edited script compiles anew."""
    return compile(source, filename, "exec")


class ScriptRunner:
    """One run of the app script: the st calls it makes and what they render."""

    def __init__(self, session: AppSession, trigger: str | None) -> None:
        self.session = session
        self.trigger = trigger
        self.elements: list[Element] = []
        self.auth_redirect: str | None = None

    def execute(self) -> ScriptRun:
        """Run the clicked button's on_click callback, as Streamlit does before the script, then exec
        the script in fresh globals; an uncaught exception ends the run as an element."""
        app = self.session.app
        self.session.runner = self
        callback = self.session.callbacks.get(self.trigger or "")
        script_globals = {"__name__": "__main__", "__file__": str(app), "__builtins__": self._builtins()}
        try:
            if callback is not None:
                callback()
            exec(compiled_script(app.read_text(), str(app)), script_globals)
        except Exception as exc:
            self.elements.append(Element("exception", str(exc).strip(), exc_type=type(exc).__name__))
        return ScriptRun(elements=tuple(self.elements), auth_redirect=self.auth_redirect)

    def _builtins(self) -> dict[str, Any]:
        """The real builtins, except that `import streamlit` yields this run's shim module.

        sys.modules is left alone: a real Streamlit may be installed in the same interpreter.
        """
        shim = self.streamlit_module()

        def import_with_shim(
            name: str, globals_: Any = None, locals_: Any = None, fromlist: Any = (), level: int = 0
        ) -> Any:
            if name == "streamlit" and level == 0:
                return shim
            return builtins.__import__(name, globals_, locals_, fromlist, level)

        return {**vars(builtins), "__import__": import_with_shim}

    def streamlit_module(self) -> ModuleType:
        module = ModuleType("streamlit", "The reference runtime's stand-in for streamlit.")
        session = self.session
        user = UserInfoProxy(session.user_view)

        def login(provider: str | None = None) -> None:
            session.current_run().login(provider)

        def logout() -> None:
            session.current_run().logout()

        # st.login and st.logout act on the run in progress, as Streamlit's do on the current script
        # run context: a callback kept from one run (on_click=st.logout) is called in the next.
        module.__dict__.update(
            user=user,
            experimental_user=user,
            login=login,
            logout=logout,
            button=self.button,
            write=self.write,
            markdown=self.markdown,
            json=self.json,
            Page=Page,
            navigation=lambda pages, **_layout: navigation(list(pages), session.page_path),
        )
        return module

    def login(self, provider: str | None = None) -> None:
        """Validate the provider's secrets, then ask the browser to go to /auth/login."""
        name = "default" if provider is None else provider
        secrets = self.session.secrets
        secrets.provider_settings(name)
        token = encode_provider_token(name, secrets.cookie_secret, time.time())
        self.auth_redirect = f"{self.session.base_path}{LOGIN_PATH}?provider={token}"

    def logout(self) -> None:
        """Forget the user in this session only, then ask the browser to go to /auth/logout.

        The script goes on running: st.user is logged out for the rest of this run.
        """
        self.session.user_info.clear()
        self.session.logged_out = True
        self.auth_redirect = f"{self.session.base_path}{LOGOUT_PATH}"

    def button(self, label: str, key: str | None = None, on_click: Callable[[], Any] | None = None) -> bool:
        widget_id = button_widget_id(label, key)
        self.elements.append(Element("button", label, widget_id=widget_id))
        if on_click is None:
            self.session.callbacks.pop(widget_id, None)
        else:
            self.session.callbacks[widget_id] = on_click
        return widget_id == self.trigger

    def write(self, *args: Any) -> None:
        """Consecutive strings become one markdown element, mappings JSON, anything else markdown."""
        texts: list[str] = []
        for arg in args:
            if isinstance(arg, str):
                texts.append(arg)
                continue
            self._flush_markdown(texts)
            if isinstance(arg, Mapping):
                self.json(arg)
            else:
                self.markdown(str(arg))
        self._flush_markdown(texts)

    def _flush_markdown(self, texts: list[str]) -> None:
        if texts:
            self.markdown(" ".join(texts))
            texts.clear()

    def markdown(self, body: str) -> None:
        self.elements.append(Element("markdown", str(body)))

    def json(self, body: Any) -> None:
        self.elements.append(Element("json", json.dumps(body, default=jsonable)))


def button_widget_id(label: str, key: str | None) -> str:
    """Stable across runs and sessions, like Streamlit's ids computed from label and key."""
    digest = hashlib.sha256(f"button|{label}|{key}".encode()).hexdigest()[:16]
    return f"button-{digest}"


def jsonable(value: Any) -> Any:
    """json.dumps fallback: mappings (such as st.user) as objects, anything else as its repr."""
    return dict(value) if isinstance(value, Mapping) else repr(value)
