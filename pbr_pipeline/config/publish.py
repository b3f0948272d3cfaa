"""Writing the validated configuration into `config.*` tables, where the dbt models read it.

Thresholds, tariffs, weights, contracts and caps live in the area YAML files; the models must
not carry copies of them as constants.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from pbr_pipeline.config.models import Areas

CONFIG_TABLES = (
    "areas",
    "submitters",
    "reliable_change",
    "contracts",
    "schedules",
    "schedule_bands",
    "schedule_weights",
)


def config_frames(areas: Areas) -> dict[str, pd.DataFrame]:
    rows: dict[str, list[dict]] = {name: [] for name in CONFIG_TABLES}
    for a in areas.areas:
        rows["areas"].append(
            dict(
                area=a.area,
                name=a.name,
                rule_set=a.rule_set,
                qol_norm=a.thresholds.qol_norm,
                min_denominator=a.monitoring.min_denominator,
                z_threshold=a.monitoring.z_threshold,
            )
        )
        rows["submitters"] += [dict(area=a.area, submitter=s.code, role=s.role) for s in a.submitters]
        rows["reliable_change"] += [
            dict(area=a.area, substance=substance, days=days)
            for substance, days in sorted(a.thresholds.reliable_change_days.items())
        ]
        rows["contracts"] += [
            dict(
                area=a.area,
                contract_id=c.id,
                provider=c.provider,
                start_date=c.start,
                end_date=c.end,
                annual_cap_gbp=c.annual_cap_gbp,
            )
            for c in a.contracts
        ]
        for s in a.schedules:
            rows["schedules"].append(
                dict(area=a.area, effective_from=s.effective_from, conversion_payment_gbp=s.conversion_payment_gbp)
            )
            rows["schedule_bands"] += [
                dict(
                    area=a.area,
                    effective_from=s.effective_from,
                    band=b.band,
                    attachment_fee_gbp=b.attachment_fee_gbp,
                    outcome_tariff_gbp=b.outcome_tariff_gbp,
                )
                for b in s.bands
            ]
            rows["schedule_weights"] += [
                dict(area=a.area, effective_from=s.effective_from, outcome_code=code, weight=weight)
                for code, weight in sorted(s.weights.items())
            ]
    return {name: pd.DataFrame(rows[name]) for name in CONFIG_TABLES}


# Money and weights keep exact decimals: the payment arithmetic rounds once, per line.
COLUMN_TYPES = {
    "annual_cap_gbp": "DECIMAL(14,2)",
    "conversion_payment_gbp": "DECIMAL(14,2)",
    "attachment_fee_gbp": "DECIMAL(14,2)",
    "outcome_tariff_gbp": "DECIMAL(14,2)",
    "weight": "DECIMAL(9,6)",
    "start_date": "DATE",
    "end_date": "DATE",
    "effective_from": "DATE",
    "band": "INTEGER",
    "days": "INTEGER",
    "qol_norm": "INTEGER",
    "min_denominator": "INTEGER",
    # compared with a z rounded to 2 decimals: a double holds any threshold written closely enough
    "z_threshold": "DOUBLE",
}


def publish_config(con: duckdb.DuckDBPyConnection, areas: Areas) -> dict[str, int]:
    """Replace the config tables in one transaction; returns row counts per table."""
    counts = {}
    con.begin()
    try:
        for name, frame in config_frames(areas).items():
            con.register("incoming_config", frame)
            select = ", ".join(
                f'CAST("{column}" AS {COLUMN_TYPES.get(column, "VARCHAR")}) AS "{column}"' for column in frame.columns
            )
            con.execute(f"CREATE OR REPLACE TABLE config.{name} AS SELECT {select} FROM incoming_config")
            con.unregister("incoming_config")
            counts[name] = len(frame)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return counts
