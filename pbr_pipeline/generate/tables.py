"""The six return tables: their columns in spec order, how each column is held and written.

A table is held as a pandas DataFrame with one column per spec column plus three bookkeeping
columns: `_sub` (index of the submitter in the Registry), `_win` (index of the window whose
submission carries the row) and `_uid` (a row id, unique within the table, that defects and
line numbers refer to). Keys and integers are held as integers and turned into text only when a
window is written, which keeps a national population small in memory.
"""

from __future__ import annotations

from dataclasses import dataclass

from data_contracts.tables import TABLE_KEYS

# Column kinds: "id" integer written with the table's prefix, "text" a Python str ('' = null),
# "date" a day number, "int" an integer, "tenths" an integer number of tenths (one decimal).
SUBSTANCE_DAY_COLUMNS = (
    "opiates_days",
    "crack_days",
    "cocaine_days",
    "amphetamines_days",
    "cannabis_days",
    "alcohol_days",
    "other_days",
)

COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "assessments": (
        ("assessment_id", "id"),
        ("pbr_id", "text"),
        ("initials", "text"),
        ("date_of_birth", "date"),
        ("sex", "text"),
        ("assessment_date", "date"),
        ("assessment_type", "text"),
        ("tariff_band", "int"),
        ("primary_substance", "text"),
        ("secondary_substance", "text"),
        ("pathway", "text"),
        ("referred_to", "text"),
        ("deleted", "text"),
    ),
    "episodes": (
        ("episode_id", "id"),
        ("pbr_id", "text"),
        ("pathway", "text"),
        ("referral_date", "date"),
        ("triage_date", "date"),
        ("discharge_date", "date"),
        ("discharge_reason", "text"),
        ("deleted", "text"),
    ),
    "top": (
        ("top_id", "id"),
        ("pbr_id", "text"),
        ("episode_id", "id"),
        ("top_date", "date"),
        ("stage", "text"),
        *((name, "int") for name in SUBSTANCE_DAY_COLUMNS),
        ("alcohol_units", "tenths"),
        ("injecting_days", "int"),
        ("shoplifting_days", "int"),
        ("drug_selling_days", "int"),
        ("psych_health", "int"),
        ("phys_health", "int"),
        ("quality_of_life", "int"),
        ("acute_housing_problem", "text"),
        ("risk_of_eviction", "text"),
        ("paid_work_days", "int"),
        ("education_days", "int"),
        ("deleted", "text"),
    ),
    "interventions": (
        ("intervention_id", "id"),
        ("pbr_id", "text"),
        ("intervention", "text"),
        ("intervention_date", "date"),
        ("deleted", "text"),
    ),
    "offences": (
        ("offence_id", "id"),
        ("pbr_id", "text"),
        ("offence_date", "date"),
        ("disposal_date", "date"),
        ("offence_group", "text"),
        ("deleted", "text"),
    ),
    "employment": (
        ("spell_id", "id"),
        ("pbr_id", "text"),
        ("start_date", "date"),
        ("end_date", "date"),
        ("deleted", "text"),
    ),
}

# Id prefixes: one letter per table so that an id read in a log says what it is. The
# episode_id of a TOP points at an episode, so it shares the episodes' prefix.
ID_PREFIX = {
    "assessment_id": "A",
    "episode_id": "E",
    "top_id": "T",
    "intervention_id": "I",
    "offence_id": "O",
    "spell_id": "S",
}
ID_DIGITS = 8

TABLES = tuple(COLUMNS)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str


def columns(table: str) -> tuple[Column, ...]:
    return tuple(Column(name, kind) for name, kind in COLUMNS[table])


def key_column(table: str) -> str:
    return TABLE_KEYS[table]
