"""`generate_returns`: the one entry point (`pbr generate` calls it)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from pbr_pipeline.config import Areas, load_areas
from pbr_pipeline.generate import rates
from pbr_pipeline.generate.areas import AreaPlan, Registry, build_registry, dwp_code, plan_areas
from pbr_pipeline.generate.assessments import build_assessments
from pbr_pipeline.generate.dates import window_last_day
from pbr_pipeline.generate.defects import Context, plan_row_defects
from pbr_pipeline.generate.delivery import add_retracted_mistakes, deliver, finish
from pbr_pipeline.generate.episodes import build_episode_records, list_episodes
from pbr_pipeline.generate.events import build_employment, build_interventions, build_offences
from pbr_pipeline.generate.formatting import sort_for_writing
from pbr_pipeline.generate.gaming import GamingPlan, check_gaming
from pbr_pipeline.generate.national import EXTRA_AREA_BANDS, ExtraArea, national_extra_areas, write_national_config
from pbr_pipeline.generate.population import simulate_journeys
from pbr_pipeline.generate.submissions import Unit, UnitPlan, plan_units
from pbr_pipeline.generate.summary import GenerationSummary
from pbr_pipeline.generate.tables import TABLES
from pbr_pipeline.generate.top import build_tops, journey_traits
from pbr_pipeline.generate.writer import extras_dir, write_defects, write_windows
from pbr_pipeline.settings import PILOT_CONFIG_DIR
from pbr_pipeline.windows import window_index, window_range

SCALES = ("pilot", "national")

# One random stream per purpose (numpy.random.default_rng([seed, stream])).
_STREAMS = {
    "journeys": 1,
    "traits": 2,
    "assessments": 3,
    "tops": 4,
    "interventions": 5,
    "offences": 6,
    "employment": 7,
    "delivery": 10,  # + table number
    "mistakes": 30,  # + table number
    "units": 40,
    "row_defects": 41,
    "gaming": 50,
}


def generate_returns(
    out_dir: Path,
    first_window: str,
    last_window: str,
    scale: str = "pilot",
    seed: int = 1,
    config_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
    gaming: Iterable[tuple[str, str]] = (),
) -> GenerationSummary:
    """Write synthetic provider returns for every window from first_window to last_window.

    The same arguments always give a byte-identical tree. `out_dir` must be empty or absent, so
    that files of an earlier run can never mix with this one's. `gaming` holds (provider,
    behaviour) pairs: `cream-skim`, `park` or `drop` (gaming.py).
    """
    windows = window_range(first_window, last_window)
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r} (known: {', '.join(SCALES)})")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}")
    out_dir = Path(out_dir)
    base = Path(config_dir) if config_dir else PILOT_CONFIG_DIR
    base_areas = load_areas(base)
    extras = national_extra_areas({area.area for area in base_areas.areas}) if scale == "national" else []
    # Checked before anything is written, like every other argument.
    gaming_plan = GamingPlan(_rng(seed, "gaming"), check_gaming(gaming, _provider_bands(base_areas, extras)))
    _require_empty(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    areas, used_config, volumes = _configuration(out_dir, base, base_areas, extras)
    plans = plan_areas(areas, volumes)
    registry = build_registry(plans, dwp_code(areas))
    first, last = window_index(first_window), window_index(last_window)

    tables = _build_tables(seed, plans, registry, first, last, gaming_plan)
    units = _units(tables)
    unit_plans = plan_units(_rng(seed, "units"), units, registry)
    eligible = {name: _row_defect_eligible(table, unit_plans) for name, table in tables.items()}
    row_plan = plan_row_defects(_rng(seed, "row_defects"), tables, eligible, Context(registry, plans))
    unknown = _unknown_codes(unit_plans, registry, areas)

    result = write_windows(
        out_dir, tables, registry, unit_plans, row_plan, range(first, last + 1), seed, unknown, progress
    )
    defects = result.defects + gaming_plan.entries()
    write_defects(out_dir, defects)
    return GenerationSummary(
        out_dir=out_dir,
        scale=scale,
        seed=seed,
        first_window=first_window,
        last_window=last_window,
        windows=len(windows),
        submissions=result.submissions,
        rows=result.rows,
        defects=len(defects),
        journeys=int(tables["assessments"]["_initial"].sum()),
        config_dir=used_config,
        areas=len(plans),
        defects_by_level=dict(Counter(entry["level"] for entry in defects)),
    )


def _rng(seed: int, purpose: str, offset: int = 0) -> np.random.Generator:
    return np.random.default_rng([seed, _STREAMS[purpose] + offset])


def _require_empty(out_dir: Path) -> None:
    # A ValueError, like the other argument errors, so that `pbr` reports it in one line.
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise ValueError(f"{out_dir} is not an empty folder: generate into a new one")


def _configuration(
    out_dir: Path, base: Path, base_areas: Areas, extras: list[ExtraArea]
) -> tuple[Areas, Path, dict[str, float]]:
    """The areas to generate, the folder holding their configuration, and their sizes."""
    volumes: dict[str, float] = dict(rates.PILOT_ANNUAL_JOURNEYS)
    if not extras:
        return base_areas, base, volumes
    target = extras_dir(out_dir) / "config"
    volumes.update(write_national_config(target, base, extras, dwp_code(base_areas) or "DWP"))
    return load_areas(target), target, volumes


def _provider_bands(base_areas: Areas, extras: list[ExtraArea]) -> dict[str, tuple[int, ...]]:
    """Every PROVIDER that will be configured, with its area's tariff bands."""
    bands = {
        provider: tuple(sorted(config.bands))
        for config in base_areas.areas
        for provider in config.submitters_with_role("PROVIDER")
    }
    bands.update({provider: EXTRA_AREA_BANDS for area in extras for provider in area.providers})
    return bands


def _build_tables(
    seed: int, plans: list[AreaPlan], registry: Registry, first: int, last: int, gaming: GamingPlan
) -> dict[str, pd.DataFrame]:
    horizon = window_last_day(last)
    journeys = simulate_journeys(_rng(seed, "journeys"), plans, first, last, gaming)
    traits = journey_traits(_rng(seed, "traits"), journeys)
    episodes = list_episodes(journeys)
    dwp = next((code for code, role in zip(registry.codes, registry.roles) if role == "DWP"), None)
    raw = {
        "assessments": build_assessments(_rng(seed, "assessments"), journeys, plans, horizon),
        "episodes": build_episode_records(episodes),
        "top": build_tops(_rng(seed, "tops"), journeys, traits, episodes, horizon),
        "interventions": build_interventions(_rng(seed, "interventions"), journeys, traits, horizon),
        "offences": build_offences(_rng(seed, "offences"), journeys, plans, horizon),
        "employment": build_employment(_rng(seed, "employment"), journeys, dwp, horizon),
    }
    mistakes = {"top": rates.SPURIOUS_TOP_SHARE, "offences": rates.SPURIOUS_OFFENCE_SHARE}
    tables = {}
    for number, name in enumerate(TABLES):
        table = deliver(_rng(seed, "delivery", number), raw[name], name, first, last)
        if name in mistakes:
            table = add_retracted_mistakes(_rng(seed, "mistakes", number), table, name, mistakes[name], last)
        tables[name] = sort_for_writing(finish(table, name, registry), name)
    return tables


def _units(tables: dict[str, pd.DataFrame]) -> list[Unit]:
    pairs = pd.concat([t[["_win", "_sub"]] for t in tables.values()]).drop_duplicates()
    pairs = pairs.sort_values(["_win", "_sub"])
    return [Unit(int(w), int(s)) for w, s in zip(pairs["_win"], pairs["_sub"])]


def _row_defect_eligible(table: pd.DataFrame, unit_plans: dict[Unit, UnitPlan]) -> np.ndarray:
    """Rows of submissions that load as sent, that are not retractions or retracted mistakes."""
    span = 1 + max((u.submitter for u in unit_plans), default=0)
    takes = np.array([u.window * span + u.submitter for u, plan in unit_plans.items() if plan.takes_row_defects])
    in_unit = np.isin(table["_win"].to_numpy() * span + table["_sub"].to_numpy(), takes)
    return in_unit & (table["deleted"].to_numpy() == "") & ~table["_mistake"].to_numpy()


def _unknown_codes(unit_plans: dict[Unit, UnitPlan], registry: Registry, areas: Areas) -> dict[str, str]:
    """A code the submitter's new system sends under before anyone has configured it."""
    codes = {}
    for unit, plan in unit_plans.items():
        if plan.code == "UNKNOWN_SUBMITTER":
            code = registry.codes[unit.submitter]
            candidate = f"{code[:28]}-NEW"
            while candidate in areas.roles:
                candidate = candidate[:-1] + "X"
            codes[code] = candidate
    return codes
