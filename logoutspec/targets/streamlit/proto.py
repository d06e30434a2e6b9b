"""The few Streamlit websocket messages a headless browser needs, as raw protobuf.

The codec is hand-rolled on purpose: Streamlit's generated classes differ from release to
release and drag in a protobuf runtime, while the handful of fields used here kept their numbers
from 1.42 to 1.67. One codec therefore drives every version under test, and the field numbers
below are the whole contract with the server. Everything else in a message is skipped.

Field numbers, checked against the descriptors of Streamlit 1.50.0 (streamlit/proto/*_pb2.py):

    BackMsg.rerun_script = 11                        (ClientState)
    ClientState.query_string = 1, .widget_states = 2 (WidgetStates), .page_script_hash = 3,
                .page_name = 4
    WidgetStates.widgets = 1                         (repeated WidgetState)
    WidgetState.id = 1, .trigger_value = 2           (bool, in oneof value)
    ForwardMsg.new_session = 4, .delta = 5, .script_finished = 6 (enum), .ref_hash = 11,
              .auth_redirect = 24
    NewSession.initialize = 1, .page_script_hash = 9; Initialize.session_id = 6
    Delta.new_element = 3
    Element.exception = 8, .button = 19, .markdown = 29, .json = 31
    Markdown.body = 1; Json.body = 1; Button.id = 1, .label = 2
    Exception.type = 1, .message = 2
    AuthRedirect.url = 1
    ScriptFinishedStatus: FINISHED_SUCCESSFULLY = 0, FINISHED_WITH_COMPILE_ERROR = 1,
                          FINISHED_EARLY_FOR_RERUN = 2, FINISHED_FRAGMENT_RUN_SUCCESSFULLY = 3
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from logoutspec.contract import Element, ScriptRun

# Wire types of the protobuf encoding.
_VARINT, _FIXED64, _LEN, _FIXED32 = 0, 1, 2, 5

_BACK_RERUN_SCRIPT = 11
_CLIENT_QUERY_STRING, _CLIENT_WIDGET_STATES, _CLIENT_PAGE_SCRIPT_HASH, _CLIENT_PAGE_NAME = 1, 2, 3, 4
_WIDGET_STATES_WIDGETS = 1
_WIDGET_ID, _WIDGET_TRIGGER_VALUE = 1, 2

_FWD_NEW_SESSION, _FWD_DELTA, _FWD_SCRIPT_FINISHED, _FWD_REF_HASH, _FWD_AUTH_REDIRECT = 4, 5, 6, 11, 24
_NEW_SESSION_INITIALIZE, _NEW_SESSION_PAGE_SCRIPT_HASH, _INITIALIZE_SESSION_ID = 1, 9, 6
_DELTA_NEW_ELEMENT = 3
_AUTH_REDIRECT_URL = 1

FINISHED_EARLY_FOR_RERUN = 2

# Element oneof field -> (our kind, field of the text, field of the widget id, field of exc_type).
_ELEMENT_FIELDS: dict[int, tuple[str, int, int | None, int | None]] = {
    29: ("markdown", 1, None, None),
    31: ("json", 1, None, None),
    19: ("button", 2, 1, None),
    8: ("exception", 2, None, 1),
}


# --- encoding ---------------------------------------------------------------------------------


def encode_varint(value: int) -> bytes:
    """A non-negative integer as a base-128 varint, least significant group first."""
    if value < 0:
        raise ValueError("negative varints are not used by these messages")
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _tag(number: int, wire_type: int) -> bytes:
    return encode_varint(number << 3 | wire_type)


def _len_field(number: int, payload: bytes) -> bytes:
    return _tag(number, _LEN) + encode_varint(len(payload)) + payload


def _string_field(number: int, text: str) -> bytes:
    """A string field, omitted when empty as proto3 does for implicit-presence fields."""
    return _len_field(number, text.encode()) if text else b""


def encode_rerun_script(
    query_string: str = "", page_script_hash: str = "", clicked: str | None = None, page_name: str = ""
) -> bytes:
    """BackMsg{rerun_script: ClientState} as the browser sends it on connect and on a click.

    clicked is the widget id of a button; a click is the trigger value true for that widget only
    (trigger values are not sticky, so other buttons are simply absent). page_name is the page of
    a multipage app the URL names (its path below the app's base URL): Streamlit runs that page
    until it knows the page's script hash, which then takes precedence.
    """
    widget_states = b""
    if clicked is not None:
        widget = _string_field(_WIDGET_ID, clicked) + _tag(_WIDGET_TRIGGER_VALUE, _VARINT) + b"\x01"
        widget_states = _len_field(_CLIENT_WIDGET_STATES, _len_field(_WIDGET_STATES_WIDGETS, widget))
    client_state = (
        _string_field(_CLIENT_QUERY_STRING, query_string)
        + widget_states
        + _string_field(_CLIENT_PAGE_SCRIPT_HASH, page_script_hash)
        + _string_field(_CLIENT_PAGE_NAME, page_name)
    )
    return _len_field(_BACK_RERUN_SCRIPT, client_state)


# --- decoding ---------------------------------------------------------------------------------


def decode_varint(data: bytes, pos: int) -> tuple[int, int]:
    """The varint starting at pos, and the position after it."""
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def iter_fields(data: bytes) -> Iterator[tuple[int, int | bytes]]:
    """(field number, value) for every field of a message: ints for varints, bytes for
    length-delimited fields; fixed-width fields are skipped (none of ours use them)."""
    pos = 0
    while pos < len(data):
        key, pos = decode_varint(data, pos)
        number, wire_type = key >> 3, key & 7
        if wire_type == _VARINT:
            value, pos = decode_varint(data, pos)
            yield number, value
        elif wire_type == _LEN:
            length, pos = decode_varint(data, pos)
            if pos + length > len(data):
                raise ValueError("truncated length-delimited field")
            yield number, data[pos : pos + length]
            pos += length
        elif wire_type in (_FIXED64, _FIXED32):
            pos += 8 if wire_type == _FIXED64 else 4
        else:
            raise ValueError(f"unsupported wire type {wire_type} (field {number})")


def _last(data: bytes, number: int) -> int | bytes | None:
    """The value of a field as protobuf reads it: the last occurrence wins."""
    found = None
    for field_number, value in iter_fields(data):
        if field_number == number:
            found = value
    return found


def _bytes(data: bytes, number: int) -> bytes | None:
    value = _last(data, number)
    return value if isinstance(value, bytes) else None


def _string(data: bytes, number: int) -> str:
    value = _bytes(data, number)
    return value.decode() if value is not None else ""


@dataclass(frozen=True)
class NewSession:
    """A script run started: the session's id and the page that runs."""

    session_id: str
    page_script_hash: str


@dataclass(frozen=True)
class AuthRedirect:
    """st.login or st.logout asked the browser to navigate to url."""

    url: str


@dataclass(frozen=True)
class ScriptFinished:
    """A script run ended, with a ForwardMsg.ScriptFinishedStatus value."""

    status: int


ForwardEvent = NewSession | Element | AuthRedirect | ScriptFinished


def decode_forward_msg(data: bytes) -> ForwardEvent | None:
    """The event a ForwardMsg carries, or None for messages the specification does not read.

    A ref_hash (a reference to a message the client supposedly cached) is an error: this client
    never announces a cache, so content would otherwise go missing silently.
    """
    for number, value in iter_fields(data):
        if number == _FWD_SCRIPT_FINISHED and isinstance(value, int):
            return ScriptFinished(value)
        if not isinstance(value, bytes):
            continue
        if number == _FWD_NEW_SESSION:
            return _decode_new_session(value)
        if number == _FWD_DELTA:
            element = _bytes(value, _DELTA_NEW_ELEMENT)
            return decode_element(element) if element is not None else None
        if number == _FWD_AUTH_REDIRECT:
            return AuthRedirect(_string(value, _AUTH_REDIRECT_URL))
        if number == _FWD_REF_HASH:
            raise ValueError(f"server sent a cached-message reference {value.decode()!r}")
    return None


def _decode_new_session(data: bytes) -> NewSession:
    initialize = _bytes(data, _NEW_SESSION_INITIALIZE) or b""
    return NewSession(_string(initialize, _INITIALIZE_SESSION_ID), _string(data, _NEW_SESSION_PAGE_SCRIPT_HASH))


def decode_element(data: bytes) -> Element | None:
    """A markdown, json, button or exception Element; None for other element types."""
    for number, value in iter_fields(data):
        if number in _ELEMENT_FIELDS and isinstance(value, bytes):
            kind, text_field, id_field, type_field = _ELEMENT_FIELDS[number]
            return Element(
                kind=kind,
                text=_string(value, text_field),
                widget_id=_string(value, id_field) if id_field else "",
                exc_type=_string(value, type_field) if type_field else "",
            )
    return None


class RunCollector:
    """Turns the ForwardMsgs of one script run into a ScriptRun.

    A run is over at script_finished, except FINISHED_EARLY_FOR_RERUN: that run was superseded
    and the next one (announced by its own new_session) is the one the page shows. The collector
    keeps reading after auth_redirect because the script goes on running after st.login and
    st.logout, and what it renders then is part of the behaviour under specification.
    """

    def __init__(self, session_id: str = "", page_script_hash: str = "") -> None:
        self.session_id = session_id
        self.page_script_hash = page_script_hash
        self._elements: list[Element] = []
        self._auth_redirect: str | None = None
        self.finished = False

    def feed(self, frame: bytes) -> bool:
        """Take one ForwardMsg; True once the run is over."""
        event = decode_forward_msg(frame)
        if isinstance(event, NewSession):
            self.session_id = event.session_id or self.session_id
            self.page_script_hash = event.page_script_hash
            self._elements.clear()
        elif isinstance(event, Element):
            self._elements.append(event)
        elif isinstance(event, AuthRedirect):
            self._auth_redirect = event.url
        elif isinstance(event, ScriptFinished) and event.status != FINISHED_EARLY_FOR_RERUN:
            self.finished = True
        return self.finished

    def result(self) -> ScriptRun:
        return ScriptRun(elements=tuple(self._elements), auth_redirect=self._auth_redirect)
