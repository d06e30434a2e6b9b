"""A pytest plugin that measures a conformance run from the inside (loaded by bench/run.py).

It wraps the few places where time leaves the harness (HTTP requests, websocket frames, server
start and stop, and in the browser target the wait for a page load's first script run) to count
them and time them, and writes what it saw as JSON. It changes no
behaviour: every wrapper calls the original and returns its result.

A scenario's waits are those of the thread that runs it (pytest's main thread). Servers start
ahead in background threads, and the wire client's frames are read by a thread of each tab: what
a scenario waits for is a server (ServedTarget.serve), a request, or the next frame
(FrameReader.next); the health polls of a start and the starts themselves, timed apart, are not
the scenario's.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import websocket

from logoutspec.targets.browser import ChromiumTab
from logoutspec.targets.streamlit.processes import StreamlitServer
from logoutspec.targets.streamlit.target import ServedTarget, StreamlitTarget
from logoutspec.targets.streamlit.wire import FrameReader

# Seconds the page spent running the frontend's scripts before DOMContentLoaded, from its own
# Navigation and Resource Timing: module scripts run after the document is parsed (domInteractive)
# and once they and the stylesheets are fetched, and DOMContentLoaded waits for them. It is the
# frontend's own start-up in the renderer, which the harness neither causes nor can skip.
FRONTEND_RUN = """(() => {
  const [page] = performance.getEntriesByType("navigation");
  const fetched = performance.getEntriesByType("resource")
    .filter(e => e.initiatorType === "script" || e.name.endsWith(".css"))
    .filter(e => e.responseEnd <= page.domContentLoadedEventStart)
    .reduce((last, e) => Math.max(last, e.responseEnd), page.domInteractive);
  return (page.domContentLoadedEventStart - fetched) / 1000;
})()"""


@dataclass
class Counter:
    requests: int = 0
    ws_messages: int = 0
    io_seconds: float = 0.0
    server_start_seconds: float = 0.0
    page_loads: int = 0  # the browser target's: app pages whose session finished its first script run
    page_load_seconds: float = 0.0  # from the page's document response to that first run
    frontend_seconds: float = 0.0  # of which the page ran the frontend's scripts (before DOMContentLoaded)


@dataclass
class Measurements:
    scenarios: dict[str, float] = field(default_factory=dict)
    counters: dict[str, Counter] = field(default_factory=dict)
    server_starts: list[float] = field(default_factory=list)
    server_peak_rss_kb: list[int] = field(default_factory=list)
    streamlit_versions: list[str] = field(default_factory=list)
    suite_seconds: float = 0.0


class BenchProbe:
    def __init__(self, output: Path) -> None:
        self.output = output
        self.data = Measurements()
        self.current = Counter()
        self.started = time.perf_counter()
        self.skipped: set[str] = set()
        self._starting = threading.local()  # .active: this thread is starting a server
        self._wrap(requests.Session, "send", self._count_request)
        self._wrap(websocket.WebSocket, "send_binary", self._count_frame)
        self._wrap(FrameReader, "next", self._count_frame)
        self._wrap(StreamlitServer, "start", self._time_start)
        self._wrap(ServedTarget, "serve", self._time_wait_for_server)
        self._wrap(StreamlitServer, "stop", self._read_peak_rss)
        self._wrap(StreamlitTarget, "__init__", self._note_version)
        self._wrap(ChromiumTab, "_await_new_session", self._time_page_load)

    @staticmethod
    def _wrap(owner: type, name: str, around: Callable[..., Any]) -> None:
        original = getattr(owner, name)

        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            return around(original, self, *args, **kwargs)

        setattr(owner, name, wrapper)

    def _scenario_waits(self) -> bool:
        """Whether a wait now is the scenario's: on its thread, and not a server's start."""
        return threading.current_thread() is threading.main_thread() and not getattr(self._starting, "active", False)

    def _timed_io(self, call: Callable[[], Any]) -> Any:
        if not self._scenario_waits():
            return call()
        start = time.perf_counter()
        try:
            return call()
        finally:
            self.current.io_seconds += time.perf_counter() - start

    def _count_request(self, original: Callable[..., Any], session: Any, *args: Any, **kwargs: Any) -> Any:
        if self._scenario_waits():
            self.current.requests += 1
        return self._timed_io(lambda: original(session, *args, **kwargs))

    def _count_frame(self, original: Callable[..., Any], channel: Any, *args: Any, **kwargs: Any) -> Any:
        """A frame sent (websocket) or received (a tab's FrameReader), and the wait for it."""
        self.current.ws_messages += 1
        return self._timed_io(lambda: original(channel, *args, **kwargs))

    def _time_start(self, original: Callable[..., Any], server: StreamlitServer) -> Any:
        """How long one server took to be healthy, in whichever thread it started."""
        start = time.perf_counter()
        self._starting.active = True
        try:
            result = original(server)
        finally:
            self._starting.active = False
        self.data.server_starts.append(time.perf_counter() - start)
        return result

    def _time_wait_for_server(self, original: Callable[..., Any], target: ServedTarget, *args: Any) -> Any:
        """How long the scenario waited for its server (started ahead, or started now)."""
        start = time.perf_counter()
        try:
            return original(target, *args)
        finally:
            self.current.server_start_seconds += time.perf_counter() - start

    def _note_version(self, original: Callable[..., Any], target: StreamlitTarget, **kwargs: Any) -> None:
        """The Streamlit version a run's wire or browser target resolved ("latest" to a release)."""
        original(target, **kwargs)
        if target.version not in self.data.streamlit_versions:
            self.data.streamlit_versions.append(target.version)

    def _time_page_load(self, original: Callable[..., Any], tab: ChromiumTab, *args: Any) -> Any:
        """A tab waits here from an app page's document response (load, reload, or the landing
        of a login or logout) until its session's first script run: the frontend's cost. Then the
        page's own timing says how much of it the frontend's scripts took to run. (Asking costs
        the scenario a round trip to the page, which waits while the page is still busy showing
        the run; the scenario's next action would wait for that too.)"""
        start = time.perf_counter()
        result = original(tab, *args)
        self.current.page_loads += 1
        self.current.page_load_seconds += time.perf_counter() - start
        self.current.frontend_seconds += tab.page.evaluate(FRONTEND_RUN)
        return result

    def _read_peak_rss(self, original: Callable[..., Any], server: StreamlitServer) -> Any:
        process = getattr(server, "_process", None)
        if process is not None and process.poll() is None:
            status = Path(f"/proc/{process.pid}/status").read_text()
            peak = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
            self.data.server_peak_rss_kb.append(int(peak.split()[1]))
        return original(server)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Iterator[None]:
        self.current = Counter()
        start = time.perf_counter()
        result = yield
        if item.nodeid not in self.skipped:
            self.data.scenarios[item.nodeid] = time.perf_counter() - start
            self.data.counters[item.nodeid] = self.current
        return result

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Scenarios that did not run (not applicable) would only flatter the medians."""
        if report.skipped:
            self.data.scenarios.pop(report.nodeid, None)
            self.data.counters.pop(report.nodeid, None)
            self.skipped.add(report.nodeid)

    def pytest_sessionfinish(self) -> None:
        self.data.suite_seconds = time.perf_counter() - self.started

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self) -> None:
        """After the targets closed their servers (so peak RSS was read), write the numbers."""
        self.output.parent.mkdir(parents=True, exist_ok=True)
        self.output.write_text(json.dumps(asdict(self.data), indent=2))


def pytest_configure(config: pytest.Config) -> None:
    output = Path(os.environ.get("LOGOUTSPEC_BENCH_OUTPUT", "reports/bench-raw.json"))
    config.pluginmanager.register(BenchProbe(output), "logoutspec-bench-probe")
