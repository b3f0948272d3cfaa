"""The analysts' copy of the warehouse, and the snapshot a run rolls back to.

DuckDB lets one process write a file and locks readers out while it does, so analysts query a
copy. At the end of each good run the working file is copied beside the published one and
renamed over it: a reader sees the old copy or the new one, never half of one.

A run that fails puts back the snapshot that it took itself at its start, under the
warehouse's lock: never the analysts' copy, which another run may have written.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pbr_pipeline.settings import Settings


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _rebind_views(copy: Path, catalog: str) -> list[str]:
    """Make the copy's views read the copy: they name the working file's catalog ("pbr"),
    which the copy, named differently, does not have. DuckDB binds a view when it is created,
    so the views are created again in passes, each once the views it reads exist; any that
    still cannot be created is left out, so every relation published answers a query.
    Returns the views left out."""
    qualifier = re.compile(rf'(?<![\w"])("{re.escape(catalog)}"|{re.escape(catalog)})\.')
    con = duckdb.connect(str(copy))
    try:
        own = con.execute("SELECT current_database()").fetchone()[0]
        views = con.execute(
            "SELECT schema_name, view_name, sql FROM duckdb_views() WHERE NOT internal ORDER BY 1, 2"
        ).fetchall()
        for schema, name, _ in views:
            con.execute(f'DROP VIEW "{schema}"."{name}"')
        pending = {(schema, name): qualifier.sub(f'"{own}".', sql) for schema, name, sql in views}
        while pending:
            created = []
            for view, sql in pending.items():
                try:
                    con.execute(sql)
                    created.append(view)
                except duckdb.Error:
                    continue  # reads a view not created yet, or cannot work in the copy
            if not created:
                break
            for view in created:
                del pending[view]
    finally:
        con.close()
    return sorted(f"{schema}.{name}" for schema, name in pending)


def publish_analyst_copy(settings: Settings) -> Path:
    """Copy the working warehouse (no connection open on it) to the analysts' file."""
    target = settings.analyst_warehouse
    target.parent.mkdir(parents=True, exist_ok=True)
    incoming = target.with_name(f".{target.stem}.incoming-{os.getpid()}{target.suffix}")
    shutil.copyfile(settings.warehouse, incoming)
    _rebind_views(incoming, settings.warehouse.stem)
    os.replace(incoming, target)
    return target


@dataclass(frozen=True)
class Snapshot:
    """The working warehouse as a run found it (None: there was none)."""

    warehouse: Path
    copy: Path | None
    wal: Path | None


def take_snapshot(warehouse: Path) -> Snapshot:
    """Copy the warehouse (and a WAL a dead run may have left) before the run touches it."""
    if not warehouse.exists():
        return Snapshot(warehouse, None, None)
    copy = warehouse.with_name(f".{warehouse.name}.before-run-{os.getpid()}")
    shutil.copyfile(warehouse, copy)
    wal = None
    if _wal(warehouse).exists():
        wal = _wal(copy)
        shutil.copyfile(_wal(warehouse), wal)
    return Snapshot(warehouse, copy, wal)


def restore_snapshot(snapshot: Snapshot) -> None:
    """Put the warehouse back exactly as the run found it."""
    _wal(snapshot.warehouse).unlink(missing_ok=True)
    if snapshot.copy is None:
        snapshot.warehouse.unlink(missing_ok=True)
        return
    if snapshot.wal is not None:
        os.replace(snapshot.wal, _wal(snapshot.warehouse))
    os.replace(snapshot.copy, snapshot.warehouse)


def discard_snapshot(snapshot: Snapshot) -> None:
    for path in (snapshot.copy, snapshot.wal):
        if path is not None:
            path.unlink(missing_ok=True)
