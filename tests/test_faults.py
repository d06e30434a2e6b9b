"""Faults of a real target: a clear error naming the target in bounded time, and no process left.

Each test runs the real pytest command on a private copy of the fixtures, so that every process
the run starts carries that copy's path on its command line and can be looked for afterwards.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from logoutspec.contract import AppSpec, NavigationError
from logoutspec.resources import SuiteResources
from logoutspec.runner import SuiteRun, run_suite, suite_command
from logoutspec.targets.streamlit.processes import StreamlitServer
from logoutspec.targets.streamlit.provision import provision
from logoutspec.targets.streamlit.target import StreamlitTarget

ROOT = Path(__file__).resolve().parent.parent
RUN_TIMEOUT = 180  # seconds; the runs below take a few seconds each

pytestmark = pytest.mark.streamlit


def private_fixtures(tmp_path: Path, probe: str | None = None) -> Path:
    """A copy of fixtures/ (optionally with another probe app) and a config naming it."""
    fixtures = tmp_path / "fixtures"
    shutil.copytree(ROOT / "fixtures", fixtures, ignore=shutil.ignore_patterns("*.py[co]", "__pycache__"))
    if probe is not None:
        (fixtures / "apps" / "probe.py").write_text(probe)
    return fixtures


def write_config(tmp_path: Path, target: str) -> Path:
    """A config of one target x (version 1.50.0 unless target names one) on the private fixtures."""
    if "version" not in target:
        target += '\nversion = "1.50.0"'
    config = tmp_path / "conformance.toml"
    config.write_text(
        '[suite]\ndefault_targets = ["x"]\napps = "fixtures/apps"\nsecrets = "fixtures/secrets"\n'
        f'idp = "fixtures/idp.toml"\n\n[targets.x]\n{target}\n'
    )
    return config


def processes_mentioning(text: str) -> list[str]:
    """Command lines of live processes that mention text (our private fixture path)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline and " -m logoutspec " not in cmdline:  # the run itself names the config
            found.append(f"{entry.name}: {cmdline}")
    return found


def run_with(config: Path, *args: str) -> SuiteRun:
    reports = config.parent / "reports"
    return run_suite(
        "--conformance-config", str(config), *args, reports=reports, cwd=config.parent, timeout=RUN_TIMEOUT
    )


def test_a_version_that_cannot_be_installed_is_one_line(tmp_path: Path) -> None:
    private_fixtures(tmp_path)
    run = run_with(write_config(tmp_path, 'adapter = "streamlit"\nversion = "9.99.0"'))
    output = run.output
    assert run.returncode == 4, output
    assert "targets.x: adapter failed: RuntimeError: cannot provision Streamlit 9.99.0" in output
    assert "Traceback" not in output
    assert not processes_mentioning(str(tmp_path))


def test_a_server_that_crashes_at_start_names_the_target(tmp_path: Path) -> None:
    private_fixtures(tmp_path)
    config = write_config(tmp_path, 'adapter = "streamlit"\noptions = { flags = { "no.such.option" = "x" } }')
    started = time.monotonic()
    run = run_with(config, "-k", "rest_of_the_script_run")
    output = run.output
    assert run.returncode == 1, output
    assert "target x: Streamlit 1.50.0 did not start" in output and "No such option" in output, output
    assert time.monotonic() - started < 60
    assert not processes_mentioning(str(tmp_path))


def test_a_broken_app_fails_its_scenarios_and_leaves_no_process(tmp_path: Path) -> None:
    private_fixtures(tmp_path, probe='raise RuntimeError("this app is broken")\n')
    run = run_with(write_config(tmp_path, 'adapter = "streamlit"'), "-k", "before_logging_in")
    output = run.output
    assert run.returncode == 1, output
    assert "this app is broken" in output
    assert not processes_mentioning(str(tmp_path))


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_run_leaves_no_process(tmp_path: Path, signum: int) -> None:
    private_fixtures(tmp_path)
    config = write_config(tmp_path, 'adapter = "streamlit"')
    command = suite_command("--conformance-config", str(config), reports=tmp_path / "reports")
    run = subprocess.Popen(
        command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, preexec_fn=take_ctrl_c
    )
    try:
        wait_for(lambda: any("streamlit" in p for p in processes_mentioning(str(tmp_path))), run)
        run.send_signal(signum)
        run.wait(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
        output = run.communicate()[0].decode(errors="replace")
    assert run.returncode == pytest.ExitCode.INTERRUPTED, output[-2000:]
    assert not processes_mentioning(str(tmp_path))


def take_ctrl_c() -> None:
    """SIGINT as a terminal's foreground job has it: a shell starts a background job (a test run
    started with &, say) with SIGINT ignored, its children inherit that, and Python then never
    turns SIGINT into KeyboardInterrupt; a Ctrl-C sent in a test would go unnoticed, and a run
    that ended on its own would pass for an interrupted one."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_for(condition: Callable[[], bool], run: subprocess.Popen[bytes], timeout: float = 90) -> None:
    """Poll until condition() holds; fail if the run ends first or the time is up."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert run.poll() is None, "the run ended before its server started"
        assert time.monotonic() < deadline, "no server started in time"
        time.sleep(0.05)


def test_a_taken_port_is_a_clear_error(tmp_path: Path) -> None:
    """Another process holds the port the server was given: it fails fast, naming the port."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        server = StreamlitServer(provision("1.50.0"), ROOT / "fixtures" / "apps" / "probe.py", "", port=port)
        started = time.monotonic()
        with pytest.raises(RuntimeError, match=f"Port {port} is already in use"):
            server.start()
    assert time.monotonic() - started < 30
    assert not processes_mentioning(f"--server.port {port}")


def test_an_unreachable_identity_provider_fails_the_login_clearly() -> None:
    """The provider's metadata URL answers nothing: the login ends on an error, within bounds."""
    resources = SuiteResources.default()
    target = StreamlitTarget(name="x", version="1.50.0", options={}, resources=resources)
    try:
        dead_idp = resources.secrets_template("default").replace("${server_metadata_url}", "http://127.0.0.1:9/x")
        tab = target.serve(AppSpec(), dead_idp).new_browser(resources.person("alice")).open_tab()
        started = time.monotonic()
        with pytest.raises(NavigationError, match="auth/login"):
            tab.click("Log in")
        assert time.monotonic() - started < 30
    finally:
        target.close()
        resources.close()


def test_a_server_that_dies_mid_run_is_a_clear_error() -> None:
    """The server is killed between two page loads: the next one fails at once, naming the URL."""
    resources = SuiteResources.default()
    target = StreamlitTarget(name="x", version="1.50.0", options={}, resources=resources)
    try:
        app = target.serve(AppSpec())
        browser = app.new_browser(resources.person("alice"))
        browser.open_tab()
        os.kill(app.server.pid, signal.SIGKILL)
        started = time.monotonic()
        with pytest.raises(NavigationError, match=f"cannot reach {app.base_url}"):
            browser.open_tab()
        assert time.monotonic() - started < 10
    finally:
        target.close()
        resources.close()


def test_a_missing_app_file_fails_its_scenarios_naming_the_file(tmp_path: Path) -> None:
    fixtures = private_fixtures(tmp_path)
    (fixtures / "apps" / "example.py").unlink()
    run = run_with(write_config(tmp_path, 'adapter = "streamlit"'), "-k", "greeting")
    output = run.output
    assert run.returncode == 1, output
    assert f"{fixtures / 'apps' / 'example.py'}: no such app" in output
    assert not processes_mentioning(str(tmp_path))
