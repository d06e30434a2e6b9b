"""The command target: an implementation without Python code of its own in the harness, started by
a command line from the config and driven like real Streamlit, over its HTTP and websocket protocol.

For every app the suite serves, the harness picks a free port, renders secrets.toml for it, makes
a private working directory holding .streamlit/secrets.toml (HOME points there too, so nothing
from the user's home leaks in), starts the command there in its own process group, polls
<base URL>_stcore/health until it answers 200, drives it with the wire client, and stops the whole
process group by its PID when the run ends (also on Ctrl-C). Several servers (other apps, other
secrets) run at once, which is why the working directory is private rather than configured: the
files the command needs are named with {here}, the config file's directory.

Options (the table [targets.NAME.options]):
    command        the command line, a list of strings (required)
    env            extra environment variables (a table of strings)
    files          files to write into the working directory, relative path -> text (e.g. a
                   .streamlit/config.toml: Streamlit reads most of its config from the environment
                   only under `streamlit run`)
    start_timeout  seconds to wait for the health route (default 30)

Placeholders in command, env values and file texts: {port}, {base_path} (without slashes, "" at the root),
{base_url}, {app} (the app script's absolute path), {here} (the config file's directory) and
{python} (the interpreter of a provisioned Streamlit of the target's `version`; named only when
used). Write {{ and }} for literal braces.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from logoutspec.contract import AppSpec
from logoutspec.resources import SuiteResources
from logoutspec.targets.streamlit.processes import SECRETS_FILE, AppServer, base_url_for
from logoutspec.targets.streamlit.provision import provision, resolve_version
from logoutspec.targets.streamlit.target import ServedTarget

KNOWN_OPTIONS = ("command", "env", "files", "start_timeout")
PLACEHOLDERS = ("port", "base_path", "base_url", "app", "here", "python")


class CommandTarget(ServedTarget):
    """Adapter "command"; see the module docstring for its options."""

    def __init__(self, *, name: str, version: str, options: Mapping[str, Any], resources: SuiteResources) -> None:
        unknown = sorted(set(options) - set(KNOWN_OPTIONS))
        if unknown:
            raise ValueError(f"unknown option(s) {', '.join(unknown)}; known: {', '.join(KNOWN_OPTIONS)}")
        self.command = string_list(options.get("command"), "options.command")
        self.env = string_table(options.get("env", {}), "options.env")
        self.files = string_table(options.get("files", {}), "options.files")
        for path in self.files:
            if Path(path).is_absolute() or ".." in Path(path).parts or path == SECRETS_FILE:
                raise ValueError(f"options.files: {path!r} must be a relative path inside the working directory")
        self.start_timeout = positive_number(options.get("start_timeout", 30), "options.start_timeout")
        texts = [*self.command, *self.env.values(), *self.files.values()]
        used = {field for text in texts for field in placeholders(text)}
        if used - set(PLACEHOLDERS):
            wrong = ", ".join("{" + field + "}" for field in sorted(used - set(PLACEHOLDERS)))
            raise ValueError(f"unknown placeholder(s) {wrong}; known: {', '.join('{' + p + '}' for p in PLACEHOLDERS)}")
        super().__init__(
            name=name, version=resolve_version(version) if "python" in used else version, resources=resources
        )
        self.kind = f"command {self.command[0]!r}"
        # The interpreter is provisioned here, at set-up, so that a version that cannot be had stops the run.
        self.python: Path | None = provision(self.version) if "python" in used else None

    def make_server(self, spec: AppSpec, secrets_toml: str, port: int) -> AppServer:
        base_path = spec.base_path.strip("/")
        values = {
            "port": str(port),
            "base_path": base_path,
            "base_url": base_url_for(port, base_path),
            "app": str(self.resources.app(spec.app).resolve()),
            "here": str(self.resources.config_dir),
            "python": str(self.python or ""),
        }
        return AppServer(
            [part.format_map(values) for part in self.command],
            secrets_toml,
            port=port,
            base_path=base_path,
            env={key: value.format_map(values) for key, value in self.env.items()},
            files={path: text.format_map(values) for path, text in self.files.items()},
            start_timeout=self.start_timeout,
            name=self.command[0],
        )


def placeholders(text: str) -> set[str]:
    """The {fields} of a format string; ValueError (naming the text) if it is not one."""
    try:
        return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
    except ValueError as error:
        raise ValueError(f"{text!r}: {error} (write {{{{ and }}}} for literal braces)") from None


def string_list(value: Any, key: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(part, str) for part in value):
        raise ValueError(f"{key} must be a non-empty list of strings (the command line)")
    return value


def string_table(value: Any, key: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError(f"{key} must be a table of strings")
    return value


def positive_number(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValueError(f"{key} must be a positive number of seconds")
    return float(value)
