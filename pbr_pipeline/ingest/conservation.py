"""Conservation per file: rows in = rows loaded + rows quarantined, checked against the tables."""

from __future__ import annotations

import duckdb

from data_contracts.tables import TABLE_KEYS
from pbr_pipeline.codes import ROWS_LOADED_STATUSES


def conservation_breaches(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Files whose counts do not add up, or whose raw/quarantine rows differ from the counts."""
    raw_counts = " UNION ALL ".join(
        f"SELECT submission_id, file, count(*) AS n FROM raw.{table} GROUP BY ALL" for table in TABLE_KEYS
    )
    rows = con.execute(
        f"""
        WITH loaded AS (
            SELECT s.submission_id, s.fingerprint FROM quality.submissions s
            WHERE list_contains($loaded_statuses, s.status)
        ),
        raw_rows AS ({raw_counts}),
        quarantined AS (
            SELECT submission_id, fingerprint, file, count(DISTINCT line_number) AS n
            FROM quality.quarantine GROUP BY ALL
        )
        SELECT f.submission_id, f.file, f.rows_in, f.rows_loaded, f.rows_quarantined,
               coalesce(r.n, 0) AS raw_rows, coalesce(q.n, 0) AS quarantined_rows
        FROM quality.submission_files f
        JOIN loaded l USING (submission_id, fingerprint)
        LEFT JOIN raw_rows r ON r.submission_id = f.submission_id AND r.file = f.file
        LEFT JOIN quarantined q
            ON q.submission_id = f.submission_id AND q.fingerprint = f.fingerprint AND q.file = f.file
        WHERE f.rows_in <> f.rows_loaded + f.rows_quarantined
           OR coalesce(r.n, 0) <> f.rows_loaded
           OR coalesce(q.n, 0) <> f.rows_quarantined
        ORDER BY f.submission_id, f.file
        """,
        {"loaded_statuses": list(ROWS_LOADED_STATUSES)},
    ).fetchall()
    names = ["submission_id", "file", "rows_in", "rows_loaded", "rows_quarantined", "raw_rows", "quarantined_rows"]
    return [dict(zip(names, row)) for row in rows]
