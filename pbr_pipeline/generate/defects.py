"""Row defects: values that break exactly one quarantine rule of spec/returns.md.

Each defect is planned on one row of a submission that will otherwise load, on a row whose key
is unique in its file, and is made so that exactly the intended reason applies (a mangled
value never also breaks a rule that reads another column). The plan is an override of the
row's text in one column, or (DUPLICATE_KEY) a second copy of the row; the writer applies it
and records the line numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from data_contracts.tables import RETURN_TABLES
from pbr_pipeline.generate import rates
from pbr_pipeline.generate.areas import AreaPlan, Registry
from pbr_pipeline.generate.dates import MISSING, date_of, whole_years_between, window_last_day
from pbr_pipeline.generate.tables import TABLES, key_column

QUARANTINE_CODES = (
    "REQUIRED",
    "TYPE",
    "RANGE",
    "CODE",
    "PATTERN",
    "DATE_ORDER",
    "FUTURE_DATE",
    "AREA_MISMATCH",
    "DUPLICATE_KEY",
)


@dataclass(frozen=True)
class RowDefect:
    table: str
    uid: int
    column: str
    code: str


@dataclass
class RowDefectPlan:
    overrides: dict[str, dict[int, tuple[str, str]]] = field(default_factory=dict)  # table -> uid -> (column, text)
    duplicates: dict[str, set[int]] = field(default_factory=dict)  # table -> uids sent twice
    defects: dict[str, dict[int, RowDefect]] = field(default_factory=dict)  # table -> uid -> defect

    def add(self, defect: RowDefect, text: str | None) -> None:
        self.defects.setdefault(defect.table, {})[defect.uid] = defect
        if text is None:
            self.duplicates.setdefault(defect.table, set()).add(defect.uid)
        else:
            self.overrides.setdefault(defect.table, {})[defect.uid] = (defect.column, text)


@dataclass(frozen=True)
class Context:
    registry: Registry
    plans: list[AreaPlan]

    def area_of(self, table: pd.DataFrame) -> np.ndarray:
        return np.array(self.registry.areas, dtype=object)[table["_sub"].to_numpy()]

    def plan_of(self, area: str) -> AreaPlan:
        return next(p for p in self.plans if p.code == area)

    def other_area(self, area: str) -> str:
        codes = sorted(p.code for p in self.plans)
        return codes[(codes.index(area) + 1) % len(codes)] if area in codes else codes[0]


# A variant: (table, column, which rows may carry it, the replacement text for one row).
Condition = Callable[[pd.DataFrame, Context], np.ndarray]
Mutation = Callable[[pd.Series, Context, np.random.Generator], "str | None"]


@dataclass(frozen=True)
class Variant:
    table: str
    column: str
    condition: Condition
    mutation: Mutation


def _any(table, context):
    return np.ones(len(table), dtype=bool)


def _present(values: np.ndarray) -> np.ndarray:
    return values != ("" if values.dtype == object else MISSING)


def _has(column: str) -> Condition:
    return lambda table, context: _present(table[column].to_numpy())


def _lacks(column: str) -> Condition:
    return lambda table, context: ~_present(table[column].to_numpy())


def _text(value: str) -> Mutation:
    return lambda row, context, rng: value


def _iso(day: int) -> str:
    return date_of(day).isoformat()


def _day_first(column: str) -> Mutation:
    # The commonest real-world date slip: a spreadsheet's dd/mm/yyyy.
    return lambda row, context, rng: date_of(row[column]).strftime("%d/%m/%Y")


def _days_before(column: str, low: int, high: int) -> Mutation:
    return lambda row, context, rng: _iso(row[column] - int(rng.integers(low, high + 1)))


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _born_too_recently(row, context, rng) -> str:
    assessed = date_of(row["assessment_date"])
    born = _years_before(assessed, 17) + dt.timedelta(days=int(rng.integers(10, 300)))
    assert whole_years_between(born, assessed) == 16
    return born.isoformat()


def _born_too_long_ago(row, context, rng) -> str:
    assessed = date_of(row["assessment_date"])
    born = _years_before(assessed, 103) - dt.timedelta(days=int(rng.integers(10, 300)))
    return born.isoformat()


def _after_window(row, context, rng) -> str:
    return _iso(window_last_day(int(row["_win"])) + int(rng.integers(1, 26)))


def _undefined_band(row, context, rng) -> str:
    return str(max(context.plan_of(context.registry.areas[row["_sub"]]).bands) + 1)


def _police_instead_of_provider(row, context, rng) -> str:
    return context.plan_of(context.registry.areas[row["_sub"]]).police


def _has_police(table, context):
    police = {p.code: bool(p.police) for p in context.plans}
    return np.array([police[a] for a in context.area_of(table)], dtype=bool)


def _other_area_pbr_id(row, context, rng) -> str:
    return context.other_area(row["pbr_id"][:3]) + row["pbr_id"][3:]


def _digit_short_pbr_id(row, context, rng) -> str:
    return row["pbr_id"][:4] + row["pbr_id"][5:]


def _duplicate(row, context, rng) -> None:
    return None


def _key_variants() -> list[Variant]:
    return [Variant(t, key_column(t), _any, _duplicate) for t in TABLES]


VARIANTS: dict[str, list[Variant]] = {
    "REQUIRED": [
        Variant("assessments", "sex", _any, _text("")),
        Variant("episodes", "pathway", _any, _text("")),
        # A discharge date without a reason: REQUIRED on the missing one.
        Variant("episodes", "discharge_reason", _has("discharge_date"), _text("")),
        Variant("top", "stage", _any, _text("")),
        Variant("interventions", "intervention", _any, _text("")),
        Variant("offences", "offence_group", _any, _text("")),
        Variant("employment", "start_date", _lacks("end_date"), _text("")),
    ],
    "TYPE": [
        Variant("top", "quality_of_life", _any, _text("n/k")),
        Variant("assessments", "tariff_band", _any, _text("n/k")),
        Variant("interventions", "intervention_date", _any, _day_first("intervention_date")),
        Variant("employment", "start_date", _lacks("end_date"), _day_first("start_date")),
    ],
    "RANGE": [
        Variant("top", "opiates_days", _any, _text("35")),
        Variant("top", "quality_of_life", _any, _text("25")),
        Variant("top", "alcohol_units", _any, _text("250.0")),
        # Age outside 18-100 on the assessment date: RANGE on date_of_birth.
        Variant("assessments", "date_of_birth", _any, _born_too_recently),
        Variant("assessments", "date_of_birth", _any, _born_too_long_ago),
    ],
    "CODE": [
        Variant("assessments", "primary_substance", _any, _text("HEROIN")),
        Variant("assessments", "referred_to", _has_police, _police_instead_of_provider),
        Variant("assessments", "tariff_band", _any, _undefined_band),
        Variant(
            "assessments",
            "secondary_substance",
            _has("secondary_substance"),
            lambda row, context, rng: row["primary_substance"],
        ),
        Variant("episodes", "discharge_reason", _has("discharge_date"), _text("90")),
        Variant("interventions", "intervention", _any, _text("HEPB_VACCINE")),
        Variant("offences", "offence_group", _any, _text("THEFT")),
    ],
    "PATTERN": [
        Variant("assessments", "initials", _any, lambda row, context, rng: row["initials"][0]),
        *(Variant(t, "pbr_id", _any, _digit_short_pbr_id) for t in TABLES),
    ],
    "DATE_ORDER": [
        Variant("offences", "disposal_date", _any, _days_before("offence_date", 1, 30)),
        Variant("employment", "end_date", _has("end_date"), _days_before("start_date", 1, 30)),
        Variant("episodes", "triage_date", _any, _days_before("referral_date", 1, 10)),
    ],
    # assessment_date is the date the spec names "not in the future".
    "FUTURE_DATE": [Variant("assessments", "assessment_date", _any, _after_window)],
    # The DWP share is exempt from the area rule, so never its table (employment).
    "AREA_MISMATCH": [Variant(t, "pbr_id", _any, _other_area_pbr_id) for t in TABLES if RETURN_TABLES[t].role != "DWP"],
    "DUPLICATE_KEY": _key_variants(),
}
assert tuple(VARIANTS) == QUARANTINE_CODES


def plan_row_defects(
    rng, tables: dict[str, pd.DataFrame], eligible: dict[str, np.ndarray], context: Context
) -> RowDefectPlan:
    """Pick rows for every quarantine reason: a known share of rows, at least one each."""
    plan = RowDefectPlan()
    used = {name: np.zeros(len(table), dtype=bool) for name, table in tables.items()}
    total = sum(int(mask.sum()) for mask in eligible.values())
    for code, variants in VARIANTS.items():
        pools = [
            np.flatnonzero(eligible[v.table] & v.condition(tables[v.table], context))
            if v.table in tables and len(tables[v.table])
            else np.zeros(0, dtype=np.int64)
            for v in variants
        ]
        usable = [(v, p) for v, p in zip(variants, pools) if len(p)]
        if not usable:
            continue
        quota = max(1, round(rates.ROW_DEFECT_SHARE * total))
        counts = np.bincount(rng.integers(len(usable), size=quota), minlength=len(usable))
        for (variant, pool), count in zip(usable, counts):
            _apply_variant(rng, plan, code, variant, tables[variant.table], pool, int(count), used, context)
    return plan


def _apply_variant(rng, plan, code, variant, table, pool, count, used, context) -> None:
    free = pool[~used[variant.table][pool]]
    if not len(free) or not count:
        return
    picked = np.sort(rng.choice(free, min(count, len(free)), replace=False))
    used[variant.table][picked] = True
    for position in picked:
        row = table.iloc[position]
        text = variant.mutation(row, context, rng)
        plan.add(RowDefect(variant.table, int(row["_uid"]), variant.column, code), text)
