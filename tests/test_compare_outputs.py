"""bench/compare_outputs.py: the comparison of two sides' warehouses and export folders."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import duckdb
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "compare_outputs.py"


@pytest.fixture(scope="module")
def compare():
    spec = importlib.util.spec_from_file_location("compare_outputs", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def warehouse(path: Path, statements: list[str]) -> Path:
    con = duckdb.connect(str(path))
    for schema in ("raw", "quality", "marts", "config", "intermediate"):
        con.execute(f"CREATE SCHEMA {schema}")
    con.execute("CREATE TABLE raw.top (pbr_id VARCHAR, score INTEGER, loaded_at TIMESTAMP)")
    con.execute("INSERT INTO raw.top VALUES ('A', 1, now()), ('A', 1, now()), ('B', 2, now())")
    con.execute("CREATE TABLE marts.payment_lines (line_key VARCHAR, amount DECIMAL(12,2))")
    con.execute("INSERT INTO marts.payment_lines VALUES ('x', 10.00), ('y', 20.00)")
    con.execute("CREATE TABLE intermediate.scratch (n INTEGER)")  # not a compared schema
    for statement in statements:
        con.execute(statement)
    con.close()
    return path


def test_windows_from_the_first(compare):
    assert [compare.shift_window("2012-04", i) for i in (0, 8, 9, 23)] == ["2012-04", "2012-12", "2013-01", "2014-03"]


def test_only_the_listed_clock_columns_are_left_out(compare):
    assert compare.clock_reason("raw", "episodes", "loaded_at")
    assert compare.clock_reason("quality", "submissions", "received_at")
    assert compare.clock_reason("marts", "payment_runs", "run_at")
    assert compare.clock_reason("quality", "submissions", "fingerprint") is None
    assert compare.clock_reason("marts", "journeys", "loaded_at") is None


def test_the_same_warehouses_apart_from_the_clock_compare_equal(compare, tmp_path):
    before = warehouse(tmp_path / "before.duckdb", [])
    after = warehouse(
        tmp_path / "after.duckdb",
        ["UPDATE raw.top SET loaded_at = loaded_at + INTERVAL 1 DAY", "INSERT INTO intermediate.scratch VALUES (1)"],
    )
    stats, differences = compare.compare_warehouses(before, after)
    assert differences == []
    assert stats["tables"] == 2 and stats["rows_before"] == 5
    assert list(stats["excluded"]) == ["raw.top.loaded_at"]


def test_rows_are_compared_as_a_multiset(compare, tmp_path):
    before = warehouse(tmp_path / "before.duckdb", [])
    # The same set of rows, one duplicate fewer and one more: only EXCEPT ALL tells them apart.
    after = warehouse(
        tmp_path / "after.duckdb",
        [
            "DELETE FROM raw.top WHERE pbr_id = 'A'",
            "INSERT INTO raw.top VALUES ('A', 1, now()), ('B', 2, now())",
            "UPDATE marts.payment_lines SET amount = 20.01 WHERE line_key = 'y'",
        ],
    )
    _, differences = compare.compare_warehouses(before, after)
    found = {(d["kind"], d["table"]): d for d in differences}
    assert set(found) == {
        ("rows only before", "raw.top"),
        ("rows only after", "raw.top"),
        ("rows only before", "marts.payment_lines"),
        ("rows only after", "marts.payment_lines"),
    }
    assert found[("rows only before", "raw.top")]["sample"] == [["A", "1"]]
    assert found[("rows only after", "marts.payment_lines")]["sample"] == [["y", "20.01"]]


def test_tables_and_columns_must_match(compare, tmp_path):
    before = warehouse(tmp_path / "before.duckdb", ["CREATE TABLE quality.gone (n INTEGER)"])
    after = warehouse(tmp_path / "after.duckdb", ["ALTER TABLE marts.payment_lines ALTER amount TYPE DECIMAL(14,2)"])
    _, differences = compare.compare_warehouses(before, after)
    kinds = {(d["kind"], d["table"]) for d in differences}
    assert ("table only before", "quality.gone") in kinds
    assert ("columns", "marts.payment_lines") in kinds


def test_files_compare_by_path_and_bytes(compare, tmp_path):
    for side, summary in (("before", b"a,b\n1,2\n"), ("after", b"a,b\n1,3\n")):
        (tmp_path / side / "2012-04").mkdir(parents=True)
        (tmp_path / side / "2012-04" / "summary.csv").write_bytes(summary)
        (tmp_path / side / "2012-04" / "statement_X.csv").write_bytes(b"same\n")
    (tmp_path / "after" / "2012-04" / "extra.csv").write_bytes(b"")
    files, differences = compare.compare_files(tmp_path / "before", tmp_path / "after")
    assert files == 3
    assert differences == [
        {"kind": "file only after", "file": "2012-04/extra.csv"},
        {
            "kind": "file bytes",
            "file": "2012-04/summary.csv",
            "bytes_before": 8,
            "bytes_after": 8,
            "line": 2,
            "before": "1,2",
            "after": "1,3",
        },
    ]
