"""The area file as frozen pydantic models, with every rule of spec/config.md.

Each rule has one home: a value's rule in its type (`AreaCode`, `Amount`, ...), a rule between
the items of a list in that list's validator, a rule between files in `Areas`. Problems are
worded by `errors.problem()`, not by pydantic.

A file with several problems is reported by its first one, in the order the hand-written
reader before these models met them (a file with one problem gives the same message either way):
a mapping's own problems (not a mapping, an unknown key) before its values, a list's items that
are not mappings before any item's keys; then the keys in the order the fields are declared
below (an area's `name` after its submitters); a list's items in order, each checked against the
items before it right after its own keys, except that a schedule's `effective_from` is checked
against the earlier schedules before its bands. Pydantic reports an unknown key after the
mapping's other problems and runs a list's validator only once every item is valid: `_Section`,
`_a_list`, `_each_against_those_before` and `_schedules_in_order` restore the order, so that the
first problem pydantic reports is the one to show.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    WrapValidator,
    field_validator,
    model_validator,
)

from pbr_pipeline.codes import (
    DEFAULT_MIN_DENOMINATOR,
    DEFAULT_QOL_NORM,
    DEFAULT_RELIABLE_CHANGE_DAYS,
    DEFAULT_Z_THRESHOLD,
    OUTCOME_CODES,
    ROLES,
    RULE_SETS,
    SUBSTANCES,
)
from pbr_pipeline.config.errors import problem

# Patterns are checked with fullmatch: with match, "$" also matches before a trailing newline.
AREA_PATTERN = re.compile(r"[A-Z]{3}")
# Submitter codes are part of submission folder names (<SUBMITTER>_<YYYY-MM>_<SEQ>), so "_" is out.
SUBMITTER_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9-]{0,31}")
# Contract ids are written raw into the statement CSVs: a leading = + - @ would make a spreadsheet
# read the cell as a formula.
CONTRACT_ID_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9-]{0,31}")
DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
WEIGHT_TOLERANCE = Decimal("0.000001")
NATIONAL_DWP_CODE = "DWP"


# --- values -------------------------------------------------------------------------------------
# Plain validators, not pydantic's coercion: `band: 2.0` or `area: 123` are errors, not 2 and "123".


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise problem(f"must be a non-empty text, got {value!r}")
    return value


def _matching(pattern: re.Pattern) -> PlainValidator:
    def validate(value: Any) -> str:
        text = _text(value)
        if not pattern.fullmatch(text):
            raise problem(f"{text!r} does not match {pattern.pattern}")
        return text

    return PlainValidator(validate)


def _one_of(known: tuple[str, ...], what: str) -> PlainValidator:
    def validate(value: Any) -> str:
        text = _text(value)
        if text not in known:
            raise problem(f"unknown {what} {text!r} (known: {', '.join(known)})")
        return text

    return PlainValidator(validate)


def _known_key(known: tuple[str, ...], what: str) -> PlainValidator:
    def validate(key: Any) -> str:
        if key not in known:
            raise problem(f"unknown {what} (known: {', '.join(known)})")
        return key

    return PlainValidator(validate)


def _iso_date(value: Any) -> dt.date:
    # Text: yaml_source leaves timestamps unconstructed. The pattern first: fromisoformat also
    # takes 20120401 and 2012-W01-1.
    if not isinstance(value, str) or not DATE_PATTERN.fullmatch(value):
        raise problem(f"must be a date YYYY-MM-DD, got {value!r}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise problem(f"{value!r} is not a date ({error})") from None


def _decimal(value: Any) -> Decimal | None:
    """The exact number written (0.025 is 0.025, not the float's binary value), or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _amount(value: Any) -> Decimal:
    number = _decimal(value)
    if number is None:
        raise problem(f"must be a number, got {value!r}")
    if number < 0:
        raise problem(f"must be >= 0, got {value!r}")
    if number != number.quantize(Decimal("0.01")):
        raise problem(f"must be whole pence, got {value!r}")
    return number


def _share(value: Any) -> Decimal:
    number = _decimal(value)
    if number is None or not (0 <= number <= 1):
        raise problem(f"must be a number in [0, 1], got {value!r}")
    return number


def _positive(value: Any) -> Decimal:
    number = _decimal(value)
    if number is None:
        raise problem(f"must be a number, got {value!r}")
    if number <= 0:
        raise problem(f"must be > 0, got {value!r}")
    return number


def _whole_number(minimum: int, maximum: int | None = None) -> PlainValidator:
    def validate(value: Any) -> int:
        if value is None:  # a null in a mapping of days (a model's null key is dropped: "is required")
            raise problem("is required")
        if isinstance(value, bool) or not isinstance(value, int):
            raise problem(f"must be a whole number, got {value!r}")
        if value < minimum or (maximum is not None and value > maximum):
            upper = f" and <= {maximum}" if maximum is not None else ""
            raise problem(f"must be >= {minimum}{upper}, got {value}")
        return value

    return PlainValidator(validate)


def _a_mapping(value: Any) -> dict:
    if not isinstance(value, dict):
        raise problem("must be a mapping")
    return value


def _a_list(at_least_one: str | None = None) -> BeforeValidator:
    """A list of mappings: an item that is not one is reported before any item's keys."""

    def validate(value: Any) -> list:
        if not isinstance(value, list):
            raise problem("must be a list")
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                raise problem("must be a mapping", i)
        if at_least_one and not value:
            raise problem(f"at least one {at_least_one} is required")
        return value

    return BeforeValidator(validate)


Text = Annotated[str, PlainValidator(_text)]
AreaCode = Annotated[str, _matching(AREA_PATTERN)]
SubmitterCode = Annotated[str, _matching(SUBMITTER_PATTERN)]
ContractId = Annotated[str, _matching(CONTRACT_ID_PATTERN)]
Role = Annotated[str, _one_of(ROLES, "role")]
RuleSet = Annotated[str, _one_of(RULE_SETS, "rule set")]
OutcomeCode = Annotated[str, _known_key(OUTCOME_CODES, "outcome code")]
Substance = Annotated[str, _known_key(SUBSTANCES, "substance")]
IsoDate = Annotated[dt.date, PlainValidator(_iso_date)]
Amount = Annotated[Decimal, PlainValidator(_amount)]
Share = Annotated[Decimal, PlainValidator(_share)]
BandNumber = Annotated[int, _whole_number(1)]
ChangeDays = Annotated[int, _whole_number(0, 28)]  # the TOP's range of days
QolScore = Annotated[int, _whole_number(0, 20)]  # the score's range
Count = Annotated[int, _whole_number(1)]
Positive = Annotated[Decimal, PlainValidator(_positive)]


# --- lists: each item against the items before it -------------------------------------------------
# Of the validators given in `Annotated`, the last one runs first: `_a_list` before the items,
# the items (the handler) inside the list's rule.

ListRule = Callable[[tuple, ValidationInfo], None]


def _each_against_those_before(rule: ListRule) -> WrapValidator:
    """A list's validator applying `rule`, which checks each item against the items before it.

    When an item fails, pydantic would not run the rule at all; the rule is then applied to the
    items before the failing one, so that a rule they break is reported first.
    """

    def validate(items: list, handler, info: ValidationInfo) -> tuple:
        try:
            accepted = handler(items)
        except ValidationError as error:
            rule(handler(items[: _first_failing_item(error)]), info)
            raise
        rule(accepted, info)
        return accepted

    return WrapValidator(validate)


def _first_failing_item(error: ValidationError) -> int:
    return error.errors(include_url=False)[0]["loc"][0]


def _submitters_declared_once(submitters: tuple[Submitter, ...], info: ValidationInfo) -> None:
    seen: set[str] = set()
    for i, submitter in enumerate(submitters):
        if submitter.code in seen:
            raise problem(f"submitter {submitter.code} is declared twice", i, "code")
        seen.add(submitter.code)


def _contracts_of_the_area_providers(contracts: tuple[Contract, ...], info: ValidationInfo) -> None:
    """Ids unique, each with a PROVIDER submitter of the area, dates in order, one provider's
    contracts apart in time."""
    if "submitters" not in info.data:
        return  # the submitters' problem comes first
    providers = {s.code for s in info.data["submitters"] if s.role == "PROVIDER"}
    for i, contract in enumerate(contracts):
        earlier = contracts[:i]
        if any(other.id == contract.id for other in earlier):
            raise problem(f"contract {contract.id} is declared twice", i, "id")
        if contract.provider not in providers:
            raise problem(f"{contract.provider} is not a PROVIDER submitter of the area", i, "provider")
        if contract.end < contract.start:
            raise problem(f"{contract.end} is before start {contract.start}", i, "end")
        for other in earlier:
            if other.provider == contract.provider and contract.start <= other.end and other.start <= contract.end:
                raise problem(f"contract {contract.id} overlaps {other.id} of {contract.provider}", i, "start")


def _bands_defined_once(bands: tuple[Band, ...], info: ValidationInfo) -> None:
    seen: set[int] = set()
    for i, band in enumerate(bands):
        if band.band in seen:
            raise problem(f"band {band.band} is defined twice in this schedule", i, "band")
        seen.add(band.band)


def _schedules_in_order(items: list, handler) -> tuple:
    """Schedules with distinct `effective_from`, sorted by it.

    Like `_each_against_those_before`, except that a schedule's date is checked before its bands:
    a failing schedule whose first problem lies past its date is checked against the ones before.
    """
    try:
        schedules = handler(items)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]["loc"]
        dates = [s.effective_from for s in handler(items[: first[0]])]
        if len(first) > 1 and first[1] != "effective_from":
            dates.append(_iso_date(items[first[0]]["effective_from"]))
        _effective_from_distinct(dates)
        raise
    _effective_from_distinct([s.effective_from for s in schedules])
    return tuple(sorted(schedules, key=lambda s: s.effective_from))


def _effective_from_distinct(dates: list[dt.date]) -> None:
    for i, date in enumerate(dates):
        if date in dates[:i]:
            raise problem(f"{date} is used by another schedule", i, "effective_from")


def _sum_to_one(weights: dict[str, Decimal]) -> dict[str, Decimal]:
    total = sum(weights.values(), Decimal(0))
    if abs(total - 1) > WEIGHT_TOLERANCE:
        raise problem(f"must sum to 1 (within {WEIGHT_TOLERANCE}), they sum to {total}")
    return weights


def _with_national_defaults(days: dict[str, int]) -> dict[str, int]:
    return {substance: days.get(substance, DEFAULT_RELIABLE_CHANGE_DAYS) for substance in SUBSTANCES}


# --- models -------------------------------------------------------------------------------------


class _Section(BaseModel):
    """A mapping of an area file: frozen, and nothing but its own keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _a_mapping_of_known_keys(cls, data: Any) -> dict:
        # Checked here rather than left to extra="forbid", which pydantic reports after every other
        # problem of the mapping and in its own words.
        mapping = _a_mapping(data)
        for name in mapping:
            if name not in cls.model_fields:
                raise problem(f"unknown key (allowed: {', '.join(sorted(cls.model_fields))})", str(name))
        # A key given as null is as good as absent: it takes its default, or is required.
        return {name: value for name, value in mapping.items() if value is not None}


class Submitter(_Section):
    code: SubmitterCode
    role: Role


class Contract(_Section):
    id: ContractId
    provider: SubmitterCode  # a code, so the messages about it can show it
    start: IsoDate
    end: IsoDate
    annual_cap_gbp: Amount | None = None


class Band(_Section):
    band: BandNumber
    attachment_fee_gbp: Amount
    outcome_tariff_gbp: Amount


class Schedule(_Section):
    # Fields in the order their problems are reported (module docstring).
    effective_from: IsoDate
    bands: Annotated[tuple[Band, ...], _each_against_those_before(_bands_defined_once), _a_list(at_least_one="band")]
    conversion_payment_gbp: Amount | None = None
    weights: Annotated[dict[OutcomeCode, Share], AfterValidator(_sum_to_one), BeforeValidator(_a_mapping)]


class Thresholds(_Section):
    reliable_change_days: Annotated[
        dict[Substance, ChangeDays], AfterValidator(_with_national_defaults), BeforeValidator(_a_mapping)
    ] = Field(default_factory=dict, validate_default=True)
    qol_norm: QolScore = DEFAULT_QOL_NORM


class Monitoring(_Section):
    """When an indicator of spec/monitoring.md is flagged: enough cases and a large enough z."""

    min_denominator: Count = DEFAULT_MIN_DENOMINATOR
    z_threshold: Positive = DEFAULT_Z_THRESHOLD


class AreaConfig(_Section):
    """One area file. `file` is where it was read from (the validation context's "file")."""

    # Fields in the order their problems are reported (module docstring).
    area: AreaCode
    rule_set: RuleSet
    submitters: Annotated[
        tuple[Submitter, ...], _each_against_those_before(_submitters_declared_once), _a_list(at_least_one="submitter")
    ]
    name: Text
    contracts: Annotated[tuple[Contract, ...], _each_against_those_before(_contracts_of_the_area_providers), _a_list()]
    schedules: Annotated[tuple[Schedule, ...], WrapValidator(_schedules_in_order), _a_list(at_least_one="schedule")]
    thresholds: Thresholds = Field(default_factory=Thresholds)
    monitoring: Monitoring = Field(default_factory=Monitoring)

    _file: Path = PrivateAttr()

    def model_post_init(self, context: Any, /) -> None:
        self._file = context["file"]

    @property
    def file(self) -> Path:
        return self._file

    def submitters_with_role(self, role: str) -> tuple[str, ...]:
        return tuple(s.code for s in self.submitters if s.role == role)

    @property
    def bands(self) -> frozenset[int]:
        return frozenset(b.band for s in self.schedules for b in s.bands)


def is_national(submitter: Submitter) -> bool:
    """The national DWP share: one code that may serve every area, with no area of its own."""
    return submitter.code == NATIONAL_DWP_CODE or submitter.role == "DWP"


def _conflict(submitter: Submitter, roles: dict[str, str], area_of: dict[str, str | None]) -> str | None:
    """Why a submitter cannot join those of the files read before it, if it cannot."""
    if is_national(submitter):
        known_role = roles.get(submitter.code)
        if known_role not in (None, submitter.role):
            return f"{submitter.code} has role {known_role} elsewhere"
    elif submitter.code in area_of:
        return f"{submitter.code} is already a submitter of area {area_of[submitter.code]}"
    return None


class Areas(BaseModel):
    """All areas of a configuration folder, sorted by area code, with the look-ups ingest needs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    areas: tuple[AreaConfig, ...]

    @field_validator("areas")
    @classmethod
    def _each_area_and_submitter_in_one_file(cls, areas: tuple[AreaConfig, ...]) -> tuple[AreaConfig, ...]:
        """Checked in the order the files were read: a problem is the later file's."""
        roles: dict[str, str] = {}
        area_of: dict[str, str | None] = {}
        for i, config in enumerate(areas):
            for other in areas[:i]:
                if other.area == config.area:
                    raise problem(f"{config.area} is also configured in {other.file}", "area", file=config.file)
            for submitter in config.submitters:
                conflict = _conflict(submitter, roles, area_of)
                if conflict:
                    raise problem(conflict, "submitters", file=config.file)
                roles[submitter.code] = submitter.role
                area_of[submitter.code] = None if is_national(submitter) else config.area
        return tuple(sorted(areas, key=lambda a: a.area))

    @cached_property
    def roles(self) -> dict[str, str]:
        """Submitter code -> role."""
        return {s.code: s.role for a in self.areas for s in a.submitters}

    @cached_property
    def submitter_area(self) -> dict[str, str | None]:
        """Submitter code -> area code; None for the national DWP share."""
        return {s.code: None if is_national(s) else a.area for a in self.areas for s in a.submitters}

    def by_code(self) -> dict[str, AreaConfig]:
        return {a.area: a for a in self.areas}
