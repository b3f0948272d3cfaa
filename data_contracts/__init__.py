"""Row contracts for provider returns: one pandera schema per table, built from the tables'
specification (`data_contracts/tables.py`, spec/returns.md)."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from data_contracts.rules import (
    SubmissionContext,
    add_context,
    context_values,
    contract,
)
from data_contracts.tables import RETURN_TABLES

CONTRACTS: dict[str, pa.DataFrameSchema] = {name: contract(table) for name, table in RETURN_TABLES.items()}

FAILURE_COLUMNS = ["line_number", "column_name", "reason"]
ROW_FAILURE_COLUMNS = ["row", "column_name", "reason"]


def required_columns(table: str) -> tuple[str, ...]:
    """Columns whose absence from a header rejects the submission (MISSING_COLUMN)."""
    return RETURN_TABLES[table].required_columns


def row_failures(table: str, frame: pd.DataFrame, context: SubmissionContext) -> pd.DataFrame:
    """Every (line_number, column_name, reason) that breaks the table's contract, in that order.

    `frame` holds one file's rows: every spec column as trimmed text (null for empty), indexed
    by line number.
    """
    failures = contract_failures(table, add_context(frame, context))
    return failures.rename(columns={"row": "line_number"})


def contract_failures(table: str, framed: pd.DataFrame) -> pd.DataFrame:
    """Every (row, column_name, reason) that breaks the table's contract, sorted and distinct.

    `framed` holds the rows of one file or of many: every spec column as trimmed text (null
    for empty) and every context column (`add_context`, `context_values`); `row` is the label
    of the failing row in its index, which must be unique.
    """
    try:
        CONTRACTS[table].validate(framed, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        unexpected = cases[~cases["check"].astype(str).str.contains(":", regex=False)]
        if not unexpected.empty:
            # A schema-level failure (a missing column, a wrong dtype) is a bug in the caller.
            raise RuntimeError(f"{table}: contract could not run: {unexpected.to_dict('records')}") from errors
        reason_column = cases["check"].str.split(":", n=1, expand=True)
        failures = pd.DataFrame(
            {
                "row": cases["index"].astype(int),
                "column_name": reason_column[1],
                "reason": reason_column[0],
            }
        )
        return failures.drop_duplicates().sort_values(ROW_FAILURE_COLUMNS).reset_index(drop=True)
    return pd.DataFrame(columns=ROW_FAILURE_COLUMNS)


__all__ = [
    "CONTRACTS",
    "SubmissionContext",
    "add_context",
    "context_values",
    "contract_failures",
    "required_columns",
    "row_failures",
]
