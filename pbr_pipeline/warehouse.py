"""The warehouse tables that Python writes: raw records with lineage, the quality log, runs.

Everything relational downstream of these is a dbt model. Raw columns and their types follow
the tables' specification (data_contracts/tables.py), as the row contracts do, so a contract
and its table cannot drift apart. Personal columns are replaced by the pseudonymised ones:
they have no column to be written to. A run creates the tables once, before its first step
(`create_warehouse`, from the pipeline resource); the steps, `pbr` and the tests then only
connect.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from data_contracts import CONTRACTS
from data_contracts.tables import RETURN_TABLES, ColumnType
from pbr_pipeline.ingest.pseudonymise import PSEUDONYM_COLUMNS
from pbr_pipeline.windows import FIRST_WINDOW

LINEAGE_COLUMNS = {
    "submission_id": "VARCHAR",
    "submitter": "VARCHAR",
    "area": "VARCHAR",
    "window": "VARCHAR",
    "seq": "INTEGER",
    "file": "VARCHAR",
    "line_number": "INTEGER",
    "loaded_at": "TIMESTAMP",
}

QUALITY_TABLES = {
    "quality.submissions": {
        "submission_id": "VARCHAR",
        "submitter": "VARCHAR",
        "area": "VARCHAR",
        "window": "VARCHAR",
        "seq": "INTEGER",
        "status": "VARCHAR",
        "reason": "VARCHAR",
        "detail": "VARCHAR",
        "rows_in": "INTEGER",
        "rows_loaded": "INTEGER",
        "rows_quarantined": "INTEGER",
        "received_at": "TIMESTAMP",
        "source": "VARCHAR",
        "fingerprint": "VARCHAR",
        # Which pseudonym key hashed its assessments (a public name of the key, not the key).
        "pseudonym_key_id": "VARCHAR",
    },
    "quality.submission_files": {
        "submission_id": "VARCHAR",
        "fingerprint": "VARCHAR",
        "file": "VARCHAR",
        "table_name": "VARCHAR",
        "rows_in": "INTEGER",
        "rows_loaded": "INTEGER",
        "rows_quarantined": "INTEGER",
    },
    "quality.quarantine": {
        "submission_id": "VARCHAR",
        "window": "VARCHAR",
        "file": "VARCHAR",
        "line_number": "INTEGER",
        "column_name": "VARCHAR",
        "reason": "VARCHAR",
        "raw_record": "VARCHAR",
        "fingerprint": "VARCHAR",
    },
    "marts.payment_runs": {
        "payment_window": "VARCHAR",
        "run_at": "TIMESTAMP",
        "status": "VARCHAR",
        "finalized_by": "VARCHAR",
        "finalized_at": "TIMESTAMP",
        "lines": "INTEGER",
        "net_amount": "DECIMAL(14,2)",
        "inputs_fingerprint": "VARCHAR",
        "pseudonym_key_id": "VARCHAR",
    },
    # What a final run must reproduce: every line (a digest of all its columns) and every file.
    "quality.final_lines": {
        "payment_window": "VARCHAR",
        "line_key": "VARCHAR",
        "status": "VARCHAR",
        "digest": "VARCHAR",
    },
    "quality.final_files": {"payment_window": "VARCHAR", "file": "VARCHAR", "sha256": "VARCHAR"},
    # The windows the current run computes: the dbt models read them as data (one build for
    # every window of a range), so the window is no dbt var and partial parsing applies.
    "control.run_windows": {"as_of_window": "VARCHAR"},
}


RAW_TYPES = {ColumnType.INTEGER: "INTEGER", ColumnType.DECIMAL: "DECIMAL(6,2)", ColumnType.DATE: "DATE"}


def raw_columns(table: str) -> dict[str, str]:
    """Column -> DuckDB type of raw.<table>: pbr_id, the table's other columns in the spec's
    order (personal ones left out), their pseudonyms, `deleted`, then lineage. pbr_id comes
    first as it always has: the staging models select `*`, and warehouses exist."""
    spec = RETURN_TABLES[table]
    stored = [column for column in spec.columns if not column.personal]
    stored.sort(key=lambda column: column.type is not ColumnType.PBR_ID)  # stable: the rest keep their order
    columns = {column.name: RAW_TYPES.get(column.type, "VARCHAR") for column in stored}
    if spec.personal_columns:
        columns.update(dict.fromkeys(PSEUDONYM_COLUMNS, "VARCHAR"))
    columns["deleted"] = "BOOLEAN"
    return {**columns, **LINEAGE_COLUMNS}


def _create_table(con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, str]) -> None:
    body = ", ".join(f'"{column}" {kind}' for column, kind in columns.items())
    con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({body})")


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """The schemas and the tables Python writes, created where missing (a new table of a later
    version included): what dbt reads as sources and the runs record."""
    for schema in ("raw", "quality", "marts", "config", "control"):
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for table in CONTRACTS:
        _create_table(con, f"raw.{table}", raw_columns(table))
    for name, columns in QUALITY_TABLES.items():
        _create_table(con, name, columns)


def create_warehouse(path: Path) -> None:
    """The warehouse file with its schema, created where missing. A run does this once, before
    its first step (resources.py); everything else only connects."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        ensure_schema(con)
    finally:
        con.close()


def set_run_windows(con: duckdb.DuckDBPyConnection, windows: list[str]) -> None:
    """Tell the dbt models which windows this run computes."""
    con.execute("DELETE FROM control.run_windows")
    con.executemany("INSERT INTO control.run_windows VALUES (?)", [[window] for window in windows])


class WarehouseMissing(ValueError):
    """No warehouse where one is expected: nothing has run with it yet."""


@contextmanager
def connect(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection for the length of one step; the file allows one writer at a time. It only
    connects: a warehouse that does not exist is an error here, not a new empty file."""
    path = Path(path)
    if not path.is_file():
        raise WarehouseMissing(
            f"there is no warehouse at {path}: the first payment run creates it (pbr run --window {FIRST_WINDOW})"
        )
    con = duckdb.connect(str(path))
    try:
        yield con
    finally:
        con.close()
