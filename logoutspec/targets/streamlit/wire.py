"""The wire connection: a headless browser tab over Streamlit's websocket protocol.

StreamlitConnection speaks the websocket protocol the way a browser tab does; what that takes
(verified on Streamlit 1.42 to 1.67) is said where it is done:

- every request uses the host of redirect_uri, `localhost`: the websocket's Origin must equal the
  origin of redirect_uri, or Streamlit silently ignores the identity cookie (processes.base_url_for);
- GET /_stcore/health first: it sets `_streamlit_xsrf`, and with [auth] configured the websocket
  must offer the subprotocols `streamlit, <that token>` (a third entry asks to resume an earlier
  session, as the frontend does after a dropped connection; a page load sends none), with the
  browser's cookies in the handshake (StreamlitConnection._open);
- frames are binary protobuf: BackMsg rerun_script out, ForwardMsgs in until script_finished (proto.py).
- the websocket is read all the time, as a browser reads it: Streamlit 1.42 to 1.47 close a tab
  whose pong is a second late, and an idle tab must answer too (FrameReader).
"""

from __future__ import annotations

import queue
import select
import socket
import struct
import threading
import time
from collections.abc import Mapping
from functools import partial
from urllib.parse import urljoin, urlsplit

import requests
import websocket

from logoutspec.compat import forget_websocket_handshake_cookies
from logoutspec.contract import Person, ScriptRun
from logoutspec.targets.http_browser import HttpBrowser, origin_of
from logoutspec.targets.streamlit.proto import RunCollector, encode_rerun_script

XSRF_COOKIE = "_streamlit_xsrf"


def wire_browser(base_url: str, person: Person | None) -> HttpBrowser:
    """A cookie-jar browser whose tabs are app sessions over Streamlit's websocket: how the harness
    drives any server that speaks Streamlit's HTTP and websocket protocol. A tab opens its websocket
    from the page it landed on (its folder, as Streamlit's frontend does), never from base_url."""
    http = requests.Session()
    return HttpBrowser(base_url, partial(StreamlitConnection, session=http), person, http)


# --- the browser tab's session ------------------------------------------------------------------


class StreamlitConnection:
    """One app session over Streamlit's websocket, opened the way a browser tab opens it.

    headers are the browser's request headers for the page: Cookie (built by the caller from its
    jar) and optionally Origin (default: the page's origin). session is the browser's cookie jar:
    the health request that hands out `_streamlit_xsrf` goes through it, so the browser keeps
    that cookie as a real one would. base_url defaults to the page URL's directory.

    Opening does not run the script: a browser sends rerun_script right after connecting, and
    the first run() is that request. session_id is empty until then. resume is the id of an
    earlier session to ask for, as the frontend does when it reconnects; None on a page load.
    """

    def __init__(
        self,
        page_url: str,
        headers: Mapping[str, str],
        *,
        session: requests.Session | None = None,
        base_url: str | None = None,
        timeout: float = 10.0,
        resume: str | None = None,
    ) -> None:
        self.page_url = page_url
        self.resume = resume
        self.base_url = base_url or urljoin(page_url, ".")
        self.timeout = timeout
        self._query_string = urlsplit(page_url).query
        self._page_name = urlsplit(page_url).path.removeprefix(urlsplit(self.base_url).path).strip("/")
        self._stream_url = "ws" + urljoin(self.base_url, "_stcore/stream").removeprefix("http")
        self._session_id = ""
        self._page_script_hash = ""
        self._socket = self._open(dict(headers), session or requests.Session())
        self._frames = FrameReader(self._socket, self._stream_url)

    @property
    def session_id(self) -> str:
        return self._session_id

    def run(self, trigger: str | None = None) -> ScriptRun:
        """Ask for a script run (a click on the button whose widget id is trigger, if given) and
        collect it until script_finished; TimeoutError if it does not finish within timeout."""
        request = encode_rerun_script(self._query_string, self._page_script_hash, trigger, self._page_name)
        self._socket.send_binary(request)
        collector = RunCollector(self._session_id, self._page_script_hash)
        deadline = time.monotonic() + self.timeout
        while not collector.feed(self._receive(deadline)):
            pass
        self._session_id = collector.session_id
        self._page_script_hash = collector.page_script_hash
        return collector.result()

    def close(self) -> None:
        """Close as a tab does: the reader stops, then the closing handshake (if the server has not
        closed first), then the socket."""
        self._frames.stop()
        self._socket.close()
        self._socket.shutdown()

    def _open(self, headers: dict[str, str], session: requests.Session) -> websocket.WebSocket:
        """Fetch the XSRF cookie, then open the websocket with the browser's Origin, cookies and the
        subprotocols `streamlit, <xsrf token>`, and the session to resume as a third entry if asked."""
        cookies = _parse_cookie_header(headers.get("Cookie", ""))
        xsrf = self._fetch_xsrf_token(session, headers) or cookies.get(XSRF_COOKIE)
        if xsrf:
            cookies[XSRF_COOKIE] = xsrf
        origin = headers.get("Origin") or origin_of(self.page_url)
        try:
            ws = websocket.create_connection(
                self._stream_url,
                timeout=self.timeout,
                origin=origin,
                cookie="; ".join(f"{name}={value}" for name, value in cookies.items()) or None,
                subprotocols=subprotocols(xsrf, self.resume),
            )
        except (OSError, websocket.WebSocketException) as error:
            raise ConnectionError(f"cannot open {self._stream_url}: {error}") from error
        finally:
            forget_websocket_handshake_cookies()  # the only cookie jar must be the browser's own
        return ws

    def _fetch_xsrf_token(self, session: requests.Session, headers: dict[str, str]) -> str | None:
        """GET /_stcore/health as the browser does; with XSRF protection on (always, once [auth]
        is configured) the answer sets `_streamlit_xsrf`, whose value is the token to offer."""
        response = session.get(urljoin(self.base_url, "_stcore/health"), headers=headers, timeout=self.timeout)
        response.raise_for_status()
        return response.cookies.get(XSRF_COOKIE)

    def _receive(self, deadline: float) -> bytes:
        """The next ForwardMsg frame; TimeoutError naming the URL once the deadline has passed,
        so a silent server can never hang a scenario."""
        remaining = deadline - time.monotonic()
        timed_out = TimeoutError(f"no finished script run from {self._stream_url} within {self.timeout} s")
        if remaining <= 0:
            raise timed_out
        try:
            return self._frames.next(remaining)
        except queue.Empty:
            raise timed_out from None


class FrameReader:
    """Reads a websocket's frames as they arrive, in a thread of its own, as a browser's network
    stack does whether the page is busy or idle: a ping is answered at once (websocket-client's
    recv_data sends the pong), every frame is acknowledged at once, and the data frames wait in a
    queue for next().

    Reading only while waiting for a script run was not enough: Streamlit 1.42 to 1.47 ping every
    second, and under Tornado 6.5+ (its ping timeout cut to the interval) close a websocket whose
    pong is a second late ("ping timed out"), so a tab left idle while another browser took more
    than a second (a busy machine) was closed under the scenario. A browser answers those pings.
    """

    def __init__(self, ws: websocket.WebSocket, url: str) -> None:
        self._ws = ws
        self._url = url
        self._frames: queue.Queue[bytes | ConnectionError] = queue.Queue()
        self._ended: ConnectionError | None = None
        self._wake, self._waker = socket.socketpair()  # stop() wakes the reader's select()
        self._thread = threading.Thread(target=self._read, name=f"frames of {url}", daemon=True)
        self._thread.start()

    def next(self, timeout: float) -> bytes:
        """The next data frame; queue.Empty if none comes within timeout; ConnectionError (every
        time) once the websocket ended."""
        if self._ended is not None:
            raise self._ended
        frame = self._frames.get(timeout=timeout)
        if isinstance(frame, ConnectionError):
            self._ended = frame
            raise frame
        return frame

    def stop(self) -> None:
        """Stop reading, so that the caller's thread can close the websocket."""
        self._waker.send(b"\0")
        self._thread.join()
        self._wake.close()
        self._waker.close()

    def _read(self) -> None:
        """Read frames until stop() or the end of the websocket, which is queued as a ConnectionError."""
        while True:
            readable, _, _ = select.select([self._ws.sock, self._wake], [], [])
            if self._wake in readable:
                return
            try:
                opcode, data = self._ws.recv_data(control_frame=True)
            except (OSError, websocket.WebSocketException) as error:
                self._frames.put(ConnectionError(f"{self._url}: the websocket failed: {error!r}"))
                return
            acknowledge_at_once(self._ws.sock)
            if opcode == websocket.ABNF.OPCODE_BINARY:
                self._frames.put(data)
            elif opcode == websocket.ABNF.OPCODE_CLOSE:
                self._frames.put(ConnectionError(f"{self._url} closed the websocket ({close_reason(data)})"))
                return
            elif opcode == websocket.ABNF.OPCODE_TEXT:
                self._frames.put(ConnectionError(f"{self._url} sent a text frame; Streamlit sends binary protobuf"))
                return


def close_reason(payload: bytes) -> str:
    """A close frame's status code and reason, as the server sent them (RFC 6455, 5.5.1)."""
    if len(payload) < 2:
        return "no status"
    status = struct.unpack("!H", payload[:2])[0]
    reason = payload[2:].decode(errors="replace")
    return f"{status} {reason}".strip()


def acknowledge_at_once(sock: socket.socket | None) -> None:
    """Have the kernel acknowledge what arrived now, and what arrives next without delay (Linux's
    TCP_QUICKACK; a no-op elsewhere). Streamlit's Tornado server leaves Nagle's algorithm on for
    its websocket, so each small frame it sends waits until the one before is acknowledged, and
    the client's delayed acknowledgement (40 ms on Linux) made every script run take 40 to 80 ms
    longer. It changes no byte of the conversation, only when the client's ACKs go out."""
    if sock is not None and hasattr(socket, "TCP_QUICKACK"):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)


def subprotocols(xsrf: str | None, resume: str | None) -> list[str]:
    """What the frontend offers: "streamlit", the XSRF token (the frontend's placeholder without
    one), and the id of the session it asks to resume, if any."""
    if resume is None:
        return ["streamlit", xsrf] if xsrf else ["streamlit"]
    return ["streamlit", xsrf or "PLACEHOLDER_AUTH_TOKEN", resume]


def _parse_cookie_header(header: str) -> dict[str, str]:
    """name -> value from a Cookie request header, in order."""
    pairs = (part.strip().partition("=") for part in header.split(";") if part.strip())
    return {name: value for name, _, value in pairs}
