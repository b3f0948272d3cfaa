"""The payment run after the dbt models: the GX checkpoint gate, statements, the run record."""

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetDep,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    TimeWindowPartitionMapping,
    asset_check,
    multi_asset,
)

from pbr_pipeline.assets.display import count_value, money, money_value, table_value
from pbr_pipeline.assets.run_order import check_windows_may_run
from pbr_pipeline.partitions import ONE_RUN_PER_RANGE, monthly_windows, windows_of_run
from pbr_pipeline.payments.checkpoint import run_payment_checkpoint
from pbr_pipeline.payments.exports import missing_returns, statement_files, write_window_exports
from pbr_pipeline.payments.render import window_human_files
from pbr_pipeline.payments.runs import (
    RunTotals,
    check_final_run_reproduced,
    inputs_fingerprint,
    record_run,
    run_record,
    run_totals,
)
from pbr_pipeline.payments.statements import forecast_totals, statement_name
from pbr_pipeline.progress import range_label, report, report_range, warn
from pbr_pipeline.publish import publish_analyst_copy
from pbr_pipeline.resources import PipelineSettings
from pbr_pipeline.warehouse import connect

PAYMENT_MARTS = [
    AssetKey(["marts", name])
    for name in ("payment_lines", "entitlements", "provider_statements", "conversion_counts", "contract_cap_positions")
]
# What the statements show beside the payments. The summary's flags come from
# marts/monitor_indicators too, built in the same dbt step before this one; it is not drawn as
# a parent here: an edge from the monitoring group to payments lays the overview out too wide
# to read (tests/test_dagster_ui.py; docs/decisions.md, "Issue 15: forecast and flags on the
# statements").
STATEMENT_MARTS = [*PAYMENT_MARTS, AssetKey(["marts", "payment_forecast"])]


@asset_check(
    asset=AssetKey(["marts", "payment_lines"]),
    additional_deps=PAYMENT_MARTS[1:],
    blocking=True,
    description=(
        "Great Expectations checkpoint over each window's payment outputs: amount signs, "
        "payable <= gross <= the line's price, caps, statement totals, the cumulative invariant "
        "and no personal column. Statements are not written unless it passes for every window "
        "of the run."
    ),
)
def gx_payment_checkpoint(context, pipeline: PipelineSettings) -> AssetCheckResult:
    settings = pipeline.settings()
    windows = windows_of_run(context.op_execution_context)
    label = range_label(windows)
    with connect(settings.warehouse) as con:
        # One checkpoint over every window of the run: the frames carry the window.
        result = run_payment_checkpoint(con, windows, settings.validation_dir / label)
    report(context, label, "checkpoint", "passed" if result.success else result.message())
    return AssetCheckResult(
        passed=result.success,
        severity=AssetCheckSeverity.ERROR,
        description=None if result.success else result.message(),
        metadata={
            "windows": count_value(len(windows)),
            "expectations_evaluated": count_value(result.evaluated),
            "failures": MetadataValue.json([{"expectation": f.expectation, "rows": f.rows} for f in result.failures]),
            "data_docs": MetadataValue.path(str(result.docs_index)) if result.docs_index else None,
        },
    )


PREVIEW_LINES = 3
MISSING_NAMED = 5  # returns named in the run's warning line; the file lists them all


STATEMENT_COLUMNS = [("area", "text"), ("provider", "text"), ("lines", "count"), ("net_due", "money")]
FORECAST_COLUMNS = [
    ("area", "text"),
    ("provider", "text"),
    ("expected_window", "text"),
    ("lines", "count"),
    ("gross", "money"),
]


def statement_metadata(folder: Path, files: dict[str, bytes], forecast: list[tuple]) -> dict:
    """What the UI shows of a window's statements: net due per provider with a link to its HTML
    and PDF statement, the summary's link, the first lines of each statement CSV, and the
    forecast (not yet earned) per provider and expected month, as `forecast_totals` gives it."""
    summary = list(csv.DictReader(io.StringIO(files["summary.csv"].decode("utf-8"))))
    by_provider = [(row["area"], row["provider"], int(row["lines"]), row["net_amount_due"]) for row in summary]
    links = ["| area | provider | lines | net due | statement |", "| --- | --- | ---: | ---: | --- |"]
    for area, provider, lines, net in by_provider:
        html, pdf = (folder / statement_name(provider, suffix) for suffix in ("html", "pdf"))
        links.append(
            f"| {area} | {provider} | {lines:,} | {money(net)} | [HTML]({html.as_uri()}) · [PDF]({pdf.as_uri()}) |"
        )
    previews = []
    for name in sorted(n for n in files if n.startswith("statement_") and n.endswith(".csv")):
        lines = files[name].decode("utf-8").splitlines()
        previews.append(f"{name}: {len(lines) - 1} lines\n" + "\n".join(lines[: PREVIEW_LINES + 1]))
    return {
        "folder": MetadataValue.path(str(folder)),
        "summary": MetadataValue.url((folder / "summary.html").as_uri()),
        "files": count_value(len(files)),
        "net_due_by_provider": table_value(STATEMENT_COLUMNS, by_provider),
        "forecast_by_provider": table_value(FORECAST_COLUMNS, forecast),
        "statements": MetadataValue.md("\n".join(links)),
        "statement_preview": MetadataValue.md("```\n" + "\n\n".join(previews) + "\n```"),
    }


PAYMENT_RUNS_KEY = AssetKey(["marts", "payment_runs"])
STATEMENTS_KEY = AssetKey(["exports", "statements"])
# Each window's payment run builds on the previous window's: the UI shows the dependency, and
# a backfill requests a window only with, or after, the window before it. It is declared on the
# statements, not on marts/payment_runs: this one step writes both, and Dagster gives a
# self-dependent asset whose other parents lie outside its own step a backfill run of its own
# ("Self-dependant assets cannot be materialized in the same run as other assets"), which would
# part the statements from the checkpoint that gates them. run_order.py still refuses a run
# whose windows are out of order, from the UI or from `pbr run`.
PREVIOUS_WINDOW = TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)


@multi_asset(
    specs=[
        AssetSpec(
            PAYMENT_RUNS_KEY,
            group_name="payments",
            # The statements' marts, on this spec: the statements' own parents must lie in this
            # step (PREVIOUS_WINDOW, above, says why).
            deps=STATEMENT_MARTS,
            description="One row per window run: status, lines, net amount and a fingerprint of its inputs.",
        ),
        AssetSpec(
            STATEMENTS_KEY,
            group_name="exports",
            deps=[PAYMENT_RUNS_KEY, AssetDep(STATEMENTS_KEY, partition_mapping=PREVIOUS_WINDOW)],
            description=(
                "Under `PBR_EXPORT_DIR/<window>/`: each provider's statement as `statement_<PROVIDER>.csv` "
                "(its payment lines, for machines) and as `.html` and A4 `.pdf` (for people: net due, "
                "summary, conversions, cap position, lines with why each moved, the outcomes expected "
                "in the coming months, not yet earned), the commissioner's `summary.csv`/`.html`/`.pdf` "
                "(with the monitor's flags and the forecast), `missing_returns.csv`, and `monitor.html` (the "
                "monitor's indicators beside their peers, flags first, with trends and the journeys behind each flag)."
            ),
        ),
    ],
    partitions_def=monthly_windows,
    backfill_policy=ONE_RUN_PER_RANGE,
    name="payment_run",
)
def payment_run(context: AssetExecutionContext, pipeline: PipelineSettings):
    """For each window of the run, oldest first: write its statements, then record its run (a
    final run must reproduce exactly). The analysts' copy is published once, at the end."""
    settings = pipeline.settings()
    with connect(settings.warehouse) as con:
        windows = check_windows_may_run(context, con)
        written = [_export_window(context, con, settings, window) for window in windows]
    published = publish_analyst_copy(settings)
    report_range(context, windows, "payments", f"analysts' copy {published} updated")
    # The UI shows the latest window's figures; every window's are in the progress lines.
    last = written[-1]
    yield MaterializeResult(
        asset_key=PAYMENT_RUNS_KEY,
        metadata={
            "windows": count_value(len(windows)),
            "lines": count_value(last.totals.lines),
            "net_amount": money_value(last.totals.net_amount),
            "status": last.status,
            "inputs_fingerprint": last.fingerprint,
        },
    )
    yield MaterializeResult(
        asset_key=STATEMENTS_KEY,
        metadata=statement_metadata(last.folder, last.files, last.forecast),
    )


@dataclass(frozen=True)
class WindowExport:
    totals: RunTotals
    status: str
    fingerprint: str
    folder: Path
    files: dict[str, bytes]
    forecast: list[tuple]


def _export_window(context, con, settings, window: str) -> WindowExport:
    """One window's statements and run record; warns of expected returns not received."""
    fingerprint = inputs_fingerprint(con, window)
    totals = run_totals(con, window)
    files = statement_files(con, window)
    # The human statements print the run's record, so it is settled before they are drawn.
    run = run_record(con, window, fingerprint, files, settings.export_dir)
    files |= window_human_files(con, run)
    check_final_run_reproduced(con, window, fingerprint, files)
    folder = write_window_exports(settings.export_dir, window, files)
    status = record_run(con, run, totals, settings.pseudonym_key_id)
    missing = missing_returns(con, window)
    if missing:
        names = ", ".join(row[2] for row in missing[:MISSING_NAMED])
        more = f" and {len(missing) - MISSING_NAMED} more" if len(missing) > MISSING_NAMED else ""
        warn(
            context,
            window,
            "returns",
            f"{len(missing)} expected return(s) not received: {names}{more} "
            f"(listed in {folder / 'missing_returns.csv'})",
        )
    report(context, window, "payments", f"{totals.lines:,} lines, net {money(totals.net_amount)}, {status}")
    return WindowExport(totals, status, fingerprint, folder, files, forecast_totals(con, window))
