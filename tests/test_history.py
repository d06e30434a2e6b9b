"""The history over many targets: sharded runs merge into the records of one run, and the page
reads on a phone. Reference targets in a matrix keep it cheap (no Streamlit server)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import PHONE_WIDTH, PhoneView  # tests/conftest.py: the phone check both pages share
from test_faults import processes_mentioning, take_ctrl_c, wait_for

from logoutspec.config import load_config
from logoutspec.history import build_history, render_history_markdown, short_labels
from logoutspec.report import build_report, parse_features
from logoutspec.targets.streamlit.matrix import main, shard

ROOT = Path(__file__).resolve().parent.parent
CONFIG = """
[targets.reference]
adapter = "reference"
version = "1.50.0"

[matrices.ref]
adapter = "reference"
versions = ["1.50.0", "1.53.0", "1.44.0"]
name = "ref-{version}"
notes = { "1.53.0" = "IdP logout" }
"""


def outcomes(path: Path) -> list[tuple[str, ...]]:
    records = json.loads(path.read_text())
    keys = ("target", "target_version", "feature", "rule", "scenario", "example", "outcome", "step")
    return sorted(tuple(str(r[k]) for k in keys) for r in records)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One run of the whole matrix, and the same in two shards merged."""
    folder = tmp_path_factory.mktemp("history")
    config = folder / "conformance.toml"
    config.write_text(CONFIG)
    common = ["--config", str(config), "--no-drift"]
    for name, extra in (("one", []), ("shard1", ["--shard", "1/2"]), ("shard2", ["--shard", "2/2"])):
        assert main([*common, *extra, "--reports", str(folder / name)]) in (0, 1)
    assert main(
        [*common, "--merge", str(folder / "shard1"), str(folder / "shard2"), "--reports", str(folder / "merged")]
    ) in (0, 1)
    return folder


def test_two_shards_merged_give_the_records_of_one_run(runs: Path) -> None:
    one = outcomes(runs / "one" / "results.json")
    assert {r[0] for r in one} == {"ref-1.50.0", "ref-1.53.0", "ref-1.44.0"}
    assert {r[0] for r in outcomes(runs / "shard1" / "results.json")} == {"ref-1.50.0", "ref-1.44.0"}
    assert outcomes(runs / "merged" / "results.json") == one
    assert (runs / "merged" / "index.md").read_text() == (runs / "one" / "index.md").read_text()


def test_shards_are_stable_parts_of_the_targets(tmp_path: Path) -> None:
    path = tmp_path / "conformance.toml"
    path.write_text(CONFIG)
    targets = [t for t in load_config(path).targets.values() if t.matrix]
    parts = [shard(targets, f"{k}/2") for k in (1, 2)]
    assert sorted(t.name for part in parts for t in part) == sorted(t.name for t in targets)
    assert parts == [shard(targets, f"{k}/2") for k in (1, 2)]
    with pytest.raises(ValueError, match="K/N"):
        shard(targets, "3/2")


def test_bad_shard_or_merge_input_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "conformance.toml"
    path.write_text(CONFIG)
    assert main(["--config", str(path), "--shard", "0/2"]) == 2
    assert main(["--config", str(path), "--merge", str(tmp_path / "nowhere"), "--reports", str(tmp_path / "r")]) == 2
    assert main(["--config", str(path), "--matrix", "ghost"]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 3
    assert "--shard '0/2'" in errors[0] and "nowhere" in errors[1] and "matrices.ghost: no such matrix" in errors[2]


def test_the_history_orders_releases_and_says_what_changed(runs: Path) -> None:
    records = json.loads((runs / "one" / "results.json").read_text())
    config = load_config(runs / "conformance.toml")
    report = build_report(parse_features(ROOT / "features"), records, config, "t")
    lines = {name: "ref" for name in ("ref-1.44.0", "ref-1.50.0", "ref-1.53.0")}
    history = build_history(report, lines, {"1.53.0": ["a finding"]})
    assert [t.version for t in history.targets] == ["1.44.0", "1.50.0", "1.53.0"]
    assert history.labels == ("1.44.0", "1.50.0", "1.53.0")
    first, _, last = history.changes
    assert first.before is None and last.before == "ref-1.50.0"
    assert last.drift == ("a finding",)
    assert last.applies or last.ended  # 1.53's IdP logout rules begin to apply
    markdown = render_history_markdown(history)
    assert "## Changelog" in markdown and "documentation drift: a finding" in markdown


def test_short_labels_drop_the_common_prefix() -> None:
    assert short_labels(["streamlit-1.42", "streamlit-1.55-starlette", "streamlit-nightly"]) == (
        "1.42",
        "1.55-starlette",
        "nightly",
    )


def test_the_history_page_reads_on_a_phone_in_headless_chromium(
    runs: Path, read_on_phone: Callable[[Path, str], PhoneView]
) -> None:
    """At 375 px: no console error, no request leaving the file, nothing wider than the screen
    (the matrix scrolls inside its box), every rule shown; the screenshot is reports/history.png."""
    rules = {t.rule.name for f in parse_features(ROOT / "features") for t in f.scenarios.values() if t.rule}
    view = read_on_phone(runs / "merged" / "index.html", "history")
    assert view.problems == []
    assert view.width <= PHONE_WIDTH
    assert [rule for rule in rules if rule not in view.text] == []
    assert view.matrix_labels == {"1.44.0", "1.50.0", "1.53.0"}


# An adapter whose factory marks its target as started, then blocks until its run is stopped: a
# matrix of such targets is running for as long as the test needs, and costs no server.
BLOCKING_ADAPTER = """
import threading
from pathlib import Path


def Blocking(name, version, options, resources):
    (Path(__file__).parent / f"started-{name}").touch()
    threading.Event().wait()
"""
BLOCKING_TARGETS = "".join(f'[targets.{n}]\nadapter = "blocking:Blocking"\nversion = "1.50.0"\n' for n in "abc")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_matrix_stops_its_runs_and_starts_no_more(tmp_path: Path, signum: int) -> None:
    """Two targets running (--jobs 2), one queued: Ctrl-C (to the process group, as a terminal sends
    it) or SIGTERM (to its PID) stops both runs, by their PIDs, and the queued one never starts."""
    (tmp_path / "blocking.py").write_text(BLOCKING_ADAPTER)
    config = tmp_path / "conformance.toml"
    config.write_text(BLOCKING_TARGETS)
    targets = [option for name in "abc" for option in ("--target", name)]
    command = [sys.executable, "-m", "logoutspec", "matrix", "--config", str(config), "--jobs", "2", *targets]
    matrix = subprocess.Popen(
        [*command, "--no-drift", "--reports", str(tmp_path / "reports")],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=take_ctrl_c,
    )
    try:
        wait_for(lambda: all((tmp_path / f"started-{name}").exists() for name in "ab"), matrix)
        if signum == signal.SIGINT:
            os.killpg(matrix.pid, signum)
        else:
            matrix.send_signal(signum)
        _, errors = matrix.communicate(timeout=60)
    finally:
        if matrix.poll() is None:
            matrix.kill()
            matrix.communicate()
    assert matrix.returncode == 130, errors
    assert errors.strip().splitlines() == ["matrix: interrupted: 2 running target(s) stopped, 1 not started"]
    assert not (tmp_path / "started-c").exists()
    assert not processes_mentioning(str(tmp_path))
