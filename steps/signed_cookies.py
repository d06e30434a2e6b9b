"""Where a signed cookie keeps its signature, and how to change it so that it is certainly wrong.

A step that "alters the signature" of a cookie must make a value whose signature differs after the
server decodes it, not merely a different string: base64 decoding ignores the low bits of a
signature's last character (itsdangerous' 20-byte HMAC-SHA1 is 27 characters, the last carrying 4
significant bits of 6), so a new last character can decode to the very same signature. The first
character of a signature is never ignored: in hex it alone sets the high nibble of the first byte,
in base64 (standard or url-safe) it alone sets that byte's top six bits. Replacing it by another
digit ("0", or "1" if it was "0"; digits belong to both alphabets) changes the decoded first byte
under either decoding.

The formats are public wire formats, not any adapter's internals, which is why this lives beside
the steps (it imports nothing of the harness): Tornado's signed cookie (version 2, Streamlit's
Tornado server up to 1.56), itsdangerous' URLSafeTimedSerializer (Streamlit's Starlette server,
1.53+ optionally and 1.57+ always; when it splits a large cookie into numbered chunks, the main
cookie still holds a value of this format, a signed "chunks-N" marker, and each chunk is signed on
its own), and the reference implementation's base64url(JSON).timestamp.HMAC-SHA256 (hex).
A value in none of them is an error: the step cannot know what its signature is.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass

_B64URL = r"[A-Za-z0-9_-]"


def _hex(text: str) -> bytes:
    return bytes.fromhex(text)


def _base64url(text: str) -> bytes:
    """Decoded as itsdangerous does: padding restored, low bits of the last character dropped."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class SignedFormat:
    """A signed-cookie format: a pattern whose group "signature" is the encoded signature."""

    name: str
    pattern: re.Pattern[str]
    decode: Callable[[str], bytes]


FORMATS = (
    SignedFormat(
        "Tornado signed cookie, version 2 (Streamlit's Tornado server)",
        re.compile(r"2\|1:\d+\|\d+:\d+\|\d+:[^|]*\|\d+:[^|]*\|(?P<signature>[0-9a-f]{64})"),
        _hex,
    ),
    SignedFormat(
        "itsdangerous URLSafeTimedSerializer, HMAC-SHA1 (Streamlit's Starlette server)",
        re.compile(rf"\.?{_B64URL}+\.{_B64URL}+\.(?P<signature>{_B64URL}{{27}})"),
        _base64url,
    ),
    SignedFormat(
        "base64url(JSON).timestamp.HMAC-SHA256 in hex (the reference implementation)",
        re.compile(rf"{_B64URL}+\.\d+\.(?P<signature>[0-9a-f]{{64}})"),
        _hex,
    ),
)


class UnknownFormat(AssertionError):
    """A cookie value in no known signed format: its signature cannot be altered for certain."""


@dataclass(frozen=True)
class SignedValue:
    """A cookie value taken apart: the signed text before the signature, and the signature."""

    format: SignedFormat
    signed: str  # everything before the signature, without surrounding quotes
    encoded_signature: str
    quoted: bool

    @property
    def signature(self) -> bytes:
        """The signature as the server decodes it before comparing."""
        return self.format.decode(self.encoded_signature)

    @property
    def value(self) -> str:
        value = self.signed + self.encoded_signature
        return f'"{value}"' if self.quoted else value

    def with_altered_signature(self) -> SignedValue:
        """The same value with its signature's first character replaced by another digit: a
        signature that certainly decodes differently, nothing else changed (see the module docstring)."""
        first = self.encoded_signature[0]
        altered = ("1" if first == "0" else "0") + self.encoded_signature[1:]
        return SignedValue(self.format, self.signed, altered, self.quoted)


def parse(value: str) -> SignedValue:
    """Take a cookie value apart by its format; UnknownFormat if it has none of FORMATS.

    A value may reach the browser in double quotes (http.cookies quotes one with "/" or "=",
    which Tornado's standard base64 can contain); the server unquotes it before verifying.
    """
    quoted = len(value) >= 2 and value[0] == value[-1] == '"'
    bare = value[1:-1] if quoted else value
    for signed_format in FORMATS:
        match = signed_format.pattern.fullmatch(bare)
        if match:
            start = match.start("signature")
            return SignedValue(signed_format, bare[:start], bare[start:], quoted)
    known = "; ".join(f.name for f in FORMATS)
    shown = value if len(value) <= 60 else f"{value[:30]}...{value[-30:]}"
    raise UnknownFormat(f"the cookie value {shown!r} is in no known signed format (known: {known})")
