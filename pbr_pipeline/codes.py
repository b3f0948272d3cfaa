"""Code lists fixed by the specification (spec/returns.md, spec/outcomes.md).

The outcome and discharge codes and the submission statuses are read from the dbt seeds (dbt_project/seeds/), the one
place they are written: the models join to the same files.
"""

import csv
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

SEEDS_DIR = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds"

ROLES = ("LASAR", "PROVIDER", "POLICE", "DWP")

# The tables each role sends and their keys are part of the tables' specification:
# data_contracts.tables (ROLE_TABLES, TABLE_KEYS).

SUBSTANCES = ("OPIATES", "CRACK", "COCAINE", "AMPHETAMINES", "CANNABIS", "ALCOHOL", "OTHER")


def _seed_rows(name: str) -> list[dict[str, str]]:
    with open(SEEDS_DIR / f"{name}.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _codes(rows: list[dict[str, str]], column: str, flagged: str | None = None) -> tuple[str, ...]:
    """The seed's `column`, in its order; only the rows whose boolean `flagged` is true, if named."""
    return tuple(row[column] for row in rows if flagged is None or row[flagged] == "true")


# In the seed's order, the spec's: the generator pairs its outcome weights with it.
OUTCOME_CODES = _codes(_seed_rows("outcome_codes"), "outcome_code")

# Every code episodes.discharge_reason may take (80..89), the successful completions, the
# transfers and the declined or dropped out (the monitor's groups, spec/monitoring.md).
_DISCHARGE_REASONS = _seed_rows("discharge_reasons")
DISCHARGE_CODES = _codes(_DISCHARGE_REASONS, "code")
SUCCESSFUL_DISCHARGE_CODES = _codes(_DISCHARGE_REASONS, "code", flagged="successful")
TRANSFER_DISCHARGE_CODES = _codes(_DISCHARGE_REASONS, "code", flagged="transfer")
DECLINED_OR_DROPPED_DISCHARGE_CODES = _codes(_DISCHARGE_REASONS, "code", flagged="declined_or_dropped")

# The statuses of quality.submissions; which of them count is the seed's to say.
_SUBMISSION_STATUSES = _seed_rows("submission_statuses")
SubmissionStatus = StrEnum("SubmissionStatus", [(status, status) for status in _codes(_SUBMISSION_STATUSES, "status")])
# Loaded once, and still in the raw tables (in force or superseded since).
ROWS_LOADED_STATUSES = _codes(_SUBMISSION_STATUSES, "status", flagged="rows_loaded")
# The one whose rows count as of a window.
IN_FORCE_STATUSES = _codes(_SUBMISSION_STATUSES, "status", flagged="in_force")

RULE_SETS = ("national-2011",)

DEFAULT_RELIABLE_CHANGE_DAYS = 7
DEFAULT_QOL_NORM = 14
# When the monitor flags an indicator (spec/monitoring.md): at least this many cases, and |z| at least this.
DEFAULT_MIN_DENOMINATOR = 20
DEFAULT_Z_THRESHOLD = Decimal(3)
