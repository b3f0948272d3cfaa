"""The six return tables of spec/returns.md, written once.

Per table: who sends it, its columns in the spec's order, and per column its type, whether it
is required, its code list, pattern or range, whether it is personal, and the rules that tie
it to another column (date order, an age, a pair given together) or to the configuration.
Everything else that names the columns of a return derives from here:
- the pandera row contracts (`data_contracts/rules.py` builds each table's checks);
- the columns a header must hold (MISSING_COLUMN) and may hold (`file_columns`);
- the raw tables' DDL (`pbr_pipeline.warehouse.raw_columns`) and their dbt sources
  (`dbt_project/models/staging/_raw_sources.yml`, written by `pbr_pipeline.dbt_sources`);
- the personal columns that the ingest pseudonymises (`pbr_pipeline.ingest.pseudonymise`);
- `TABLE_KEYS` and `ROLE_TABLES`;
- the synthetic generator's files (`pbr_pipeline.generate.tables`).

This module holds data only: what each rule means as a check is `rules.py`'s business.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pbr_pipeline.codes import DISCHARGE_CODES, ROLES, SUBSTANCES


class ColumnType(StrEnum):
    KEY = "key"  # the record's id: text of 1-32 characters, unique in a file
    PBR_ID = "pbr_id"  # the service user's id issued by the LASAR
    TEXT = "text"  # free text, checked only by its pattern
    CODE = "code"  # one of a list of codes
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"  # YYYY-MM-DD


# A character outside Unicode category Cc (C0 controls, DEL, C1 controls). Free text with a NUL
# or a line break in it is a corrupt value, not an identifier.
NOT_CONTROL = r"[^\x00-\x1f\x7f-\x9f]"
TEXT_PATTERN = NOT_CONTROL + "+"
KEY_PATTERN = NOT_CONTROL + "{1,32}"
PBR_ID_PATTERN = r"[A-Z]{3}-[0-9]{6}"
YES_NO = ("Y", "N")

# Code lists that the area's configuration gives (spec/config.md), not the spec.
AREA_BANDS = "the area's tariff bands"
AREA_PROVIDERS = "the area's PROVIDER submitters"


@dataclass(frozen=True)
class Age:
    """A date of birth's rule: whole years on the date in column `on`, from `low` to `high`."""

    on: str
    low: int
    high: int


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    description: str
    required: bool = False
    codes: tuple[str, ...] = ()  # CODE: the allowed codes
    codes_from: str | None = None  # AREA_BANDS or AREA_PROVIDERS: codes the configuration gives
    pattern: str | None = None  # the whole text must match
    low: float | None = None  # INTEGER, DECIMAL: the range, a bound of None for none that side
    high: float | None = None
    personal: bool = False  # identifies a person: pseudonymised at ingest, never stored
    event_date: bool = False  # a DATE that may not be after the submission window (FUTURE_DATE)
    not_before: str | None = None  # a DATE that may not be earlier than that column (DATE_ORDER)
    differs_from: str | None = None  # a CODE that may not equal that column's value (CODE)
    age: Age | None = None  # a date of birth's age rule (RANGE on this column)
    required_iff: str | None = None  # given exactly when that column is given (REQUIRED on the missing one)
    references: str | None = None  # the key of that table (checked downstream, not a quarantine)


@dataclass(frozen=True)
class Table:
    name: str
    role: str  # the only role that may send it
    description: str
    columns: tuple[Column, ...]  # in the spec's order: the key, pbr_id, then the table's own

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    @property
    def key(self) -> str:
        return next(column.name for column in self.columns if column.type is ColumnType.KEY)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def file_columns(self) -> tuple[Column, ...]:
        """Every column a file of the table may carry: the spec's, then `deleted`."""
        return self.columns + (DELETED,)

    @property
    def required_columns(self) -> tuple[str, ...]:
        """The columns whose absence from a header rejects the submission (MISSING_COLUMN), in
        the spec's order: the key, pbr_id, then the table's required ones."""
        return tuple(column.name for column in self.columns if column.required)

    @property
    def personal_columns(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if column.personal)

    def column(self, name: str) -> Column:
        return next(column for column in self.file_columns if column.name == name)


def _key(name: str) -> Column:
    return Column(
        name,
        ColumnType.KEY,
        "The record's key, with the submitter; 1-32 characters.",
        required=True,
        pattern=KEY_PATTERN,
    )


def _pbr_id(description: str = "The service user's id issued by the LASAR.") -> Column:
    return Column(name="pbr_id", type=ColumnType.PBR_ID, description=description, required=True, pattern=PBR_ID_PATTERN)


def _date(name: str, description: str, **rules) -> Column:
    return Column(name, ColumnType.DATE, description, **rules)


def _code(name: str, codes: tuple[str, ...], description: str, **rules) -> Column:
    return Column(name, ColumnType.CODE, description, codes=codes, **rules)


def _count(name: str, description: str, high: int) -> Column:
    return Column(name, ColumnType.INTEGER, description, low=0, high=high)


DELETED = _code("deleted", YES_NO, "Y retracts the record with this key (default N).")
PATHWAYS = ("HARM_MIN", "RECOVERY")

# The TOP column each substance code maps to (spec/returns.md, assessments.csv), in the order
# of the substance codes.
DAY_COLUMN_OF_SUBSTANCE = {substance: f"{substance.lower()}_days" for substance in SUBSTANCES}

ASSESSMENTS = Table(
    "assessments",
    "LASAR",
    "Assessments by the area's LASAR; an INITIAL one opens a journey.",
    (
        _key("assessment_id"),
        _pbr_id("The service user's id; its prefix is the area code."),
        Column(
            "initials",
            ColumnType.TEXT,
            "First name and surname initials.",
            required=True,
            pattern=r"[A-Z]{2}",
            personal=True,
        ),
        _date(
            "date_of_birth",
            "Age on assessment_date 18-100.",
            required=True,
            personal=True,
            age=Age(on="assessment_date", low=18, high=100),
        ),
        _code("sex", ("M", "F", "U"), "M, F or U.", required=True, personal=True),
        _date("assessment_date", "Date of the assessment; not in the future.", required=True, event_date=True),
        _code("assessment_type", ("INITIAL", "REVIEW"), "INITIAL opens a journey.", required=True),
        Column(
            "tariff_band",
            ColumnType.INTEGER,
            "The tariff band: one defined for the area.",
            required=True,
            codes_from=AREA_BANDS,
        ),
        _code("primary_substance", SUBSTANCES, "The main substance: a substance code.", required=True),
        _code(
            "secondary_substance",
            SUBSTANCES,
            "Another substance: a substance code, not the primary.",
            differs_from="primary_substance",
        ),
        _code("pathway", PATHWAYS, "Pathway chosen at assessment.", required=True),
        Column(
            "referred_to",
            ColumnType.CODE,
            "The provider referred to: a PROVIDER of the same area.",
            required=True,
            codes_from=AREA_PROVIDERS,
        ),
    ),
)

EPISODES = Table(
    "episodes",
    "PROVIDER",
    "Treatment episodes, sent open and again when discharged.",
    (
        _key("episode_id"),
        _pbr_id(),
        _code("pathway", PATHWAYS, "The pathway: HARM_MIN or RECOVERY.", required=True),
        _date("referral_date", "Referral to the provider.", required=True, event_date=True),
        _date(
            "triage_date",
            "The start of treatment; not before referral_date.",
            required=True,
            event_date=True,
            not_before="referral_date",
        ),
        _date(
            "discharge_date",
            "Not before triage_date; null while the episode is open.",
            event_date=True,
            not_before="triage_date",
        ),
        _code(
            "discharge_reason",
            DISCHARGE_CODES,
            "An NDTMS discharge code, given exactly when discharge_date is.",
            required_iff="discharge_date",
        ),
    ),
)

TOP = Table(
    "top",
    "PROVIDER",
    "The Treatment Outcomes Profile.",
    (
        _key("top_id"),
        _pbr_id(),
        Column(
            "episode_id",
            ColumnType.TEXT,
            "An episode of the same submitter (checked by the models).",
            required=True,
            pattern=TEXT_PATTERN,
            references="episodes",
        ),
        _date("top_date", "Date of the profile.", required=True, event_date=True),
        _code("stage", ("S", "R", "E", "P"), "S start, R review, E exit, P post-exit.", required=True),
        *(
            _count(column, "Days used in the past 28; null = not disclosed.", 28)
            for column in (
                "alcohol_days",
                "opiates_days",
                "crack_days",
                "cocaine_days",
                "amphetamines_days",
                "cannabis_days",
                "other_days",
            )
        ),
        Column("alcohol_units", ColumnType.DECIMAL, "Units on a typical drinking day.", low=0, high=200),
        _count("injecting_days", "Days injected in the past 28.", 28),
        _count("shoplifting_days", "Days shoplifting in the past 28.", 28),
        _count("drug_selling_days", "Days selling drugs in the past 28.", 28),
        _count("psych_health", "Self-rated psychological health, 0-20.", 20),
        _count("phys_health", "Self-rated physical health, 0-20.", 20),
        _count("quality_of_life", "Self-rated quality of life, 0-20.", 20),
        _code("acute_housing_problem", YES_NO, "An acute housing problem: Y or N."),
        _code("risk_of_eviction", YES_NO, "At risk of eviction: Y or N."),
        _count("paid_work_days", "Days in paid work in the past 28.", 28),
        _count("education_days", "Days in education in the past 28.", 28),
    ),
)

INTERVENTIONS = Table(
    "interventions",
    "PROVIDER",
    "Health interventions delivered.",
    (
        _key("intervention_id"),
        _pbr_id(),
        _code(
            "intervention",
            ("HEPB_COURSE_COMPLETED", "HEPC_TEST", "NALOXONE_SUPPLIED"),
            "The intervention.",
            required=True,
        ),
        _date("intervention_date", "Date delivered.", required=True, event_date=True),
    ),
)

OFFENCES = Table(
    "offences",
    "POLICE",
    "Proven offending, from the area's police data share.",
    (
        _key("offence_id"),
        _pbr_id(),
        _date("offence_date", "Date of the offence.", required=True, event_date=True),
        _date(
            "disposal_date",
            "Conviction or caution; not before offence_date.",
            required=True,
            event_date=True,
            not_before="offence_date",
        ),
        _code("offence_group", ("ACQUISITIVE", "VIOLENCE", "DRUGS", "OTHER"), "The offence group.", required=True),
    ),
)

EMPLOYMENT = Table(
    "employment",
    "DWP",
    "Employment spells, from the national DWP share.",
    (
        _key("spell_id"),
        _pbr_id("The service user's id, of any area."),
        _date("start_date", "Start of the spell.", required=True, event_date=True),
        _date(
            "end_date", "Not before start_date; null while the spell goes on.", event_date=True, not_before="start_date"
        ),
    ),
)

RETURN_TABLES: dict[str, Table] = {
    table.name: table for table in (ASSESSMENTS, EPISODES, TOP, INTERVENTIONS, OFFENCES, EMPLOYMENT)
}

TABLE_KEYS = {name: table.key for name, table in RETURN_TABLES.items()}

# The tables each role may send (spec/returns.md, "Submitters and what they send").
ROLE_TABLES = {role: tuple(name for name, table in RETURN_TABLES.items() if table.role == role) for role in ROLES}

# Every column that identifies a person, in any table.
PERSONAL_COLUMNS = tuple(dict.fromkeys(name for table in RETURN_TABLES.values() for name in table.personal_columns))
