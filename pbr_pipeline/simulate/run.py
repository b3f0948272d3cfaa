"""A simulation: the real history re-run under another configuration, into a warehouse of its own.

The same job as `pbr run` (the same landed returns, ingest, models, checkpoint and statements),
given other locations: the configuration folder asked for, and under `--out` the warehouse
`simulation.duckdb` with the run's statements, Data Docs and logs in `simulated_run/`. Its
Dagster run is recorded in an instance of its own, in memory, so the UI's record of the real
runs (their materialised windows) never sees it. The real warehouse, exports, analysts' copy
and instance are never opened for writing: the actual amounts are read from the analysts'
copy, read-only.

A fresh warehouse's first run is the first window (windows go in order, payments/runs.py), so
the simulation runs every window from the first to the last asked for, and compares the
windows asked for.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb

from pbr_pipeline.config import load_areas
from pbr_pipeline.lock import warehouse_lock
from pbr_pipeline.partitions import check_windows_can_run
from pbr_pipeline.settings import Settings
from pbr_pipeline.simulate import SimulationError
from pbr_pipeline.simulate.comparison import (
    ComparisonRow,
    compare,
    comparison_csv,
    largest_differences,
    paid,
    total,
    windows_paid,
)
from pbr_pipeline.windows import FIRST_WINDOW, window_range

SIMULATION_WAREHOUSE = "simulation.duckdb"
COMPARISON_CSV = "comparison.csv"
COMPARISON_HTML = "comparison.html"
RUN_FOLDER = "simulated_run"
# What a simulation writes under --out and sets aside (restoring it should the run fail) when
# a simulation into the same folder is run again. simulated_run/logs stays: it keeps dbt's
# parse for the next simulation into the folder.
RESULTS = (
    SIMULATION_WAREHOUSE,
    f"{SIMULATION_WAREHOUSE}.wal",
    COMPARISON_CSV,
    COMPARISON_HTML,
    f"{RUN_FOLDER}/exports",
    f"{RUN_FOLDER}/validation",
)


@dataclass(frozen=True)
class SimulationPlan:
    """A simulation checked and ready: nothing is written until it runs."""

    config_dir: Path
    windows: list[str]  # the windows compared, oldest first
    out: Path
    real: Settings  # the real runs' locations: read (the analysts' copy), never written
    settings: Settings  # the simulation's own

    @property
    def run_windows(self) -> list[str]:
        return window_range(FIRST_WINDOW, self.windows[-1])

    @property
    def label(self) -> str:
        return f"{self.windows[0]}..{self.windows[-1]}" if len(self.windows) > 1 else self.windows[0]


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _check_out(out: Path, real: Settings) -> None:
    """--out is the simulation's alone: never a folder of the real runs, whose files share the
    default names (exports, logs), nor the landing folder, whose sub-folders are submissions."""
    for name, location in (
        ("the warehouse's folder", real.warehouse.parent),
        ("the exports folder", real.export_dir),
        ("the landing folder", real.landing_dir),
        ("the configuration folder", real.config_dir),
    ):
        if _within(out, location):
            raise SimulationError(f"--out {out} is {name} of the real runs or inside it: give a folder of its own")
    if out.exists() and not out.is_dir():
        raise SimulationError(f"--out {out} is a file, not a folder")


def plan_simulation(config_dir: Path, first: str, last: str, out: Path, real: Settings | None = None) -> SimulationPlan:
    """Check everything a simulation needs before it writes anything: the windows, the
    configuration (the usual one-line ConfigError) and the output folder."""
    real = real or Settings.from_env()
    windows = window_range(first, last)
    check_windows_can_run(windows)
    config_dir, out = Path(config_dir).resolve(), Path(out).resolve()
    if not config_dir.is_dir():
        raise SimulationError(f"--config {config_dir} is not a folder")
    load_areas(config_dir)
    _check_out(out, real)
    run = out / RUN_FOLDER
    settings = dataclasses.replace(
        real,
        config_dir=config_dir,
        warehouse=out / SIMULATION_WAREHOUSE,
        export_dir=run / "exports",
        validation_dir=run / "validation",
        analyst_warehouse=run / "simulation_analyst.duckdb",
        log_dir=run / "logs",
        dbt_docs_dir=run / "dbt_docs",
    )
    return SimulationPlan(config_dir, windows, out, real, settings)


@dataclass(frozen=True)
class Comparison:
    """The comparison of a simulation, and what it was made from."""

    plan: SimulationPlan
    rows: list[ComparisonRow]
    windows_actual: list[str]  # the compared windows the real runs have paid

    @property
    def total_actual(self) -> Decimal:
        return total(self.rows, "actual_amount")

    @property
    def total_simulated(self) -> Decimal:
        return total(self.rows, "simulated_amount")

    @property
    def total_difference(self) -> Decimal:
        return total(self.rows, "difference")

    @property
    def largest(self) -> list[ComparisonRow]:
        return largest_differences(self.rows)

    def summary_lines(self) -> list[str]:
        windows = len(self.plan.windows)
        lines = [
            f"simulation {self.plan.label} with {self.plan.config_dir}: {len(self.rows)} comparison row(s)",
            f"  total actual    {self.total_actual:>16,.2f}  "
            f"({len(self.windows_actual)} of {windows} window(s) paid by real runs)",
            f"  total simulated {self.total_simulated:>16,.2f}",
            f"  difference      {self.total_difference:>+16,.2f}",
        ]
        if self.largest:
            lines.append("  largest differences:")
            lines += [f"    {row.difference:>+14,.2f}  {row.line}" for row in self.largest]
        else:
            lines.append("  no line differs")
        return lines


def compare_with_real(plan: SimulationPlan) -> Comparison:
    """The simulation's payment lines over the compared windows beside the real runs' (from
    the analysts' copy, read-only; none if there is no copy: no real run has succeeded)."""
    with duckdb.connect(str(plan.settings.warehouse), read_only=True) as con:
        simulated = paid(con, plan.windows)
    actual, windows_actual = {}, []
    if plan.real.analyst_warehouse.exists():
        with duckdb.connect(str(plan.real.analyst_warehouse), read_only=True) as con:
            actual, windows_actual = paid(con, plan.windows), windows_paid(con, plan.windows)
    return Comparison(plan, compare(actual, simulated), windows_actual)


def _set_aside(out: Path) -> Path:
    """Move a previous simulation's results out of the way (restored should this one fail)."""
    aside = out / f".previous-{os.getpid()}"
    shutil.rmtree(aside, ignore_errors=True)
    for name in RESULTS:
        if (out / name).exists():
            (aside / name).parent.mkdir(parents=True, exist_ok=True)
            os.replace(out / name, aside / name)
    return aside


def _put_back(aside: Path, out: Path) -> None:
    for name in RESULTS:
        if (aside / name).exists():
            shutil.rmtree(out / name) if (out / name).is_dir() else (out / name).unlink(missing_ok=True)
            os.replace(aside / name, out / name)
    shutil.rmtree(aside, ignore_errors=True)


def _write_comparison(comparison: Comparison) -> None:
    from pbr_pipeline.payments.render import render_comparison

    out = comparison.plan.out
    (out / COMPARISON_CSV).write_bytes(comparison_csv(comparison.rows))
    (out / COMPARISON_HTML).write_bytes(render_comparison(comparison))


@dataclass(frozen=True)
class SimulationResult:
    comparison: Comparison
    seconds: float


def simulate(plan: SimulationPlan, say: Callable[[str], None] = print) -> SimulationResult:
    """Run the plan's windows into its own warehouse and write the comparison. A failure puts
    back whatever a previous simulation had left in the folder."""
    from pbr_pipeline.runner import RunTarget, run_range

    started = time.monotonic()
    windows = plan.run_windows
    say(
        f"simulating {windows[0]}..{windows[-1]} with {plan.config_dir} into {plan.settings.warehouse} "
        f"(compared with the real runs: {plan.label})"
    )
    plan.out.mkdir(parents=True, exist_ok=True)
    with warehouse_lock(plan.settings.warehouse, "pbr simulate"):
        aside = _set_aside(plan.out)
        try:
            run_range(windows, rerun_through=windows[-1], target=RunTarget.elsewhere(plan.settings))
            comparison = compare_with_real(plan)
            _write_comparison(comparison)
        except BaseException:
            _put_back(aside, plan.out)
            raise
        shutil.rmtree(aside, ignore_errors=True)
        # The job publishes an analysts' copy of every warehouse it builds; the simulation's
        # warehouse is read only after the run, so the copy is not kept.
        plan.settings.analyst_warehouse.unlink(missing_ok=True)
    return SimulationResult(comparison, time.monotonic() - started)
