"""The dbt sources of the raw tables follow the tables' specification (pbr_pipeline.dbt_sources)."""

from __future__ import annotations

import duckdb
import yaml

from data_contracts.tables import RETURN_TABLES
from pbr_pipeline.dbt_sources import RAW_SOURCES, raw_sources_yml, write_raw_sources
from pbr_pipeline.warehouse import ensure_schema


def test_the_committed_raw_sources_are_what_the_specification_gives():
    assert RAW_SOURCES.read_text(encoding="utf-8") == raw_sources_yml(), (
        "dbt_project/models/staging/_raw_sources.yml is stale: run python -m pbr_pipeline.dbt_prepare"
    )


def test_the_raw_sources_declare_the_raw_tables_as_the_warehouse_creates_them(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        ensure_schema(con)
        created = {
            table: con.execute(
                "SELECT column_name, data_type FROM information_schema.columns"
                " WHERE table_schema = 'raw' AND table_name = ? ORDER BY ordinal_position",
                [table],
            ).fetchall()
            for table in RETURN_TABLES
        }
    finally:
        con.close()
    (source,) = yaml.safe_load(RAW_SOURCES.read_text(encoding="utf-8"))["sources"]
    declared = {t["name"]: [(c["name"], c["data_type"]) for c in t["columns"]] for t in source["tables"]}
    assert declared == created
    assert ("tariff_band", "INTEGER") in declared["assessments"]
    assert ("alcohol_units", "DECIMAL(6,2)") in declared["top"]
    assert not {"initials", "date_of_birth", "sex"} & {name for name, _ in declared["assessments"]}


def test_a_stale_file_is_rewritten_and_a_current_one_left_alone(tmp_path):
    path = tmp_path / "_raw_sources.yml"
    path.write_text("version: 2\n", encoding="utf-8")
    assert write_raw_sources(path) is True
    assert path.read_text(encoding="utf-8") == raw_sources_yml()
    assert write_raw_sources(path) is False
