"""The landing sensor: a new submission requests one run of every window with none yet, oldest first.

It lists the landing and export folders and asks the Dagster instance which windows have a run;
it never opens the warehouse (DuckDB would lock dbt out).
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

from dagster import AssetKey, DagsterInstance, RunRequest, SensorEvaluationContext, SensorResult, sensor

from pbr_pipeline.ingest.discovery import discover
from pbr_pipeline.jobs import monthly_payment_run
from pbr_pipeline.partitions import range_tags
from pbr_pipeline.settings import Settings
from pbr_pipeline.windows import FIRST_WINDOW, WINDOW_PATTERN, shift_window, window_range

PAYMENT_RUNS = AssetKey(["marts", "payment_runs"])
LATE_ARRIVALS_LISTED = 3


def landed_by_window(landing_dir) -> dict[str, list[str]]:
    """Sources (relative paths) of named submissions under the landing root, by window."""
    found: dict[str, list[str]] = {}
    for candidate in discover(landing_dir):
        name = candidate.name
        if name and name.window >= FIRST_WINDOW:
            found.setdefault(name.window, []).append(candidate.source)
    return found


def new_sources(landed: dict[str, list[str]], seen: set[str]) -> dict[str, list[str]]:
    return {
        window: sorted(s for s in sources if s not in seen)
        for window, sources in sorted(landed.items())
        if any(s not in seen for s in sources)
    }


def exported_windows(export_dir: Path) -> set[str]:
    """Windows whose summary.csv exists: the payment run writes it once its checks pass."""
    if not export_dir.is_dir():
        return set()
    return {
        folder.name
        for folder in export_dir.iterdir()
        if WINDOW_PATTERN.match(folder.name) and (folder / "summary.csv").is_file()
    }


def materialized_windows(instance: DagsterInstance) -> set[str]:
    """Windows whose payment run Dagster recorded, `pbr run`'s included. A key that is no window
    (`2012-04-01`, recorded by an instance before partition keys were windows) is not a
    partition of this definition: the window's summary.csv still says it was run."""
    keys = instance.get_materialized_partitions(PAYMENT_RUNS)
    return {key for key in keys if WINDOW_PATTERN.match(key)}


def windows_to_request(landed_windows, run_windows: set[str]) -> list[str]:
    """Windows with no run yet, oldest first: after the latest run, through the latest landed window.

    Windows in between with nothing landed are included, as each run needs the previous
    window's. Windows before the latest run are not: a run never goes back, and the next
    window's run ingests their late submissions.
    """
    if not landed_windows:
        return []
    first = shift_window(max(run_windows), 1) if run_windows else FIRST_WINDOW
    last = max(landed_windows)
    return window_range(first, last) if first <= last else []


def late_arrivals(fresh: dict[str, list[str]], run_windows: set[str]) -> list[str]:
    """One line per new submission for a window no run will come back to."""
    if not run_windows:
        return []
    latest = max(run_windows)
    lines = []
    for window, sources in fresh.items():
        if window > latest:
            continue
        # The run it missed: its own window's, or the first after it if its window was never run.
        missed = min(run for run in run_windows if run >= window)
        for source in sources:
            lines.append(
                f"{PurePosixPath(source).name} ({window}) arrived after the run for {missed}: "
                f"the next window's run ({shift_window(latest, 1)}) will pick it up"
            )
    return lines


def listed_briefly(lines: list[str], limit: int = LATE_ARRIVALS_LISTED) -> str:
    """The first few lines, then how many more: a tick's message is read in the UI."""
    shown = "; ".join(lines[:limit])
    rest = len(lines) - limit
    return f"{shown}; and {rest} more" if rest > 0 else shown


def run_request(windows: list[str]) -> RunRequest:
    """One run over the windows (the models compute them together). The run key names the
    range: Dagster launches a sensor's run key once, so a range is requested once."""
    return RunRequest(run_key=f"windows-{windows[0]}..{windows[-1]}", tags=range_tags(windows))


def lands_after_latest_run(fresh: dict[str, list[str]], run_windows: set[str]) -> bool:
    """Whether a new submission is for a window after every run: only that opens a window to request.

    The windows requested on earlier ticks are still requested (their run keys are used).
    """
    return any(not run_windows or window > max(run_windows) for window in fresh)


def nothing_to_request(fresh: dict[str, list[str]], late: list[str], landing_dir: Path) -> str:
    if late:
        return listed_briefly(late)
    if not fresh:
        return f"no new submissions under {landing_dir}"
    return "no window to request: every new submission is for a window up to the latest run"


@sensor(
    job=monthly_payment_run,
    minimum_interval_seconds=60,
    description="Requests one run of every window that has none yet, oldest first, up to the latest landed window.",
)
def landing_sensor(context: SensorEvaluationContext):
    settings = Settings.from_env()
    seen = set(json.loads(context.cursor)) if context.cursor else set()
    landed = landed_by_window(settings.landing_dir)
    fresh = new_sources(landed, seen)
    run_windows = exported_windows(settings.export_dir) | materialized_windows(context.instance)
    # On a first tick every landed submission is new, though most were ingested long ago:
    # only one seen arriving after a run is reported as late.
    late = late_arrivals(fresh, run_windows) if context.cursor else []
    windows = windows_to_request(set(landed), run_windows) if lands_after_latest_run(fresh, run_windows) else []
    cursor = json.dumps(sorted(s for sources in landed.values() for s in sources))
    if not windows:
        return SensorResult(skip_reason=nothing_to_request(fresh, late, settings.landing_dir), cursor=cursor)
    if late:
        context.log.info(listed_briefly(late))
    return SensorResult(run_requests=[run_request(windows)], cursor=cursor)
