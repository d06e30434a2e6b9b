"""The Streamlit frontend's static files, fetched once per run and served to every browser from memory.

A person who comes back to an app loads its frontend (Streamlit 1.50's index.js alone is 7 MB)
from the browser's HTTP cache: the files under the app's static/ path are content-hashed and
served as immutable. The browser target's browsers are fresh Chromium contexts with empty
caches, and Playwright turns the HTTP cache off once a page has a route (the auth gate's), so
every page load would fetch the whole frontend again, gzipped anew by the server each time.

Here a loopback HTTP server in this process keeps those files for the run, and every context
routes its requests for <app>/static/... to it: Chromium changes such a request's URL in a way
the page does not observe, so the page, its cookies and its storage stay the context's own. The
first request for a file fetches it from the app's server, uncompressed; the response is kept
when a browser would keep it for good (200, Cache-Control immutable) and passed on once
otherwise. Nothing else is routed: the page itself, /auth/*, /oauth2callback, the health route
and the websocket always reach the app's server.

Why a server of our own rather than Playwright's route.fulfill: fulfilling sends the body
through Playwright's driver as base64 on every page load, which costs more than the server's
gzip it saves (measured: a page load took about 1.6 times as long as with no cache at all).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit

import requests
from playwright.sync_api import BrowserContext, Request, Route

STATIC_DIRECTORY = "static/"  # under an app's base URL
# Hop-by-hop, the cache server's own, or no longer true of a body kept uncompressed in memory
_NOT_PASSED_ON = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "date", "server", "content-encoding", "content-length"}
)
FETCH_TIMEOUT = 15.0


@dataclass(frozen=True)
class StaticFile:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def immutable(self) -> bool:
        """Whether a browser would keep it without asking again: a 200 marked immutable."""
        cache_control = ",".join(value for name, value in self.headers if name.lower() == "cache-control")
        return self.status == 200 and "immutable" in cache_control.lower()


class FrontendCache:
    """The static files of one run's apps, by their path under the app's base URL (the same file
    for every server of a Streamlit version, whatever its port or base path)."""

    def __init__(self) -> None:
        self.files: dict[str, StaticFile] = {}
        self._fetching = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="frontend-cache", daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"

    def serve_to(self, context: BrowserContext, base_url: str) -> None:
        """Route the context's requests for the app's static files to this cache."""

        def to_cache(route: Route, request: Request) -> None:
            key = request.url[len(base_url) :]
            route.continue_(url=f"{self.url}{quote(key)}?upstream={quote(request.url, safe='')}")

        context.route(f"{base_url}{STATIC_DIRECTORY}**", to_cache)

    def get(self, key: str, upstream: str) -> StaticFile:
        """The file kept under key, else fetched from upstream (and kept if immutable)."""
        kept = self.files.get(key)
        if kept is not None:
            return kept
        with self._fetching:  # the first page load asks for each file once; later ones find it kept
            kept = self.files.get(key)
            if kept is None:
                kept = fetch(upstream)
                if kept.immutable:
                    self.files[key] = kept
        return kept

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def fetch(url: str) -> StaticFile:
    """One static file as the app's server sends it, uncompressed."""
    response = requests.get(url, headers={"Accept-Encoding": "identity"}, timeout=FETCH_TIMEOUT)
    headers = tuple((name, value) for name, value in response.headers.items() if name.lower() not in _NOT_PASSED_ON)
    return StaticFile(response.status_code, headers, response.content)


def _handler_for(cache: FrontendCache) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: a page load asks for several files

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            upstream = parse_qs(parts.query).get("upstream", [""])[0]
            if not upstream:
                self.send_error(400, "no upstream URL")
                return
            try:
                found = cache.get(parts.path[1:], upstream)
            except requests.RequestException as error:
                self.send_error(502, f"{upstream}: {error}")
                return
            self.send_response(found.status)
            for name, value in found.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(found.body)))
            self.end_headers()
            self.wfile.write(found.body)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the run's output is the suite's."""

    return Handler
