"""The row rules of spec/returns.md as a pandera base model that every table contract extends.

A table contract declares its columns as fields and its rules in `Config.metadata` (which
columns are required, typed, ranged, coded, patterned, ordered). The base model turns each
declared rule into one pandera check named `<REASON>:<column>`, so a lazy validation's failure
cases carry the spec's reason code and the column directly.

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
from typing import ClassVar

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

# A character outside Unicode category Cc (C0 controls, DEL, C1 controls). Free text with a NUL
# or a line break in it is a corrupt value, not an identifier.
NOT_CONTROL = r"[^\x00-\x1f\x7f-\x9f]"
TEXT_PATTERN = NOT_CONTROL + "+"
KEY_PATTERN = NOT_CONTROL + "{1,32}"
PBR_ID_PATTERN = r"[A-Z]{3}-[0-9]{6}"
YES_NO = ("Y", "N")

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


def _check(reason: str, column: str, rule: Callable[[pd.DataFrame], pd.Series], applies_to_deleted: bool):
    """One pandera dataframe check, named `<reason>:<column>`, true where the row passes."""

    def check(cls, frame: pd.DataFrame) -> pd.Series:
        passed = passes(rule(frame))
        return passed if applies_to_deleted else passed | is_deleted(frame)

    check.__name__ = f"check_{reason.lower()}_{column}"
    return pa.dataframe_check(name=f"{reason}:{column}", ignore_na=False)(check)


def _declared_rules(meta: dict) -> list[tuple[str, str, Callable, bool]]:
    """(reason, column, rule, applies_to_deleted) for every rule a contract declares."""
    key = meta["key"]
    rules: list[tuple[str, str, Callable, bool]] = [
        ("REQUIRED", key, lambda f: f[key].notna(), True),
        ("PATTERN", key, lambda f: fullmatches(f[key], KEY_PATTERN), True),
        # A key seen twice in one file: every copy (rows of other files do not count).
        ("DUPLICATE_KEY", key, lambda f: ~(f[key].notna() & f[["ctx_file", key]].duplicated(keep=False)), True),
        ("REQUIRED", "pbr_id", lambda f: f["pbr_id"].notna(), True),
        ("PATTERN", "pbr_id", lambda f: fullmatches(f["pbr_id"], PBR_ID_PATTERN), True),
        ("AREA_MISMATCH", "pbr_id", _area_matches, True),
        ("CODE", "deleted", lambda f: f["deleted"].isna() | f["deleted"].isin(YES_NO), True),
    ]
    for column in meta.get("required", ()):
        rules.append(("REQUIRED", column, lambda f, c=column: f[c].notna(), False))
    for column, pattern in meta.get("patterns", {}).items():
        rules.append(("PATTERN", column, lambda f, c=column, p=pattern: fullmatches(f[c], p), False))
    for column, codes in meta.get("codes", {}).items():
        rules.append(("CODE", column, lambda f, c=column, k=codes: f[c].isna() | f[c].isin(k), False))
    for column, (low, high) in meta.get("integers", {}).items():
        rules.append(("TYPE", column, lambda f, c=column: f[c].isna() | parses_as_integer(f[c]), False))
        rules.append(("RANGE", column, lambda f, c=column, lo=low, hi=high: within(as_integer(f[c]), lo, hi), False))
    for column, (low, high) in meta.get("decimals", {}).items():
        rules.append(("TYPE", column, lambda f, c=column: f[c].isna() | parses_as_decimal(f[c]), False))
        rules.append(("RANGE", column, lambda f, c=column, lo=low, hi=high: within(as_decimal(f[c]), lo, hi), False))
    for column in meta.get("dates", ()):
        rules.append(("TYPE", column, lambda f, c=column: f[c].isna() | as_date_number(f[c]).notna(), False))
    for column in meta.get("event_dates", ()):
        rules.append(("FUTURE_DATE", column, lambda f, c=column: ~(as_date_number(f[c]) > as_date_number(f["ctx_window_end"])), False))
    for later, earlier in meta.get("date_order", ()):
        rules.append(("DATE_ORDER", later, lambda f, a=later, b=earlier: ~(as_date_number(f[a]) < as_date_number(f[b])), False))
    return rules


def _area_matches(frame: pd.DataFrame) -> pd.Series:
    exempt = frame["ctx_area"].eq("")
    well_formed = fullmatches(frame["pbr_id"], PBR_ID_PATTERN).eq(True)
    return exempt | ~well_formed | frame["pbr_id"].str[:3].eq(frame["ctx_area"])


class RowContract(pa.DataFrameModel):
    """Base of every table contract: the shared columns and the generated per-rule checks."""

    pbr_id: Series[object] = pa.Field(nullable=True)
    deleted: Series[object] = pa.Field(nullable=True)
    ctx_file: Series[int] = pa.Field()
    ctx_area: Series[object] = pa.Field()
    ctx_window_end: Series[object] = pa.Field()
    ctx_bands: Series[object] = pa.Field()
    ctx_providers: Series[object] = pa.Field()

    def __init_subclass__(cls, **kwargs):
        meta = getattr(cls.Config, "metadata", None) or {}
        if "key" in meta:
            for reason, column, rule, applies_to_deleted in _declared_rules(meta):
                setattr(cls, f"_rule_{reason.lower()}_{column}", _check(reason, column, rule, applies_to_deleted))
        super().__init_subclass__(**kwargs)

    @classmethod
    def spec_columns(cls) -> tuple[str, ...]:
        """The table's columns as the spec names them (context columns left out)."""
        return tuple(name for name in cls.to_schema().columns if not name.startswith("ctx_"))

    @classmethod
    def metadata(cls) -> dict:
        return cls.Config.metadata

    class Config:
        strict = False
        metadata: ClassVar[dict] = {}


def table_check(reason: str, column: str):
    """Decorator for a table's own cross-column rule, named like the generated ones."""

    def wrap(rule: Callable[[type, pd.DataFrame], pd.Series]):
        def check(cls, frame: pd.DataFrame) -> pd.Series:
            return passes(rule(cls, frame)) | is_deleted(frame)

        check.__name__ = rule.__name__
        return pa.dataframe_check(name=f"{reason}:{column}", ignore_na=False)(check)

    return wrap
