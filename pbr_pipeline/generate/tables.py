"""The six return tables as the generator holds and writes them.

Their names, columns, order and keys are the tables' specification (data_contracts/tables.py);
this module adds only what the generator needs of its own: how each column is held in memory
(its kind) and the letter that starts each table's ids.

A table is held as a pandas DataFrame with one column per spec column plus three bookkeeping
columns: `_sub` (index of the submitter in the Registry), `_win` (index of the window whose
submission carries the row) and `_uid` (a row id, unique within the table, that defects and
line numbers refer to). Keys and integers are held as integers and turned into text only when a
window is written, which keeps a national population small in memory.
"""

from __future__ import annotations

from dataclasses import dataclass

from data_contracts.tables import DAY_COLUMN_OF_SUBSTANCE, RETURN_TABLES, ColumnType
from data_contracts.tables import Column as SpecColumn

# The TOP's substance day columns in the order of the substance codes (codes.SUBSTANCES).
SUBSTANCE_DAY_COLUMNS = tuple(DAY_COLUMN_OF_SUBSTANCE.values())

# Id prefixes: one letter per table so that an id read in a log says what it is. The
# episode_id of a TOP points at an episode, so it shares the episodes' prefix.
ID_PREFIX = {
    "assessments": "A",
    "episodes": "E",
    "top": "T",
    "interventions": "I",
    "offences": "O",
    "employment": "S",
}
ID_DIGITS = 8

TABLES = tuple(RETURN_TABLES)

# Column kinds: "id" integer written with the table's prefix, "text" a Python str ('' = null),
# "date" a day number, "int" an integer, "tenths" an integer number of tenths (one decimal).
KIND_OF_TYPE = {ColumnType.DATE: "date", ColumnType.INTEGER: "int", ColumnType.DECIMAL: "tenths"}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    id_prefix: str = ""  # kind "id": the letter of the table whose key it is


def _column(table: str, spec: SpecColumn) -> Column:
    if spec.type is ColumnType.KEY:
        return Column(spec.name, "id", ID_PREFIX[table])
    if spec.references:
        return Column(spec.name, "id", ID_PREFIX[spec.references])
    return Column(spec.name, KIND_OF_TYPE.get(spec.type, "text"))


def _written_order(table: str) -> tuple[SpecColumn, ...]:
    """Every column a file may carry, in the spec's order, except that the substance day
    columns go in the order of the substance codes: the generator has always written them so
    (column order is free, spec/returns.md), and its files stay byte for byte what they were."""
    file_columns = RETURN_TABLES[table].file_columns
    day_columns = iter(
        sorted(
            (c for c in file_columns if c.name in SUBSTANCE_DAY_COLUMNS),
            key=lambda c: SUBSTANCE_DAY_COLUMNS.index(c.name),
        )
    )
    return tuple(next(day_columns) if c.name in SUBSTANCE_DAY_COLUMNS else c for c in file_columns)


COLUMNS: dict[str, tuple[Column, ...]] = {
    table: tuple(_column(table, spec) for spec in _written_order(table)) for table in TABLES
}


def columns(table: str) -> tuple[Column, ...]:
    """The table's columns as the generator writes them: every spec column and `deleted`."""
    return COLUMNS[table]


def key_column(table: str) -> str:
    return RETURN_TABLES[table].key
