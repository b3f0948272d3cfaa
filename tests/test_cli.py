"""`pbr` from a shell: help for every option, windows and errors said in one line of the
project's words, the Dagster instance its runs are recorded in, and log files without
terminal colours. Every case goes through the real command."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pbr_pipeline.cli import build_parser
from pbr_pipeline.lock import is_running, warehouse_lock
from pbr_pipeline.runner import one_line
from pbr_pipeline.settings import INSTANCE_SETTINGS, dagster_home, instance_settings
from pbr_pipeline.windows import FIRST_WINDOW, shift_window, window_of
from tests.conftest import ACCEPTANCE, REPO, PipelineRun

WINDOWS = ["2012-04", "2012-05", "2012-06"]
# A Python exception's class name, or a traceback: never in what `pbr` prints.
CLASS_NAME = re.compile(r"\b\w+(Error|Exception|Interrupt)\b|Traceback")


def test_every_option_of_every_command_has_help():
    parser = build_parser()
    [commands] = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    described = {action.dest: action.help for action in commands._choices_actions}
    missing = [f"pbr {name}" for name in commands.choices if not (described.get(name) or "").strip()]
    for name, command in commands.choices.items():
        for action in command._actions:
            if not isinstance(action, argparse._HelpAction) and not (action.help or "").strip():
                missing.append(f"pbr {name} {'/'.join(action.option_strings) or action.dest}")
    assert missing == []
    assert set(commands.choices) == {"run", "finalize", "explain", "monitor", "generate", "simulate", "demo"}


def pbr(folder: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """`pbr` in a folder of its own, its warehouse (not yet made) in `wh/`."""
    base = {name: value for name, value in os.environ.items() if not name.startswith(("PBR_", "DAGSTER_"))}
    return subprocess.run(
        [sys.executable, "-m", "pbr_pipeline.cli", *args],
        env={**base, "PBR_WAREHOUSE": str(folder / "wh" / "pbr.duckdb"), "PBR_PSEUDONYM_KEY": "k", **(env or {})},
        cwd=folder,
        capture_output=True,
        text=True,
    )


def the_one_line(result: subprocess.CompletedProcess) -> str:
    """The error: the one line of stderr that is not a progress line, with no class name."""
    lines = [line for line in result.stderr.splitlines() if not line.startswith("[")]
    assert len(lines) == 1 and lines[0].startswith("pbr: "), result.stderr[-3000:]
    assert not CLASS_NAME.search(result.stderr), result.stderr[-3000:]
    return lines[0]


@pytest.mark.parametrize(
    "args",
    [
        ("run", "--window", "2011-01"),
        ("run", "--from", "2011-01", "--to", "2012-06"),
        ("finalize", "--window", "2011-01", "--by", "Ann"),
        ("explain", "--window", "2011-01", "--line-key", "OXF-000001#1|ATTACHMENT|"),
    ],
)
def test_a_window_before_the_first_says_so_before_anything_runs(tmp_path, args):
    result = pbr(tmp_path, *args)
    assert (result.returncode, result.stderr) == (2, f"pbr: 2011-01 is before the first window {FIRST_WINDOW}\n")
    assert list(tmp_path.iterdir()) == []  # no warehouse, no lock, no Dagster instance


def test_a_window_whose_month_is_not_over_says_so_in_plain_words(tmp_path):
    from pbr_pipeline.partitions import monthly_windows

    latest = monthly_windows.get_last_partition_key()
    assert latest == window_of(dt.datetime.now(dt.UTC).date().replace(day=1) - dt.timedelta(days=1))
    result = pbr(tmp_path, "run", "--from", latest, "--to", shift_window(latest, 1))
    assert (result.returncode, result.stderr) == (
        2,
        f"pbr: {shift_window(latest, 1)} is after the latest window {latest}: a window is run once its month is over\n",
    )
    assert list(tmp_path.iterdir()) == []


def test_errors_are_one_line_in_the_projects_words_without_a_class_name(tmp_path):
    bad_config = tmp_path / "config"
    bad_config.mkdir()
    (bad_config / "oxf.yaml").write_text("area: OXF\nname: x\n  bad: [\n")
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    cases = {
        "config": (("run", "--window", "2012-04"), {"PBR_CONFIG_DIR": str(bad_config)}),
        "usage": (("run", "--window", "2012-4"), {}),
        "no warehouse": (("finalize", "--window", "2012-04", "--by", "Ann"), {}),
        "no analysts' copy": (("explain", "--window", "2012-04", "--line-key", "OXF-000001#1|ATTACHMENT|"), {}),
        "generate into a file": (
            ("generate", "--out", str(a_file / "landing"), "--from", "2012-04", "--to", "2012-04"),
            {},
        ),
    }
    lines = {}
    for case, (args, env) in cases.items():
        folder = tmp_path / "case" / case.replace(" ", "-").replace("'", "")
        folder.mkdir(parents=True)
        result = pbr(folder, *args, env=env)
        assert result.returncode in (1, 2), (case, result.stderr)
        lines[case] = the_one_line(result)
    assert (
        lines["config"]
        == f"pbr: {bad_config / 'oxf.yaml'}: <file>: not valid YAML at line 3, column 6: mapping values are not allowed here"
    )
    assert lines["usage"] == "pbr: argument --window: not a window YYYY-MM: '2012-4' (see pbr run --help)"
    assert lines["no warehouse"].startswith("pbr: there is no warehouse at ")
    assert lines["no analysts' copy"].startswith("pbr: there is no analysts' copy at ")
    assert lines["generate into a file"] == f"pbr: Not a directory: {a_file / 'landing'}"

    # A warehouse in use, and one that is no DuckDB file (an unexpected error: its traceback is kept).
    busy = tmp_path / "busy"
    (busy / "wh").mkdir(parents=True)
    with warehouse_lock(busy / "wh" / "pbr.duckdb", "a test"):
        held = pbr(busy, "finalize", "--window", "2012-04", "--by", "Ann")
    assert held.returncode == 2
    assert re.fullmatch(
        rf"pbr: the warehouse pbr.duckdb is in use by pid {os.getpid()} \(a test\) since .*: try again when it has finished",
        the_one_line(held),
    )
    broken = tmp_path / "broken"
    (broken / "wh").mkdir(parents=True)
    (broken / "wh" / "pbr.duckdb").write_text("not a database")
    unreadable = pbr(broken, "run", "--window", "2012-04", env={"PBR_CONFIG_DIR": str(ACCEPTANCE / "config")})
    assert unreadable.returncode == 1
    kept = broken / "wh" / "logs" / "pbr-error.log"
    assert the_one_line(unreadable) == (
        f'pbr: IO Error: The file "{broken / "wh" / "pbr.duckdb"}" exists, but it is not a valid DuckDB database file! '
        f"(traceback in {kept})"
    )
    assert "Traceback (most recent call last)" in kept.read_text()


def test_a_dbt_error_is_the_line_dbt_gives_under_its_kind():
    # As dagster-dbt words a failed `dbt build`: its paragraph, then the errors of dbt's log.
    paragraph = (
        "The dbt CLI process with command\n\n`dbt build`\n\nfailed with exit code `1`. Check the stdout in the "
        "Dagster compute logs for the full information about the error.\n\nErrors parsed from dbt logs:\n\n"
    )
    assert (
        one_line(paragraph + "Failure in test unique_x (models/a.yml)\n\n  Got 1 result, configured to fail if != 0\n")
        == "Failure in test unique_x (models/a.yml): Got 1 result, configured to fail if != 0"
    )
    assert (
        one_line(paragraph + "Encountered an error:\nRuntime Error\n  Database error: no such table\n")
        == "Runtime Error: Database error: no such table"
    )
    assert (
        one_line(paragraph + "Failure in test a (a.yml)\n\nFailure in test b (b.yml)\n") == "Failure in test a (a.yml)"
    )
    assert one_line("Not a directory: '/x'\n") == "Not a directory: '/x'"


def test_the_instance_is_dagster_home_or_beside_the_warehouse_with_the_projects_settings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert dagster_home({}) == tmp_path / "dagster_home"  # where `make ui` looks, from the repository
    assert dagster_home({"PBR_WAREHOUSE": "w/pbr.duckdb"}) == tmp_path / "w" / "dagster_home"
    assert dagster_home({"DAGSTER_HOME": "h", "PBR_WAREHOUSE": "w/pbr.duckdb"}) == tmp_path / "h"
    written = instance_settings(tmp_path / "new")
    assert (
        written.read_bytes() == INSTANCE_SETTINGS.read_bytes() == (REPO / "dagster_home" / "dagster.yaml").read_bytes()
    )
    written.write_text("telemetry:\n  enabled: false\n")  # an instance's own settings are its owner's
    assert instance_settings(tmp_path / "new").read_text() == "telemetry:\n  enabled: false\n"


@pytest.fixture(scope="module")
def recorded_run(tmp_path_factory) -> PipelineRun:
    """Three acceptance windows run by `pbr run`, its instance left to its default."""
    before = sorted(os.listdir(REPO / "dagster_home"))
    run = PipelineRun(tmp_path_factory.mktemp("recorded"), ACCEPTANCE / "landing", ACCEPTANCE / "config")
    run.last_output = run.pbr("run", "--from", WINDOWS[0], "--to", WINDOWS[-1])
    # The tests' runs go beside their warehouse, never into the repository's instance.
    assert sorted(os.listdir(REPO / "dagster_home")) == before
    return run


def test_pbr_runs_are_recorded_in_the_instance_the_ui_reads(recorded_run):
    from dagster import AssetKey, DagsterInstance, DagsterRunStatus

    from pbr_pipeline.assets.dbt import pbr_dbt_models

    home = recorded_run.warehouse.parent / "dagster_home"
    assert not (recorded_run.root / "dagster_home").exists()
    assert (home / "dagster.yaml").read_bytes() == INSTANCE_SETTINGS.read_bytes()
    with DagsterInstance.from_config(str(home)) as instance:
        [run] = instance.get_runs()
        assert run.status == DagsterRunStatus.SUCCESS
        assert (run.tags["dagster/asset_partition_range_start"], run.tags["dagster/asset_partition_range_end"]) == (
            WINDOWS[0],
            WINDOWS[-1],
        )
        assert sorted(instance.get_materialized_partitions(AssetKey(["exports", "statements"]))) == WINDOWS
        dbt_keys = sorted(pbr_dbt_models.keys)
        assert len(dbt_keys) > 40
        assert {key: sorted(instance.get_materialized_partitions(key)) for key in dbt_keys} == dict.fromkeys(
            dbt_keys, WINDOWS
        )


def test_log_files_carry_no_terminal_colours(recorded_run):
    logs = recorded_run.root / "logs"
    run_log = (logs / f"run-{WINDOWS[0]}..{WINDOWS[-1]}.log").read_bytes()
    dbt_log = (logs / "dbt-target" / "dbt.log").read_bytes()
    assert b"OK created sql view model staging.stg_config__areas" in run_log  # dbt's output
    assert b'"name": "MainReportVersion"' in dbt_log
    # As bytes, and as dbt's JSON log escapes them.
    assert [
        (name, code)
        for name, text in (("run", run_log), ("dbt", dbt_log))
        for code in (b"\x1b", b"\\u001b")
        if code in text
    ] == []


def test_a_run_failing_in_dbt_says_why_in_one_line(recorded_run, tmp_path):
    run = recorded_run.copy(tmp_path / "copy")
    # dbt refuses a target its profile does not have: an error of dbt's own, mid-run.
    failed = run.pbr("run", "--window", "2012-07", check=False, env={"DBT_TARGET": "nope"})
    assert failed.returncode == 1
    assert the_one_line(failed) == (
        "pbr: run for 2012-07 failed at pbr_dbt_models: Runtime Error: The profile 'pbr' does not have a target "
        "named 'nope'. The valid target names for this profile are:; warehouse restored as this run found it "
        f"(details: {run.root / 'logs' / 'run-2012-07.log'})"
    )
    assert run.query("SELECT payment_window FROM marts.payment_runs ORDER BY 1") == [(w,) for w in WINDOWS]


def dbt_children(pid: int) -> list[int]:
    """The `dbt build` processes a process started."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        if parent == pid and b"build" in command and any(part.endswith(b"dbt") for part in command):
            found.append(int(stat.parent.name))
    return found


def test_an_interrupted_run_says_so_in_one_line_and_puts_the_warehouse_back(recorded_run, tmp_path):
    run = recorded_run.copy(tmp_path / "copy")
    process = subprocess.Popen(
        [sys.executable, "-m", "pbr_pipeline.cli", "run", "--window", "2012-07"],
        env=run.env(),
        cwd=run.root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a shell runs a command
    )
    deadline = time.monotonic() + 600
    while not (dbt := dbt_children(process.pid)) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert dbt, "dbt never started"
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C: the whole group, dbt included
    stderr = process.communicate(timeout=300)[1]
    result = subprocess.CompletedProcess(process.args, process.returncode, "", stderr)
    assert result.returncode == 130, stderr[-3000:]
    assert the_one_line(result) == (
        "pbr: run for 2012-07 interrupted; warehouse restored as this run found it "
        f"(details: {run.root / 'logs' / 'run-2012-07.log'})"
    )
    assert not any(is_running(pid) for pid in dbt)
    assert run.query("SELECT payment_window FROM marts.payment_runs ORDER BY 1") == [(w,) for w in WINDOWS]


def test_the_demo_says_which_provider_it_makes_game(tmp_path):
    assert "with --gaming KNT-KCA=park," in " ".join(pbr(tmp_path, "demo", "--help").stdout.split())
