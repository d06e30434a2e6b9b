"""The tamper step's signature change, proved on many real signed values of every cookie format the
conformance suite meets: each value is made by the library that makes it in the real server
(Tornado's create_signed_value, itsdangerous' URLSafeTimedSerializer as Streamlit's Starlette server
calls it, also split into chunks the way it splits large cookies, and the reference implementation's
own encoder) and the altered value is checked by the same library's verification, so a signature
that decodes to the genuine one would show here, whatever its last character.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from http.cookies import SimpleCookie

import pytest
from itsdangerous import BadSignature, URLSafeTimedSerializer
from logoutspec.reference_impl.auth import decode_signed_cookie, encode_signed_cookie
from logoutspec.steps import signed_cookies
from tornado.httputil import parse_cookie
from tornado.web import create_signed_value, decode_signed_value

NAME = "_streamlit_user"
SAMPLES = 400  # per format: the old step failed on 1 itsdangerous signature in 16
NOW = 1_796_000_000
MAX_COOKIE_BYTES = 4096  # Streamlit splits a cookie larger than this (auth_util.MAX_COOKIE_BYTES)


def random_identities(seed: int) -> Iterator[tuple[str, str]]:
    """(secret, JSON claims) pairs, random but the same in every run (a private Random, which
    pytest-randomly's reseeding of the global one does not touch)."""
    rng = random.Random(seed)
    for _ in range(SAMPLES):
        claims = {
            "sub": f"alice-{rng.randrange(10**6)}",
            "name": "Alice Liddell",
            "nonce": rng.randbytes(rng.randrange(8, 24)).hex(),
            "iat": NOW - rng.randrange(3600),
            "is_logged_in": True,
        }
        yield rng.randbytes(32).hex(), json.dumps(claims)


def as_sent_by(server_cookie: str) -> str:
    """A value as a browser holds it after http.cookies wrote the Set-Cookie (quoted when needed)."""
    cookie: SimpleCookie = SimpleCookie()
    cookie[NAME] = server_cookie
    return cookie[NAME].coded_value


def tornado_accepts(secret: str, held: str) -> bool:
    """What Streamlit's Tornado server does with the Cookie header: parse, unquote, verify."""
    value = parse_cookie(f"{NAME}={held}")[NAME]
    return decode_signed_value(secret, NAME, value, max_age_days=31, clock=lambda: NOW) is not None


def itsdangerous_accepts(secret: str, name: str, held: str) -> bool:
    try:
        URLSafeTimedSerializer(secret, salt=name).loads(held)
    except BadSignature:
        return False
    return True


def reference_accepts(secret: str, held: str) -> bool:
    return decode_signed_cookie(NAME, held, secret, NOW) is not None


def tornado_cookies() -> Iterator[tuple[str, Callable[[str], bool]]]:
    for secret, claims in random_identities(1):
        signed = create_signed_value(secret, NAME, claims, version=2, clock=lambda: NOW).decode()
        yield as_sent_by(signed), lambda held, secret=secret: tornado_accepts(secret, held)


def itsdangerous_cookies() -> Iterator[tuple[str, Callable[[str], bool]]]:
    for secret, claims in random_identities(2):
        signed = URLSafeTimedSerializer(secret, salt=NAME).dumps(claims)
        yield as_sent_by(signed), lambda held, secret=secret: itsdangerous_accepts(secret, NAME, held)


def chunked_cookies() -> Iterator[tuple[str, Callable[[str], bool]]]:
    """Streamlit's set_cookie_with_chunks on a value too large for one cookie: the identity cookie
    holds a signed "chunks-N" marker, _streamlit_user_1.._N each hold a part signed under its own
    name. Every one of them is yielded: the step alters the first, but each is a signed value."""
    for secret, claims in random_identities(3):
        large = json.dumps({"claims": claims, "groups": [claims] * 40})
        parts = [large[i : i + MAX_COOKIE_BYTES // 2] for i in range(0, len(large), MAX_COOKIE_BYTES // 2)]
        named = {NAME: f"chunks-{len(parts)}"} | {f"{NAME}_{i}": part for i, part in enumerate(parts, 1)}
        for name, text in named.items():
            signed = URLSafeTimedSerializer(secret, salt=name).dumps(text)
            yield as_sent_by(signed), lambda held, secret=secret, name=name: itsdangerous_accepts(secret, name, held)


def reference_cookies() -> Iterator[tuple[str, Callable[[str], bool]]]:
    for secret, claims in random_identities(4):
        yield (
            encode_signed_cookie(NAME, json.loads(claims), secret, NOW),
            lambda held, s=secret: reference_accepts(s, held),
        )


FORMATS = {
    "tornado": tornado_cookies,
    "itsdangerous": itsdangerous_cookies,
    "itsdangerous-chunked": chunked_cookies,
    "reference": reference_cookies,
}


@pytest.mark.parametrize("cookies", FORMATS.values(), ids=FORMATS.keys())
def test_an_altered_signature_is_rejected_by_the_real_verifier(cookies: Callable) -> None:
    for held, accepts in cookies():
        genuine = signed_cookies.parse(held)
        altered = signed_cookies.parse(genuine.with_altered_signature().value)
        assert accepts(held), f"the genuine value does not verify: {held}"
        assert altered.signed == genuine.signed, f"more than the signature changed: {altered.value}"
        assert altered.signature != genuine.signature, f"the decoded signature did not change: {altered.value}"
        assert not accepts(altered.value), f"the altered value still verifies: {altered.value}"


def test_tornado_values_are_met_both_quoted_and_bare() -> None:
    """http.cookies quotes a Tornado value whose base64 has "/" or "=": both kinds were proved."""
    quoted = [held.startswith('"') for held, _ in tornado_cookies()]
    assert any(quoted) and not all(quoted)


def test_a_new_last_character_can_leave_an_itsdangerous_signature_unchanged() -> None:
    """Why the step changes the first character: 27 base64 characters carry 20 bytes, and decoding
    drops the last character's two low bits, so "0" and "1" there are the same signature."""
    ending_in_zero = [(held, accepts) for held, accepts in itsdangerous_cookies() if held.endswith("0")]
    assert ending_in_zero, "no sample signature ends in 0"
    for held, accepts in ending_in_zero:
        assert accepts(held[:-1] + "1")


@pytest.mark.parametrize("value", ["tampered", "chunks-2", "", '""', "a.b.c", "2|1:0|10:1796000000|15:x|4:YWJj|abc"])
def test_a_value_in_no_known_format_is_refused(value: str) -> None:
    with pytest.raises(signed_cookies.UnknownFormat, match="no known signed format"):
        signed_cookies.parse(value)
