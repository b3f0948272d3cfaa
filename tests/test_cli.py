"""`pbr` from a shell: help for every option, windows said in the project's words, the Dagster
instance its runs are recorded in, and log files without terminal colours. Every case goes
through the real command."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pbr_pipeline.cli import build_parser
from pbr_pipeline.settings import INSTANCE_SETTINGS, dagster_home, instance_settings
from pbr_pipeline.windows import FIRST_WINDOW, shift_window, window_of
from tests.conftest import ACCEPTANCE, REPO, PipelineRun

WINDOWS = ["2012-04", "2012-05", "2012-06"]


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
    assert set(commands.choices) == {"run", "finalize", "explain", "generate", "demo"}


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
