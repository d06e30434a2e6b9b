"""The url target: a deployment the harness did not start, given by the base URL of its app.

Someone else runs the app (behind their proxy, on their replicas, in their ASGI host); the suite
checks it over Streamlit's HTTP and websocket protocol like any served target. What it cannot do
without the harness is sign people in: the deployment must use the run's fixture identity
provider, so that the people of the features can log in, and so that the scenarios that read the
IdP's record or make it answer wrongly still apply. Hence the one design choice: the harness's IdP
listens on a fixed port of 127.0.0.1 (option idp_port), and `logoutspec deploy TARGET DIR` writes
what the deployer serves: the probe app and a .streamlit/secrets.toml whose redirect_uri is
<url>oauth2callback and whose provider is that IdP. The deployment therefore runs on this machine.

What only a target the harness starts can do is not applicable here, said per scenario: another
app, other secrets or another base path (serve() raises NotServed), and a controllable clock (no
`clock` capability).

Options (the table [targets.NAME.options]):
    url       the app's home page, e.g. "http://localhost:8600/proxied/" (ends with "/")
    idp_port  the port of 127.0.0.1 on which the run's fixture IdP listens (the secrets.toml names it)
"""

from __future__ import annotations

import argparse
import secrets
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from logoutspec.config import SYMBOLIC_VERSIONS, ConfigError, TargetConfig, load_config
from logoutspec.contract import AppSpec, NotServed, Person
from logoutspec.locations import config_in
from logoutspec.resources import SuiteResources
from logoutspec.targets.http_browser import HttpBrowser
from logoutspec.targets.streamlit.processes import SECRETS_FILE
from logoutspec.targets.streamlit.target import ServedTarget
from logoutspec.targets.streamlit.wire import wire_browser

KNOWN_OPTIONS = ("url", "idp_port")
DEPLOYED = AppSpec()  # the probe app with the default secrets.toml, at the URL's own path
APP_FILE = "probe.py"
IDP_HOST = "127.0.0.1"  # the fixture IdP's host, as it names itself in its issuer


class DeployedApp:
    """The one app of a deployment, reached over Streamlit's HTTP and websocket protocol."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def new_browser(self, person: Person | None = None) -> HttpBrowser:
        return wire_browser(self.base_url, person)


class UrlTarget(ServedTarget):
    """Adapter "url"; see the module docstring for its options. It starts nothing: the deployment is
    someone else's, the IdP on idp_port the harness's (no clock, so no `clock` capability)."""

    def __init__(self, *, name: str, version: str, options: Mapping[str, Any], resources: SuiteResources) -> None:
        self.url, self.idp_port = url_options(options)
        if version in SYMBOLIC_VERSIONS:
            raise ValueError(f"version {version!r}: name the Streamlit release the deployment runs")
        super().__init__(name=name, version=version, resources=resources)
        self.resources.idp_server(self.idp_port)  # the run's IdP, started now: a port in use stops the run here
        check_deployment(self.url)
        self.app = DeployedApp(self.url)

    @property
    def topology(self) -> str:
        return f"a deployment the harness did not start, at {self.url}; the fixture IdP on {IDP_HOST}:{self.idp_port}"

    def start_ahead(self, apps: Sequence[tuple[AppSpec, str | None]]) -> None:
        """Nothing to start ahead: the deployment runs already (its health route answered at set-up)."""

    def serve(self, spec: AppSpec, secrets_toml: str | None = None) -> DeployedApp:
        """The deployed app, if spec is what `logoutspec deploy` wrote; NotServed for anything else."""
        if spec != DEPLOYED or secrets_toml is not None:
            wanted = f"the {spec.app} app with the secrets.toml {spec.secrets!r}" + (
                f" under the base path {spec.base_path!r}" if spec.base_path else ""
            )
            raise NotServed(
                f"target {self.name} is a deployment the harness did not start ({self.url}), serving the probe "
                f"app with the default secrets.toml; the scenario needs {wanted}"
            )
        return self.app


def url_options(options: Mapping[str, Any]) -> tuple[str, int]:
    """(url, idp_port) from a url target's options; ValueError naming the option otherwise."""
    unknown = sorted(set(options) - set(KNOWN_OPTIONS))
    if unknown:
        raise ValueError(f"unknown option(s) {', '.join(unknown)}; known: {', '.join(KNOWN_OPTIONS)}")
    url = options.get("url")
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https") or not url.endswith("/"):
        raise ValueError(f"option url: {url!r} is not the app's home page as an http(s) URL ending with '/'")
    port = options.get("idp_port")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ValueError(f"option idp_port: {port!r} is not a port number (the fixture IdP's, on {IDP_HOST})")
    return url, port


def check_deployment(url: str) -> None:
    """The deployment answers its health route; ValueError saying what to start otherwise."""
    health = urljoin(url, "_stcore/health")
    try:
        status = requests.get(health, timeout=5).status_code
    except requests.RequestException as error:
        raise ValueError(f"{health} does not answer ({type(error).__name__}): start the deployment first") from None
    if status != 200:
        raise ValueError(f"{health} answers {status}, not 200: is the app deployed at {url}?")


def write_deployment(target: TargetConfig, resources: SuiteResources, directory: Path) -> list[Path]:
    """What a url target's deployer serves: the probe app and its .streamlit/secrets.toml (redirect_uri
    <url>oauth2callback, the fixture IdP on idp_port, a new cookie secret), in directory."""
    url, port = url_options(target.options)
    secrets_path = directory / SECRETS_FILE
    secrets_path.parent.mkdir(parents=True, exist_ok=True)
    template = resources.secrets_template(DEPLOYED.secrets)
    issuer = idp_issuer(port)
    secrets_path.write_text(
        resources.render_secrets(template, base_url=url, cookie_secret=secrets.token_urlsafe(32), issuer=issuer)
    )
    app_path = directory / APP_FILE
    shutil.copyfile(resources.app(DEPLOYED.app), app_path)
    return [app_path, secrets_path]


def idp_issuer(port: int) -> str:
    return f"http://{IDP_HOST}:{port}"


def main(argv: Sequence[str] | None = None, prog: str = "logoutspec deploy") -> int:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Write what a url target's deployment must serve: the probe app and its "
        ".streamlit/secrets.toml, naming the fixture IdP the run starts on the target's idp_port.",
    )
    parser.add_argument("target", help="a target of adapter url in the config")
    parser.add_argument("directory", type=Path, help="where to write probe.py and .streamlit/secrets.toml")
    parser.add_argument("--conformance-config", type=Path, help="default: ./conformance.toml, else the packaged")
    args = parser.parse_args(argv)
    path = args.conformance_config or config_in(Path.cwd())[0]
    try:
        config = load_config(path)
        target = config.target(args.target)
        if target is None or target.adapter != "url":
            raise ConfigError(path, f"targets.{args.target}", "no target of adapter url by that name")
        written = write_deployment(target, SuiteResources(config.fixtures, path.parent), args.directory)
    except ConfigError as error:
        parser.exit(2, f"{error}\n")
    except ValueError as error:
        parser.exit(2, f"{path}: targets.{args.target}.options: {error}\n")
    url, port = url_options(target.options)
    print(f"wrote {', '.join(str(p) for p in written)}")
    print(f"the identity provider: {idp_issuer(port)} (the run starts it; nothing may listen there)")
    print(
        f"serve {APP_FILE} from {args.directory} (Streamlit reads .streamlit/secrets.toml from its working "
        f"directory) so that {url} is its home page, e.g. `streamlit run {APP_FILE} --server.baseUrlPath "
        f"{urlsplit(url).path.strip('/')!r}` behind your proxy; then `logoutspec run --target {args.target}`"
    )
    return 0
