"""The landing sensor: a new submission folder or zip requests its window's run.

It only lists the landing folder (never opens the warehouse: DuckDB would lock dbt out).
"""

from __future__ import annotations

import hashlib
import json

from dagster import RunRequest, SensorEvaluationContext, SkipReason, sensor

from pbr_pipeline.ingest.discovery import discover
from pbr_pipeline.jobs import monthly_payment_run
from pbr_pipeline.partitions import partition_of_window
from pbr_pipeline.settings import Settings
from pbr_pipeline.windows import FIRST_WINDOW


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


@sensor(job=monthly_payment_run, minimum_interval_seconds=60, description="Requests a window's run when a submission for it lands.")
def landing_sensor(context: SensorEvaluationContext):
    settings = Settings.from_env()
    seen = set(json.loads(context.cursor)) if context.cursor else set()
    landed = landed_by_window(settings.landing_dir)
    fresh = new_sources(landed, seen)
    if not fresh:
        return SkipReason(f"no new submissions under {settings.landing_dir}")
    for window, sources in fresh.items():
        run_key = hashlib.sha256("\n".join(sources).encode()).hexdigest()[:16]
        yield RunRequest(run_key=f"{window}-{run_key}", partition_key=partition_of_window(window),
                         tags={"pbr/new_submissions": str(len(sources))})
    context.update_cursor(json.dumps(sorted(s for sources in landed.values() for s in sources)))
