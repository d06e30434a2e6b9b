"""The wire client reads its websocket as a browser does, idle or not: it answers the server's pings
while no script run is awaited (Streamlit 1.42 to 1.47 under Tornado 6.5+ close a websocket whose
pong is a second late), and it reports the server's closing with its status and reason.

The server is Tornado's own websocket handler on loopback, pinging every 0.2 s with a 0.2 s timeout.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import tornado.httpserver
import tornado.netutil
import tornado.web
import tornado.websocket
import websocket

from logoutspec.targets.streamlit.wire import FrameReader

PINGS = 0.2  # seconds between the server's pings, and its timeout for each pong
PONGS_WANTED = 5  # one second of idling, five times the timeout


@dataclass
class Seen:
    pongs: int = 0
    enough_pongs: threading.Event = field(default_factory=threading.Event)
    closed: threading.Event = field(default_factory=threading.Event)


class Echo(tornado.websocket.WebSocketHandler):
    """Echoes binary messages; closes with status 1000 "done" when sent b"bye"."""

    def initialize(self, seen: Seen) -> None:
        self.seen = seen

    def on_pong(self, data: bytes) -> None:
        self.seen.pongs += 1
        if self.seen.pongs >= PONGS_WANTED:
            self.seen.enough_pongs.set()

    def on_message(self, message: str | bytes) -> None:
        if message == b"bye":
            self.close(1000, "done")
        else:
            self.write_message(message, binary=True)

    def on_close(self) -> None:
        self.seen.closed.set()


@pytest.fixture
def server() -> Iterator[tuple[str, Seen]]:
    """A Tornado websocket server in a thread of its own, stopped after the test."""
    seen = Seen()
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    loop = asyncio.new_event_loop()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        app = tornado.web.Application(
            [("/ws", Echo, {"seen": seen})], websocket_ping_interval=PINGS, websocket_ping_timeout=PINGS
        )
        tornado.httpserver.HTTPServer(app).add_sockets(sockets)
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"ws://127.0.0.1:{sockets[0].getsockname()[1]}/ws", seen
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        for sock in sockets:
            sock.close()


def test_an_idle_connection_answers_pings_and_stays_open(server: tuple[str, Seen]) -> None:
    url, seen = server
    ws = websocket.create_connection(url, timeout=10)
    frames = FrameReader(ws, url)
    try:
        assert seen.enough_pongs.wait(timeout=30), f"the server got {seen.pongs} pongs"
        ws.send_binary(b"still here")
        assert frames.next(timeout=10) == b"still here"
        assert not seen.closed.is_set()
    finally:
        frames.stop()
        ws.close()
    assert seen.closed.wait(timeout=10), "closing did not reach the server"


def test_the_servers_closing_is_reported_with_its_status_and_reason(server: tuple[str, Seen]) -> None:
    url, _ = server
    ws = websocket.create_connection(url, timeout=10)
    frames = FrameReader(ws, url)
    try:
        ws.send_binary(b"bye")
        for _ in range(2):  # and again: a websocket that ended stays ended
            with pytest.raises(ConnectionError, match=r"closed the websocket \(1000 done\)"):
                frames.next(timeout=10)
    finally:
        frames.stop()
        ws.close()
        ws.shutdown()
