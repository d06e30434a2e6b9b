"""Deployment topologies: Streamlit behind nginx, replicas behind it, st.App mounted in FastAPI
(targets/streamlit/topologies.py).

The whole suite runs on them as targets (streamlit-proxy, streamlit-replicas in conformance.toml);
these tests hold what the suite cannot see: that nginx answers under the prefix only, that login and
callback are pinned to different replicas, and that a process that fails to start is named and
leaves nothing behind.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests
from test_faults import private_fixtures, processes_mentioning, run_with, take_ctrl_c, wait_for, write_config

from logoutspec.resources import SuiteResources, reserve_port
from logoutspec.runner import suite_command
from logoutspec.targets.streamlit.processes import StreamlitServer
from logoutspec.targets.streamlit.provision import provision
from logoutspec.targets.streamlit.target import StreamlitTarget
from logoutspec.targets.streamlit.topologies import FASTAPI, FastApiServer, NginxServer, Topology, nginx_config

ROOT = Path(__file__).resolve().parent.parent
PROBE = ROOT / "fixtures" / "apps" / "probe.py"


def test_login_and_callback_are_pinned_to_different_replicas() -> None:
    config = nginx_config(8000, "proxied", [9001, 9002])
    assert "location = /proxied/auth/login {\n            proxy_pass http://127.0.0.1:9001;" in config
    assert "location = /proxied/oauth2callback {\n            proxy_pass http://127.0.0.1:9002;" in config
    assert "listen 127.0.0.1:8000;" in config and "daemon off;" in config


def test_one_backend_has_no_pinned_routes() -> None:
    config = nginx_config(8000, "proxied", [9001])
    assert "auth/login" not in config and "location /proxied/ {" in config


@pytest.mark.streamlit
def test_the_app_answers_through_nginx_under_the_prefix_only() -> None:
    backend = StreamlitServer(provision("1.50.0"), PROBE, "", base_path="proxied")
    front = NginxServer(port=reserve_port(), base_path="proxied", backends=[backend.port])
    with Topology(front, [backend]) as topology:
        assert topology.base_url == f"http://localhost:{front.port}/proxied/"
        assert requests.get(topology.base_url + "_stcore/health", timeout=5).text == "ok"
        assert requests.get(f"http://localhost:{front.port}/_stcore/health", timeout=5).status_code == 404
        pids = [backend.pid, front.pid]
    assert not [pid for pid in pids if Path(f"/proc/{pid}").exists()]


@pytest.mark.streamlit
def test_nginx_that_cannot_listen_is_named_and_stops_the_backends() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        backend = StreamlitServer(provision("1.50.0"), PROBE, "", base_path="proxied")
        topology = Topology(
            NginxServer(port=holder.getsockname()[1], base_path="proxied", backends=[backend.port]), [backend]
        )
        with pytest.raises(RuntimeError, match=r"(?s)^nginx did not start: nginx exited .*Address already in use"):
            topology.__enter__()
    assert not processes_mentioning(f"--server.port {backend.port} ")


@pytest.mark.streamlit
def test_a_replica_that_fails_names_the_target_and_the_replica(tmp_path: Path) -> None:
    private_fixtures(tmp_path)
    options = 'options = { topology = "replicas", flags = { "no.such.option" = "x" } }'
    run = run_with(write_config(tmp_path, f'adapter = "streamlit"\n{options}'), "-k", "rest_of_the_script_run")
    assert run.returncode == 1, run.output
    assert "target x: Streamlit 1.50.0 did not start: streamlit (backend 1 of 2) did not start" in run.output
    assert not processes_mentioning(str(tmp_path))


def test_a_release_without_st_app_cannot_be_mounted_in_fastapi() -> None:
    options = {"topology": "fastapi"}
    with pytest.raises(ValueError, match=r"Streamlit 1\.50\.0 has no st\.App \(from 1\.57\.0\)"):
        StreamlitTarget(name="x", version="1.50.0", options=options, resources=SuiteResources.default())


@pytest.mark.streamlit
def test_st_app_answers_under_the_mount_and_the_host_answers_its_root() -> None:
    python = provision("1.67.0", extras=(FASTAPI,))
    with FastApiServer(python, PROBE, "", port=reserve_port(), mount="dash") as server:
        assert server.base_url == f"http://localhost:{server.port}/dash/"
        assert requests.get(server.base_url + "_stcore/health", timeout=5).text == "ok"
        assert 'id="root"' in requests.get(server.base_url, timeout=5).text  # the app's page
        assert requests.get(f"http://localhost:{server.port}/", timeout=5).json()["site"] == "the FastAPI host"
        pid = server.pid
    assert not Path(f"/proc/{pid}").exists()


@pytest.mark.streamlit
def test_ctrl_c_while_replicas_run_leaves_no_process(tmp_path: Path) -> None:
    """nginx's command line names only its private directory, not the run's files: the processes
    to look for are the run's descendants, collected while they live, until the run has ended."""
    private_fixtures(tmp_path)
    config = write_config(tmp_path, 'adapter = "streamlit"\noptions = { topology = "replicas" }')
    command = suite_command(
        "--conformance-config", str(config), "-k", "rest_of_the_script_run", reports=tmp_path / "reports"
    )
    run = subprocess.Popen(
        command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, preexec_fn=take_ctrl_c
    )
    seen: dict[int, str] = {}

    def nginx_serves() -> bool:
        seen.update({pid: line for pid in descendants(run.pid) if (line := command_line(pid))})
        return any(line.startswith("nginx: worker") for line in seen.values())

    try:
        wait_for(nginx_serves, run)
        run.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 60
        while run.poll() is None and time.monotonic() < deadline:  # whatever starts while it stops counts too
            nginx_serves()
            time.sleep(0.05)
    finally:
        if run.poll() is None:
            run.kill()
        output = run.communicate()[0].decode(errors="replace")
    assert run.returncode == pytest.ExitCode.INTERRUPTED, output[-2000:]
    assert {"streamlit", "nginx: master", "nginx: worker"} <= {kind(line) for line in seen.values()}, seen
    assert not [f"{pid}: {line}" for pid, line in seen.items() if command_line(pid) == line]


def descendants(pid: int) -> set[int]:
    """The live processes below pid (children, their children, ...)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        try:
            parents[int(entry.name)] = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
        except (ValueError, OSError):
            continue
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def command_line(pid: int) -> str:
    """A process's command line, "" once it is gone."""
    try:
        return (Path(f"/proc/{pid}/cmdline")).read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def kind(line: str) -> str:
    for name in ("nginx: master", "nginx: worker"):
        if line.startswith(name):
            return name
    return "streamlit" if " -m streamlit run " in line else line.split(" ")[0]
