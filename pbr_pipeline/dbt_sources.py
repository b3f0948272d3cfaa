"""The dbt sources of the raw tables, written from the tables' specification.

`dbt_project/models/staging/_raw_sources.yml` declares each raw table's columns with their
DuckDB type (`warehouse.raw_columns`) and the spec's description of each, so dbt docs show
them. It is generated, and committed: `python -m pbr_pipeline.dbt_prepare` rewrites it when
the specification has changed, before dbt parses, and a test fails when the committed file is
not what the specification gives.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from data_contracts.tables import DELETED, RETURN_TABLES
from pbr_pipeline.dbt import DBT_PROJECT_DIR
from pbr_pipeline.ingest.pseudonymise import PSEUDONYM_COLUMNS
from pbr_pipeline.warehouse import raw_columns

RAW_SOURCES = DBT_PROJECT_DIR / "models" / "staging" / "_raw_sources.yml"
HEADER = "# Generated from data_contracts/tables.py by `python -m pbr_pipeline.dbt_prepare`: do not edit.\n"
SOURCE_DESCRIPTION = (
    "Records loaded by the ingest (pbr_pipeline.ingest), one table per return file (spec/returns.md), "
    "with lineage. Personal columns never reach these tables."
)
LINEAGE_DESCRIPTION = "Lineage: where the row came from (set by the ingest)."


def _descriptions(table: str) -> dict[str, str]:
    spec = RETURN_TABLES[table]
    described = {column.name: column.description for column in spec.columns}
    described.update(PSEUDONYM_COLUMNS)
    described[DELETED.name] = "True retracts the record with this key (the file's deleted = Y)."
    return described


def _table(table: str) -> dict:
    described = _descriptions(table)
    return {
        "name": table,
        "description": RETURN_TABLES[table].description,
        "columns": [
            {"name": name, "data_type": kind, "description": described.get(name, LINEAGE_DESCRIPTION)}
            for name, kind in raw_columns(table).items()
        ],
    }


class _IndentedLists(yaml.SafeDumper):
    """Lists indented under their key, as the project's hand-written yml files are."""

    def increase_indent(self, flow: bool = False, indentless: bool = False):
        return super().increase_indent(flow, False)


def raw_sources_yml() -> str:
    document = {
        "version": 2,
        "sources": [{"name": "raw", "description": SOURCE_DESCRIPTION, "tables": [_table(t) for t in RETURN_TABLES]}],
    }
    body = yaml.dump(document, Dumper=_IndentedLists, sort_keys=False, width=120, allow_unicode=True)
    return HEADER + body


def write_raw_sources(path: Path = RAW_SOURCES) -> bool:
    """Rewrite the file if it differs from the specification (a rewrite makes dbt parse again:
    the file is left alone, and its time stamp too, when it is current). True if rewritten."""
    text = raw_sources_yml()
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True
