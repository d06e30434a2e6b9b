"""Authentication for the reference runtime: secrets, signed tokens and cookies, and an OIDC client.

Every security check is a module-level function named for what it checks, and is looked up by
name when it runs, so a deliberately broken variant of the reference can replace exactly one of
them (for instance ``check_issuer``) and leave everything else as it is.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from functools import cached_property
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import jwt
import requests
import tomli

IDENTITY_COOKIE = "_streamlit_user"
TOKENS_COOKIE = "_streamlit_user_tokens"  # from 1.53: the IdP's id_token and access_token
LOGIN_PATH = "auth/login"
LOGOUT_PATH = "auth/logout"
CALLBACK_PATH = "oauth2callback"
LOGIN_STATE_COOKIE = "_streamlit_login_state"

DAY_SECONDS = 86400
PROVIDER_TOKEN_SECONDS = 2 * 60
PENDING_LOGIN_SECONDS = 10 * 60
COOKIE_LIFETIME_SECONDS = 30 * DAY_SECONDS  # what the browser is told (Tornado's expires_days=30)
COOKIE_MAX_AGE_SECONDS = 31 * DAY_SECONDS  # what the server still accepts (Tornado's max_age_days=31)
MAX_COOKIE_BYTES = 4096  # the largest Set-Cookie a browser keeps: name, value and attributes

DEFAULT_SCOPE = "openid email profile"
DEFAULT_PROMPT = "select_account"
AUTHORIZE_EXTRAS = ("prompt", "login_hint", "response_mode")  # client_kwargs Authlib passes on
REQUIRED_PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")
HTTP_TIMEOUT_SECONDS = 10
ID_TOKEN_LEEWAY_SECONDS = 120  # Authlib's parse_id_token(leeway=120): how late an id_token may arrive
SECRETS_FILE = "`.streamlit/secrets.toml`"


class StreamlitAuthError(Exception):
    """A misconfiguration st.login reports to the app, named like Streamlit's own error."""


class LoginRejected(Exception):
    """The login could not be completed: the browser goes home without an identity cookie."""


# --- secrets.toml -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderSettings:
    """What one OIDC provider needs: its section of [auth] plus the shared redirect_uri."""

    name: str
    client_id: str
    client_secret: str
    server_metadata_url: str
    redirect_uri: str
    client_kwargs: Mapping[str, Any]


class AuthSecrets:
    """The app's secrets.toml, parsed on first use, as Streamlit reads it when auth needs it.

    A missing or malformed file counts as no secrets at all (Streamlit's load_if_toml_exists
    swallows the parse error), so st.user is then {} and st.login reports missing credentials.
    """

    def __init__(self, toml_text: str) -> None:
        self._toml_text = toml_text
        # Streamlit falls back to a random per-server secret (server.cookieSecret) when
        # [auth] has no cookie_secret: nothing signed elsewhere then verifies here.
        self._fallback_cookie_secret = secrets.token_hex(32)

    @cached_property
    def auth_section(self) -> Mapping[str, Any] | None:
        try:
            section = tomli.loads(self._toml_text).get("auth")
        except tomli.TOMLDecodeError:
            return None
        return section if isinstance(section, Mapping) else None

    @property
    def auth_configured(self) -> bool:
        """Whether st.user gains is_logged_in: only a non-empty [auth] counts, as in Streamlit."""
        return bool(self.auth_section)

    @property
    def cookie_secret(self) -> str:
        section = self.auth_section or {}
        return str(section.get("cookie_secret", self._fallback_cookie_secret))

    @property
    def expose_tokens(self) -> list[str]:
        """[auth] expose_tokens (1.53+): which of the IdP's tokens st.user.tokens shows, "id" and/or "access"."""
        exposed = (self.auth_section or {}).get("expose_tokens", [])
        return [exposed] if isinstance(exposed, str) else [str(kind) for kind in exposed]

    @property
    def redirect_origin(self) -> str | None:
        """scheme://host:port of redirect_uri: the only origin an identity cookie is valid for."""
        redirect_uri = (self.auth_section or {}).get("redirect_uri")
        return origin_of(str(redirect_uri)) if redirect_uri else None

    def provider_settings(self, provider: str) -> ProviderSettings:
        """Validate [auth] for provider exactly as Streamlit 1.50 does, with its messages."""
        auth = self.auth_section
        if auth is None:
            raise StreamlitAuthError(
                "To use authentication features you need to configure credentials for at least "
                f"one authentication provider in {SECRETS_FILE}."
            )
        for shared_key in ("redirect_uri", "cookie_secret"):
            if shared_key not in auth:
                raise StreamlitAuthError(
                    f'Authentication credentials in {SECRETS_FILE} are missing the "{shared_key}" '
                    "key. Please check your configuration."
                )
        check_provider_name(provider)
        section = provider_section(auth, provider)
        missing = [key for key in REQUIRED_PROVIDER_KEYS if key not in section]
        if missing:
            who = (
                "default authentication provider" if provider == "default" else f'authentication provider "{provider}"'
            )
            raise StreamlitAuthError(
                f"Authentication credentials in {SECRETS_FILE} for the {who} are missing the "
                f"following keys: {missing}. Please check your configuration."
            )
        return ProviderSettings(
            name=provider,
            client_id=str(section["client_id"]),
            client_secret=str(section["client_secret"]),
            server_metadata_url=str(section["server_metadata_url"]),
            redirect_uri=str(auth["redirect_uri"]),
            client_kwargs=dict(section.get("client_kwargs", {})),
        )


def check_provider_name(provider: str) -> None:
    """Streamlit refuses a provider name with an underscore (from 1.43, for "internal implementation details")."""
    if "_" in provider:
        raise StreamlitAuthError(
            f'Auth provider name "{provider}" contains an underscore. Please use a provider name without underscores.'
        )


def provider_section(auth: Mapping[str, Any], provider: str) -> Mapping[str, Any]:
    """The provider's own settings: [auth.NAME], or for "default" the truthy keys of [auth]."""
    section = auth.get(provider)
    if section is None and provider == "default":
        return {key: auth[key] for key in (*REQUIRED_PROVIDER_KEYS, "client_kwargs") if auth.get(key)}
    if section is None:
        raise StreamlitAuthError(
            f"Authentication credentials in {SECRETS_FILE} are missing for the authentication "
            f'provider "{provider}". Please check your configuration.'
        )
    if not isinstance(section, Mapping):
        raise StreamlitAuthError(
            f"Authentication credentials in {SECRETS_FILE} for the authentication provider "
            f'"{provider}" must be valid TOML. Please check your configuration.'
        )
    return section


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# --- the provider token: st.login's short-lived, signed pointer to a provider ------------------


def encode_provider_token(provider: str, secret: str, now: float) -> str:
    """An HS256 JWT {provider, exp} keyed by cookie_secret, valid for two minutes."""
    with warnings.catch_warnings():
        # Streamlit signs with the configured cookie_secret whatever its length.
        warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
        return jwt.encode({"provider": provider, "exp": int(now) + PROVIDER_TOKEN_SECONDS}, secret)


def decode_provider_token(token: str, secret: str, now: float) -> str | None:
    """The provider named by a genuine, unexpired token; None for anything else."""
    payload = provider_token_payload(token, secret)
    if payload is None or provider_token_expired(payload, now):
        return None
    provider = payload.get("provider")
    return provider if isinstance(provider, str) else None


def provider_token_payload(token: str, secret: str) -> dict[str, Any] | None:
    """The token's claims if its HS256 signature verifies with the cookie secret."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
            payload = json.loads(jwt.PyJWS().decode(token, secret, algorithms=["HS256"]))
    except (jwt.PyJWTError, ValueError):
        return None
    return payload if isinstance(payload, dict) else None


def provider_token_expired(payload: Mapping[str, Any], now: float) -> bool:
    exp = payload.get("exp")
    return not isinstance(exp, int | float) or exp <= now


# --- the identity cookie, and from 1.53 the tokens cookie -------------------------------------


def encode_identity_cookie(identity: Mapping[str, Any], secret: str, now: float) -> str:
    """The identity cookie's value: a function of its own, so that a mutation sees every one issued."""
    return encode_signed_cookie(IDENTITY_COOKIE, identity, secret, now)


def encode_signed_cookie(name: str, payload: Mapping[str, Any], secret: str, now: float) -> str:
    """base64url(JSON).timestamp.HMAC: signed so it cannot be forged, not encrypted (like Tornado)."""
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    timestamp = str(int(now))
    return f"{body}.{timestamp}.{cookie_mac(secret, name, body, timestamp)}"


def cookie_mac(secret: str, name: str, body: str, timestamp: str) -> str:
    """HMAC-SHA256 over the cookie's name, body and timestamp (a value can't move to another name)."""
    message = f"{name}|{body}|{timestamp}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def cookie_header(name: str, value: str, now: float) -> str:
    """The Set-Cookie Tornado's set_signed_cookie sends: expires in 30 days, HttpOnly, Path=/, no SameSite."""
    expires = formatdate(now + COOKIE_LIFETIME_SECONDS, usegmt=True)
    return f"{name}={value}; expires={expires}; HttpOnly; Path=/"


def cookie_headers(name: str, value: str, secret: str, now: float) -> list[str]:
    """The Set-Cookie headers of a signed value, split as Streamlit 1.53 splits one too large for a
    browser to keep: the cookie `name` then holds a signed chunk count, NAME_1 to NAME_N the value's
    pieces (each piece unsigned; the value they join into is signed as a whole)."""
    whole = cookie_header(name, value, now)
    if len(whole) <= MAX_COOKIE_BYTES:
        return [whole]
    room = MAX_COOKIE_BYTES - len(cookie_header(f"{name}_99", "", now))
    pieces = [value[start : start + room] for start in range(0, len(value), room)]
    count = encode_signed_cookie(name, {"chunks": len(pieces)}, secret, now)
    chunks = [cookie_header(f"{name}_{number}", piece, now) for number, piece in enumerate(pieces, 1)]
    return [cookie_header(name, count, now), *chunks]


def joined_cookie(name: str, cookies: Mapping[str, str], secret: str, now: float) -> str:
    """The signed value of the cookie `name`: the cookie itself, or the chunks its signed count names, joined."""
    value = cookies.get(name, "")
    count = (decode_signed_cookie(name, value, secret, now) or {}).get("chunks")
    if not isinstance(count, int):
        return value
    return "".join(cookies.get(f"{name}_{number}", "") for number in range(1, count + 1))


def chunk_names(name: str, cookies: Mapping[str, str]) -> list[str]:
    """Every chunk of the cookie `name` the browser sent (NAME_1, NAME_2, ...), whatever its count says."""
    return [cookie for cookie in cookies if re.fullmatch(rf"{re.escape(name)}_\d+", cookie)]


def cookie_deletion_header(name: str, now: float) -> str:
    """Tornado's clear_cookie: an empty value that expired a year ago, same name and path."""
    return f'{name}=""; expires={formatdate(now - 365 * DAY_SECONDS, usegmt=True)}; Path=/'


def user_info_from_cookie(value: str, origin_header: str | None, secret: str, now: float) -> dict[str, Any]:
    """st.user for a new session: the cookie's claims, or {} if any check fails (silently)."""
    identity = decode_signed_cookie(IDENTITY_COOKIE, value, secret, now)
    if identity is None or not cookie_origin_matches(identity, origin_header):
        return {}
    claims = {key: val for key, val in identity.items() if key not in ("origin", "is_logged_in")}
    return {"is_logged_in": identity.get("is_logged_in", False), **claims}


def exposed_tokens(tokens: Mapping[str, Any], expose: list[str]) -> dict[str, str]:
    """st.user.tokens: the tokens cookie's <kind>_token for every kind expose_tokens names."""
    return {kind: str(tokens[f"{kind}_token"]) for kind in expose if f"{kind}_token" in tokens}


def decode_signed_cookie(name: str, value: str, secret: str, now: float) -> dict[str, Any] | None:
    """The payload of a cookie this server signed under this name, unless forged or too old."""
    body, _, rest = value.partition(".")
    timestamp, _, mac = rest.partition(".")
    if not cookie_signature_valid(secret, name, body, timestamp, mac) or not cookie_fresh(timestamp, now):
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def cookie_signature_valid(secret: str, name: str, body: str, timestamp: str, mac: str) -> bool:
    return hmac.compare_digest(cookie_mac(secret, name, body, timestamp), mac)


def cookie_fresh(timestamp: str, now: float) -> bool:
    """Tornado's get_signed_cookie ignores signatures older than 31 days."""
    return timestamp.isdigit() and int(timestamp) >= now - COOKIE_MAX_AGE_SECONDS


def cookie_origin_matches(identity: Mapping[str, Any], origin_header: str | None) -> bool:
    """The cookie is honoured only on the origin of redirect_uri it was issued for."""
    return origin_header is not None and identity.get("origin") == origin_of(origin_header)


# --- pending logins: what /auth/login remembers for /oauth2callback ---------------------------


@dataclass(frozen=True)
class PendingLogin:
    provider: str
    nonce: str
    code_verifier: str | None
    created_at: float


@dataclass
class PendingLogins:
    """Server-side OAuth state, keyed by the state parameter; each entry is usable once."""

    by_state: dict[str, PendingLogin] = field(default_factory=dict)

    def remember(self, pending: PendingLogin) -> str:
        self.by_state = {
            state: old for state, old in self.by_state.items() if not pending_login_expired(old, pending.created_at)
        }
        state = secrets.token_urlsafe(32)
        self.by_state[state] = pending
        return state

    def claim(self, state: str | None, now: float) -> PendingLogin | None:
        """Take the login for state out of the store: a replayed or stale state finds nothing."""
        pending = self.by_state.pop(state, None) if state else None
        if pending is None or pending_login_expired(pending, now):
            return None
        return pending


def pending_login_expired(pending: PendingLogin, now: float) -> bool:
    return now - pending.created_at > PENDING_LOGIN_SECONDS


def login_state_cookie_header(state: str) -> str:
    """Binds a login to the browser that started it: the callback must bring this state back in
    the browser's own cookie, not only in its URL, or a callback URL taken from another browser's
    login would log this browser in (login CSRF). A session cookie: it lives for one login."""
    return f"{LOGIN_STATE_COOKIE}={state}; HttpOnly; Path=/; SameSite=Lax"


def state_belongs_to_browser(state: str | None, cookies: Mapping[str, str]) -> bool:
    """Whether the callback's state is the one this browser's login started."""
    started = cookies.get(LOGIN_STATE_COOKIE)
    return bool(state and started) and hmac.compare_digest(str(state), str(started))


# --- the OIDC client ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CompletedLogin:
    """A login the IdP confirmed: the verified id_token claims, and the tokens as the IdP sent them."""

    claims: dict[str, Any]
    tokens: dict[str, str]  # id_token and, where sent, access_token: what the tokens cookie keeps


class OidcClient:
    """The server-side OpenID Connect client (authorization code flow, client_secret_basic, PKCE).

    Like Streamlit, which builds a new Authlib client per request, it reads the discovery
    document afresh for every login, every callback and (from 1.53) every logout.
    """

    def __init__(self, http: requests.Session) -> None:
        self.http = http

    def authorization_url(self, settings: ProviderSettings, logins: PendingLogins, now: float) -> str:
        """Where /auth/login sends the browser; remembers state, nonce and PKCE verifier."""
        with rejecting_failures():
            metadata = self._get_json(settings.server_metadata_url)
            endpoint = str(metadata["authorization_endpoint"])
        verifier = secrets.token_urlsafe(48) if idp_supports_s256(metadata) else None
        nonce = secrets.token_urlsafe(16)
        state = logins.remember(PendingLogin(settings.name, nonce, verifier, now))
        kwargs = settings.client_kwargs
        params = {
            "response_type": "code",
            "client_id": settings.client_id,
            "redirect_uri": settings.redirect_uri,
            "scope": kwargs.get("scope", DEFAULT_SCOPE),
            "state": state,
            "nonce": nonce,
            "prompt": kwargs.get("prompt", DEFAULT_PROMPT),
            **{key: kwargs[key] for key in AUTHORIZE_EXTRAS if key in kwargs},
        }
        if verifier is not None:
            params |= {"code_challenge": s256_challenge(verifier), "code_challenge_method": "S256"}
        return with_query(endpoint, params)

    def complete_login(
        self, settings: ProviderSettings, pending: PendingLogin, code: str, now: float
    ) -> CompletedLogin:
        """Exchange the code and verify the id_token, or raise LoginRejected."""
        with rejecting_failures():
            metadata = self._get_json(settings.server_metadata_url)
            tokens = self._exchange_code(metadata["token_endpoint"], settings, pending, code)
            jwks = self._get_json(metadata["jwks_uri"])
            claims = verify_id_token(
                tokens["id_token"], jwks, metadata["issuer"], settings.client_id, pending.nonce, now
            )
            return CompletedLogin(claims, tokens)

    def end_session_url(self, settings: ProviderSettings, id_token: str | None) -> str | None:
        """Where logging out of the IdP too sends the browser (Streamlit 1.53+), or None for a local logout.

        None when the metadata names no end_session_endpoint, cannot be read, or when redirect_uri
        is not the /oauth2callback that answers the IdP's return: Streamlit logs out locally then.
        """
        if not settings.redirect_uri.endswith(f"/{CALLBACK_PATH}"):
            return None
        try:
            endpoint = end_session_endpoint(self._get_json(settings.server_metadata_url))
        except (requests.RequestException, ValueError, AttributeError):  # unreachable, not JSON, not an object
            return None
        if endpoint is None:
            return None
        # The IdP returns to redirect_uri, not to the home page: IdPs accept only registered URIs.
        params = {"client_id": settings.client_id, "post_logout_redirect_uri": settings.redirect_uri}
        if id_token:
            params["id_token_hint"] = id_token
        return with_query(endpoint, params)

    def _exchange_code(
        self, token_endpoint: str, settings: ProviderSettings, pending: PendingLogin, code: str
    ) -> dict[str, str]:
        """The token response's id_token and, where the IdP sent one, access_token."""
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": settings.redirect_uri}
        if pending.code_verifier is not None:
            form["code_verifier"] = pending.code_verifier
        response = self.http.post(
            token_endpoint,
            data=form,
            auth=(quote(settings.client_id), quote(settings.client_secret)),  # client_secret_basic
            headers={"Accept": "application/json"},
            timeout=HTTP_TIMEOUT_SECONDS,
        )
        response.raise_for_status()
        answer = response.json()
        return {key: str(answer[key]) for key in ("id_token", "access_token") if key in answer}

    def _get_json(self, url: str) -> dict[str, Any]:
        response = self.http.get(url, timeout=HTTP_TIMEOUT_SECONDS)
        response.raise_for_status()
        return response.json()


@contextmanager
def rejecting_failures() -> Iterator[None]:
    """Turn an unreachable IdP or a malformed answer into LoginRejected (naming only its type)."""
    try:
        yield
    except (requests.RequestException, KeyError, TypeError, ValueError, jwt.PyJWTError) as exc:
        raise LoginRejected(type(exc).__name__) from None


def end_session_endpoint(metadata: Mapping[str, Any]) -> str | None:
    """The IdP's RP-initiated logout endpoint, if its metadata publishes one."""
    endpoint = metadata.get("end_session_endpoint")
    return str(endpoint) if endpoint else None


def with_query(url: str, params: Mapping[str, str]) -> str:
    """url with params appended to whatever query it already has."""
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


def idp_supports_s256(metadata: Mapping[str, Any]) -> bool:
    """Streamlit uses PKCE only when the IdP advertises S256."""
    return "S256" in metadata.get("code_challenge_methods_supported", [])


def s256_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


# --- id_token verification: one function per check ---------------------------------------------


def verify_id_token(
    id_token: str, jwks: Mapping[str, Any], issuer: str, client_id: str, nonce: str, now: float
) -> dict[str, Any]:
    claims = verify_signature(id_token, jwks)
    check_issuer(claims, issuer)
    check_audience(claims, client_id)
    check_nonce(claims, nonce)
    check_expiry(claims, now)
    return claims


def verify_signature(id_token: str, jwks: Mapping[str, Any]) -> dict[str, Any]:
    """The token's claims if its RS256 signature verifies with the IdP key its header names."""
    kid = jwt.get_unverified_header(id_token).get("kid")
    keys = [key for key in jwks.get("keys", []) if kid is None or key.get("kid") == kid]
    if not keys:
        raise LoginRejected("no signing key")
    signing_key = jwt.PyJWK(keys[0], algorithm="RS256")
    claims = json.loads(jwt.PyJWS().decode(id_token, signing_key, algorithms=["RS256"]))
    if not isinstance(claims, dict):
        raise LoginRejected("claims are not an object")
    return claims


def check_issuer(claims: Mapping[str, Any], issuer: str) -> None:
    """iss must equal the discovery document's issuer exactly."""
    if claims.get("iss") != issuer:
        raise LoginRejected("issuer mismatch")


def check_audience(claims: Mapping[str, Any], client_id: str) -> None:
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if client_id not in audiences:
        raise LoginRejected("audience mismatch")


def check_nonce(claims: Mapping[str, Any], nonce: str) -> None:
    """The nonce binds the id_token to the login this server started."""
    if claims.get("nonce") != nonce:
        raise LoginRejected("nonce mismatch")


def check_expiry(claims: Mapping[str, Any], now: float) -> None:
    """At the login only, and with Authlib's leeway: after it Streamlit never looks at exp again
    ("Streamlit does not implicitly check these", the st.user docs), so neither does st.user."""
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp < now - ID_TOKEN_LEEWAY_SECONDS:
        raise LoginRejected("id_token expired")


def callback_reports_error(query: Mapping[str, str]) -> bool:
    """The IdP sent error=... instead of a code (the user declined, or the IdP failed)."""
    return bool(query.get("error"))
