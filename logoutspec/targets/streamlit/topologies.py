"""Deployments of several processes: Streamlit behind nginx under a path prefix, and replicas behind
it; and st.App mounted under a prefix in a FastAPI site under uvicorn.

nginx is Debian's package, run as a child process of the harness (`daemon off`, its master and its
one worker in their own process group, stopped by PID like any AppServer), with its config, pid
file, temp paths and error log in its private working directory, listening on 127.0.0.1 only. The
app is reached only through nginx: redirect_uri names nginx's origin, Streamlit's own ports are
never given to a browser.

Replicas are balanced deterministically, so that an outcome is the same on every run: the request
that starts a login goes to the first replica and the callback that ends it to the second one, on
purpose (what round robin does to some logins, every time); every other request, the websocket
included, goes round robin over all replicas in arrival order (one nginx worker, so one counter).
"""

from __future__ import annotations

import getpass
import json
import os
import shutil
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Self

from logoutspec.targets.streamlit.processes import QUIET_OPTIONS, AppServer

FASTAPI = "fastapi==0.163.2"  # installed beside Streamlit for the fastapi topology (provision's extras)
FIRST_ST_APP = "1.57.0"  # the first release whose public API has st.App (streamlit/__init__.py)
FASTAPI_HOST = Path(__file__).with_name("fastapi_host.py")

TOPOLOGIES = ("direct", "proxy", "replicas", "fastapi")

_CONFIG = """daemon off;
master_process on;
worker_processes 1;
pid nginx.pid;
error_log stderr warn;
{user}
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path tmp/body;
    proxy_temp_path tmp/proxy;
    fastcgi_temp_path tmp/fastcgi;
    uwsgi_temp_path tmp/uwsgi;
    scgi_temp_path tmp/scgi;
    map $http_upgrade $connection_upgrade {{ default upgrade; "" close; }}
    upstream replicas {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
{pinned}
        location {prefix} {{
            proxy_pass http://replicas;
{proxy}
        }}
    }}
}}
"""

# Streamlit sees the browser's Host (its origin checks compare it with redirect_uri's); the websocket
# is upgraded; script runs may be long, so the read timeout is too.
_PROXY = """            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 1h;
            proxy_buffering off;"""


_PINNED = """        location = {location} {{
            proxy_pass http://127.0.0.1:{backend};
{proxy}
        }}"""


def nginx_config(port: int, base_path: str, backends: Sequence[int]) -> str:
    """nginx's config: base_path (no slashes) on port proxied to the backends' ports, unchanged.
    With two backends or more, /auth/login goes to the first one and /oauth2callback to the second."""
    prefix = f"/{base_path}/" if base_path else "/"
    pinned = ""
    if len(backends) > 1:
        pinned = "\n".join(
            _PINNED.format(location=f"{prefix}{route}", backend=backend, proxy=_PROXY)
            for route, backend in (("auth/login", backends[0]), ("oauth2callback", backends[1]))
        )
    # max_fails=0: a replica that answers an error stays in the rotation, so the order never changes
    servers = "\n".join(f"        server 127.0.0.1:{backend} max_fails=0;" for backend in backends)
    user = f"user {getpass.getuser()};" if os.geteuid() == 0 else ""  # as root, workers would be nobody
    return _CONFIG.format(user=user, servers=servers, port=port, pinned=pinned, prefix=prefix, proxy=_PROXY)


def nginx_binary() -> str:
    """Debian's nginx (setup.sh installs it); RuntimeError naming the package when it is missing."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if found is None:
        raise RuntimeError("nginx is not installed (Debian's package nginx; ./setup.sh installs it)")
    return found


def describe_topology(kind: str, version: str, prefix: str, replicas: int) -> str:
    """One line of what runs behind what in a deployment of this kind (TOPOLOGIES)."""
    run = f"streamlit run (Streamlit {version})"
    front = f"nginx on 127.0.0.1 under /{prefix}/ -> "
    if kind == "proxy":
        return f"{front}{run} with server.baseUrlPath {prefix}"
    if kind == "replicas":
        balance = "no sticky sessions: /auth/login to replica 1, /oauth2callback to replica 2, the rest round robin"
        return f"{front}{replicas} x {run} with server.baseUrlPath {prefix}, the same secrets; {balance}"
    if kind == "fastapi":
        return f"uvicorn on 127.0.0.1 -> a FastAPI site -> st.App (Streamlit {version}) mounted at /{prefix}/"
    return f"{run} on 127.0.0.1, reached on its own port"


class NginxServer(AppServer):
    """nginx in front of backends on 127.0.0.1, as a non-daemon child process in a private prefix
    directory; healthy once Streamlit's health route answers through it."""

    def __init__(self, *, port: int, base_path: str, backends: Sequence[int], start_timeout: float = 30.0) -> None:
        files = {"nginx.conf": nginx_config(port, base_path.strip("/"), backends), "tmp/.keep": ""}
        super().__init__([nginx_binary()], "", port=port, base_path=base_path, files=files, start_timeout=start_timeout)
        self.name = "nginx"

    def command(self) -> list[str]:
        """nginx with its prefix, config and early error log in the working directory (never /var/log)."""
        return [*self._command, "-p", f"{self._workdir}/", "-c", "nginx.conf", "-e", "stderr"]


class Topology:
    """Backend servers and the nginx in front of them, started in that order and stopped in reverse,
    each by its process group; its base URL is nginx's. A backend or nginx that does not start
    stops what was started and raises the error naming that process."""

    def __init__(self, front: NginxServer, backends: Sequence[AppServer]) -> None:
        self.front = front
        self.backends = list(backends)
        self.base_url = front.base_url
        self._stack = ExitStack()

    def __enter__(self) -> Self:
        with ExitStack() as stack:
            for number, backend in enumerate(self.backends):
                self._enter(stack, backend, f"{backend.name} (backend {number + 1} of {len(self.backends)})")
            self._enter(stack, self.front, self.front.name)
            self._stack = stack.pop_all()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()

    @staticmethod
    def _enter(stack: ExitStack, server: AppServer, label: str) -> None:
        try:
            stack.enter_context(server)
        except (RuntimeError, TimeoutError) as error:
            raise RuntimeError(f"{label} did not start: {error}") from None


class FastApiServer(AppServer):
    """uvicorn on 127.0.0.1 serving fastapi_host.py: a FastAPI site with st.App mounted at /mount/,
    the app's lifespan handed to FastAPI, Streamlit's own base path empty (the mount is the prefix).
    python is a provisioned Streamlit 1.57+ with FASTAPI beside it."""

    def __init__(
        self, python: Path, app: Path, secrets_toml: str, *, port: int, mount: str, start_timeout: float = 30.0
    ) -> None:
        command = [str(python), "-m", "uvicorn", "--app-dir", ".", "fastapi_host:app", "--host", "127.0.0.1"]
        super().__init__(
            [*command, "--port", str(port)],
            secrets_toml,
            port=port,
            base_path=mount,
            env={"LOGOUTSPEC_APP": str(app.resolve()), "LOGOUTSPEC_MOUNT": mount.strip("/")},
            files={FASTAPI_HOST.name: FASTAPI_HOST.read_text(), ".streamlit/config.toml": config_toml(QUIET_OPTIONS)},
            start_timeout=start_timeout,
            name="uvicorn",
        )


def config_toml(options: Mapping[str, str]) -> str:
    """`streamlit run` flags ("section.name" -> value) as .streamlit/config.toml: under an ASGI
    server Streamlit reads its options from that file, not from flags. true and false are booleans,
    anything else a string."""
    sections: dict[str, list[str]] = {}
    for option, value in options.items():
        section, _, name = option.partition(".")
        literal = value if value in ("true", "false") else json.dumps(value)
        sections.setdefault(section, []).append(f"{name} = {literal}")
    return "\n\n".join(f"[{section}]\n" + "\n".join(lines) for section, lines in sections.items()) + "\n"
