"""Given and When: setting up an app and doing what a person at a browser does."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, cast

import tomli
import tomli_w
from logoutspec.steps import signed_cookies
from logoutspec.steps.world import (
    CALLBACK_PATH,
    IDENTITY_COOKIE,
    World,
    came_back_to_callback,
    hops_since,
    without_query,
)
from pytest_bdd import given, parsers, when

from logoutspec.contract import AppSpec, Browser, NavigationError, SuiteData, Tab, Target

PERSON = "alice"  # the features speak of Alice, the fixture IdP's user "alice"
TAB_NAMES = {"": None, "the tab": None, "the first tab": "first", "the second tab": "second", "the new tab": "new"}


DEFAULT_SECRETS = parsers.re(r"the (?P<app>\w+) app with the default secrets\.toml$")
NAMED_SECRETS = parsers.parse('the {app} app with the secrets.toml "{secrets}"')
CHANGED_SECRETS = parsers.re(r"the (?P<app>\w+) app with the default secrets\.toml, changed so that (?P<change>.+)$")
BASE_PATH = parsers.parse('the probe app is served under the base path "{base_path}"')


@given(DEFAULT_SECRETS)
def app_with_default_secrets(world: World, app: str) -> None:
    world.spec = AppSpec(app=app)


@given(NAMED_SECRETS)
def app_with_secrets(world: World, app: str, secrets: str) -> None:
    world.spec = AppSpec(app=app, secrets=secrets)


@given(CHANGED_SECRETS)
def app_with_changed_secrets(world: World, app: str, change: str) -> None:
    world.spec = AppSpec(app=app, secrets=f"default, changed so that {change}")
    world.secrets_template = changed_secrets(world.fixtures.secrets_template("default"), change)


def changed_secrets(template: str, change: str) -> str:
    """The default secrets.toml with one change, as a feature's Examples table states it."""
    document: dict[str, Any] = tomli.loads(template)
    if change == "nothing changes":
        return template
    if change == "there is no [auth] section":
        document.pop("auth")
    elif change.endswith(" is missing"):
        *parents, key = change.removesuffix(" is missing").split(".")
        _table_at(document, parents).pop(key)
    elif " is " in change:
        dotted, _, value = change.partition(" is ")
        *parents, key = dotted.split(".")
        _table_at(document, parents)[key] = tomli.loads(f"v = {value}")["v"]
    else:
        raise ValueError(f"unknown secrets.toml change: {change!r}")
    return tomli_w.dumps(document)


def _table_at(document: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    for key in keys:
        document = document[key]
    return document


@given(BASE_PATH)
def served_under_base_path(world: World, base_path: str) -> None:
    world.spec = replace(world.spec, base_path=base_path)


# The Given steps that choose the app a scenario serves (they only set the World's spec and secrets).
APP_STEPS: tuple[tuple[parsers.StepParser, Callable[..., None]], ...] = (
    (DEFAULT_SECRETS, app_with_default_secrets),
    (NAMED_SECRETS, app_with_secrets),
    (CHANGED_SECRETS, app_with_changed_secrets),
    (BASE_PATH, served_under_base_path),
)


def pytest_logoutspec_app_of(given: list[str], fixtures: SuiteData) -> tuple[AppSpec, str | None]:
    """The app a scenario with these Given steps will serve (the harness has its server started
    ahead): the app-choosing steps applied, in order, to a World that serves nothing."""
    plan = World(target=cast(Target, None), fixtures=fixtures)
    for text in given:
        for parser, choose in APP_STEPS:
            if parser.is_matching(text):
                choose(plan, **(parser.parse_arguments(text) or {}))
    return plan.spec, plan.secrets_template


@given("Alice has opened the app without logging in")
def opened_without_login(world: World) -> None:
    world.tabs["first"] = world.open_browser(PERSON).open_tab()


@given(parsers.re(r"(?P<name>Alice|Carol) is logged in$"))
def logged_in(world: World, name: str) -> None:
    log_in(world, path="", person=name.lower())


@given(parsers.parse('Alice is logged in on the page "{path}"'))
def logged_in_on_page(world: World, path: str) -> None:
    log_in(world, path=path)


def log_in(world: World, path: str, person: str = PERSON) -> None:
    """Open the app in a new browser and log in with the default provider, as Alice unless another
    person is named; then the tab shows the page at path (logging in itself always ends on the home page)."""
    browser = world.open_browser(person)
    tab = browser.open_tab()
    world.login_started_at = time.time()
    click_and_log_in(world, browser, tab, "Log in")
    world.tabs["first"] = browser.open_tab(path) if path else tab


@given("Alice is logged in in another browser")
@when("Alice logs in in another browser")
def logged_in_in_other_browser(world: World) -> None:
    browser = world.open_browser(PERSON)
    world.tabs["other"] = browser.open_tab()
    click_and_log_in(world, browser, world.tabs["other"], "Log in")


def click_and_log_in(world: World, browser: Browser, tab: Tab, label: str) -> None:
    """Click a login button and prove that a login happened, not just that a page loaded: the
    browser went to the identity provider, which sent it back to the app's callback, from where it
    ended on the app's home page holding the identity cookie; and the app redeemed the provider's
    code (the provider's record has one more token request)."""
    navigations, tokens = len(browser.navigations), token_requests(world)
    tab.click(label)
    hops = hops_since(browser, navigations)
    came_back_to_callback(hops, world.target.idp.issuer, world.callback_url)
    home = world.app.base_url
    assert hops[-1].url == home, f"logging in ended on {hops[-1].url}, not on the app's home page {home}"
    assert token_requests(world) > tokens, "the app never redeemed the identity provider's code (no token request)"
    assert any(c.name == IDENTITY_COOKIE for c in browser.cookies()), "logging in left no identity cookie"


def token_requests(world: World) -> int:
    return sum(1 for event in world.target.idp.events() if event.kind == "token")


FAULTS = {
    "a state the app did not send": "state",
    "an id_token with another nonce": "nonce",
    "an id_token from another issuer": "issuer",
    "an id_token for another audience": "audience",
    "access_denied, as when she declines": "access_denied",
    "a code the token endpoint refuses": "token_error",
}


@given(parsers.parse("the identity provider answers logins with {answer}"))
def idp_misbehaves(world: World, answer: str) -> None:
    world.target.idp.misbehave(FAULTS[answer])


@given("the identity provider issues identity tokens that expire the second they are issued")
def idp_issues_expired_tokens(world: World) -> None:
    world.target.idp.misbehave("expired")


@given("the identity provider's metadata cannot be fetched")
def idp_metadata_fails(world: World) -> None:
    world.target.idp.misbehave("metadata")


@when("she restarts the browser")
def restarts_browser(world: World) -> None:
    world.browsers[0].restart()
    world.tabs.clear()


@when("she tries to log in")
def tries_to_log_in(world: World) -> None:
    """Click "Log in" where the identity provider answers wrongly. The app may show its refusal on
    its home page or as an error page at its callback (a NavigationError ending there); any other
    NavigationError means the answer never reached the app (the login never started, or went
    astray), which is the target's failure, not a refusal."""
    browser = world.browsers[0]
    navigations = len(browser.navigations)
    try:
        world.tab().click("Log in")
    except NavigationError:
        hops = hops_since(browser, navigations)
        if not hops or without_query(hops[-1].url) != world.callback_url:
            raise
    world.login_hops = hops_since(browser, navigations)


@given("Bob has started a login in his own browser and kept the link back to the app")
def bob_keeps_his_callback(world: World) -> None:
    """What an attacker does: log in as himself, but stop before his browser returns to the app."""
    tab = world.open_browser("bob").open_tab()
    world.kept_link = tab.click_and_stop_before("Log in", CALLBACK_PATH)


@when("Alice opens Bob's link")
def alice_opens_bobs_link(world: World) -> None:
    world.tabs["first"] = world.browsers[0].open_tab(world.kept_link)


@given("she has opened a second tab")
def opened_second_tab(world: World) -> None:
    world.tabs["second"] = world.browsers[0].open_tab()


@given(parsers.parse('she has clicked "{label}"'))
@when(parsers.re(r'she clicks "(?P<label>[^"]+)"(?: in (?P<where>the first tab|the first browser))?$'))
def clicks(world: World, label: str, where: str | None = None) -> None:
    tab = world.tab("first" if where else None)
    world.session_before = tab.session_id
    tab.click(label)


@when(parsers.parse('she clicks "{label}" and signs in at the identity provider'))
def clicks_and_signs_in(world: World, label: str) -> None:
    """Clicking a login button must take the browser through the identity provider and back."""
    click_and_log_in(world, world.browsers[0], world.tab(), label)


@when(parsers.re(r"she reruns (?:the app|(?P<name>the second tab))$"))
def reruns(world: World, name: str | None) -> None:
    tab = world.tab(TAB_NAMES[name or ""])
    world.session_before = tab.session_id
    tab.rerun()


@when(parsers.re(r"she reloads (?P<name>the tab|the second tab)$"))
def reloads(world: World, name: str) -> None:
    tab = world.tab(TAB_NAMES[name])
    world.session_before = tab.session_id
    tab.reload()


@when(parsers.re(r"she opens a new tab(?P<other> in the other browser)?$"))
def opens_new_tab(world: World, other: str | None) -> None:
    world.tabs["new"] = world.browsers[1 if other else 0].open_tab()
    world.current = "new"


@when(parsers.parse('she opens "{address}" in a new tab'))
def opens_address(world: World, address: str) -> None:
    """Type an address of the app into a new tab. Where it leads on the app (its home page, an error
    page) is for the scenario's Then steps to check, from the navigation the browser recorded; a
    navigation that ends off the app is the target's failure."""
    browser = world.browsers[0]
    navigations = len(browser.navigations)
    try:
        world.tabs["new"] = browser.open_tab(address)
    except NavigationError:
        hops = hops_since(browser, navigations)
        if not hops or not hops[-1].url.startswith(world.app.base_url):
            raise
    world.current = "new"


@given("she has closed the tab")
def closed_tab(world: World) -> None:
    tab = world.tab()
    world.session_before = tab.session_id
    tab.close()


@when(parsers.re(r"she opens a new tab that asks to resume (?:the session she logged out of|that session)$"))
def opens_tab_resuming(world: World) -> None:
    """A new tab of her browser whose connection asks for the session her tab ran in before her last
    step (the one she logged out of, or the one whose tab she closed), as a reconnect does."""
    world.tabs["new"] = world.browsers[0].open_tab(resume=world.session_before)
    world.current = "new"


@when("a new tab in another browser, where nobody is logged in, asks to resume her session")
def other_browser_resumes(world: World) -> None:
    """Someone who learned the id of her session presents it from a browser without her cookies."""
    world.tabs["new"] = world.open_browser(None).open_tab(resume=world.session_before)
    world.current = "new"


@when(parsers.re(r"(?P<days>\d+) days(?: and (?P<seconds>\d+) seconds?)? pass$"))
def time_passes(world: World, days: str, seconds: str | None) -> None:
    world.target.advance_clock(int(days) * 86400 + int(seconds or 0))


@when("the signature of the identity cookie in her browser is altered")
def alter_cookie_signature(world: World) -> None:
    """Change the identity cookie's signature so that it decodes to another one, for certain
    (signed_cookies explains how), and check that the browser now sends exactly that: the same
    signed text with a signature that differs after decoding. Under chunking the identity cookie
    is still one signed value (a "chunks-N" marker) and the chunks are signed apart, so altering
    its signature alone is enough for nothing to be accepted."""
    browser = world.browsers[0]
    genuine = signed_cookies.parse(identity_cookie_value(browser))
    browser.set_cookie_value(IDENTITY_COOKIE, genuine.with_altered_signature().value)
    sent = signed_cookies.parse(identity_cookie_value(browser))
    assert sent.signed == genuine.signed, f"altering the signature changed the signed text: {sent.value!r}"
    assert sent.signature != genuine.signature, f"the altered cookie decodes to the genuine signature: {sent.value!r}"


def identity_cookie_value(browser: Browser) -> str:
    values = [c.value for c in browser.cookies() if c.name == IDENTITY_COOKIE]
    assert len(values) == 1, f"the browser holds {len(values)} identity cookies, not one"
    return values[0]
