"""Pure helpers, tested without dbt or Dagster runs."""

from __future__ import annotations

import datetime as dt
import json
import os
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pbr_pipeline.assets.payments import statement_metadata
from pbr_pipeline.cli import statement_summary
from pbr_pipeline.dbt import dbt_build_args, dbt_vars
from pbr_pipeline.dbt_prepare import manifest_is_current
from pbr_pipeline.partitions import partition_of_window, window_of_partition
from pbr_pipeline.payments.exports import csv_text, write_window_exports
from pbr_pipeline.payments.runs import PaymentRunError, ensure_previous_window_run, finalize, record_run, RunTotals
from pbr_pipeline.sensors import landed_by_window, new_sources
from pbr_pipeline.settings import Settings
from pbr_pipeline.warehouse import ensure_schema
from pbr_pipeline.windows import first_day, last_day, shift_window, window_of, window_range
from tests.returns_builder import csv_bytes, write_submission


def test_window_arithmetic():
    assert shift_window("2012-04", -1) == "2012-03"
    assert shift_window("2012-12", 1) == "2013-01"
    assert shift_window("2014-01", -13) == "2012-12"
    assert window_range("2012-11", "2013-02") == ["2012-11", "2012-12", "2013-01", "2013-02"]
    assert last_day("2012-02") == dt.date(2012, 2, 29)
    assert first_day("2013-07") == dt.date(2013, 7, 1)
    assert window_of(dt.date(2013, 7, 31)) == "2013-07"
    with pytest.raises(ValueError, match="runs backwards"):
        window_range("2013-02", "2012-11")
    with pytest.raises(ValueError, match="not a window"):
        shift_window("2013-13", 1)


def test_dbt_vars_name_the_window_and_the_absolute_warehouse(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    expected = {"warehouse": f"{tmp_path}/relative/w.duckdb", "window": "2013-02"}
    assert json.loads(dbt_vars("2013-02", Path("relative/w.duckdb"))) == expected
    assert dbt_build_args("2013-02", Path("/w/pbr.duckdb")) == [
        "build", "--vars", '{"warehouse": "/w/pbr.duckdb", "window": "2013-02"}', "--exclude", "resource_type:unit_test"]


def test_partition_keys_map_to_windows():
    assert window_of_partition("2012-06-01") == "2012-06"
    assert partition_of_window("2012-06") == "2012-06-01"


def test_settings_defaults_and_development_key_flag():
    defaults = Settings.from_env({})
    assert defaults.warehouse.as_posix().endswith("data/warehouse/pbr.duckdb")
    assert defaults.landing_dir.as_posix().endswith("data/landing")
    assert defaults.using_development_key
    assert not Settings.from_env({"PBR_PSEUDONYM_KEY": "secret"}).using_development_key


def test_sensor_requests_only_windows_with_new_submissions(tmp_path):
    files = {"assessments.csv": csv_bytes("assessments", [])}
    write_submission(tmp_path, "OXF-AQUARIUS", "2012-04", 1, files)
    write_submission(tmp_path, "OXF-AQUARIUS", "2012-05", 1, files, as_zip=True)
    (tmp_path / "2012-05" / "not-a-submission").mkdir()
    landed = landed_by_window(tmp_path)
    assert landed == {
        "2012-04": ["2012-04/OXF-AQUARIUS_2012-04_01"],
        "2012-05": ["2012-05/OXF-AQUARIUS_2012-05_01.zip"],
    }
    assert new_sources(landed, {"2012-04/OXF-AQUARIUS_2012-04_01"}) == {"2012-05": ["2012-05/OXF-AQUARIUS_2012-05_01.zip"]}
    assert new_sources(landed, set(landed["2012-04"] + landed["2012-05"])) == {}


def test_export_csv_formatting_is_exact():
    rows = [("2013-01", None, Decimal("-50"), dt.date(2012, 10, 1), 2)]
    assert csv_text(["w", "code", "amount", "earned", "band"], rows) == (
        b"w,code,amount,earned,band\n2013-01,,-50.00,2012-10-01,2\n"
    )


def test_window_exports_replace_the_folder_whole(tmp_path):
    write_window_exports(tmp_path, "2013-01", {"statement_A.csv": b"a\n", "summary.csv": b"s\n"})
    write_window_exports(tmp_path, "2013-01", {"summary.csv": b"t\n"})
    assert sorted(p.name for p in (tmp_path / "2013-01").iterdir()) == ["summary.csv"]
    assert (tmp_path / "2013-01" / "summary.csv").read_bytes() == b"t\n"
    assert [p.name for p in tmp_path.iterdir()] == ["2013-01"]


@pytest.fixture
def con():
    connection = duckdb.connect()
    ensure_schema(connection)
    yield connection
    connection.close()


def test_runs_go_in_window_order_and_finalize_is_recorded(con):
    ensure_previous_window_run(con, "2013-01")  # nothing run yet: any window may start
    record_run(con, "2013-01", "f1", RunTotals(3, Decimal("250.00")))
    ensure_previous_window_run(con, "2013-02")
    ensure_previous_window_run(con, "2013-01")  # a re-run of the latest window
    with pytest.raises(PaymentRunError, match="2013-02 has not been run"):
        ensure_previous_window_run(con, "2013-03")

    with pytest.raises(PaymentRunError, match="no payment run for 2013-02"):
        finalize(con, "2013-02", "Ann Analyst")
    finalize(con, "2013-01", "Ann Analyst")
    with pytest.raises(PaymentRunError, match="already final"):
        finalize(con, "2013-01", "Ann Analyst")
    record_run(con, "2013-01", "f1", RunTotals(3, Decimal("250.00")))
    assert con.execute(
        "SELECT status, finalized_by, lines, net_amount FROM marts.payment_runs"
    ).fetchall() == [("FINAL", "Ann Analyst", 3, Decimal("250.00"))]


def test_statement_summary_table_lists_each_provider_and_the_total(tmp_path):
    (tmp_path / "2014-03").mkdir()
    (tmp_path / "2014-03" / "summary.csv").write_text(
        "payment_window,area,provider,lines,new_amount,reversal_amount,net_amount_due\n"
        "2014-03,KNT,KNT-CRI,1436,130190.00,0.00,130190.00\n"
        "2014-03,WIG,WIG-ADS,0,0.00,0.00,0.00\n"
        "2014-03,WIG,WIG-NEW,3,100.00,-250.50,-150.50\n"
    )
    assert statement_summary(tmp_path, "2014-03").splitlines() == [
        "statement summary 2014-03",
        "  area  provider              lines        net due",
        "  KNT   KNT-CRI               1,436     130,190.00",
        "  WIG   WIG-ADS                   0           0.00",
        "  WIG   WIG-NEW                   3        -150.50",
        "        total                 1,439     130,039.50",
    ]


def test_statement_metadata_shows_net_due_per_provider_and_each_statement_start():
    statement = ("payment_window,line_key,amount\n" + "".join(f"2014-03,K-{i}|OUTCOME|D2,10.00\n" for i in range(5))).encode()
    files = {
        "summary.csv": b"payment_window,area,provider,lines,new_amount,reversal_amount,net_amount_due\n"
                       b"2014-03,KNT,KNT-CRI,5,50.00,0.00,50.00\n2014-03,WIG,WIG-ADS,0,0.00,0.00,0.00\n",
        "statement_KNT-CRI.csv": statement,
        "statement_WIG-ADS.csv": b"payment_window,line_key,amount\n",
    }
    metadata = statement_metadata(Path("/exports/2014-03"), files)
    assert metadata["files"] == 3
    assert metadata["net_due_by_provider"].md_str.splitlines() == [
        "| area | provider | lines | net due |", "| --- | --- | ---: | ---: |",
        "| KNT | KNT-CRI | 5 | 50.00 |", "| WIG | WIG-ADS | 0 | 0.00 |"]
    assert metadata["statement_preview"].md_str.splitlines() == [
        "```",
        "statement_KNT-CRI.csv: 5 lines", "payment_window,line_key,amount",
        "2014-03,K-0|OUTCOME|D2,10.00", "2014-03,K-1|OUTCOME|D2,10.00", "2014-03,K-2|OUTCOME|D2,10.00",
        "",
        "statement_WIG-ADS.csv: 0 lines", "payment_window,line_key,amount",
        "```"]


def test_the_manifest_is_current_until_a_dbt_file_is_newer(tmp_path):
    project = tmp_path / "dbt_project"
    (project / "models").mkdir(parents=True)
    (project / "target").mkdir()
    model, notes, manifest = project / "models" / "m.sql", project / "models" / "notes.txt", project / "target" / "manifest.json"
    assert not manifest_is_current(project, manifest)  # never parsed
    for path, at in ((model, 1_000), (notes, 1_000), (manifest, 2_000)):
        path.write_text("x")
        os.utime(path, (at, at))
    assert manifest_is_current(project, manifest)
    os.utime(notes, (3_000, 3_000))  # not a file dbt reads
    assert manifest_is_current(project, manifest)
    os.utime(model, (3_000, 3_000))
    assert not manifest_is_current(project, manifest)
