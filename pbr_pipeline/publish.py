"""The analysts' copy of the warehouse: the last good state, published whole.

DuckDB lets one process write a file and locks readers out while it does, so analysts query a
copy. At the end of each good run the working file is copied beside the published one and
renamed over it: a reader sees the old copy or the new one, never half of one. The same copy is
what a failed run rolls the working warehouse back to.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from pbr_pipeline.settings import Settings


def _copy_whole(source: Path, target: Path) -> None:
    incoming = target.with_name(f".{target.name}.incoming-{os.getpid()}")
    shutil.copyfile(source, incoming)
    os.replace(incoming, target)


def publish_analyst_copy(settings: Settings) -> Path:
    """Copy the working warehouse (no connection open on it) to the analysts' file."""
    settings.analyst_warehouse.parent.mkdir(parents=True, exist_ok=True)
    _copy_whole(settings.warehouse, settings.analyst_warehouse)
    return settings.analyst_warehouse


def restore_last_good(settings: Settings) -> bool:
    """Put the last published state back as the working warehouse; False if there is none."""
    if not settings.analyst_warehouse.exists():
        return False
    _copy_whole(settings.analyst_warehouse, settings.warehouse)
    stale_wal = settings.warehouse.with_name(settings.warehouse.name + ".wal")
    stale_wal.unlink(missing_ok=True)
    return True
