"""The url target: a deployment the harness did not start, checked given only its URL.

The end-to-end test deploys as a third party does: `logoutspec deploy` writes the probe app and its
secrets.toml, the test itself (not the suite run) starts Streamlit 1.50.0 on them behind its own
nginx under /proxied/, and the suite, run in a process of its own, is given only the URL. A few
scenarios stand for the rest (the whole suite on this topology is the streamlit-proxy target's job
in CI): a login and a logout through nginx, one that reads the IdP's record, one that makes the IdP
answer wrongly, and three that need what only a target the harness starts has.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_faults import private_fixtures, processes_mentioning, run_with, write_config

from logoutspec.cli import main as logoutspec
from logoutspec.resources import SuiteResources, reserve_port
from logoutspec.targets.streamlit.processes import StreamlitServer
from logoutspec.targets.streamlit.provision import provision
from logoutspec.targets.streamlit.topologies import NginxServer, Topology
from logoutspec.targets.url import UrlTarget

SCENARIOS = {  # test name (-k) -> the outcome on a deployment of Streamlit 1.50.0
    "logging_in_goes_through_the_identity_provider_and_ends": "passed",
    "the_logout_response_deletes_the_identity_cookie_with_the_name": "passed",
    "no_request_reaches_the_identity_providers": "passed",
    "a_login_the_identity_provider_refuses_ends_on_the_home_page": "passed",  # the IdP's faults (2 examples)
    "under_a_base_path_logging_in_ends_on_the_apps_own_home_page": "skipped",  # another base path
    "the_on_click_callback_deletes_the_cookie": "skipped",  # another app
    "a_tab_opened_29_days_after_the_login": "skipped",  # a clock
}
DEPLOYED = "a deployment the harness did not start, at "  # how the report describes the topology


def url_config(tmp_path: Path, url: str, idp_port: int) -> Path:
    return write_config(tmp_path, f'adapter = "url"\noptions = {{ url = "{url}", idp_port = {idp_port} }}')


def test_deploy_writes_the_probe_app_and_secrets_naming_the_url_and_the_idp(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    private_fixtures(tmp_path)
    config = url_config(tmp_path, "http://localhost:8600/proxied/", 9400)
    assert logoutspec(["deploy", "x", str(tmp_path / "out"), "--conformance-config", str(config)]) == 0
    secrets_toml = (tmp_path / "out" / ".streamlit" / "secrets.toml").read_text()
    assert 'redirect_uri = "http://localhost:8600/proxied/oauth2callback"' in secrets_toml
    assert 'server_metadata_url = "http://127.0.0.1:9400/.well-known/openid-configuration"' in secrets_toml
    assert '"${' not in secrets_toml  # every value filled in
    assert (tmp_path / "out" / "probe.py").read_text() == (tmp_path / "fixtures" / "apps" / "probe.py").read_text()
    assert "the identity provider: http://127.0.0.1:9400" in capsys.readouterr().out


def test_deploy_of_a_target_that_is_not_a_url_target_is_one_line(tmp_path: Path) -> None:
    private_fixtures(tmp_path)
    config = write_config(tmp_path, 'adapter = "reference"')
    with pytest.raises(SystemExit) as exit_info:
        logoutspec(["deploy", "x", str(tmp_path / "out"), "--conformance-config", str(config)])
    assert exit_info.value.code == 2
    assert not (tmp_path / "out").exists()


def test_a_url_that_does_not_answer_stops_the_target_at_set_up() -> None:
    url = f"http://localhost:{reserve_port()}/app/"
    options = {"url": url, "idp_port": reserve_port()}
    refused = pytest.raises(ValueError, match=f"^{url}_stcore/health does not answer")
    with SuiteResources.default() as resources, refused:
        UrlTarget(name="x", version="1.50.0", options=options, resources=resources)


@pytest.mark.streamlit
def test_the_suite_checks_a_proxy_deployment_started_outside_the_harness(tmp_path: Path) -> None:
    private_fixtures(tmp_path)
    front_port, idp_port = reserve_port(), reserve_port()
    url = f"http://localhost:{front_port}/proxied/"
    config = url_config(tmp_path, url, idp_port)
    deployed = tmp_path / "deployed"
    assert logoutspec(["deploy", "x", str(deployed), "--conformance-config", str(config)]) == 0
    backend = StreamlitServer(
        provision("1.50.0"),
        deployed / "probe.py",
        (deployed / ".streamlit" / "secrets.toml").read_text(),
        base_path="proxied",
    )
    front = NginxServer(port=front_port, base_path="proxied", backends=[backend.port])
    with Topology(front, [backend]):
        run = run_with(config, "-k", " or ".join(SCENARIOS))
        pids = [backend.pid, front.pid]
    records = json.loads((tmp_path / "reports" / "results.json").read_text())
    outcomes = {name: outcomes_of(records, name) for name in SCENARIOS}
    assert outcomes == {name: {outcome} for name, outcome in SCENARIOS.items()}, run.output
    reasons = {r["reason"] for r in records if r["outcome"] == "skipped"}
    assert any("is a deployment the harness did not start" in reason for reason in reasons), reasons
    assert any("lacks the capability 'clock'" in reason for reason in reasons), reasons
    assert {r["target_topology"] for r in records} == {f"{DEPLOYED}{url}; the fixture IdP on 127.0.0.1:{idp_port}"}
    assert f"Deployed as: {DEPLOYED}{url}" in (tmp_path / "reports" / "conformance.md").read_text()
    assert not [pid for pid in pids if Path(f"/proc/{pid}").exists()]
    assert not processes_mentioning(str(tmp_path))


def slug(scenario: str) -> str:
    """A scenario's name as its test name spells it, with spaces for underscores."""
    kept = "".join(c.lower() for c in scenario if c.isalnum() or c in " _")
    return kept.replace("_", " ")


def outcomes_of(records: list[dict[str, str]], test_name: str) -> set[str]:
    """The outcomes of the scenarios whose test name contains test_name."""
    return {r["outcome"] for r in records if test_name.replace("_", " ") in slug(r["scenario"])}
