"""Deliberately broken variants of the reference implementation: the suite's negative controls.

A conformance suite is only as good as the implementations it rejects. Each mutation here breaks
exactly one documented promise, the way a real implementation could get it wrong, by replacing
attributes of reference_impl's modules (functions, constants or methods) while it is applied.
reference_impl looks every such unit up by name when it runs (server.ROUTES, `auth.<name>`), so a
replacement takes effect at once and is undone as cleanly. A mutation is selected per target in a
config (`options = { mutation = "NAME" }`, see mutations.toml) and applied only while that
target's scenarios run; `python -m logoutspec.mutants` checks that the suite catches every one.

Each mutation names the Rule of features/ whose promise it breaks and the Streamlit version of the
reference it breaks (a Rule holds for a range of versions); its docstring says how a real
implementation could get that wrong.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from typing import Any
from unittest import mock
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests

from . import auth, server
from .runtime import AppSession, ScriptRun, ScriptRunner, StreamlitAPIException
from .server import DEFAULT_VERSION, IDP_LOGOUT_VERSION, ReferenceServer, Request, Response

ID_TOKEN_RULE = "st.login accepts only the identity token of the login it started"
LOGIN_RETURN_RULE = "After signing in at the identity provider, the user returns to the app's home page"
LOGOUT_HOME_RULE = "st.logout redirects the browser to the app's home page"
IDP_LOGOUT_RULE = "st.logout logs the user out of the identity provider when it publishes an end_session_endpoint"
IDP_LOGOUT_ROUTE_RULE = (
    "st.logout sends the browser through the identity provider's logout, then to the app's home page"
)
TOKENS_COOKIE_RULE = "st.logout deletes the tokens cookie along with the identity cookie"
FAILED_LOGIN_RULE = "A login that does not complete ends on the app's home page, logged out"
LOCAL_LOGOUT_RULE = "When the identity provider's logout is not available, st.logout logs out of the app alone"
USER_TOKENS_RULE = "st.logout empties st.user.tokens along with the rest of st.user"
CALLBACK_LOGOUT_RULE = "st.logout as a button's on_click callback logs out as it does in the script"
TOKEN_EXPIRY_RULE = "Streamlit does not check the identity token's expiry once the user is logged in"
LOGGED_OUT_SESSION_RULE = "A session st.logout ran in cannot be resumed"
RESUME_IDENTITY_RULE = "A session is resumed only for the identity it has"
MULTIPAGE_LOGOUT_RULE = "Logging out on another page of a multipage app ends on the app's home page"
CHUNKS_RULE = "st.logout deletes every chunk of the identity cookie"


@dataclass(frozen=True)
class Patch:
    """Replace owner.attribute with replacement while a mutation is applied."""

    owner: object
    attribute: str
    replacement: object


Build = Callable[[], list[Patch]]  # makes the patches of one mutation


@dataclass(frozen=True)
class Mutation:
    """A named way to break the reference: build() makes its patches, afresh for every scenario
    (so any state a replacement keeps never leaks from one scenario into the next)."""

    name: str
    rule: str
    version: str  # the Streamlit version the reference is when this mutation breaks it
    build: Build

    @property
    def summary(self) -> str:
        """The first line of the docstring: what breaks (the rest says how a real implementation gets there)."""
        return (self.build.__doc__ or "").strip().splitlines()[0]


MUTATIONS: dict[str, Mutation] = {}


def mutation(name: str, rule: str, version: str = DEFAULT_VERSION) -> Callable[[Build], Build]:
    """Register the decorated patch builder as the mutation `name`, breaking `rule` of the reference at `version`."""

    def register(build: Build) -> Build:
        MUTATIONS[name] = Mutation(name, rule, version, build)
        return build

    return register


def mutant_targets() -> dict[str, dict[str, Any]]:
    """One target of adapter "reference" per registered mutation, named mutant-NAME, as tables of
    a conformance config: mutations.toml makes its mutants with this (suite.targets_from)."""
    return {
        f"mutant-{m.name}": {
            "adapter": "reference",
            "version": m.version,
            "description": m.summary,
            "options": {"mutation": m.name},
        }
        for m in MUTATIONS.values()
    }


@contextmanager
def applied(name: str) -> Iterator[None]:
    """The reference with mutation `name` in force, restored on exit."""
    with ExitStack() as stack:
        for patch in MUTATIONS[name].build():
            stack.enter_context(mock.patch.object(patch.owner, patch.attribute, patch.replacement))
        yield


# --- building blocks ----------------------------------------------------------------------------


def wrapping(owner: object, attribute: str, wrapper: Callable[..., Any]) -> Patch:
    """Replace owner.attribute with wrapper(original, *args): for a method, args start with self."""
    original = getattr(owner, attribute)

    def replacement(*args: Any) -> Any:
        return wrapper(original, *args)

    return Patch(owner, attribute, replacement)


def endpoint(route: str, change: Callable[[ReferenceServer, Request, Response], Response]) -> Patch:
    """The endpoint answered by ReferenceServer.<route> (see server.ROUTES) answering what `change`
    makes of the reference's own answer."""

    def answer(original: Callable[..., Response], app: ReferenceServer, request: Request) -> Response:
        return change(app, request, original(app, request))

    return wrapping(ReferenceServer, route, answer)


def logout_endpoint(change: Callable[[ReferenceServer, Request, Response], Response]) -> Patch:
    """/auth/logout answering what `change` makes of the reference's own answer."""
    return endpoint("_logout", change)


def redirecting_to(
    location: Callable[[str, Request], str],
) -> Callable[[ReferenceServer, Request, Response], Response]:
    """A change of a response's Location: location(the reference's location, the request)."""

    def change(_server: ReferenceServer, request: Request, response: Response) -> Response:
        status, headers, body = response
        return status, [(k, location(v, request) if k == "Location" else v) for k, v in headers], body

    return change


def keeping_cookie(name: str) -> Callable[[ReferenceServer, Request, Response], Response]:
    """A change of a response that drops its Set-Cookie for the cookie `name`: the browser keeps it."""

    def change(_server: ReferenceServer, _request: Request, response: Response) -> Response:
        status, headers, body = response
        return status, [(k, v) for k, v in headers if not (k == "Set-Cookie" and v.startswith(f"{name}="))], body

    return change


def idp_logout_returning_to(where: Callable[[str], str]) -> list[Patch]:
    """The IdP's logout told to return to where(redirect_uri) instead of to redirect_uri itself."""

    def returning(original: Callable[..., str | None], *args: Any) -> str | None:
        url = original(*args)
        if url is None:
            return None
        endpoint, _, query = url.partition("?")
        params = dict(parse_qsl(query))
        params["post_logout_redirect_uri"] = where(params["post_logout_redirect_uri"])
        return f"{endpoint}?{urlencode(params)}"

    return [wrapping(auth.OidcClient, "end_session_url", returning)]


def st_logout_then(after: Callable[[ScriptRunner], None]) -> Patch:
    """st.logout doing what the reference does, then `after`."""
    return st_command_then("logout", after)


def st_command_then(command: str, after: Callable[[ScriptRunner], None]) -> Patch:
    """st.<command> (login or logout) doing what the reference does, then `after`."""

    def then(original: Callable[..., None], runner: ScriptRunner, *args: Any) -> None:
        original(runner, *args)
        after(runner)

    return wrapping(ScriptRunner, command, then)


def host_page(path: str) -> Patch:
    """The origin also answers `path` with a page that is not the app (unless it is the app's own
    home page): the JSON page of a host the app is mounted in, as a FastAPI app around st.App has."""

    def answer(original: Callable[..., Response], app: ReferenceServer, request: requests.PreparedRequest) -> Response:
        if path != app.base_path and urlsplit(request.url or "").path == path:
            return 200, [("Content-Type", "application/json")], '{"service": "host", "status": "ok"}'
        return original(app, request)

    return wrapping(ReferenceServer, "handle", answer)


def auth_redirect_from_origin_root(runner: ScriptRunner) -> None:
    """The URL st.login or st.logout asks the browser to go to, taken from the origin's root instead of
    from the app's base path."""
    base_path = runner.session.base_path
    if runner.auth_redirect and runner.auth_redirect.startswith(base_path):
        runner.auth_redirect = "/" + runner.auth_redirect.removeprefix(base_path)


def skipped_check(name: str) -> list[Patch]:
    """An id_token check of auth that is never made."""
    return [Patch(auth, name, lambda *_args: None)]


# --- st.logout ----------------------------------------------------------------------------------


@mutation("user-kept-after-logout", rule="st.logout removes the user's information from st.user")
def user_kept_after_logout() -> list[Patch]:
    """st.user keeps its claims after st.logout, until the next session starts.

    As when st.logout only sends the browser to /auth/logout and leaves st.user to the new session.
    """

    def keep_user(original: Callable[[ScriptRunner], None], runner: ScriptRunner) -> None:
        kept = dict(runner.session.user_info)
        original(runner)
        runner.session.user_info.update(kept)

    return [wrapping(ScriptRunner, "logout", keep_user)]


@mutation("cookie-kept", rule="st.logout deletes the identity cookie")
def cookie_kept() -> list[Patch]:
    """/auth/logout redirects home but keeps the identity cookie.

    As when logging out is taken to mean forgetting st.user on the server only.
    """

    return [logout_endpoint(keeping_cookie(auth.IDENTITY_COOKIE))]


@mutation("cookie-deleted-on-other-path", rule="st.logout deletes the identity cookie")
def cookie_deleted_on_other_path() -> list[Patch]:
    """The identity cookie is deleted with Path=/auth, so the one set with Path=/ stays.

    As when the logout handler clears the cookie without a path and the browser defaults to the
    folder of the logout URL.
    """

    def on_logout_folder(original: Callable[..., str], *args: Any) -> str:
        return original(*args).replace("Path=/", "Path=/auth")

    return [wrapping(auth, "cookie_deletion_header", on_logout_folder)]


@mutation("logout-redirects-to-current-page", rule=LOGOUT_HOME_RULE)
def logout_redirects_to_current_page() -> list[Patch]:
    """Logging out returns to the page st.logout was called on, not to the app's home page.

    As when st.logout passes the page along (?next=) to be "returned to where the user was".
    """

    def ask_to_return(runner: ScriptRunner) -> None:
        runner.auth_redirect = f"{runner.auth_redirect}?{urlencode({'next': runner.session.page_url})}"

    return [
        st_logout_then(ask_to_return),
        logout_endpoint(redirecting_to(lambda home, request: request.query.get("next", home))),
    ]


@mutation("logout-redirects-to-server-root", rule=LOGOUT_HOME_RULE)
def logout_redirects_to_server_root() -> list[Patch]:
    """Logging out redirects to "/" whatever the app's base path.

    As when the logout handler ignores server.baseUrlPath.
    """
    return [logout_endpoint(redirecting_to(lambda _home, _request: "/"))]


@mutation("logout-keeps-session", rule="Logging out creates a new session")
def logout_keeps_session() -> list[Patch]:
    """The page reconnects to the session it logged out of instead of starting a new one.

    As when the frontend resumes its old session after the logout redirect, as it does after a
    dropped websocket: the same session id, its st.user already cleared.
    """
    resumable: list[AppSession] = []

    def resuming(original: Callable[..., AppSession], app: ReferenceServer, *args: Any) -> AppSession:
        if not resumable:
            return original(app, *args)
        session = resumable.pop()
        session.closed = False
        return session

    return [
        st_logout_then(lambda runner: resumable.append(runner.session)),
        wrapping(ReferenceServer, "connect", resuming),
    ]


@mutation("logout-clears-every-session", rule="Other sessions of the same browser keep their st.user")
def logout_clears_every_session() -> list[Patch]:
    """st.logout in one tab logs out every session of the browser.

    As when the server keeps one st.user per identity cookie (a cache keyed by the cookie), shared
    by every session that read it.
    """
    by_cookie: dict[str, dict[str, Any]] = {}

    def shared(original: Callable[..., dict[str, Any]], value: str, *args: Any) -> dict[str, Any]:
        user_info = original(value, *args)
        return by_cookie.setdefault(value, user_info) if user_info else user_info

    return [wrapping(auth, "user_info_from_cookie", shared)]


@mutation("logout-revokes-every-browser", rule="Other sessions of the same browser keep their st.user")
def logout_revokes_every_browser() -> list[Patch]:
    """st.logout logs the user out in every browser, not only in this one.

    As when the server remembers the identity cookies it issued to each user and revokes them all
    on logout ("sign out everywhere").
    """
    issued: dict[str, set[str]] = {}
    revoked: set[str] = set()

    def remembering(original: Callable[..., str], identity: dict[str, Any], *args: Any) -> str:
        value = original(identity, *args)
        issued.setdefault(identity.get("sub", ""), set()).add(value)
        return value

    def revoking(original: Callable[[ScriptRunner], None], runner: ScriptRunner) -> None:
        revoked.update(issued.pop(runner.session.user_info.get("sub", ""), set()))
        original(runner)

    def rejecting(original: Callable[..., dict[str, Any]], value: str, *args: Any) -> dict[str, Any]:
        return {} if value in revoked else original(value, *args)

    return [
        wrapping(auth, "encode_identity_cookie", remembering),
        wrapping(ScriptRunner, "logout", revoking),
        wrapping(auth, "user_info_from_cookie", rejecting),
    ]


@mutation("logout-ends-idp-session", rule="st.logout does not log the user out of the identity provider")
def logout_ends_idp_session() -> list[Patch]:
    """st.logout also calls the identity provider's end-session endpoint, ending the user's session there.

    As when the server keeps each user's id_token and hands it to the end_session_endpoint on
    logout (RP-initiated logout, which Streamlit does from 1.53 on, through the browser).
    """
    id_tokens: dict[str, tuple[str, str]] = {}  # sub -> (the id_token, its issuer)

    def remembering(original: Callable[..., dict[str, Any]], id_token: str, *args: Any) -> dict[str, Any]:
        claims = original(id_token, *args)
        id_tokens[claims["sub"]] = (id_token, claims["iss"])
        return claims

    def ending_idp_session(original: Callable[[ScriptRunner], None], runner: ScriptRunner) -> None:
        login = id_tokens.pop(runner.session.user_info.get("sub", ""), None)
        original(runner)
        if login is not None:
            end_idp_session(*login)

    return [
        wrapping(auth, "verify_id_token", remembering),
        wrapping(ScriptRunner, "logout", ending_idp_session),
    ]


def end_idp_session(id_token: str, issuer: str) -> None:
    """RP-initiated logout from the server: the discovery document names the endpoint."""
    discovery = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=auth.HTTP_TIMEOUT_SECONDS)
    endpoint = discovery.json()["end_session_endpoint"]
    requests.get(endpoint, params={"id_token_hint": id_token}, timeout=auth.HTTP_TIMEOUT_SECONDS)


@mutation("logout-requires-login", rule="Logging out when nobody is logged in is harmless")
def logout_requires_login() -> list[Patch]:
    """st.logout raises an error when nobody is logged in.

    As when an implementation checks that there is a user to log out.
    """

    def refuse_without_user(original: Callable[[ScriptRunner], None], runner: ScriptRunner) -> None:
        if not runner.session.user_info:
            raise StreamlitAPIException("st.logout() needs a logged-in user")
        original(runner)

    return [wrapping(ScriptRunner, "logout", refuse_without_user)]


# --- st.logout from 1.53: the identity provider's logout and the tokens cookie ------------------


@mutation("logout-skips-idp-logout", rule=IDP_LOGOUT_RULE, version=IDP_LOGOUT_VERSION)
def logout_skips_idp_logout() -> list[Patch]:
    """/auth/logout goes straight home: the identity provider's end_session_endpoint is never used.

    As when 1.53's tokens cookie is added but the logout handler stays as it was in 1.52.
    """
    return [Patch(auth.OidcClient, "end_session_url", lambda *_args: None)]


@mutation("idp-logout-without-id-token-hint", rule=IDP_LOGOUT_RULE, version=IDP_LOGOUT_VERSION)
def idp_logout_without_id_token_hint() -> list[Patch]:
    """The end-session request carries no id_token_hint, so the IdP cannot tell whose session to end.

    As when the logout handler does not read the id_token back from the tokens cookie.
    """

    def without_hint(
        original: Callable[..., str | None], client: auth.OidcClient, settings: auth.ProviderSettings, _id_token: Any
    ) -> str | None:
        return original(client, settings, None)

    return [wrapping(auth.OidcClient, "end_session_url", without_hint)]


@mutation("idp-logout-returns-home-directly", rule=IDP_LOGOUT_RULE, version=IDP_LOGOUT_VERSION)
def idp_logout_returns_home_directly() -> list[Patch]:
    """The end-session request asks the IdP to return to the app's home page, not to redirect_uri.

    As when "returning to your app's home page" is read as the post_logout_redirect_uri to send
    (an IdP accepts only the redirect URIs registered for the client).
    """
    return idp_logout_returning_to(lambda redirect_uri: redirect_uri.removesuffix(auth.CALLBACK_PATH))


@mutation("idp-logout-even-without-end-session", rule=IDP_LOGOUT_RULE, version=IDP_LOGOUT_VERSION)
def idp_logout_even_without_end_session() -> list[Patch]:
    """Without an end_session_endpoint in the metadata, /auth/logout guesses <issuer>/logout.

    As when the endpoint is taken to be where many identity providers have it instead of read from
    the metadata, so a provider without OIDC logout is sent a request it never offered.
    """

    def guessed(metadata: dict[str, Any]) -> str:
        return metadata.get("end_session_endpoint") or f"{metadata['issuer']}/logout"

    return [Patch(auth, "end_session_endpoint", guessed)]


@mutation("idp-logout-returns-to-server-root", rule=IDP_LOGOUT_ROUTE_RULE, version=IDP_LOGOUT_VERSION)
def idp_logout_returns_to_server_root() -> list[Patch]:
    """The IdP is asked to return to /oauth2callback at the server's root, whatever the app's base path.

    As when post_logout_redirect_uri is built from the request's host instead of taken from
    redirect_uri, losing server.baseUrlPath.
    """
    return idp_logout_returning_to(lambda redirect_uri: f"{auth.origin_of(redirect_uri)}/{auth.CALLBACK_PATH}")


@mutation("idp-logout-return-rejected", rule=IDP_LOGOUT_ROUTE_RULE, version=IDP_LOGOUT_VERSION)
def idp_logout_return_rejected() -> list[Patch]:
    """The IdP's return from its logout, a callback without state, ends on an error page, not at home.

    As when the callback insists on the OAuth state of a login, which a return from logout never has.
    """

    def requiring_state(original: Callable[..., Response], app: ReferenceServer, request: Request) -> Response:
        if "state" not in request.query:
            return 400, [("Content-Type", "text/plain")], "Missing OAuth state"
        return original(app, request)

    return [wrapping(ReferenceServer, "_oauth_callback", requiring_state)]


@mutation("tokens-cookie-kept", rule=TOKENS_COOKIE_RULE, version=IDP_LOGOUT_VERSION)
def tokens_cookie_kept() -> list[Patch]:
    """/auth/logout deletes the identity cookie but keeps the tokens cookie.

    As when the tokens cookie is added to the login but not to the logout's list of cookies to clear.
    """
    return [logout_endpoint(keeping_cookie(auth.TOKENS_COOKIE))]


# --- the identity cookie ------------------------------------------------------------------------


@mutation("cookie-lasts-1-day", rule="st.login stores the identity in a cookie that expires after 30 days")
def cookie_lasts_1_day() -> list[Patch]:
    """The identity cookie expires after 1 day instead of 30.

    As when a lifetime in days is passed where seconds are meant.
    """
    return [Patch(auth, "COOKIE_LIFETIME_SECONDS", auth.DAY_SECONDS)]


@mutation("cookie-outlives-30-days", rule="st.login stores the identity in a cookie that expires after 30 days")
def cookie_outlives_30_days() -> list[Patch]:
    """The identity cookie expires after 31 days instead of 30.

    As when the browser is told the server's own limit (Tornado's max_age_days=31).
    """
    return [Patch(auth, "COOKIE_LIFETIME_SECONDS", auth.COOKIE_MAX_AGE_SECONDS)]


@mutation("cookie-not-httponly", rule="st.login stores the identity in a cookie that expires after 30 days")
def cookie_not_httponly() -> list[Patch]:
    """The identity cookie is not HttpOnly, so scripts in the page can read it.

    As when the cookie is set without httponly=True.
    """

    def readable_by_scripts(original: Callable[..., str], *args: Any) -> str:
        return original(*args).replace("; HttpOnly", "")

    return [wrapping(auth, "cookie_header", readable_by_scripts)]


@mutation("tampered-cookie-accepted", rule="The identity cookie is signed with cookie_secret")
def tampered_cookie_accepted() -> list[Patch]:
    """An identity cookie whose signature does not verify is accepted.

    As when the cookie is decoded without verifying its signature.
    """
    return [Patch(auth, "cookie_signature_valid", lambda *_args: True)]


# --- st.login and st.user -----------------------------------------------------------------------


@mutation("protocol-claims-dropped", rule="st.user carries the identity token's claims")
def protocol_claims_dropped() -> list[Patch]:
    """st.user lacks the token's protocol claims (iss, aud, iat, exp, nonce).

    As when only the claims describing the person are copied to st.user.
    """
    protocol = {"iss", "aud", "iat", "exp", "nonce"}

    def person_only(original: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
        return {key: value for key, value in original(*args).items() if key not in protocol}

    return [wrapping(auth, "user_info_from_cookie", person_only)]


@mutation(
    "named-provider-uses-default-client",
    rule='A named provider is configured in [auth.NAME] and chosen with st.login("NAME")',
)
def named_provider_uses_default_client() -> list[Patch]:
    """st.login("acme") checks [auth.acme] but logs in with the [auth] client.

    As when the provider's name is lost between validating the settings and using them.
    """

    def default_client(
        original: Callable[..., auth.ProviderSettings], secrets: auth.AuthSecrets, provider: str
    ) -> auth.ProviderSettings:
        original(secrets, provider)  # the named provider is still validated, with the same messages
        return original(secrets, "default")

    return [wrapping(auth.AuthSecrets, "provider_settings", default_client)]


@mutation("validation-message-reworded", rule="st.login() requires the shared settings and the provider's settings")
def validation_message_reworded() -> list[Patch]:
    """st.login() names missing keys as "client_id", not as Streamlit's "['client_id']".

    As when the list of missing keys is joined instead of printed.
    """

    def reworded(original: Callable[..., auth.ProviderSettings], *args: Any) -> auth.ProviderSettings:
        try:
            return original(*args)
        except auth.StreamlitAuthError as error:
            message = re.sub(r"\[([^\]]*)\]", lambda keys: keys.group(1).replace("'", ""), str(error))
            raise auth.StreamlitAuthError(message) from None

    return [wrapping(auth.AuthSecrets, "provider_settings", reworded)]


@mutation("underscore-provider-accepted", rule="A provider name must not contain an underscore")
def underscore_provider_accepted() -> list[Patch]:
    """st.login("my_provider") does not refuse the underscore, and fails later as an unknown provider.

    As in Streamlit 1.42, before the name was checked.
    """
    return [Patch(auth, "check_provider_name", lambda _provider: None)]


# --- the login callback ------------------------------------------------------------------------


@mutation("state-not-checked", rule=ID_TOKEN_RULE)
def state_not_checked() -> list[Patch]:
    """The callback's OAuth state is not checked at all: it completes the latest pending login.

    As when the server keeps "the" pending login instead of one per state.
    """

    def latest_login(
        original: Callable[..., auth.PendingLogin | None], logins: auth.PendingLogins, _state: str | None, now: float
    ) -> auth.PendingLogin | None:
        return original(logins, next(reversed(logins.by_state), None), now)

    return [wrapping(auth.PendingLogins, "claim", latest_login), *state_not_bound_to_browser()]


@mutation("state-not-bound-to-browser", rule=ID_TOKEN_RULE)
def state_not_bound_to_browser() -> list[Patch]:
    """A callback URL taken from another browser's login logs this browser in (login CSRF).

    The state is looked up server-wide, not compared with the one in the browser's own cookie,
    as Streamlit 1.42 to 1.57 do, keeping OAuth state in a process-wide cache.
    """
    return [Patch(auth, "state_belongs_to_browser", lambda *_args: True)]


@mutation("nonce-not-checked", rule=ID_TOKEN_RULE)
def nonce_not_checked() -> list[Patch]:
    """The id_token's nonce is not compared with the login's, so another login's token is accepted."""
    return skipped_check("check_nonce")


@mutation("issuer-not-checked", rule=ID_TOKEN_RULE)
def issuer_not_checked() -> list[Patch]:
    """The id_token's issuer (iss) is not compared with the discovery document's."""
    return skipped_check("check_issuer")


@mutation("audience-not-checked", rule=ID_TOKEN_RULE)
def audience_not_checked() -> list[Patch]:
    """The id_token's audience (aud) is not compared with client_id, so another app's token is accepted."""
    return skipped_check("check_audience")


# --- where st.login and st.logout send the browser, and where it comes back ---------------------


@mutation("callback-lands-off-app", rule=LOGIN_RETURN_RULE)
def callback_lands_off_app() -> list[Patch]:
    """The login callback sends the browser to /welcome, a page of the same origin that is not the app.

    As when an app mounted in a web framework lets the host's own "logged in" route take the
    browser after the callback: it answers 200 with the host's page, and the app never starts.
    """
    return [endpoint("_oauth_callback", redirecting_to(lambda _home, _request: "/welcome")), host_page("/welcome")]


@mutation("login-never-starts", rule=LOGIN_RETURN_RULE)
def login_never_starts() -> list[Patch]:
    """/auth/login answers 404, so st.login leads nowhere and the identity provider is never asked.

    As in an app mounted where its auth routes are not served: nobody can log in, and a scenario
    that only checks that nobody got logged in must not take that for the app refusing a login.
    """
    return [
        Patch(ReferenceServer, "_login", lambda _app, _request: (404, [("Content-Type", "text/plain")], "Not Found"))
    ]


@mutation("login-url-outside-base-path", rule=LOGIN_RETURN_RULE)
def login_url_outside_base_path() -> list[Patch]:
    """st.login sends the browser to /auth/login at the origin's root, outside the app's base path.

    As when st.App is mounted under a path of a host app (FastAPI's mount) that Streamlit does not
    know of: the login URL it builds misses the mount's path, and the host answers 404.
    """
    return [st_command_then("login", auth_redirect_from_origin_root)]


@mutation("logout-url-outside-base-path", rule=LOGOUT_HOME_RULE)
def logout_url_outside_base_path() -> list[Patch]:
    """st.logout sends the browser to /auth/logout at the origin's root, outside the app's base path.

    As with st.login's URL in an app mounted under a path Streamlit does not know of: the host
    answers 404, the identity cookie stays and the browser never gets home.
    """
    return [st_command_then("logout", auth_redirect_from_origin_root)]


@mutation("auth-routes-redirect-to-origin-root", rule=LOGIN_RETURN_RULE)
def auth_routes_redirect_to_origin_root() -> list[Patch]:
    """The callback and /auth/logout redirect to the origin's root "/", not to the app's base URL.

    As when the auth routes of an app mounted under a path redirect to "/" (the ASGI root_path of
    the mount unused): under a base path the browser ends on the host's own page, not on the app.
    """
    to_root = redirecting_to(lambda _home, _request: "/")
    return [endpoint("_oauth_callback", to_root), endpoint("_logout", to_root), host_page("/")]


@mutation("login-error-shown-as-error-page", rule=FAILED_LOGIN_RULE)
def login_error_shown_as_error_page() -> list[Patch]:
    """The identity provider's error answer (error=access_denied) ends on an error page, not at home.

    As when the callback reports the provider's error to the browser instead of sending it home.
    """

    def error_page(original: Callable[..., Response], app: ReferenceServer, request: Request) -> Response:
        if auth.callback_reports_error(request.query):
            return 400, [("Content-Type", "text/plain")], f"Login failed: {request.query['error']}"
        return original(app, request)

    return [wrapping(ReferenceServer, "_oauth_callback", error_page)]


@mutation("failed-token-exchange-crashes", rule=FAILED_LOGIN_RULE)
def failed_token_exchange_crashes() -> list[Patch]:
    """A code exchange the identity provider refuses ends on a 500 error page, not at home.

    As when the token endpoint's error is left to propagate out of the callback handler.
    """

    def crashing(original: Callable[..., Response], app: ReferenceServer, request: Request) -> Response:
        try:
            return original(app, request)
        except requests.HTTPError as error:
            return 500, [("Content-Type", "text/plain")], f"500: Internal Server Error ({error})"

    return [Patch(auth, "rejecting_failures", passing_failures), wrapping(ReferenceServer, "_oauth_callback", crashing)]


@contextmanager
def passing_failures() -> Iterator[None]:
    """In place of auth.rejecting_failures: an IdP's failure is not turned into a rejected login."""
    yield


@mutation("bare-callback-rejected", rule=FAILED_LOGIN_RULE)
def bare_callback_rejected() -> list[Patch]:
    """The login's return address opened without parameters answers 400, not the home page.

    As in Streamlit before 1.53, whose callback reads the state as a required argument.
    """

    def requiring_state(original: Callable[..., Response], app: ReferenceServer, request: Request) -> Response:
        if not request.query:
            return 400, [("Content-Type", "text/plain")], "HTTP 400: Bad Request (Missing argument state)"
        return original(app, request)

    return [wrapping(ReferenceServer, "_oauth_callback", requiring_state)]


@mutation("bad-provider-token-rejected", rule=FAILED_LOGIN_RULE)
def bad_provider_token_rejected() -> list[Patch]:
    """/auth/login with a provider token that does not verify answers 400, not the home page.

    As when a bad token is reported as an error instead of ending the login where it started.
    """

    def refusing(original: Callable[..., Response], app: ReferenceServer, request: Request) -> Response:
        token = request.query.get("provider", "")
        if auth.decode_provider_token(token, app.secrets.cookie_secret, time.time()) is None:
            return 400, [("Content-Type", "text/plain")], "Bad provider token"
        return original(app, request)

    return [wrapping(ReferenceServer, "_login", refusing)]


@mutation("expired-identity-logged-out", rule=TOKEN_EXPIRY_RULE)
def expired_identity_logged_out() -> list[Patch]:
    """A new session ignores an identity cookie whose id_token has expired: the user is logged out.

    As when the server checks the token's exp each time it reads the identity cookie.
    """

    def unexpired_only(original: Callable[..., dict[str, Any]], value: str, *args: Any) -> dict[str, Any]:
        user_info = original(value, *args)
        exp = user_info.get("exp")
        return {} if isinstance(exp, int | float) and exp <= time.time() else user_info

    return [wrapping(auth, "user_info_from_cookie", unexpired_only)]


@mutation("id-token-expiry-without-leeway", rule=TOKEN_EXPIRY_RULE)
def id_token_expiry_without_leeway() -> list[Patch]:
    """The login refuses an id_token the second it expires, without Authlib's two minutes of leeway.

    As when the id_token is checked with a JWT library's defaults instead of Authlib's parse_id_token.
    """
    return [Patch(auth, "ID_TOKEN_LEEWAY_SECONDS", 0)]


@mutation("logout-fails-without-idp-metadata", rule=LOCAL_LOGOUT_RULE, version=IDP_LOGOUT_VERSION)
def logout_fails_without_idp_metadata() -> list[Patch]:
    """/auth/logout answers 500, deleting nothing, when the identity provider's metadata cannot be fetched.

    As when the metadata is loaded for the IdP's logout without catching the provider's failure.
    """

    def fetching_first(
        original: Callable[..., str | None], client: auth.OidcClient, settings: auth.ProviderSettings, *args: Any
    ) -> str | None:
        client._get_json(settings.server_metadata_url)  # raises requests.HTTPError when the IdP fails
        return original(client, settings, *args)

    def crashing(original: Callable[..., Response], app: ReferenceServer, request: Request) -> Response:
        try:
            return original(app, request)
        except requests.HTTPError as error:
            return 500, [("Content-Type", "text/plain")], f"500: Internal Server Error ({error})"

    return [
        wrapping(auth.OidcClient, "end_session_url", fetching_first),
        wrapping(ReferenceServer, "_logout", crashing),
    ]


@mutation("local-logout-keeps-cookies", rule=LOCAL_LOGOUT_RULE, version=IDP_LOGOUT_VERSION)
def local_logout_keeps_cookies() -> list[Patch]:
    """Without the identity provider's logout, /auth/logout goes home but deletes no cookie.

    As when the cookies are deleted only on the way to the provider's end_session_endpoint.
    """

    def keeping_when_local(_server: ReferenceServer, _request: Request, response: Response) -> Response:
        status, headers, body = response
        location = dict(headers).get("Location", "")
        if location.startswith("/"):  # home, not the identity provider
            headers = [(k, v) for k, v in headers if k != "Set-Cookie"]
        return status, headers, body

    return [logout_endpoint(keeping_when_local)]


@mutation("identity-cookie-session-only", rule="Closing the browser does not log the user out")
def identity_cookie_session_only() -> list[Patch]:
    """The identity cookie is set without an expiry: a session cookie, gone when the browser quits.

    As in Streamlit 1.57, whose Starlette server set it without Max-Age.
    """

    def without_expiry(original: Callable[..., str], *args: Any) -> str:
        return re.sub(r"; expires=[^;]*", "", original(*args))

    return [wrapping(auth, "cookie_header", without_expiry)]


@mutation("tokens-kept-after-logout", rule=USER_TOKENS_RULE, version=IDP_LOGOUT_VERSION)
def tokens_kept_after_logout() -> list[Patch]:
    """st.logout clears st.user's claims but leaves st.user.tokens as it was.

    As when the exposed tokens are kept apart from the user's claims, and logout clears only those.
    """

    def keep_tokens(original: Callable[[ScriptRunner], None], runner: ScriptRunner) -> None:
        tokens = runner.session.user_info.get("tokens")
        original(runner)
        if tokens is not None:
            runner.session.user_info["tokens"] = tokens

    return [wrapping(ScriptRunner, "logout", keep_tokens)]


@mutation("logout-callback-not-redirected", rule=CALLBACK_LOGOUT_RULE)
def logout_callback_not_redirected() -> list[Patch]:
    """st.logout in an on_click callback clears st.user but never sends the browser to /auth/logout.

    As when what a callback asks of the browser is dropped, the script run it belongs to not having
    started yet: the identity cookie stays, and the next session is logged in again.
    """

    def without_redirect(original: Callable[[ScriptRunner], ScriptRun], runner: ScriptRunner) -> ScriptRun:
        from_callback = runner.trigger is not None and runner.trigger in runner.session.callbacks
        run = original(runner)
        to_logout = (run.auth_redirect or "").split("?")[0].endswith(auth.LOGOUT_PATH)
        return replace(run, auth_redirect=None) if from_callback and to_logout else run

    return [wrapping(ScriptRunner, "execute", without_redirect)]


@mutation("logged-out-session-resumable", rule=LOGGED_OUT_SESSION_RULE)
def logged_out_session_resumable() -> list[Patch]:
    """A connection that names the session st.logout ran in gets it back, when it has no identity cookie.

    As in Streamlit 1.61 to 1.66, which resume a session for the identity it has and nothing else:
    st.logout empties that identity, so a connection without the cookie matches it.
    """
    return [Patch(server, "session_resumable", lambda session, user_info: session.user_info == user_info)]


@mutation("session-resumed-for-anyone", rule=RESUME_IDENTITY_RULE)
def session_resumed_for_anyone() -> list[Patch]:
    """A connection that names a session gets it back, with its st.user, whatever identity cookie it has.

    As in Streamlit before 1.61, which took a session's id as the right to resume it.
    """
    return [Patch(server, "session_resumable", lambda session, _user_info: not session.logged_out)]


@mutation("logout-returns-to-its-page", rule=MULTIPAGE_LOGOUT_RULE)
def logout_returns_to_its_page() -> list[Patch]:
    """Logging out on a page of a multipage app other than the home page ends on that page.

    As when st.logout keeps the user on the page it was called on, its URL path kept (the query
    dropped), which a single-page app never shows.
    """

    def ask_to_return(runner: ScriptRunner) -> None:
        page = runner.session.page_path
        if page:
            runner.auth_redirect = f"{runner.auth_redirect}?{urlencode({'next': runner.session.base_path + page})}"

    return [
        st_logout_then(ask_to_return),
        logout_endpoint(redirecting_to(lambda home, request: request.query.get("next", home))),
    ]


@mutation("cookie-chunks-kept", rule=CHUNKS_RULE, version=IDP_LOGOUT_VERSION)
def cookie_chunks_kept() -> list[Patch]:
    """/auth/logout deletes the identity and tokens cookies but none of their chunks.

    As when cookies are split into chunks at the login and the logout is left deleting the cookies
    it always deleted.
    """
    return [Patch(ReferenceServer, "_chunks_to_delete", lambda _server, _cookies: [])]


@mutation("cookie-chunks-deleted-by-count", rule=CHUNKS_RULE, version=IDP_LOGOUT_VERSION)
def cookie_chunks_deleted_by_count() -> list[Patch]:
    """/auth/logout deletes only as many chunks as the cookie's signed count says: none when it does not verify.

    As in Streamlit 1.53 to 1.56 (Tornado), whose logout reads the count through the signed cookie.
    """

    def by_count(server: ReferenceServer, cookies: dict[str, str]) -> list[str]:
        secret, now = server.secrets.cookie_secret, time.time()
        counted = []
        for name in server.behaviour.auth_cookies:
            count = (auth.decode_signed_cookie(name, cookies.get(name, ""), secret, now) or {}).get("chunks", 0)
            counted += [f"{name}_{number}" for number in range(1, int(count) + 1)]
        return counted

    return [Patch(ReferenceServer, "_chunks_to_delete", by_count)]
