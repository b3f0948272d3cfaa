"""National scale: synthetic extra areas, written as configuration files beside the returns.

The pipeline can only load a submission whose submitter is configured, so a national-sized
dataset needs configuration for its made-up areas. They are written to `<out>/config/` together
with copies of the base (pilot) files, and that folder is what the run must use.

The extra areas do not depend on the seed: two national datasets made with different seeds
share one configuration, so a warehouse built from one can be compared with the other.
"""

from __future__ import annotations

import itertools
import shutil
import string
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pbr_pipeline.codes import OUTCOME_CODES
from pbr_pipeline.generate import rates

# Fixed, not the user's seed (see the module docstring).
_AREA_LAYOUT_SEED = 2011
CONTRACT_START = "2012-04-01"
CONTRACT_END = "2015-03-31"
TWO_PROVIDER_SHARE = 0.3
EXTRA_AREA_BANDS = (1, 2, 3)

# Outcome weight sets like the pilots' (each sums to exactly 1).
_WEIGHT_SETS = (
    ("0.05", "0.15", "0.2", "0.2", "0.05", "0.05", "0.025", "0.075", "0.15", "0.05"),
    ("0.05", "0.25", "0.15", "0.2", "0.05", "0.05", "0.025", "0.075", "0.1", "0.05"),
    ("0.025", "0.1", "0.3", "0.35", "0.025", "0.025", "0.025", "0.025", "0.1", "0.025"),
    ("0.05", "0.1", "0.15", "0.15", "0.05", "0.05", "0.025", "0.025", "0.35", "0.05"),
)


@dataclass(frozen=True)
class ExtraArea:
    code: str
    providers: tuple[str, ...]
    annual_journeys: float
    attachment_fees: tuple[int, int, int]
    outcome_tariffs: tuple[int, int, int]
    weights: tuple[str, ...]


def extra_area_codes(taken: set[str], count: int) -> list[str]:
    """Three-letter codes starting with X (no pilot area does), skipping any already taken."""
    letters = string.ascii_uppercase
    codes = (f"X{a}{b}" for a, b in itertools.product(letters, letters))
    return list(itertools.islice((c for c in codes if c not in taken), count))


def plan_extra_areas(taken: set[str], annual_journeys: float, count: int) -> list[ExtraArea]:
    rng = np.random.default_rng(_AREA_LAYOUT_SEED)
    codes = extra_area_codes(taken, count)
    sizes = rng.lognormal(0.0, 0.45, len(codes))
    sizes = sizes / sizes.sum() * annual_journeys
    areas = []
    for code, size in zip(codes, sizes):
        provider_count = 2 if rng.random() < TWO_PROVIDER_SHARE else 1
        attachment = int(rng.choice([120, 130, 140, 150]))
        tariff = int(rng.choice(np.arange(1100, 1550, 50)))
        areas.append(
            ExtraArea(
                code=code,
                providers=tuple(f"{code}-SVC{i + 1}" for i in range(provider_count)),
                annual_journeys=float(size),
                attachment_fees=(attachment, attachment + 100, attachment + 230),
                outcome_tariffs=(tariff, _round_to(tariff * 1.85, 50), _round_to(tariff * 2.8, 50)),
                weights=_WEIGHT_SETS[int(rng.integers(len(_WEIGHT_SETS)))],
            )
        )
    return areas


def _round_to(value: float, step: int) -> int:
    return int(round(value / step) * step)


def area_yaml(area: ExtraArea, dwp: str) -> str:
    # A cap a little above what the area's journeys could earn, like the pilots' caps.
    cap = _round_to(area.annual_journeys * 900 / len(area.providers), 10_000)
    lines = [
        f"# Synthetic Area {area.code}: national-scale area configuration made by `pbr generate`.",
        "# ILLUSTRATIVE FIGURES ONLY: this area does not exist, and its tariffs, weights and caps",
        "# are made up to give the pipeline a national-sized population to run on.",
        f"area: {area.code}",
        f"name: Synthetic Area {area.code}",
        "rule_set: national-2011",
        "submitters:",
        f"  - {{code: {area.code}-LASAR, role: LASAR}}",
        *(f"  - {{code: {p}, role: PROVIDER}}" for p in area.providers),
        f"  - {{code: {area.code}-POLICE, role: POLICE}}",
        f"  - {{code: {dwp}, role: DWP}}",
        "contracts:",
        *(
            f"  - {{id: {p}-2012, provider: {p}, start: {CONTRACT_START}, end: {CONTRACT_END}, annual_cap_gbp: {cap}}}"
            for p in area.providers
        ),
        "schedules:",
        f"  - effective_from: {CONTRACT_START}",
        "    bands:",
        *(
            f"      - {{band: {band}, attachment_fee_gbp: {fee}, outcome_tariff_gbp: {tariff}}}"
            for band, fee, tariff in zip(EXTRA_AREA_BANDS, area.attachment_fees, area.outcome_tariffs)
        ),
        "    weights:",
        *(f"      {code}: {weight}" for code, weight in zip(OUTCOME_CODES, area.weights)),
        "",
    ]
    return "\n".join(lines)


def national_extra_areas(taken: set[str]) -> list[ExtraArea]:
    """The extra areas beside the base ones (their codes `taken`), sized to the national total."""
    extra_journeys = rates.NATIONAL_ANNUAL_JOURNEYS - sum(
        rates.PILOT_ANNUAL_JOURNEYS.get(code, rates.DEFAULT_ANNUAL_JOURNEYS) for code in taken
    )
    return plan_extra_areas(taken, max(extra_journeys, 0.0), rates.NATIONAL_EXTRA_AREAS)


def write_national_config(target: Path, base_config_dir: Path, extras: list[ExtraArea], dwp: str) -> dict[str, float]:
    """Copy the base files and write the extra areas; return each extra area's yearly journeys."""
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(base_config_dir.glob("*.yaml")) + sorted(base_config_dir.glob("*.yml")):
        shutil.copyfile(path, target / path.name)
    for area in extras:
        (target / f"{area.code.lower()}.yaml").write_text(area_yaml(area, dwp), encoding="utf-8")
    return {area.code: area.annual_journeys for area in extras}
