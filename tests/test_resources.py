"""What the harness hands every target: the run's one IdP, started only when a target asks for the
real server and stopped by its PID at the end; the secrets contract."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests

from logoutspec.resources import SuiteResources


def idp_children() -> list[int]:
    """PIDs of fixture IdP server processes started by this process."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) if entry.name.isdigit() else -1
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError, ValueError):
            continue
        if parent == os.getpid() and "logoutspec.fixtures.idp" in command:
            found.append(int(entry.name))
    return found


def test_the_idp_server_starts_once_on_first_use_and_stops_at_close() -> None:
    # Only the servers this test starts count: in a run that also runs the conformance scenarios,
    # the plugin's own resources keep the run's IdP server until the session ends.
    before = set(idp_children())
    resources = SuiteResources.default()
    assert set(idp_children()) == before
    first = resources.idp_server()
    assert resources.idp_server() is first
    assert requests.get(f"{first.issuer}/.well-known/openid-configuration", timeout=5).status_code == 200
    assert len(set(idp_children()) - before) == 1
    resources.close()
    assert set(idp_children()) == before


def test_the_in_process_idp_starts_no_process() -> None:
    before = set(idp_children())
    with SuiteResources.default() as resources:
        assert resources.mocked_idp() is resources.mocked_idp()
        assert resources.mocked_idp().record.events() == []
        assert set(idp_children()) == before


def test_secrets_follow_the_contract() -> None:
    resources = SuiteResources.default()
    template = resources.secrets_template("default")
    filled = resources.render_secrets(
        template, base_url="http://localhost:8501/myapp/", cookie_secret="s3cret", issuer="http://127.0.0.1:9"
    )
    assert 'redirect_uri = "http://localhost:8501/myapp/oauth2callback"' in filled
    assert "http://127.0.0.1:9/.well-known/openid-configuration" in filled
    with pytest.raises(ValueError, match="must end with '/'"):
        resources.render_secrets(template, base_url="http://localhost:8501/myapp", cookie_secret="s", issuer="x")
