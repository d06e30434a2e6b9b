"""Then: what a person, the browser and the identity provider can observe afterwards."""

from __future__ import annotations

import json
import re
import time
from urllib.parse import urljoin, urlsplit

from logoutspec.steps.actions import CALLBACK_PATH, TAB_NAMES
from logoutspec.steps.world import (
    COOKIES,
    IDENTITY_COOKIE,
    LOGOUT_PATH,
    World,
    came_back_to_callback,
    describe,
    logout_run,
    set_cookies_named,
    user_at,
)
from pytest_bdd import given, parsers, then

from logoutspec.contract import Hop

THIRTY_DAYS = 30 * 86400
CLOCK_TOLERANCE = 10.0  # seconds between our clock and the server's when it stamps a cookie


def assert_logged_in_as(user: dict, name: str) -> None:
    assert user.get("is_logged_in") is True, f"st.user is not logged in: {user}"
    assert user.get("name") == name, f"st.user's name is {user.get('name')!r}, not {name!r}: {user}"


@then(parsers.parse('the script run that called st.logout started with st.user logged in as "{name}"'))
def logout_run_started_logged_in(world: World, name: str) -> None:
    assert_logged_in_as(user_at(logout_run(world.tab()), "start"), name)


@then(parsers.parse("the script run that called st.logout ended with st.user {expected}"))
@then(parsers.parse("that script run ended with st.user {expected}"))
def logout_run_ended_with(world: World, expected: str) -> None:
    user = user_at(logout_run(world.tab()), "end")
    assert user == json.loads(expected), f"after st.logout, st.user is {user}, not {expected}"


@then(parsers.re(r'(?P<name>the tab|the second tab|the new tab) shows st.user logged in as "(?P<person>[^"]+)"$'))
def tab_shows_logged_in(world: World, name: str, person: str) -> None:
    assert_logged_in_as(user_at(world.tab(TAB_NAMES[name]).last_run, "end"), person)


@then(parsers.re(r"(?P<name>the tab|the second tab|the new tab) shows st.user (?P<expected>\{.*\})$"))
def tab_shows_user(world: World, name: str, expected: str) -> None:
    user = user_at(world.tab(TAB_NAMES[name]).last_run, "end")
    assert user == json.loads(expected), f"st.user is {user}, not {expected}"


@then("st.user has these values:")
def user_has_values(world: World, datatable: list[list[str]]) -> None:
    user = user_at(world.tab().last_run, "end")
    for key, value in datatable[1:]:
        assert key in user, f"st.user has no {key!r}: {user}"
        assert user[key] == json.loads(value), f"st.user[{key!r}] is {user[key]!r}, not {value}"


@then(parsers.parse("st.user's \"{key}\" is the identity provider's issuer"))
def user_claim_is_issuer(world: World, key: str) -> None:
    user = user_at(world.tab().last_run, "end")
    assert user.get(key) == world.target.idp.issuer, f"st.user[{key!r}] is {user.get(key)!r}"


@then(parsers.re(r"st.user has the claims (?P<keys>.+)$"))
def user_has_claims(world: World, keys: str) -> None:
    user = user_at(world.tab().last_run, "end")
    missing = [k for k in json.loads("[" + keys.replace(" and ", ", ") + "]") if k not in user]
    assert not missing, f"st.user lacks {missing}: {user}"


@then(parsers.parse('st.user.tokens has the identity provider\'s "{first}" and "{second}" tokens'))
def user_has_tokens(world: World, first: str, second: str) -> None:
    """The tokens expose_tokens names, each a non-empty string; the id token a JWT (three parts)."""
    tokens = user_at(world.tab().last_run, "end").get("tokens")
    assert isinstance(tokens, dict) and set(tokens) == {first, second}, f"st.user.tokens is {tokens!r}"
    assert all(isinstance(token, str) and token for token in tokens.values()), f"st.user.tokens is {tokens!r}"
    assert tokens.get("id", "a.b.c").count(".") == 2, f"the id token is not a JWT: {tokens['id']!r}"


@then("the identity token st.user shows has expired")
def identity_token_expired(world: World) -> None:
    """st.user's exp (the id_token's) is not later than now, by the clock the scenario runs on."""
    exp = user_at(world.tab().last_run, "end").get("exp")
    assert isinstance(exp, int | float), f"st.user has no numeric exp: {exp!r}"
    assert exp <= time.time(), f"the identity token expires in {exp - time.time():.0f} s: it has not expired"


def is_logout(url: str) -> bool:
    return urlsplit(url).path.endswith(LOGOUT_PATH)


@then(parsers.re(r"the logout response deletes the (?P<kind>identity|tokens) cookie with the path it was set with$"))
def logout_deletes_cookie(world: World, kind: str) -> None:
    history = set_cookies_named(world.browsers[0].navigations, COOKIES[kind])
    now = time.time()
    set_paths = {c.path for hop, c in history if not c.deletes(now) and LOGOUT_PATH not in hop.url}
    deleted_paths = {c.path for hop, c in history if c.deletes(now) and is_logout(hop.url)}
    assert set_paths, f"the {kind} cookie was never set"
    assert deleted_paths, f"the logout response sent no Set-Cookie deleting the {kind} cookie"
    assert set_paths <= deleted_paths, f"set with path {set_paths}, deleted with path {deleted_paths}"


@given(parsers.re(r"the browser holds the (?P<kind>identity|tokens) cookie$"))
@then(parsers.re(r"the browser holds (?P<which>no|the) (?P<kind>identity|tokens) cookie$"))
def browser_holds_cookie(world: World, kind: str, which: str = "the") -> None:
    held = [c for c in world.browsers[0].cookies() if c.name == COOKIES[kind]]
    if which == "no":
        assert not held, f"the browser still holds {held}"
    else:
        assert held, f"the browser holds no {kind} cookie"


@given("the browser holds the identity cookie in more than one chunk")
def identity_cookie_chunked(world: World) -> None:
    """Streamlit 1.53+ splits a cookie too large for one Set-Cookie: the identity cookie, and its
    chunks _streamlit_user_1, _2, ... (a scenario about chunks proves nothing without them)."""
    names = {c.name for c in world.browsers[0].cookies()}
    chunks = sorted(name for name in names if re.fullmatch(rf"{IDENTITY_COOKIE}_\d+", name))
    assert IDENTITY_COOKIE in names and chunks, f"the identity cookie is not split into chunks: {sorted(names)}"


@then(parsers.parse('the browser holds no cookie whose name starts with "{prefix}"'))
def browser_holds_no_cookie_named(world: World, prefix: str) -> None:
    held = sorted(c.name for c in world.browsers[0].cookies() if c.name.startswith(prefix))
    assert not held, f"the browser still holds {held}"


@then("the identity cookie is HttpOnly")
def identity_cookie_http_only(world: World) -> None:
    cookie = next(c for c in world.browsers[0].cookies() if c.name == IDENTITY_COOKIE)
    assert cookie.http_only, f"the identity cookie is not HttpOnly: {cookie}"


@then("the identity cookie expires 30 days after the login")
def identity_cookie_lasts_30_days(world: World) -> None:
    cookie = next(c for c in world.browsers[0].cookies() if c.name == IDENTITY_COOKIE)
    assert cookie.expires is not None, "the identity cookie is a session cookie: it has no expiry"
    earliest = world.login_started_at + THIRTY_DAYS - CLOCK_TOLERANCE
    latest = time.time() + THIRTY_DAYS + CLOCK_TOLERANCE
    lifetime = (cookie.expires - world.login_started_at) / 86400
    assert earliest <= cookie.expires <= latest, f"the identity cookie lasts {lifetime:.4f} days, not 30"


def hops_from_logout(world: World) -> list[Hop]:
    """The hops of the last navigation that requested the logout endpoint, from that request on."""
    for hops in reversed(world.browsers[0].navigations):
        for index, hop in enumerate(hops):
            if is_logout(hop.url):
                assert hop.is_redirect, f"the logout endpoint answered {hop.status}, not a redirect"
                return hops[index:]
    raise AssertionError("the browser never requested the logout endpoint")


@then("the browser was redirected straight from the logout endpoint to the app's home page")
def logout_redirects_home(world: World) -> None:
    hops = hops_from_logout(world)
    target = urljoin(hops[0].url, hops[0].location or "")
    assert target == world.app.base_url, f"the logout endpoint redirected to {target}"
    assert len(hops) == 2, f"the redirect went on: {[h.url for h in hops]}"


@then(
    "the browser went from the logout endpoint through the identity provider's end-session endpoint"
    " to the app's home page"
)
def logout_passes_through_idp(world: World) -> None:
    hops = hops_from_logout(world)
    urls = [h.url for h in hops]
    issuer = world.target.idp.issuer
    assert urljoin(hops[0].url, hops[0].location or "").startswith(issuer), f"the logout went to {urls[1:]}"
    assert urls[-1] == world.app.base_url, f"the logout did not end on the home page: {urls}"


@then(parsers.re(r"the identity provider received (?P<count>no|one) end-session requests?$"))
def end_session_requests(world: World, count: str) -> None:
    calls = [e for e in world.target.idp.events() if e.kind == "end_session"]
    expected = {"no": 0, "one": 1}[count]
    assert len(calls) == expected, f"the identity provider's end-session endpoint was called {len(calls)} times"


@then(
    parsers.parse(
        'it carried the client_id "{client_id}", an id_token_hint and the app\'s redirect_uri'
        " as post_logout_redirect_uri"
    )
)
def end_session_parameters(world: World, client_id: str) -> None:
    params = next(e.params for e in world.target.idp.events() if e.kind == "end_session")
    assert params.get("client_id") == client_id, f"client_id was {params.get('client_id')!r}"
    assert params.get("id_token_hint"), f"no id_token_hint: {params}"
    redirect_uri = f"{world.app.base_url}{CALLBACK_PATH}"
    assert params.get("post_logout_redirect_uri") == redirect_uri, f"post_logout_redirect_uri: {params}"


@then("the browser brought the identity provider's answer to the app's callback")
def answer_reached_callback(world: World) -> None:
    """The login started and its answer reached the app: whatever the app then did with it (the
    steps after this say), it was given the chance to refuse it. A login that never reached the
    identity provider, or an answer sent elsewhere, proves nothing about the app's checks."""
    came_back_to_callback(world.login_hops, world.target.idp.issuer, world.callback_url)


@then(parsers.re(r"""the tab is on the app's home page(?: "(?P<path>[^"]+)")?$"""))
def tab_on_home_page(world: World, path: str | None) -> None:
    url = world.tab().url
    assert url == world.app.base_url, f"the tab is on {url}, not the home page {world.app.base_url}"
    if path:
        assert urlsplit(url).path == path, f"the home page is {urlsplit(url).path}, not {path}"


@then("the browser ended up on the app's home page")
def navigation_ended_home(world: World) -> None:
    """The last navigation of the browser (a login, an address typed in) landed on the home page,
    answered 200; the message names every hop's status, so a failure records what the app answered."""
    hops = world.browsers[0].navigations[-1]
    last = hops[-1]
    answers = ", ".join(f"{hop.status} {urlsplit(hop.url).path}" for hop in hops)
    assert last.status == 200, f"the navigation ended on an error page: {answers}"
    assert last.url == world.app.base_url, f"the navigation ended on {last.url}, not the home page: {answers}"


@then(parsers.re(r"the tab runs in (?P<which>a new|the same) session$"))
def tab_session(world: World, which: str) -> None:
    now = world.tab().session_id
    if which == "a new":
        assert now != world.session_before, f"the tab still runs in session {now}"
    else:
        assert now == world.session_before, f"the session changed from {world.session_before} to {now}"


@then(parsers.re(r"Alice's session at the identity provider (?P<state>is still alive|has ended)$"))
def idp_session_state(world: World, state: str) -> None:
    alive = "alice" in world.target.idp.live_sessions()
    if state == "has ended":
        assert not alive, "Alice's session at the identity provider is still alive"
    else:
        assert alive, "Alice has no live session at the identity provider"


@then(parsers.re(r"the identity provider (?P<did>did not ask|asked) for her credentials again$"))
def idp_asked_again(world: World, did: str) -> None:
    prompts = [e for e in world.target.idp.events() if e.kind == "credentials_prompt"]
    if did == "asked":
        assert len(prompts) >= 2, f"the identity provider asked for credentials {len(prompts)} time(s)"
    else:
        assert len(prompts) == 1, f"the identity provider asked for credentials {len(prompts)} times, not once"


@then(parsers.re(r'the tab (?P<negated>does not show|shows) (?P<what>the button )?"(?P<text>[^"]+)"$'))
def tab_shows(world: World, negated: str, what: str | None, text: str) -> None:
    run = world.tab().last_run
    kinds = {"button"} if what else {"markdown"}
    shown = any(e.kind in kinds and e.text == text for e in run.elements)
    if negated == "shows":
        assert shown, f"the tab does not show {what or ''}{text!r}; it shows {describe(run)}"
    else:
        assert not shown, f"the tab shows {text!r}: {describe(run)}"


@then(parsers.re(r"the script run that called st.logout failed with '(?P<message>.+)'$"))
def logout_run_failed(world: World, message: str) -> None:
    run = logout_run(world.tab())
    errors = [e.text for e in run.elements if e.kind == "exception"]
    assert message in errors, f"the run that called st.logout showed errors {errors}, not {message!r}"


@then(parsers.re(r"the script run failed with a (?P<exc_type>\w+) saying '(?P<message>.+)'$"))
def run_failed_with(world: World, exc_type: str, message: str) -> None:
    """Compared as a reader sees it: the class's own name, and words regardless of line breaks
    (Streamlit's messages are triple-quoted source text, indentation included)."""
    run = world.tab().last_run
    errors = [(e.exc_type.rsplit(".", 1)[-1], " ".join(e.text.split())) for e in run.elements if e.kind == "exception"]
    assert (exc_type, message) in errors, f"the run showed {errors}, not {exc_type}: {message}"
