"""The command adapter: its options are checked at set-up, and every process a command starts
(a launcher's children too) is stopped with it. Whole runs are in CI: examples/st-app."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from logoutspec.contract import AppSpec, StartsAhead
from logoutspec.resources import SuiteResources
from logoutspec.targets.command import CommandTarget

# A server that answers /_stcore/health and starts a child that would outlive it: a launcher.
FAKE_SERVER = """
import http.server, subprocess, sys
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", "logoutspec-test-child"])
class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path.endswith("/_stcore/health") else 404)
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Health).serve_forever()
"""


@pytest.fixture
def resources(tmp_path: Path) -> Iterator[SuiteResources]:
    (tmp_path / "server.py").write_text(FAKE_SERVER)
    with SuiteResources(SuiteResources.default().fixtures, tmp_path) as resources:
        yield resources


def command_target(resources: SuiteResources, **options: object) -> CommandTarget:
    return CommandTarget(name="x", version="1.67.0", options=options, resources=resources)


def children_named(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_placeholders_files_and_env_reach_the_process(resources: SuiteResources) -> None:
    """The process starts in a private directory holding the secrets and the configured files,
    with the placeholders filled in; closing the target stops its whole process group."""
    command = [sys.executable, "{here}/server.py", "{port}"]
    files = {"conf/where.txt": "{base_path} {base_url} {app}"}
    target = command_target(resources, command=command, files=files, env={"WHO": "{port}"})
    app = target.serve(AppSpec(base_path="myapp"))
    try:
        server = app.server
        workdir = Path(f"/proc/{server.pid}/cwd").resolve()
        assert (workdir / ".streamlit" / "secrets.toml").read_text().count(f"{app.base_url}oauth2callback") == 1
        written = (workdir / "conf" / "where.txt").read_text()
        assert written == f"myapp {app.base_url} {resources.app('probe').resolve()}"
        environ = dict(
            line.split("=", 1) for line in Path(f"/proc/{server.pid}/environ").read_text().split("\0") if "=" in line
        )
        assert environ["WHO"] == str(server.port) and environ["HOME"] == str(workdir)
        assert children_named("logoutspec-test-child")
    finally:
        target.close()
    assert not children_named("logoutspec-test-child")
    assert not os.path.exists(workdir)


def test_a_command_that_never_gets_healthy_is_a_clear_error(resources: SuiteResources) -> None:
    target = command_target(resources, command=[sys.executable, "-c", "import time; time.sleep(600)"], start_timeout=1)
    try:
        with pytest.raises(RuntimeError, match=r"target x: command .* did not start: .*not healthy within 1"):
            target.serve(AppSpec())
    finally:
        target.close()
    assert not children_named("import time; time.sleep(600)")


def test_apps_started_ahead_are_the_ones_served_and_stop_together(resources: SuiteResources) -> None:
    """Started in the background by start_ahead() (as every served target does, Streamlit's too),
    handed out by serve() without a second start, and stopped together by close()."""
    target = command_target(resources, command=[sys.executable, "{here}/server.py", "{port}"])
    assert isinstance(target, StartsAhead)
    apps = [(AppSpec(), None), (AppSpec(base_path="a"), None), (AppSpec(base_path="b"), None)]
    try:
        target.start_ahead(apps)
        target.start_ahead(apps[:1])  # asked again: started once
        servers = [target.serve(spec).server for spec, _ in apps]
        assert len({server.pid for server in servers}) == 3
        assert target.serve(AppSpec()).server is servers[0]
        unplanned = target.serve(AppSpec(app="callback"))  # an app nobody announced is started when asked
        pids = [server.pid for server in [*servers, unplanned.server]]
    finally:
        target.close()
    assert not [pid for pid in pids if Path(f"/proc/{pid}").exists()]


def test_a_start_ahead_that_fails_is_reported_when_the_app_is_served(resources: SuiteResources) -> None:
    target = command_target(resources, command=[sys.executable, "-c", "raise SystemExit(3)"])
    try:
        target.start_ahead([(AppSpec(), None)])
        with pytest.raises(RuntimeError, match=r"target x: command .* did not start: .*exited with code 3"):
            target.serve(AppSpec())
        with pytest.raises(RuntimeError, match="exited with code 3"):  # remembered, not tried again
            target.serve(AppSpec())
    finally:
        target.close()


@pytest.mark.parametrize(
    "options, message",
    [
        ({}, "options.command must be a non-empty list of strings"),
        ({"command": "run me"}, "options.command must be a non-empty list of strings"),
        ({"command": ["x", "{prot}"]}, "unknown placeholder(s) {prot}"),
        ({"command": ["x", "{port"]}, "'{port': "),
        ({"command": ["x"], "files": {"../out": ""}}, "must be a relative path inside the working directory"),
        ({"command": ["x"], "files": {".streamlit/secrets.toml": ""}}, "must be a relative path inside"),
        ({"command": ["x"], "start_timeout": 0}, "options.start_timeout must be a positive number"),
        ({"command": ["x"], "cwd": "."}, "unknown option(s) cwd; known: command, env, files, start_timeout"),
    ],
)
def test_bad_options_are_refused_at_set_up(resources: SuiteResources, options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as error:
        command_target(resources, **options)
    assert message in str(error.value)
