"""The public API for target adapters: everything an adapter may use, and nothing else.

An adapter is the code between the conformance suite and an implementation of st.login, st.user
and st.logout. It is named in conformance.toml as "package.module:Factory"; once the scenarios are
collected the harness calls

    Factory(name=str, version=str, options=dict, resources=SuiteResources) -> Target

and checks that the object has every member of Target (a missing one is a one-line error naming
the config file and key). Import from this module only: the rest of logoutspec may change, this
module changes only with a note in the README. docs/adapters.md walks through writing one.

What an adapter gets:
- the interface it implements and the values it returns: Target, App, Browser, Tab, AppSpec,
  ScriptRun, Element, Hop, SetCookie, Cookie, Person, IdpRecord, IdpEvent, NavigationError,
  NotServed (serve() raises it for an app it cannot serve: the scenario is not applicable),
  RecordsFailures (optional: keep a screenshot of a failed scenario), ShowsTopology (optional: what
  runs behind what, for the report), StartsAhead (optional: start the apps the collected scenarios
  will serve before they ask), CAPABILITIES;
- SuiteResources, the harness's side: the app scripts and secrets templates the features were
  written against, the people of the fixture IdP, the IdP itself (idp_server(): a real server on
  127.0.0.1; mocked_idp(): in process, for `responses`), render_secrets() (the secrets contract:
  a base URL ends with "/", redirect_uri is <base URL>oauth2callback) and reserve_port();
- HttpBrowser, a cookie-jar browser that follows redirects and fills the IdP's login form, for
  implementations reached over HTTP: the adapter gives it a Connector (how a page opens an app
  session, returning a Connection whose run() gives a ScriptRun);
- for implementations that speak Streamlit's own HTTP and websocket protocol: wire_browser() (an
  HttpBrowser whose app sessions are StreamlitConnections), AppServer (a server process in a
  private working directory with its secrets.toml, health polled, stopped with its process group),
  base_url_for() and provision() (a virtualenv with a given Streamlit release; its python).
  Such an implementation needs no Python at all: the built-in "command" adapter runs a command.
"""

from __future__ import annotations

from logoutspec.contract import (
    CAPABILITIES,
    App,
    AppSpec,
    Browser,
    Connection,
    Connector,
    Cookie,
    Element,
    Hop,
    IdpEvent,
    IdpRecord,
    NavigationError,
    NotServed,
    Person,
    RecordsFailures,
    ScriptRun,
    SetCookie,
    ShowsTopology,
    StartsAhead,
    Tab,
    Target,
)
from logoutspec.resources import IdpEndpoint, MockedIdp, SuiteResources
from logoutspec.targets.http_browser import HttpBrowser
from logoutspec.targets.streamlit.processes import AppServer, base_url_for
from logoutspec.targets.streamlit.provision import provision
from logoutspec.targets.streamlit.wire import StreamlitConnection, wire_browser

__all__ = [
    "CAPABILITIES",
    "App",
    "AppServer",
    "AppSpec",
    "Browser",
    "Connection",
    "Connector",
    "Cookie",
    "Element",
    "Hop",
    "HttpBrowser",
    "IdpEndpoint",
    "IdpEvent",
    "IdpRecord",
    "MockedIdp",
    "NavigationError",
    "NotServed",
    "Person",
    "RecordsFailures",
    "ScriptRun",
    "SetCookie",
    "ShowsTopology",
    "StartsAhead",
    "StreamlitConnection",
    "SuiteResources",
    "Tab",
    "Target",
    "base_url_for",
    "provision",
    "wire_browser",
]
