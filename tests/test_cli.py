"""`pbr` from a shell: the Dagster instance its runs are recorded in, and log files without
terminal colours. Every case goes through the real command."""

from __future__ import annotations

import os

import pytest

from pbr_pipeline.settings import INSTANCE_SETTINGS, dagster_home, instance_settings
from tests.conftest import ACCEPTANCE, REPO, PipelineRun

WINDOWS = ["2012-04", "2012-05", "2012-06"]


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
