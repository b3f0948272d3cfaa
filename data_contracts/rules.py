"""The row rules of spec/returns.md as pandera contracts, one per table, built from the
tables' specification (`data_contracts/tables.py`).

Each rule that a column of the specification declares (required, typed, ranged, coded,
patterned, ordered, tied to another column or to the configuration) becomes one pandera check
named `<REASON>:<column>`, so a lazy validation's failure cases carry the spec's reason code and
the column directly.

Values arrive as trimmed text with empty cells as null, in `object` columns: the rules below
do all the typing, and pandera's own per-element `str` dtype check cost a third of ingest time
at national scale without adding a rule. Two conventions of the spec shape
every check:
- a value that fails TYPE is not checked further, so range, order and future-date checks pass
  values that do not parse;
- a row with `deleted = Y` is checked only for its key and `pbr_id`.

The configuration- and window-dependent rules read context columns (`ctx_*`) that
`add_context` puts on the frame: the submitter's area, the window's last day, the area's bands
and providers. The rows of many files can be validated in one call (ingest validates a whole
window's files of a table at once): each row then carries its own file's context, and
`ctx_file` tells the files apart, so that a key is a DUPLICATE_KEY only within its own file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import pandera.pandas as pa

from data_contracts.tables import (
    AREA_BANDS,
    AREA_PROVIDERS,
    DELETED,
    PBR_ID_PATTERN,
    Age,
    Column,
    ColumnType,
    Table,
)

INTEGER_PATTERN = r"[+-]?[0-9]+"
DECIMAL_PATTERN = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)"
DATE_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # [0]: no such month

CONTEXT_COLUMNS = ("ctx_file", "ctx_area", "ctx_window_end", "ctx_bands", "ctx_providers")


@dataclass(frozen=True)
class SubmissionContext:
    """What the configuration-dependent rules need to know about the submission."""

    area: str | None  # None for the national DWP share: exempt from AREA_MISMATCH
    window_end: str  # ISO date of the window's last day
    bands: tuple[int, ...]
    providers: tuple[str, ...]


def context_values(context: SubmissionContext) -> dict[str, str]:
    """The text context columns of every row of a file of that submission (`ctx_file` apart)."""
    return {
        "ctx_area": context.area or "",
        "ctx_window_end": context.window_end,
        "ctx_bands": ",".join(str(band) for band in context.bands),
        "ctx_providers": ",".join(context.providers),
    }


def add_context(frame: pd.DataFrame, context: SubmissionContext) -> pd.DataFrame:
    """One file's rows with its context: the frame as `row_failures` validates it."""
    return frame.assign(ctx_file=0, **context_values(context))


def by_distinct(values: pd.Series, judge: Callable[[np.ndarray], list], missing) -> pd.Series:
    """`judge` of each distinct value, once (a column holds few distinct values: codes, counts,
    dates), spread back over the rows; `missing` on a null. `judge` gets the distinct values
    and gives one result for each, in order, as it would give for every row."""
    codes, distinct = pd.factorize(values)
    # A null has code -1, which picks the `missing` appended at the end.
    judged = np.empty(len(distinct) + 1, dtype=object)
    judged[:-1] = judge(distinct)
    judged[-1] = missing
    return pd.Series(judged[codes], index=values.index)


def fullmatches(values: pd.Series, pattern: str) -> pd.Series:
    """True where the text matches the whole pattern, False where not, null on a null (as
    pandas' `str.fullmatch`, one match per distinct text)."""
    regex = re.compile(pattern)
    return by_distinct(values, lambda distinct: [regex.fullmatch(text) is not None for text in distinct], None)


def parses_as_integer(values: pd.Series) -> pd.Series:
    return fullmatches(values, INTEGER_PATTERN).eq(True)


def as_integer(values: pd.Series) -> pd.Series:
    """The integer value where the text is a valid integer, NaN elsewhere."""
    return _as_number(values, INTEGER_PATTERN)


def parses_as_decimal(values: pd.Series) -> pd.Series:
    return fullmatches(values, DECIMAL_PATTERN).eq(True)


def as_decimal(values: pd.Series) -> pd.Series:
    return _as_number(values, DECIMAL_PATTERN)


def _as_number(values: pd.Series, pattern: str) -> pd.Series:
    """The number where the text matches the pattern, NaN elsewhere (parsed once per distinct text)."""
    regex = re.compile(pattern)

    def numbers(distinct: np.ndarray) -> list:
        texts = pd.Series(distinct, dtype=object)
        parsed = pd.to_numeric(texts.where([regex.fullmatch(text) is not None for text in distinct]), errors="coerce")
        return parsed.astype(float).tolist()

    return by_distinct(values, numbers, np.nan).astype(float)


def within(numbers: pd.Series, low, high) -> pd.Series:
    """Not below `low` and not above `high` (a bound of None: none that side); NaN passes."""
    return ~numbers.lt(low) & ~numbers.gt(high)


def as_date_number(values: pd.Series) -> pd.Series:
    """The date as the number YYYYMMDD where the text is a real YYYY-MM-DD date, NaN elsewhere.

    Numbers, not pandas Timestamps: a Timestamp holds only the years 1677 to 2262, and a date
    outside them is still a date, to be judged by RANGE, FUTURE_DATE and DATE_ORDER, not TYPE.
    Such numbers compare in date order. A column holds few distinct dates, and a file is often
    small, so each distinct text is parsed once, in plain Python (a chain of pandas operations
    costs more per call than a small file's dates take to parse).
    """
    codes, distinct = pd.factorize(values)
    # A null has code -1, which picks the NaN appended at the end.
    numbers = np.array([date_number(text) for text in distinct] + [np.nan], dtype=float)
    return pd.Series(numbers[codes], index=values.index)


@lru_cache(maxsize=1 << 16)
def date_number(text: str) -> float:
    """YYYYMMDD of a real Gregorian date written YYYY-MM-DD (year 0001 on), else NaN."""
    if not isinstance(text, str) or not DATE_SHAPE.fullmatch(text):
        return np.nan
    year, month, day = int(text[:4]), int(text[5:7]), int(text[8:10])
    if year < 1 or not 1 <= month <= 12 or not 1 <= day <= _days_in_month(year, month):
        return np.nan
    return float(year * 10000 + month * 100 + day)


def _days_in_month(year: int, month: int) -> int:
    leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0
    return DAYS_IN_MONTH[month] + (month == 2 and leap)


def is_deleted(frame: pd.DataFrame) -> pd.Series:
    return frame["deleted"].eq("Y")


def passes(outcome: pd.Series) -> pd.Series:
    """A rule's outcome as booleans: only an explicit False fails (null means not applicable)."""
    return ~outcome.eq(False)


def _check(reason: str, column: str, rule: Callable[[pd.DataFrame], pd.Series], applies_to_deleted: bool) -> pa.Check:
    """One pandera dataframe check, named `<reason>:<column>`, true where the row passes."""

    def check(frame: pd.DataFrame) -> pd.Series:
        passed = passes(rule(frame))
        return passed if applies_to_deleted else passed | is_deleted(frame)

    return pa.Check(check, name=f"{reason}:{column}", ignore_na=False)


Rule = tuple[str, str, Callable[[pd.DataFrame], pd.Series], bool]  # reason, column, rule, applies_to_deleted


def table_rules(table: Table) -> list[Rule]:
    """Every rule of the table's specification, column by column (`deleted` too)."""
    return [
        (reason, name, rule, _checked_on_retractions(column))
        for column in table.file_columns
        for reason, name, rule in column_rules(column)
    ]


def _checked_on_retractions(column: Column) -> bool:
    """A row with `deleted = Y` is checked only for its key and `pbr_id` (and `deleted`)."""
    return column.type in (ColumnType.KEY, ColumnType.PBR_ID) or column is DELETED


def column_rules(column: Column) -> list[tuple[str, str, Callable[[pd.DataFrame], pd.Series]]]:
    """(reason, column, rule) for every rule a column of the specification declares."""
    c = column.name
    rules: list[tuple[str, str, Callable[[pd.DataFrame], pd.Series]]] = []
    if column.required:
        rules.append(("REQUIRED", c, lambda f: f[c].notna()))
    if column.pattern:
        rules.append(("PATTERN", c, lambda f, p=column.pattern: fullmatches(f[c], p)))
    if column.type is ColumnType.KEY:
        # A key seen twice in one file: every copy (rows of other files do not count).
        rules.append(("DUPLICATE_KEY", c, lambda f: ~(f[c].notna() & f[["ctx_file", c]].duplicated(keep=False))))
    if column.type is ColumnType.PBR_ID:
        rules.append(("AREA_MISMATCH", c, _area_matches))
    if column.codes:
        rules.append(("CODE", c, lambda f, k=column.codes: f[c].isna() | f[c].isin(k)))
    if column.codes_from:
        rules.append(("CODE", c, AREA_CODE_RULES[column.codes_from](c)))
    if column.type in NUMBER_PARSERS:
        parses, as_number = NUMBER_PARSERS[column.type]
        rules.append(("TYPE", c, lambda f: f[c].isna() | parses(f[c])))
        if (column.low, column.high) != (None, None):
            rules.append(("RANGE", c, lambda f, lo=column.low, hi=column.high: within(as_number(f[c]), lo, hi)))
    if column.type is ColumnType.DATE:
        rules.append(("TYPE", c, lambda f: f[c].isna() | as_date_number(f[c]).notna()))
    if column.event_date:
        rules.append(("FUTURE_DATE", c, lambda f: ~(as_date_number(f[c]) > as_date_number(f["ctx_window_end"]))))
    if column.not_before:
        rules.append(("DATE_ORDER", c, lambda f, b=column.not_before: ~(as_date_number(f[c]) < as_date_number(f[b]))))
    if column.differs_from:
        rules.append(("CODE", c, lambda f, other=column.differs_from: ~f[c].eq(f[other])))
    if column.age:
        rules.append(("RANGE", c, lambda f, age=column.age: _age_within(f, c, age)))
    if column.required_iff:
        # Given exactly when the other is: REQUIRED on whichever of the two is missing.
        other = column.required_iff
        rules.append(("REQUIRED", c, lambda f: ~(f[other].notna() & f[c].isna())))
        rules.append(("REQUIRED", other, lambda f: ~(f[c].notna() & f[other].isna())))
    return rules


NUMBER_PARSERS = {
    ColumnType.INTEGER: (parses_as_integer, as_integer),
    ColumnType.DECIMAL: (parses_as_decimal, as_decimal),
}


def completed_years(born, on):
    """Age in completed years on `on` of someone born on `born`, the way a person counts
    birthdays; both YYYYMMDD numbers (`date_number`), scalars or Series alike.

    In YYYYMMDD numbers the month and day are the last four digits, so the ten-thousands of
    the difference are the difference of years, less one while that year's birthday (a later
    month and day) is still to come.
    """
    return (on - born) // 10000


def _age_within(frame: pd.DataFrame, column: str, age: Age) -> pd.Series:
    years = completed_years(as_date_number(frame[column]), as_date_number(frame[age.on]))
    return ~(years.lt(age.low) | years.gt(age.high))


def _band_defined_for_area(column: str) -> Callable[[pd.DataFrame], pd.Series]:
    def rule(frame: pd.DataFrame) -> pd.Series:
        bands = as_integer(frame[column])
        allowed = frame["ctx_bands"].str.split(",")
        defined = [pd.isna(b) or str(int(b)) in ok for b, ok in zip(bands, allowed)]
        return pd.Series(defined, index=frame.index)

    return rule


def _provider_of_area(column: str) -> Callable[[pd.DataFrame], pd.Series]:
    def rule(frame: pd.DataFrame) -> pd.Series:
        providers = frame["ctx_providers"].str.split(",")
        known = [pd.isna(code) or code in ok for code, ok in zip(frame[column], providers)]
        return pd.Series(known, index=frame.index)

    return rule


# The code lists the configuration gives, read from the context columns.
AREA_CODE_RULES = {AREA_BANDS: _band_defined_for_area, AREA_PROVIDERS: _provider_of_area}


def _area_matches(frame: pd.DataFrame) -> pd.Series:
    exempt = frame["ctx_area"].eq("")
    well_formed = fullmatches(frame["pbr_id"], PBR_ID_PATTERN).eq(True)
    return exempt | ~well_formed | frame["pbr_id"].str[:3].eq(frame["ctx_area"])


def contract(table: Table) -> pa.DataFrameSchema:
    """The table's row contract: every column a file may carry and every context column, as
    `add_context` and the ingest frame them, and one check per rule of the specification."""
    columns = {column.name: pa.Column(object, nullable=True) for column in table.file_columns}
    columns["ctx_file"] = pa.Column("int64")
    columns.update((name, pa.Column(object)) for name in CONTEXT_COLUMNS if name != "ctx_file")
    checks = [_check(*rule) for rule in table_rules(table)]
    return pa.DataFrameSchema(columns, checks=checks, strict=False, name=table.name)
