"""`logoutspec report`: render the report again from an existing results.json, or (--spec) the
features alone as documentation, without running anything."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from logoutspec.config import ConfigError, load_config
from logoutspec.locations import FEATURES, config_in
from logoutspec.report import write_conformance_report, write_report
from logoutspec.report.model import SPEC_TITLE, build_report
from logoutspec.report.quotes import parse_features


def main(argv: Sequence[str] | None = None, prog: str = "python -m logoutspec.report") -> int:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Render the conformance report from an existing results.json, or (--spec) the features "
        "alone as documentation, without running anything. Writes OUTPUT (Markdown) and OUTPUT with .html.",
    )
    parser.add_argument("--spec", action="store_true", help="render the features alone (default: reports/spec.md)")
    parser.add_argument("output", nargs="?", type=Path, help="default: conformance.md beside results.json")
    parser.add_argument("--features", type=Path, default=FEATURES, metavar="DIR", help="default: the packaged ones")
    parser.add_argument("--results", type=Path, default=Path("reports/results.json"), metavar="PATH")
    parser.add_argument(
        "--conformance-config",
        type=Path,
        default=config_in(Path.cwd())[0],
        metavar="PATH",
        help="default: ./conformance.toml, else the packaged",
    )
    args = parser.parse_args(argv)
    features = parse_features(args.features)
    if args.spec:
        written = write_report(build_report(features, [], None, SPEC_TITLE), args.output or Path("reports/spec.md"))
    else:
        try:
            config = load_config(args.conformance_config)
        except ConfigError as error:
            print(error, file=sys.stderr)
            return 2
        written = write_conformance_report(features, args.results, config, args.output)
    print("\n".join(str(path) for path in written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
