"""The browser target's frontend cache: what a browser keeps for good is fetched once per run and
served from memory; anything else is fetched every time. The app's server is mocked here;
tests/test_browser_target.py checks the cache from a real server's view."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
import requests
import responses

from logoutspec.targets.frontend_cache import FrontendCache

APP = "http://localhost:8501/"
IMMUTABLE = {"Cache-Control": "public, immutable, max-age=31536000", "Content-Encoding": "identity"}


@pytest.fixture
def cache() -> Iterator[FrontendCache]:
    started = FrontendCache()
    try:
        yield started
    finally:
        started.close()


@pytest.fixture
def server() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


def through(cache: FrontendCache, key: str) -> requests.Response:
    """What a browser gets that asks the cache for APP + key."""
    return requests.get(f"{cache.url}{quote(key)}?upstream={quote(APP + key, safe='')}", timeout=10)


def test_an_immutable_file_is_fetched_once_and_served_from_memory(
    cache: FrontendCache, server: responses.RequestsMock
) -> None:
    server.add_passthru(cache.url)
    fetched = server.get(APP + "static/js/index.abc.js", body=b"console.log(1)", headers=IMMUTABLE)
    first, second = through(cache, "static/js/index.abc.js"), through(cache, "static/js/index.abc.js")
    assert fetched.call_count == 1
    assert first.content == second.content == b"console.log(1)"
    assert second.headers["Cache-Control"] == IMMUTABLE["Cache-Control"]
    assert "Content-Encoding" not in second.headers  # the body is kept as it is sent: uncompressed
    assert fetched.calls[0].request.headers["Accept-Encoding"] == "identity"


def test_a_file_a_browser_would_ask_for_again_is_fetched_every_time(
    cache: FrontendCache, server: responses.RequestsMock
) -> None:
    server.add_passthru(cache.url)
    fetched = server.get(APP + "static/manifest.json", body=b"{}", headers={"Cache-Control": "no-cache"})
    missing = server.get(APP + "static/js/gone.js", status=404, headers=IMMUTABLE)
    assert [through(cache, "static/manifest.json").status_code for _ in range(2)] == [200, 200]
    assert [through(cache, "static/js/gone.js").status_code for _ in range(2)] == [404, 404]
    assert (fetched.call_count, missing.call_count) == (2, 2)
    assert cache.files == {}
