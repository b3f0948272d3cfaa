"""Pure helpers, tested without dbt or Dagster runs."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from dagster import MetadataValue

from pbr_pipeline.assets.payments import statement_metadata
from pbr_pipeline.cli import statement_summary
from pbr_pipeline.dbt import dbt_build_args, dbt_vars
from pbr_pipeline.dbt_prepare import manifest_is_current
from pbr_pipeline.lock import WarehouseBusy, warehouse_lock
from pbr_pipeline.partitions import monthly_windows, range_tags
from pbr_pipeline.payments.exports import csv_text, defused, write_window_exports
from pbr_pipeline.payments.runs import (
    PaymentRunError,
    RunTotals,
    check_final_run_reproduced,
    check_run_order,
    finalize,
    record_run,
    run_record,
)
from pbr_pipeline.progress import range_label
from pbr_pipeline.sensors import landed_by_window, new_sources
from pbr_pipeline.settings import DEVELOPMENT_KEY_ID, DEVELOPMENT_PSEUDONYM_KEY, Settings, SettingsError
from pbr_pipeline.warehouse import ensure_schema
from pbr_pipeline.windows import FIRST_WINDOW, first_day, last_day, shift_window, window_of, window_range
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


def test_dbt_vars_name_only_the_absolute_warehouse(tmp_path, monkeypatch):
    # No window among the vars: the same vars every run, so dbt parses only what changed.
    monkeypatch.chdir(tmp_path)
    assert json.loads(dbt_vars(Path("relative/w.duckdb"))) == {"warehouse": f"{tmp_path}/relative/w.duckdb"}
    assert dbt_build_args(Path("/w/pbr.duckdb")) == [
        "build",
        "--vars",
        '{"warehouse": "/w/pbr.duckdb"}',
        "--exclude",
        "resource_type:unit_test",
    ]


def test_partition_keys_are_windows_from_the_first():
    keys = monthly_windows.get_partition_keys()
    assert keys[:3] == [FIRST_WINDOW, "2012-05", "2012-06"] == window_range(FIRST_WINDOW, "2012-06")
    assert monthly_windows.start.date() == first_day(FIRST_WINDOW)
    # Oldest first, newest last: the last complete month.
    assert keys == window_range(FIRST_WINDOW, keys[-1])
    assert keys[-1] == window_of(dt.datetime.now(dt.UTC).date().replace(day=1) - dt.timedelta(days=1))


def test_a_run_of_a_range_is_tagged_with_its_first_and_last_partition():
    assert range_tags(["2012-04", "2012-05", "2012-06"]) == {
        "dagster/asset_partition_range_start": "2012-04",
        "dagster/asset_partition_range_end": "2012-06",
    }
    assert range_label(["2012-04"]) == "2012-04"
    assert range_label(["2012-04", "2012-05"]) == "2012-04..2012-05"


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
    assert new_sources(landed, {"2012-04/OXF-AQUARIUS_2012-04_01"}) == {
        "2012-05": ["2012-05/OXF-AQUARIUS_2012-05_01.zip"]
    }
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


def test_runs_go_in_window_order():
    check_run_order([], "2012-04")
    with pytest.raises(
        PaymentRunError,
        match=r"^no payment run yet: the first must be for 2012-04 \(pbr run --from 2012-04 --to 2013-01\)$",
    ):
        check_run_order([], "2013-01")
    with pytest.raises(PaymentRunError, match=r"^2012-03 is before the first window 2012-04$"):
        check_run_order([], "2012-03")
    runs = ["2012-04", "2012-05", "2012-06"]
    check_run_order(runs, "2012-07")
    check_run_order(runs, "2012-06")  # a re-run of the latest window
    with pytest.raises(
        PaymentRunError,
        match=r"the payment run for 2012-07 has not been run: runs go in window order \(pbr run --from 2012-07 --to 2012-08\)",
    ):
        check_run_order(runs, "2012-08")
    with pytest.raises(
        PaymentRunError,
        match=r"^the runs for 2012-05..2012-06 build on the run for 2012-04: re-run them with it, in order \(pbr run --from 2012-04 --to 2012-06\)$",
    ):
        check_run_order(runs, "2012-04")
    with pytest.raises(PaymentRunError, match="2012-05..2012-06 build"):
        check_run_order(runs, "2012-04", rerun_through="2012-05")
    check_run_order(runs, "2012-04", rerun_through="2012-06")
    check_run_order(runs, "2012-05", rerun_through="2012-09")


def draw_nothing(run):
    return {}


def test_finalize_draws_the_statements_again_as_final_and_records_them(con, tmp_path):
    con.execute("""CREATE TABLE marts.payment_lines AS SELECT * FROM (VALUES ('2013-01', 'J#1|ATTACHMENT|', 'NEW'))
        t(payment_window, line_key, status)""")
    record_run(con, run_record(con, "2013-01", "f1", {}, tmp_path), RunTotals(0, Decimal("0")), "key-1")
    write_window_exports(tmp_path, "2013-01", {"summary.csv": b"s\n", "summary.html": b"PROVISIONAL"})
    drawn = []

    def draw(run):
        drawn.append(run)
        return {"summary.html": f"{run.status} by {run.finalized_by}".encode()}

    at = finalize(con, "2013-01", " Ann Analyst ", tmp_path, draw)
    run_at = con.execute("SELECT run_at FROM marts.payment_runs").fetchone()[0]
    assert [(r.status, r.finalized_by, r.finalized_at, r.run_at, r.inputs_fingerprint) for r in drawn] == [
        ("FINAL", "Ann Analyst", at, run_at, "f1")
    ]
    assert (tmp_path / "2013-01" / "summary.html").read_bytes() == b"FINAL by Ann Analyst"
    assert (tmp_path / "2013-01" / "summary.csv").read_bytes() == b"s\n"
    check_final_run_reproduced(con, "2013-01", "f1", {"summary.csv": b"s\n", "summary.html": b"FINAL by Ann Analyst"})
    with pytest.raises(PaymentRunError, match=r"statement file\(s\) summary.html differ"):
        check_final_run_reproduced(con, "2013-01", "f1", {"summary.csv": b"s\n", "summary.html": b"PROVISIONAL"})


def test_finalize_is_recorded_once_with_the_files_it_must_reproduce(con, tmp_path):
    con.execute("""CREATE TABLE marts.payment_lines AS SELECT * FROM (VALUES
        ('2013-01', 'J#1|ATTACHMENT|', 'NEW', 'C-1', 100.00), ('2012-12', 'J#1|ATTACHMENT|', 'NEW', 'C-1', 5.00))
        t(payment_window, line_key, status, contract_id, amount)""")
    record_run(con, run_record(con, "2013-01", "f1", {}, tmp_path), RunTotals(3, Decimal("250.00")), "key-1")
    with pytest.raises(PaymentRunError, match="no payment run for 2013-02"):
        finalize(con, "2013-02", "Ann Analyst", tmp_path, draw_nothing)
    with pytest.raises(PaymentRunError, match=r"its statements are not in .*2013-01 \(re-run it first\)"):
        finalize(con, "2013-01", "Ann Analyst", tmp_path, draw_nothing)
    write_window_exports(tmp_path, "2013-01", {"summary.csv": b"s\n", "statement_X.csv": b"x\n"})
    finalize(con, "2013-01", "Ann Analyst", tmp_path, draw_nothing)
    with pytest.raises(PaymentRunError, match="already final"):
        finalize(con, "2013-01", "Ann Analyst", tmp_path, draw_nothing)
    run_at = con.execute("SELECT run_at FROM marts.payment_runs").fetchone()[0]
    record_run(con, run_record(con, "2013-01", "f1", {}, tmp_path), RunTotals(3, Decimal("250.00")), "key-1")
    assert con.execute("SELECT status, finalized_by, lines, net_amount, run_at FROM marts.payment_runs").fetchall() == [
        ("FINAL", "Ann Analyst", 3, Decimal("250.00"), run_at)
    ]
    assert con.execute("SELECT file FROM quality.final_files ORDER BY 1").fetchall() == [
        ("statement_X.csv",),
        ("summary.csv",),
    ]
    check_final_run_reproduced(con, "2013-01", "f1", {"summary.csv": b"s\n", "statement_X.csv": b"x\n"})
    with pytest.raises(PaymentRunError, match=r"statement file\(s\) statement_X.csv differ from the final ones"):
        check_final_run_reproduced(con, "2013-01", "f1", {"summary.csv": b"s\n", "statement_X.csv": b"y\n"})
    with pytest.raises(PaymentRunError, match="the submissions it sees have changed"):
        check_final_run_reproduced(con, "2013-01", "f2", {})
    con.execute("UPDATE marts.payment_lines SET contract_id = 'C-2' WHERE payment_window = '2013-01'")
    with pytest.raises(
        PaymentRunError,
        match=r"did not reproduce: 2 line\(s\) differ from the final ones \(first: J#1\|ATTACHMENT\| NEW\)",
    ):
        check_final_run_reproduced(con, "2013-01", "f1", {"summary.csv": b"s\n", "statement_X.csv": b"x\n"})


def test_a_rerun_with_the_same_inputs_and_files_keeps_its_run_date(con, tmp_path):
    # The statements print the run date: the same run again must print the same one.
    files = {"summary.csv": b"s\n", "statement_X.csv": b"x\n"}
    first = run_record(con, "2013-01", "f1", files, tmp_path)
    assert (first.status, first.finalized_by, first.inputs_fingerprint) == ("PROVISIONAL", None, "f1")
    record_run(con, first, RunTotals(1, Decimal("5.00")), "key-1")
    write_window_exports(tmp_path, "2013-01", {**files, "summary.html": b"<html>"})
    con.execute("UPDATE marts.payment_runs SET run_at = TIMESTAMP '2013-02-03 04:05:06'")
    again = run_record(con, "2013-01", "f1", files, tmp_path)
    assert again.run_at == dt.datetime(2013, 2, 3, 4, 5, 6)
    # other submissions, another statement, or one file more or fewer: a new run, dated now
    for fingerprint, other in [
        ("f2", files),
        ("f1", {**files, "statement_X.csv": b"y\n"}),
        ("f1", {"summary.csv": b"s\n"}),
        ("f1", {**files, "statement_Y.csv": b"y\n"}),
    ]:
        assert run_record(con, "2013-01", fingerprint, other, tmp_path).run_at > dt.datetime(2026, 1, 1)


def test_the_development_key_is_never_finalised(con, tmp_path):
    write_window_exports(tmp_path, "2013-01", {"summary.csv": b"s\n"})
    record_run(con, run_record(con, "2013-01", "f1", {}, tmp_path), RunTotals(0, Decimal("0")), DEVELOPMENT_KEY_ID)
    with pytest.raises(PaymentRunError, match="the run for 2013-01 used the development pseudonym key"):
        finalize(con, "2013-01", "Ann", tmp_path, draw_nothing)


def test_locations_follow_the_warehouse_unless_set(tmp_path):
    defaults = Settings.from_env({})
    data = Path("data").resolve()
    assert (defaults.warehouse, defaults.export_dir, defaults.analyst_warehouse, defaults.log_dir) == (
        data / "warehouse" / "pbr.duckdb",
        data / "exports",
        data / "warehouse" / "pbr_analyst.duckdb",
        data / "logs",
    )
    alone = Settings.from_env({"PBR_WAREHOUSE": str(tmp_path / "w" / "mine.duckdb")})
    folder = tmp_path / "w"
    assert (alone.export_dir, alone.validation_dir, alone.log_dir, alone.dbt_docs_dir, alone.analyst_warehouse) == (
        folder / "exports",
        folder / "validation",
        folder / "logs",
        folder / "dbt_docs",
        folder / "mine_analyst.duckdb",
    )
    explicit = Settings.from_env({"PBR_WAREHOUSE": str(folder / "mine.duckdb"), "PBR_LOG_DIR": str(tmp_path / "logs")})
    assert explicit.log_dir == tmp_path / "logs" and explicit.export_dir == folder / "exports"
    with pytest.raises(SettingsError, match="PBR_PSEUDONYM_KEY is set but empty"):
        Settings.from_env({"PBR_PSEUDONYM_KEY": ""})
    assert Settings.from_env({"PBR_PSEUDONYM_KEY": DEVELOPMENT_PSEUDONYM_KEY}).using_development_key
    assert (
        Settings.from_env({}).pseudonym_key_id
        == DEVELOPMENT_KEY_ID
        != Settings.from_env({"PBR_PSEUDONYM_KEY": "k"}).pseudonym_key_id
    )


@pytest.mark.parametrize(
    "cell, written",
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+2", "'+1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-A1", "'-A1"),
        ("\tx", "'\tx"),
        ("-250.00", "-250.00"),
        ("-3", "-3"),
        ("OXF-HM", "OXF-HM"),
    ],
)
def test_no_csv_cell_is_read_as_a_formula(cell, written):
    assert defused(cell) == written
    assert next(csv.reader(io.StringIO(csv_text(["c"], [(cell,)]).decode()[2:]))) == [written]


LOCK_HOLDER = """
import sys, time
from pathlib import Path
from pbr_pipeline.lock import warehouse_lock
with warehouse_lock(Path(sys.argv[1]), "holder for a test"):
    print("held", flush=True)
    time.sleep(600)
"""


def test_the_warehouse_lock_names_its_holder_and_dies_with_it(tmp_path):
    import subprocess
    import sys

    warehouse = tmp_path / "pbr.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(warehouse)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(
            WarehouseBusy,
            match=rf"^the warehouse pbr.duckdb is in use by pid {holder.pid} \(holder for a test\) since ",
        ):
            with warehouse_lock(warehouse):
                pass
    finally:
        holder.kill()
        holder.wait()
    with warehouse_lock(warehouse, "after"):  # the kernel released it with the process
        with warehouse_lock(warehouse):  # re-entrant within one process
            pass


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
    statement = (
        "payment_window,line_key,amount\n" + "".join(f"2014-03,K-{i}|OUTCOME|D2,10.00\n" for i in range(5))
    ).encode()
    files = {
        "summary.csv": b"payment_window,area,provider,lines,new_amount,reversal_amount,net_amount_due\n"
        b"2014-03,KNT,KNT-CRI,5,50.00,0.00,50.00\n2014-03,WIG,WIG-ADS,0,0.00,0.00,0.00\n",
        "statement_KNT-CRI.csv": statement,
        "statement_WIG-ADS.csv": b"payment_window,line_key,amount\n",
    }
    forecast = [("KNT", "KNT-CRI", "2014-05", 2, Decimal("480.00")), ("KNT", "KNT-CRI", "2014-09", 1, Decimal("0.00"))]
    metadata = statement_metadata(Path("/exports/2014-03"), files, forecast)
    assert metadata["files"] == MetadataValue.int(3)
    forecast_table = metadata["forecast_by_provider"]
    assert [(c.name, c.type) for c in forecast_table.schema.columns] == [
        ("area", "string"),
        ("provider", "string"),
        ("expected_window", "string"),
        ("lines", "int"),
        ("gross", "string"),
    ]
    assert [r.data for r in forecast_table.records] == [
        {"area": "KNT", "provider": "KNT-CRI", "expected_window": "2014-05", "lines": 2, "gross": "£480.00"},
        {"area": "KNT", "provider": "KNT-CRI", "expected_window": "2014-09", "lines": 1, "gross": "£0.00"},
    ]
    assert statement_metadata(Path("/exports/2014-03"), files, [])["forecast_by_provider"].records == []
    table = metadata["net_due_by_provider"]
    assert [(c.name, c.type) for c in table.schema.columns] == [
        ("area", "string"),
        ("provider", "string"),
        ("lines", "int"),
        ("net_due", "string"),
    ]
    assert [r.data for r in table.records] == [
        {"area": "KNT", "provider": "KNT-CRI", "lines": 5, "net_due": "£50.00"},
        {"area": "WIG", "provider": "WIG-ADS", "lines": 0, "net_due": "£0.00"},
    ]
    assert metadata["statement_preview"].md_str.splitlines() == [
        "```",
        "statement_KNT-CRI.csv: 5 lines",
        "payment_window,line_key,amount",
        "2014-03,K-0|OUTCOME|D2,10.00",
        "2014-03,K-1|OUTCOME|D2,10.00",
        "2014-03,K-2|OUTCOME|D2,10.00",
        "",
        "statement_WIG-ADS.csv: 0 lines",
        "payment_window,line_key,amount",
        "```",
    ]
    assert metadata["summary"] == MetadataValue.url("file:///exports/2014-03/summary.html")
    assert metadata["statements"].md_str.splitlines() == [
        "| area | provider | lines | net due | statement |",
        "| --- | --- | ---: | ---: | --- |",
        "| KNT | KNT-CRI | 5 | £50.00 | [HTML](file:///exports/2014-03/statement_KNT-CRI.html)"
        " · [PDF](file:///exports/2014-03/statement_KNT-CRI.pdf) |",
        "| WIG | WIG-ADS | 0 | £0.00 | [HTML](file:///exports/2014-03/statement_WIG-ADS.html)"
        " · [PDF](file:///exports/2014-03/statement_WIG-ADS.pdf) |",
    ]


def test_the_manifest_is_current_until_a_dbt_file_is_newer(tmp_path):
    project = tmp_path / "dbt_project"
    (project / "models").mkdir(parents=True)
    (project / "target").mkdir()
    model, notes, manifest = (
        project / "models" / "m.sql",
        project / "models" / "notes.txt",
        project / "target" / "manifest.json",
    )
    assert not manifest_is_current(project, manifest)  # never parsed
    for path, at in ((model, 1_000), (notes, 1_000), (manifest, 2_000)):
        path.write_text("x")
        os.utime(path, (at, at))
    assert manifest_is_current(project, manifest)
    os.utime(notes, (3_000, 3_000))  # not a file dbt reads
    assert manifest_is_current(project, manifest)
    os.utime(model, (3_000, 3_000))
    assert not manifest_is_current(project, manifest)
