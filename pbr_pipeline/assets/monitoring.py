"""The monitor's flags as a Dagster asset check: it warns, it never stops a run (a flag is a
question for the commissioner, not a reason to withhold a payment; spec/monitoring.md)."""

from dagster import AssetCheckResult, AssetCheckSeverity, AssetKey, MetadataValue, asset_check

from pbr_pipeline.assets.display import count_value
from pbr_pipeline.monitor.report import flag_lines, flagged
from pbr_pipeline.partitions import windows_of_run
from pbr_pipeline.progress import range_label, report, warn
from pbr_pipeline.resources import PipelineSettings
from pbr_pipeline.warehouse import connect

FLAGS_NAMED = 10  # in the check's description; the metadata lists them all


@asset_check(
    asset=AssetKey(["marts", "monitor_indicators"]),
    blocking=False,
    description=(
        "Warns when the monitor raises a flag in a window of the run (spec/monitoring.md), naming the "
        "provider, indicator, pathway and band; the run goes on. monitor.html lists the journeys behind it."
    ),
)
def monitor_flags(context, pipeline: PipelineSettings) -> AssetCheckResult:
    windows = windows_of_run(context.op_execution_context)
    with connect(pipeline.settings().warehouse) as con:
        rows = flagged(con, windows)
    lines = flag_lines(rows)
    every = [f"{window} {line}" for window in windows for line in lines.get(window, [])]
    label = range_label(windows)
    if not every:
        report(context, label, "monitor", "no flag")
    else:
        warn(context, label, "monitor", f"{len(every)} flag(s) raised (each window's monitor.html lists them)")
    for window in windows:
        for line in lines.get(window, []):
            warn(context, window, "monitor", f"flag: {line}")
    more = f" and {len(every) - FLAGS_NAMED} more" if len(every) > FLAGS_NAMED else ""
    return AssetCheckResult(
        passed=not every,
        severity=AssetCheckSeverity.WARN,
        description="; ".join(every[:FLAGS_NAMED]) + more if every else "no flag",
        metadata={
            "windows": count_value(len(windows)),
            "flags": count_value(len(every)),
            "flagged": MetadataValue.md("\n".join(f"- {line}" for line in every) or "none"),
        },
    )
