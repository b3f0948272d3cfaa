"""The Great Expectations (GX Core 1.x) checkpoint that gates the payment outputs of a run's windows.

It checks the invariants of spec/payments.md that money rests on, over what the dbt models
expose, and nothing that a dbt test already guards (grains, accepted values: the models' yml):
payment lines' signs; payable <= gross <= the price dbt computed for the line's band and
schedule (intermediate.int_entitlement_prices); caps not exceeded
(marts.contract_cap_positions); statements equal to their lines; each line key's lines adding
up to its payable amount; and no personal column in the warehouse or the exports. It prices
nothing and re-derives no rule itself.

Each question is a query over the rows of the run's windows, read into a pandas frame, every
window of the run in the same frame (the grain and every comparison include the window), and
validated with its own Expectation Suite, ValidationDefinition and Checkpoint, all under one
run id: GX costs the same for one window as for twenty-four. Every expectation is evaluated
even when another fails. The run's Data Docs site is written to `docs_dir`, readable with no
network (data_docs.py, docs/payment-checkpoint.md).

Money is compared in whole pence (BIGINT), never as floats.

GX is imported lazily: importing it costs about 4 s, which the Dagster code location and the
command line should not pay just to load this module.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import os
import shutil
import threading
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from pbr_pipeline.ingest.pseudonymise import PERSONAL_COLUMNS
from pbr_pipeline.payments import exports
from pbr_pipeline.progress import range_label

if TYPE_CHECKING:
    from great_expectations.expectations import Expectation

MAX_ROWS = 20
DOCS_SITE = "payment_checkpoint"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExpectationFailure:
    expectation: str  # a readable name, e.g. "entitlements: payable <= gross"
    rows: list[dict]  # up to 20 offending rows (GX unexpected rows / values), JSON-safe


@dataclass(frozen=True)
class CheckpointResult:
    success: bool
    failures: list[ExpectationFailure]
    evaluated: int  # number of expectations evaluated
    docs_index: Path | None  # the Data Docs index.html written for this run

    def message(self) -> str:
        """One line naming the first failing expectation and its first offending rows."""
        if self.success:
            return f"GX checkpoint passed: {self.evaluated} expectations"
        if not self.failures:
            return "GX checkpoint failed"
        first = self.failures[0]
        n = len(first.rows)
        count = f"{n}+ rows" if n >= MAX_ROWS else ("1 row" if n == 1 else f"{n} rows")
        shown = "; ".join(json.dumps(row) for row in first.rows[:3])
        more = f"; {len(self.failures) - 1} more failing" if len(self.failures) > 1 else ""
        return f"GX checkpoint failed: {first.expectation} ({count}: {shown}){more}"


def import_in_background() -> None:
    """Start importing GX in a thread of its own: the dbt build that runs before the
    checkpoint is another process, so the import (about 4 s) takes the time of neither."""

    def load() -> None:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
        import great_expectations  # noqa: F401

    threading.Thread(target=load, name="import-gx", daemon=True).start()


# --- The frames: one small query each; money in pence, outcome_code '' when it has none. -----

_LINES_SQL = """
SELECT payment_window, line_key, status, CAST(amount * 100 AS BIGINT) AS amount_pence
FROM marts.payment_lines
WHERE list_contains($windows, payment_window)
"""

# The bound of a line's gross is the price dbt gave it (int_entitlement_prices, unrounded)
# rounded up to the penny: a gross rounded half up once never exceeds that. A line with no
# priced row, or no price, leaves the bound NULL.
_ENTITLEMENTS_SQL = """
WITH prices AS (
    SELECT as_of_window, line_key, schedule_from, price_gbp
    FROM intermediate.int_entitlement_prices WHERE list_contains($windows, as_of_window)
)
SELECT e.as_of_window, e.line_key, CAST(e.earned_date AS VARCHAR) AS earned_date,
       CAST(prices.schedule_from AS VARCHAR) AS schedule_from,
       CAST(e.gross_amount * 100 AS BIGINT) AS gross_pence,
       CAST(e.payable_amount * 100 AS BIGINT) AS payable_pence,
       CAST(ceil(prices.price_gbp * 100) AS BIGINT) AS bound_pence
FROM marts.entitlements e
LEFT JOIN prices ON prices.as_of_window = e.as_of_window AND prices.line_key = e.line_key
WHERE list_contains($windows, e.as_of_window)
"""

# Uncapped contracts (a NULL cap) have no cap to exceed.
_CAP_POSITIONS_SQL = """
SELECT payment_window, contract_id, financial_year,
       CAST(annual_cap_gbp * 100 AS BIGINT) AS cap_pence,
       CAST(payable_to_date * 100 AS BIGINT) AS payable_to_date_pence
FROM marts.contract_cap_positions
WHERE list_contains($windows, payment_window) AND annual_cap_gbp IS NOT NULL
"""

_STATEMENT_VS_LINES_SQL = """
WITH stmt AS (
    SELECT payment_window, provider, kind, coalesce(outcome_code, '') AS outcome_code, status,
           sum(line_count) AS line_count, sum(amount) AS amount
    FROM marts.provider_statements WHERE list_contains($windows, payment_window) GROUP BY ALL
), lines AS (
    SELECT payment_window, provider, kind, coalesce(outcome_code, '') AS outcome_code, status,
           count(*) AS line_count, sum(amount) AS amount
    FROM marts.payment_lines WHERE list_contains($windows, payment_window) GROUP BY ALL
)
SELECT payment_window, provider, kind, outcome_code, status,
       CAST(coalesce(stmt.amount, 0) * 100 AS BIGINT) AS statement_amount_pence,
       CAST(coalesce(lines.amount, 0) * 100 AS BIGINT) AS lines_amount_pence,
       CAST(coalesce(stmt.line_count, 0) AS BIGINT) AS statement_line_count,
       CAST(coalesce(lines.line_count, 0) AS BIGINT) AS lines_line_count
FROM stmt FULL JOIN lines USING (payment_window, provider, kind, outcome_code, status)
"""

# For each window P of the run: what the payment lines of every window up to P add up to,
# line key by line key, against the payable amount as of P.
_CUMULATIVE_SQL = """
WITH run_windows AS (
    SELECT unnest($windows) AS payment_window
), paid AS (
    SELECT run_windows.payment_window, lines.line_key, sum(lines.amount) AS amount
    FROM marts.payment_lines AS lines
    JOIN run_windows ON lines.payment_window <= run_windows.payment_window
    GROUP BY ALL
), entitled AS (
    SELECT as_of_window AS payment_window, line_key, payable_amount
    FROM marts.entitlements WHERE list_contains($windows, as_of_window)
)
SELECT payment_window, line_key,
       CAST(coalesce(paid.amount, 0) * 100 AS BIGINT) AS paid_to_date_pence,
       CAST(coalesce(entitled.payable_amount, 0) * 100 AS BIGINT) AS payable_pence
FROM paid FULL JOIN entitled USING (payment_window, line_key)
"""


# Column names are compared in lower case: DuckDB's identifiers are case-insensitive.
_WAREHOUSE_COLUMNS_SQL = """
SELECT table_schema, table_name, lower(column_name) AS column_name
FROM information_schema.columns
WHERE table_catalog = current_database() AND table_schema IN ('raw', 'quality', 'marts')
"""


def _frames(con: duckdb.DuckDBPyConnection, windows: list[str]) -> dict[str, pd.DataFrame]:
    def read(sql: str) -> pd.DataFrame:
        # In a fixed order: the offending rows reported, and the Data Docs (GX's fingerprint of
        # each frame), are then the same for the same warehouse.
        sql = f"SELECT * FROM ({sql}) ORDER BY ALL"
        return con.execute(sql, {"windows": windows} if "$windows" in sql else None).df()

    statement_vs_lines = read(_STATEMENT_VS_LINES_SQL)
    amounts = ["statement_amount_pence", "lines_amount_pence"]
    provider_net = (
        statement_vs_lines.groupby(["payment_window", "provider"], as_index=False)[amounts]
        .sum()
        .rename(columns={"statement_amount_pence": "statement_net_pence", "lines_amount_pence": "lines_net_pence"})
    )
    return {
        "payment_lines": read(_LINES_SQL),
        "entitlements": read(_ENTITLEMENTS_SQL),
        "contract_cap_positions": read(_CAP_POSITIONS_SQL),
        "statement_vs_lines": statement_vs_lines,
        "provider_net": provider_net,
        "cumulative": read(_CUMULATIVE_SQL),
        "columns": pd.concat([read(_WAREHOUSE_COLUMNS_SQL), _export_columns()], ignore_index=True),
    }


def _export_columns() -> pd.DataFrame:
    """The columns of every export file, as rows like information_schema's (schema 'exports')."""
    rows = [("exports", file, column.lower()) for file, columns in exports.EXPORT_COLUMNS.items() for column in columns]
    return pd.DataFrame(rows, columns=["table_schema", "table_name", "column_name"])


# --- The expectations, by frame, in the order failures are reported. --------------------------

# Columns that identify an offending row in GX's unexpected_index_list (and in Data Docs).
_ROW_KEYS = {
    "payment_lines": ["payment_window", "line_key", "status"],
    "entitlements": ["as_of_window", "line_key", "earned_date", "schedule_from"],
    "contract_cap_positions": ["payment_window", "contract_id", "financial_year"],
    "statement_vs_lines": ["payment_window", "provider", "kind", "outcome_code", "status"],
    "provider_net": ["payment_window", "provider"],
    "cumulative": ["payment_window", "line_key"],
    "columns": ["table_schema", "table_name"],
}


def _expectations() -> dict[str, list[tuple[str, Expectation]]]:
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    def at_most(column_a: str, column_b: str) -> Expectation:
        """column_a <= column_b, as GX's "A >= B" with the columns swapped."""
        return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=column_b, column_B=column_a, or_equal=True, ignore_row_if="either_value_is_missing"
        )

    def equal(column_a: str, column_b: str) -> Expectation:
        return gxe.ExpectColumnPairValuesToBeEqual(column_A=column_a, column_B=column_b, ignore_row_if="neither")

    return {
        "payment_lines": [
            (
                "payment_lines: NEW amount >= 0",
                gxe.ExpectColumnValuesToBeBetween(
                    column="amount_pence", min_value=0, row_condition=Column("status") == "NEW"
                ),
            ),
            (
                "payment_lines: REVERSAL amount <= 0",
                gxe.ExpectColumnValuesToBeBetween(
                    column="amount_pence", max_value=0, row_condition=Column("status") == "REVERSAL"
                ),
            ),
        ],
        "entitlements": [
            (
                "entitlements: a schedule in force bounds the amount",
                gxe.ExpectColumnValuesToNotBeNull(column="bound_pence"),
            ),
            ("entitlements: gross >= 0", gxe.ExpectColumnValuesToBeBetween(column="gross_pence", min_value=0)),
            ("entitlements: gross <= bound of its band and schedule", at_most("gross_pence", "bound_pence")),
            ("entitlements: payable <= gross", at_most("payable_pence", "gross_pence")),
            ("entitlements: payable >= 0", gxe.ExpectColumnValuesToBeBetween(column="payable_pence", min_value=0)),
        ],
        "contract_cap_positions": [
            (
                "contract_cap_positions: payable in the financial year <= annual cap",
                at_most("payable_to_date_pence", "cap_pence"),
            ),
        ],
        "statement_vs_lines": [
            (
                "provider_statements: amount = sum of payment_lines",
                equal("statement_amount_pence", "lines_amount_pence"),
            ),
            (
                "provider_statements: line_count = count of payment_lines",
                equal("statement_line_count", "lines_line_count"),
            ),
        ],
        "provider_net": [
            (
                "provider_statements: provider net = sum of its payment_lines",
                equal("statement_net_pence", "lines_net_pence"),
            ),
        ],
        "cumulative": [
            (
                "payment_lines: cumulative amount to window = payable as of window",
                equal("paid_to_date_pence", "payable_pence"),
            ),
        ],
        "columns": [
            (
                f"warehouse and exports: no personal column ({', '.join(PERSONAL_COLUMNS)})",
                gxe.ExpectColumnValuesToNotBeInSet(column="column_name", value_set=list(PERSONAL_COLUMNS)),
            ),
        ],
    }


# --- The run. ----------------------------------------------------------------------------------


def run_payment_checkpoint(con: duckdb.DuckDBPyConnection, windows: list[str], docs_dir: Path) -> CheckpointResult:
    """Validate the payment outputs of every window of `windows` at once; write this run's
    Data Docs under `docs_dir`.

    Reads the warehouse only. Returns success, the failures in expectation order (each with up
    to 20 offending rows), the number of expectations evaluated and the Data Docs index.
    """
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    from pbr_pipeline.payments import data_docs

    frames = _frames(con, windows)
    docs_dir = Path(docs_dir).resolve()
    _clear_previous_docs(docs_dir)
    context = gx.get_context(mode="ephemeral", project_config=_project_config(docs_dir))
    source = context.data_sources.add_pandas("warehouse")
    label = range_label(windows)
    run_id = RunIdentifier(run_name=f"payments-{label}", run_time=dt.datetime.now(dt.UTC))

    order: list[str] = []  # readable names, in the order failures are reported
    keys: dict[str, list[str]] = {}  # readable name -> the columns that identify its rows
    results = []
    for frame_name, checks in _expectations().items():
        suite = gx.ExpectationSuite(name=frame_name)
        for name, expectation in checks:
            expectation.description = name  # shown in Data Docs instead of GX's generated sentence
            expectation.meta = {"check": name}
            suite.add_expectation(expectation)
            order.append(name)
            keys[name] = _ROW_KEYS[frame_name]
        suite = context.suites.add(suite)
        batch = source.add_dataframe_asset(frame_name).add_batch_definition_whole_dataframe("window")
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(name=frame_name, data=batch, suite=suite)
        )
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(
                name=frame_name,
                validation_definitions=[validation],
                result_format={
                    "result_format": "COMPLETE",
                    "partial_unexpected_count": MAX_ROWS,
                    "unexpected_index_column_names": _ROW_KEYS[frame_name],
                },
            )
        )
        outcome = checkpoint.run(batch_parameters={"dataframe": frames[frame_name]}, run_id=run_id)
        for suite_result in outcome.run_results.values():
            results.extend(suite_result.results)

    # One build for the whole run: an UpdateDataDocsAction per checkpoint would rebuild the site
    # (and recompile GX's jinja templates) once per validation result, about 5 times slower.
    context.build_data_docs(site_names=[DOCS_SITE])
    remote = data_docs.make_offline(docs_dir)
    if remote:
        log.warning("GX Data Docs in %s still load from the internet: %s", docs_dir, ", ".join(remote))

    failures = {}
    for result in results:
        name = result.expectation_config.meta["check"]
        if not result.success:
            failures[name] = ExpectationFailure(name, _offending_rows(result, keys[name]))
    index = docs_dir / "index.html"
    return CheckpointResult(
        success=not failures and len(results) == len(order),
        failures=[failures[name] for name in order if name in failures],
        evaluated=len(results),
        docs_index=index if index.exists() else None,
    )


def _project_config(docs_dir: Path):
    """An in-memory context whose only Data Docs site is the filesystem folder `docs_dir`."""
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    return DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        data_docs_sites={
            DOCS_SITE: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
                # GX's index builder, listing its pages by path (GX: in the file system's order).
                "site_index_builder": {
                    "module_name": "pbr_pipeline.payments.data_docs",
                    "class_name": "SortedSiteIndexBuilder",
                },
            }
        },
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )


def _clear_previous_docs(docs_dir: Path) -> None:
    """A re-run replaces the run's docs: drop the pages GX wrote there before (only those)."""
    for name in ("index.html", "validations", "expectations"):
        path = docs_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def _offending_rows(result, key_columns: list[str]) -> list[dict]:
    """GX's unexpected rows (the row's key columns first, then the columns checked), else the
    unexpected values, else the error GX caught while evaluating the expectation."""
    errors = _exception_messages(result.exception_info)
    if errors:
        return [{"error": message} for message in errors[:MAX_ROWS]]
    found = result.result or {}
    rows = found.get("unexpected_index_list") or found.get("partial_unexpected_list") or []
    offending = []
    for row in rows[:MAX_ROWS]:
        if not isinstance(row, dict):
            row = {"value": row}
        ordered = {key: row[key] for key in key_columns if key in row} | row
        offending.append({key: _json_safe(value) for key, value in ordered.items()})
    return offending


def _exception_messages(info: Any) -> list[str]:
    """exception_info is one {raised_exception, exception_message, ...} dict, or one per metric."""
    if not isinstance(info, dict):
        return []
    if "raised_exception" in info:
        return [str(info.get("exception_message"))] if info.get("raised_exception") else []
    return [message for value in info.values() for message in _exception_messages(value)]


def _json_safe(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return int(value) if value.is_integer() else value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (str, int, bool)):
        return value
    return str(value)
