"""The `logoutspec` command: one console script for everything the project runs.

    logoutspec run [--target NAME ...] [--conformance-config PATH] [--reports-dir DIR] [pytest options]
    logoutspec matrix | mutants | report | drift | bench | flaky | deploy [options]     (each with --help)

`run` is pytest on the packaged suite (features and step definitions installed with logoutspec),
with the user's directory as rootdir: its conformance.toml if it has one (else the packaged one
with the built-in targets), its ./reports. Every other subcommand is the `main(argv)` of one module,
which still runs as `python -m <module>` too.

argparse rather than click: it is the standard library, and every subcommand's module already
parses its own options with argparse, so each option is defined once, in its module, and the
command line after the subcommand's name is handed to it as it is. Modules are named here by
string and imported only when their subcommand runs: the generic command imports no adapter
(matrix and drift belong to the Streamlit target), and `logoutspec --help` starts at once.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from logoutspec.runner import pytest_arguments

# subcommand -> (module whose main(argv) it runs, one line of help)
COMMANDS = {
    "matrix": (
        "logoutspec.targets.streamlit.matrix",
        "run the suite once per Streamlit version (targets with adapter streamlit): rules x versions, and drift",
    ),
    "mutants": (
        "logoutspec.mutants",
        "the mutation check: the baselines pass, every mutant (a broken implementation) fails a scenario",
    ),
    "report": ("logoutspec.report", "render the report again from results.json, or (--spec) the features alone"),
    "drift": ("logoutspec.targets.streamlit.drift", "report Rules whose quoted sentence left Streamlit's docstrings"),
    "bench": ("logoutspec.bench.run", "benchmark: start-up, time per scenario, server start, harness overhead"),
    "flaky": ("logoutspec.flaky", "run the suite N times per target in random order; report outcomes that differ"),
    "deploy": ("logoutspec.targets.url", "write the probe app and secrets.toml a url target's deployment must serve"),
}
RUN_HELP = "run the conformance suite (pytest on the packaged features); other options go to pytest"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    parser = top_parser()
    if not args or args[0] not in ("run", *COMMANDS):
        parser.parse_args(args)  # --help, or an error naming the subcommands
        return 2
    name, rest = args[0], args[1:]
    if name == "run":
        return run(rest)
    module = importlib.import_module(COMMANDS[name][0])
    return int(module.main(rest, prog=f"logoutspec {name}") or 0)  # a main that returns nothing succeeded


def top_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="logoutspec",
        description="An executable specification of Streamlit's st.logout, run against pluggable targets.",
        epilog="'logoutspec COMMAND --help' describes a command's options.",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    commands.add_parser("run", help=RUN_HELP, add_help=False)
    for name, (_, help_text) in COMMANDS.items():
        commands.add_parser(name, help=help_text, add_help=False)
    return parser


def run_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="logoutspec run",
        allow_abbrev=False,  # an abbreviation could be one of pytest's options
        description="Run the conformance suite: every scenario of the packaged features once per target. "
        "The current directory is the run's root: its conformance.toml names the targets (without one, "
        "the packaged config with the built-in targets is used) and every report goes to ./reports.",
        epilog="Any other option is pytest's (e.g. -k EXPRESSION, -x, -v, --lf).",
    )
    parser.add_argument("--target", action="append", default=[], metavar="NAME", help="repeatable; 'all' for every one")
    parser.add_argument("--conformance-config", metavar="PATH", help="default: ./conformance.toml, else the packaged")
    parser.add_argument("--reports-dir", metavar="DIR", help="every report: results.json, conformance.html, ...")
    return parser


def run(argv: list[str]) -> int:
    """pytest on the packaged step definitions, rooted in the current directory."""
    import pytest  # only here: `logoutspec --help` and the other subcommands do without it

    args, pytest_args = run_parser().parse_known_args(argv)
    options = [f"--target={name}" for name in args.target]
    if args.conformance_config:
        options.append(f"--conformance-config={Path(args.conformance_config).resolve()}")
    if args.reports_dir:
        options.append(f"--reports-dir={Path(args.reports_dir).resolve()}")
    return int(pytest.main(pytest_arguments(*options, *pytest_args)))


if __name__ == "__main__":
    sys.exit(main())
