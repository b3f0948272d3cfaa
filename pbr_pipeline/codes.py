"""Code lists fixed by the specification (spec/returns.md, spec/outcomes.md).

The outcome and discharge codes and the submission statuses are read from the dbt seeds (dbt_project/seeds/), the one
place they are written: the models join to the same files.
"""

import csv
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


# In the seed's order, the spec's: the generator pairs its outcome weights with it.
OUTCOME_CODES = tuple(row["outcome_code"] for row in _seed_rows("outcome_codes"))

# Every code episodes.discharge_reason may take (80..89), and the successful completions.
_DISCHARGE_REASONS = _seed_rows("discharge_reasons")
DISCHARGE_CODES = tuple(row["code"] for row in _DISCHARGE_REASONS)
SUCCESSFUL_DISCHARGE_CODES = tuple(row["code"] for row in _DISCHARGE_REASONS if row["successful"] == "true")

# The statuses of quality.submissions; which of them count is the seed's to say.
_SUBMISSION_STATUSES = _seed_rows("submission_statuses")
SubmissionStatus = StrEnum("SubmissionStatus", [(row["status"], row["status"]) for row in _SUBMISSION_STATUSES])
# Loaded once, and still in the raw tables (in force or superseded since).
ROWS_LOADED_STATUSES = tuple(row["status"] for row in _SUBMISSION_STATUSES if row["rows_loaded"] == "true")
# The one whose rows count as of a window.
IN_FORCE_STATUSES = tuple(row["status"] for row in _SUBMISSION_STATUSES if row["in_force"] == "true")

RULE_SETS = ("national-2011",)

DEFAULT_RELIABLE_CHANGE_DAYS = 7
DEFAULT_QOL_NORM = 14
