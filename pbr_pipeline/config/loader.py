"""Load and validate the commissioning configuration (spec/config.md).

Every problem is raised as a ConfigError naming the file, the key and what is wrong, before any
data is touched. Unknown keys are errors too: a misspelt optional key (a cap, a threshold) would
otherwise be silently ignored and change what providers are paid. So is a key given twice, which
PyYAML would settle silently by keeping the last value.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from pbr_pipeline.codes import (
    DEFAULT_QOL_NORM,
    DEFAULT_RELIABLE_CHANGE_DAYS,
    OUTCOME_CODES,
    ROLES,
    RULE_SETS,
    SUBSTANCES,
)

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


class ConfigError(ValueError):
    """A configuration file that must not be used; the message names file, key and problem."""

    def __init__(self, file: Path | str, key: str, problem: str):
        self.file, self.key, self.problem = str(file), key, problem
        super().__init__(": ".join(_one_line(part) for part in (self.file, key, problem)))


def _one_line(text: str) -> str:
    """The text, or its repr if it holds a line break or another control character.

    A file name or a key may hold one; the run log shows one error per line.
    """
    return text if text.isprintable() else repr(text)


def _key_path(parent: str, name: Any) -> str:
    """The dotted key path of a mapping key, as messages name it (`schedules[0].weights.D1`)."""
    return f"{parent}.{name}" if parent else str(name)


def _where(mark: yaml.Mark) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}"


@dataclass(frozen=True)
class Submitter:
    code: str
    role: str


@dataclass(frozen=True)
class Contract:
    id: str
    provider: str
    start: dt.date
    end: dt.date
    annual_cap_gbp: Decimal | None


@dataclass(frozen=True)
class Band:
    band: int
    attachment_fee_gbp: Decimal
    outcome_tariff_gbp: Decimal


@dataclass(frozen=True)
class Schedule:
    effective_from: dt.date
    conversion_payment_gbp: Decimal | None
    bands: tuple[Band, ...]
    weights: dict[str, Decimal]


@dataclass(frozen=True)
class Thresholds:
    reliable_change_days: dict[str, int]
    qol_norm: int


@dataclass(frozen=True)
class AreaConfig:
    file: Path
    area: str
    name: str
    rule_set: str
    submitters: tuple[Submitter, ...]
    contracts: tuple[Contract, ...]
    schedules: tuple[Schedule, ...]
    thresholds: Thresholds

    def submitters_with_role(self, role: str) -> tuple[str, ...]:
        return tuple(s.code for s in self.submitters if s.role == role)

    @property
    def bands(self) -> frozenset[int]:
        return frozenset(b.band for s in self.schedules for b in s.bands)


@dataclass(frozen=True)
class Areas:
    """All areas of a configuration folder, with the look-ups ingest needs."""

    areas: tuple[AreaConfig, ...]
    roles: dict[str, str] = field(default_factory=dict)  # submitter code -> role
    submitter_area: dict[str, str | None] = field(default_factory=dict)  # None for DWP

    def by_code(self) -> dict[str, AreaConfig]:
        return {a.area: a for a in self.areas}


def _node_paths(root: yaml.Node) -> dict[yaml.Node, str]:
    """The key path of every node of a document, for messages about a node being constructed.

    A node reached twice through an alias keeps one of its paths, so a recursive alias ends the walk.
    """
    paths: dict[yaml.Node, str] = {}
    pending: list[tuple[yaml.Node, str]] = [(root, "")]
    while pending:
        node, path = pending.pop()
        if node in paths:
            continue
        paths[node] = path
        if isinstance(node, yaml.MappingNode):
            pending += [(value, _key_path(path, key.value)) for key, value in node.value]
        elif isinstance(node, yaml.SequenceNode):
            pending += [(item, f"{path}[{i}]") for i, item in enumerate(node.value)]
    return paths


class _AreaFileLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in a mapping and leaves dates as text.

    Timestamps are constructed as the text written, for _Reader.date() to parse: PyYAML's own
    constructor fails on 2012-02-30 with a message naming neither the file nor the key.
    """

    yaml_constructors = {
        **yaml.SafeLoader.yaml_constructors,
        "tag:yaml.org,2002:timestamp": yaml.SafeLoader.construct_yaml_str,
    }

    def __init__(self, text: str, file: Path):
        super().__init__(text)
        self.file = file
        self.paths: dict[yaml.Node, str] = {}

    def construct_document(self, node: yaml.Node) -> Any:
        self.paths = _node_paths(node)
        return super().construct_document(node)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        first_marks: dict[Any, yaml.Mark] = {}
        for key_node, _ in node.value:
            # A key of the mapping's own after `<<: *anchor` is how YAML overrides a merged key;
            # super() merges them. `<<` itself has no constructor.
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):
                continue  # super() reports an unhashable key, with its place
            if key in first_marks:
                raise ConfigError(
                    self.file,
                    _key_path(self.paths[node], key_node.value),
                    f"duplicated key, at {_where(key_node.start_mark)} (first at {_where(first_marks[key])})",
                )
            first_marks[key] = key_node.start_mark
        return super().construct_mapping(node, deep)


def _yaml_problem(error: yaml.YAMLError) -> str:
    """One line for a YAML error: PyYAML's own message spans lines, quoting the file under a caret."""
    if not isinstance(error, yaml.MarkedYAMLError):
        return f"not valid YAML: {' '.join(str(error).split())}"  # a control character, placed by offset
    mark = error.problem_mark or error.context_mark
    where = f" at {_where(mark)}" if mark else ""
    return f"not valid YAML{where}: {', '.join(part for part in (error.context, error.problem) if part)}"


def _parse(path: Path) -> Any:
    """The file's YAML document; a file that cannot be read or parsed is a ConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(path, "<file>", f"cannot be read: {error}") from error
    try:
        return _AreaFileLoader(text, path).get_single_data()
    except yaml.YAMLError as error:
        raise ConfigError(path, "<file>", _yaml_problem(error)) from error


class _Reader:
    """Typed access to one YAML mapping, raising ConfigError with the dotted key path."""

    def __init__(self, file: Path, data: Any, path: str):
        self.file, self.path = file, path
        if not isinstance(data, dict):
            self.fail("", "must be a mapping")
        self.data = data

    def key(self, name: str) -> str:
        return _key_path(self.path, name)

    def fail(self, name: str, problem: str):
        raise ConfigError(self.file, self.key(name) if name else (self.path or "<top>"), problem)

    def reject_unknown(self, allowed: set[str]) -> None:
        for name in self.data:
            if name not in allowed:
                self.fail(str(name), f"unknown key (allowed: {', '.join(sorted(allowed))})")

    def required(self, name: str) -> Any:
        if name not in self.data or self.data[name] is None:
            self.fail(name, "is required")
        return self.data[name]

    def text(self, name: str, pattern: re.Pattern | None = None) -> str:
        value = self.required(name)
        if not isinstance(value, str) or not value.strip():
            self.fail(name, f"must be a non-empty text, got {value!r}")
        if pattern is not None and not pattern.fullmatch(value):
            self.fail(name, f"{value!r} does not match {pattern.pattern}")
        return value

    def date(self, name: str) -> dt.date:
        value = self.required(name)  # text: _AreaFileLoader does not construct timestamps
        # The pattern first: fromisoformat also takes 20120401 and 2012-W01-1.
        if not isinstance(value, str) or not DATE_PATTERN.fullmatch(value):
            self.fail(name, f"must be a date YYYY-MM-DD, got {value!r}")
        try:
            return dt.date.fromisoformat(value)
        except ValueError as error:
            self.fail(name, f"{value!r} is not a date ({error})")

    def amount(self, name: str, optional: bool = False) -> Decimal | None:
        if optional and self.data.get(name) is None:
            return None
        value = self.required(name)
        number = _decimal(value)
        if number is None:
            self.fail(name, f"must be a number, got {value!r}")
        if number < 0:
            self.fail(name, f"must be >= 0, got {value!r}")
        if number != number.quantize(Decimal("0.01")):
            self.fail(name, f"must be whole pence, got {value!r}")
        return number

    def integer(self, name: str, minimum: int, maximum: int | None = None) -> int:
        value = self.required(name)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(name, f"must be a whole number, got {value!r}")
        if value < minimum or (maximum is not None and value > maximum):
            upper = f" and <= {maximum}" if maximum is not None else ""
            self.fail(name, f"must be >= {minimum}{upper}, got {value}")
        return value

    def items(self, name: str, optional: bool = False) -> list["_Reader"]:
        if optional and self.data.get(name) is None:
            return []
        value = self.required(name)
        if not isinstance(value, list):
            self.fail(name, "must be a list")
        return [_Reader(self.file, item, f"{self.key(name)}[{i}]") for i, item in enumerate(value)]

    def child(self, name: str, optional: bool = False) -> "_Reader | None":
        if optional and self.data.get(name) is None:
            return None
        return _Reader(self.file, self.required(name), self.key(name))


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _read_submitters(top: _Reader) -> tuple[Submitter, ...]:
    submitters: list[Submitter] = []
    seen: set[str] = set()
    for item in top.items("submitters"):
        item.reject_unknown({"code", "role"})
        code = item.text("code", SUBMITTER_PATTERN)
        role = item.text("role")
        if role not in ROLES:
            item.fail("role", f"unknown role {role!r} (known: {', '.join(ROLES)})")
        if code in seen:
            item.fail("code", f"submitter {code} is declared twice")
        seen.add(code)
        submitters.append(Submitter(code, role))
    if not submitters:
        top.fail("submitters", "at least one submitter is required")
    return tuple(submitters)


def _read_contracts(top: _Reader, submitters: tuple[Submitter, ...]) -> tuple[Contract, ...]:
    providers = {s.code for s in submitters if s.role == "PROVIDER"}
    contracts: list[Contract] = []
    ids: set[str] = set()
    for item in top.items("contracts"):
        item.reject_unknown({"id", "provider", "start", "end", "annual_cap_gbp"})
        contract = Contract(
            id=item.text("id", CONTRACT_ID_PATTERN),
            provider=item.text("provider", SUBMITTER_PATTERN),  # a code, so the messages below can show it
            start=item.date("start"),
            end=item.date("end"),
            annual_cap_gbp=item.amount("annual_cap_gbp", optional=True),
        )
        if contract.id in ids:
            item.fail("id", f"contract {contract.id} is declared twice")
        ids.add(contract.id)
        if contract.provider not in providers:
            item.fail("provider", f"{contract.provider} is not a PROVIDER submitter of the area")
        if contract.end < contract.start:
            item.fail("end", f"{contract.end} is before start {contract.start}")
        for other in contracts:
            overlaps = contract.start <= other.end and other.start <= contract.end
            if other.provider == contract.provider and overlaps:
                item.fail("start", f"contract {contract.id} overlaps {other.id} of {contract.provider}")
        contracts.append(contract)
    return tuple(contracts)


def _read_weights(schedule: _Reader) -> dict[str, Decimal]:
    weights_reader = schedule.child("weights")
    weights: dict[str, Decimal] = {}
    for code, value in weights_reader.data.items():
        if code not in OUTCOME_CODES:
            weights_reader.fail(str(code), f"unknown outcome code (known: {', '.join(OUTCOME_CODES)})")
        weight = _decimal(value)
        if weight is None or not (0 <= weight <= 1):
            weights_reader.fail(code, f"must be a number in [0, 1], got {value!r}")
        weights[code] = weight
    total = sum(weights.values(), Decimal(0))
    if abs(total - 1) > WEIGHT_TOLERANCE:
        schedule.fail("weights", f"must sum to 1 (within {WEIGHT_TOLERANCE}), they sum to {total}")
    return weights


def _read_schedules(top: _Reader) -> tuple[Schedule, ...]:
    schedules: list[Schedule] = []
    for item in top.items("schedules"):
        item.reject_unknown({"effective_from", "conversion_payment_gbp", "bands", "weights"})
        effective_from = item.date("effective_from")
        if any(s.effective_from == effective_from for s in schedules):
            item.fail("effective_from", f"{effective_from} is used by another schedule")
        bands: list[Band] = []
        for band_item in item.items("bands"):
            band_item.reject_unknown({"band", "attachment_fee_gbp", "outcome_tariff_gbp"})
            band = Band(
                band=band_item.integer("band", minimum=1),
                attachment_fee_gbp=band_item.amount("attachment_fee_gbp"),
                outcome_tariff_gbp=band_item.amount("outcome_tariff_gbp"),
            )
            if any(b.band == band.band for b in bands):
                band_item.fail("band", f"band {band.band} is defined twice in this schedule")
            bands.append(band)
        if not bands:
            item.fail("bands", "at least one band is required")
        schedules.append(
            Schedule(
                effective_from=effective_from,
                conversion_payment_gbp=item.amount("conversion_payment_gbp", optional=True),
                bands=tuple(bands),
                weights=_read_weights(item),
            )
        )
    if not schedules:
        top.fail("schedules", "at least one schedule is required")
    return tuple(sorted(schedules, key=lambda s: s.effective_from))


def _read_thresholds(top: _Reader) -> Thresholds:
    reader = top.child("thresholds", optional=True)
    days = {substance: DEFAULT_RELIABLE_CHANGE_DAYS for substance in SUBSTANCES}
    if reader is None:
        return Thresholds(days, DEFAULT_QOL_NORM)
    reader.reject_unknown({"reliable_change_days", "qol_norm"})
    days_reader = reader.child("reliable_change_days", optional=True)
    if days_reader is not None:
        for substance in days_reader.data:
            if substance not in SUBSTANCES:
                days_reader.fail(str(substance), f"unknown substance (known: {', '.join(SUBSTANCES)})")
            days[substance] = days_reader.integer(substance, minimum=0, maximum=28)
    qol_norm = DEFAULT_QOL_NORM
    if reader.data.get("qol_norm") is not None:
        qol_norm = reader.integer("qol_norm", minimum=0, maximum=20)
    return Thresholds(days, qol_norm)


def load_area_file(path: Path) -> AreaConfig:
    """Read one area file, applying every per-file rule of spec/config.md."""
    top = _Reader(path, _parse(path), "")
    top.reject_unknown(
        {"area", "name", "rule_set", "submitters", "contracts", "schedules", "thresholds"}
    )
    area = top.text("area", AREA_PATTERN)
    rule_set = top.text("rule_set")
    if rule_set not in RULE_SETS:
        top.fail("rule_set", f"unknown rule set {rule_set!r} (known: {', '.join(RULE_SETS)})")
    submitters = _read_submitters(top)
    return AreaConfig(
        file=path,
        area=area,
        name=top.text("name"),
        rule_set=rule_set,
        submitters=submitters,
        contracts=_read_contracts(top, submitters),
        schedules=_read_schedules(top),
        thresholds=_read_thresholds(top),
    )


def load_areas(config_dir: Path) -> Areas:
    """Read every *.yaml of a folder and apply the rules that span files."""
    config_dir = Path(config_dir)
    files = sorted(config_dir.glob("*.yaml")) + sorted(config_dir.glob("*.yml"))
    if not files:
        raise ConfigError(config_dir, "<folder>", "holds no area configuration (*.yaml)")
    areas: list[AreaConfig] = []
    roles: dict[str, str] = {}
    submitter_area: dict[str, str | None] = {}
    for path in files:
        config = load_area_file(path)
        for other in areas:
            if other.area == config.area:
                raise ConfigError(path, "area", f"{config.area} is also configured in {other.file}")
        for submitter in config.submitters:
            known_role = roles.get(submitter.code)
            if submitter.code == NATIONAL_DWP_CODE or submitter.role == "DWP":
                if known_role not in (None, submitter.role):
                    raise ConfigError(path, "submitters", f"{submitter.code} has role {known_role} elsewhere")
                roles[submitter.code] = submitter.role
                submitter_area[submitter.code] = None
                continue
            if submitter.code in submitter_area:
                raise ConfigError(
                    path,
                    "submitters",
                    f"{submitter.code} is already a submitter of area {submitter_area[submitter.code]}",
                )
            roles[submitter.code] = submitter.role
            submitter_area[submitter.code] = config.area
        areas.append(config)
    return Areas(tuple(sorted(areas, key=lambda a: a.area)), roles, submitter_area)
