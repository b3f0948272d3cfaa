"""One writer per warehouse: an exclusive OS lock, held for the whole of a run.

DuckDB allows one writing process per file, and two runs interleaving their steps on one
warehouse produce wrong results that look right. Every process that writes the warehouse
(`pbr run`, `pbr finalize`, a run launched from the UI) holds an exclusive `flock` on
`<warehouse>.lock` from its first step to its last. The kernel releases it when the process
ends, however it ends (kill -9 included), so nothing that serialises runs can outlive them.
A second writer does not wait: it fails at once, naming the holder.

A run killed with kill -9 can leave a child behind (dbt, still writing): it does not hold our
lock. Taking the lock therefore also looks for such a process, by DuckDB's own lock on the file
and by a command line naming the file (dbt is given the warehouse's path before it opens it),
and fails naming it if there is one.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import struct
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class WarehouseBusy(Exception):
    """Another process holds the warehouse; the message names it."""


# Locks this process holds, by lock file: the runner takes the lock for a whole `pbr run` and
# the Dagster run it executes in the same process takes it again for its steps.
_held: dict[Path, int] = {}
_guard = threading.Lock()


def lock_path(warehouse: Path) -> Path:
    warehouse = Path(warehouse).resolve()
    return warehouse.with_name(warehouse.name + ".lock")


def _holder_text(fd: int) -> str:
    """Who holds the lock, from what the holder wrote into the file."""
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        holder = json.loads(os.read(fd, 4096).decode("utf-8") or "{}")
    except (OSError, ValueError):
        holder = {}
    if not holder:
        return "another process (starting up)"
    return f"pid {holder.get('pid')} ({holder.get('command')}) since {holder.get('since')}"


# struct flock of fcntl(2) on Linux: l_type, l_whence, l_start, l_len, l_pid (native alignment).
FLOCK_STRUCT = "hhqqi4x"


def duckdb_holder(warehouse: Path) -> int | None:
    """The pid of another process holding DuckDB's lock on the file, if any. Asked with F_GETLK,
    which takes nothing; called only while this process has no connection to the file (closing
    any descriptor of a file drops the POSIX locks a process holds on it)."""
    try:
        fd = os.open(warehouse, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        query = struct.pack(FLOCK_STRUCT, fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)
        kind, _, _, _, pid = struct.unpack(FLOCK_STRUCT, fcntl.fcntl(fd, fcntl.F_GETLK, query))
    finally:
        os.close(fd)
    return None if kind == fcntl.F_UNLCK else pid


def is_running(pid: int | str) -> bool:
    """Alive and not a zombie (an orphan's zombie may wait for a reaper that never comes)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def process_naming(warehouse: Path) -> int | None:
    """Another live process whose command line names the warehouse file (a dbt left running)."""
    needle = str(Path(warehouse).resolve()).encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            named = needle in (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if named and is_running(entry.name):
            return int(entry.name)
    return None


def left_behind(warehouse: Path) -> int | None:
    return duckdb_holder(warehouse) or process_naming(warehouse)


def _write_holder(fd: int, command: str) -> None:
    since = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    record = json.dumps({"pid": os.getpid(), "command": command, "since": since})
    os.ftruncate(fd, 0)
    os.pwrite(fd, record.encode("utf-8"), 0)


def current_command() -> str:
    return " ".join(["pbr" if arg.endswith(("cli.py", "/pbr")) else arg for arg in sys.argv[:6]]) or "python"


@contextmanager
def warehouse_lock(warehouse: Path, command: str | None = None) -> Iterator[None]:
    """Hold the warehouse's lock; re-entrant within one process. Raises WarehouseBusy at once
    when another process holds it."""
    path = lock_path(warehouse)
    with _guard:
        if path in _held:
            reentered = True
        else:
            reentered = False
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder_text(fd)
                os.close(fd)
                raise WarehouseBusy(
                    f"the warehouse {Path(warehouse).name} is in use by {holder}: try again when it has finished"
                ) from None
            orphan = left_behind(Path(warehouse))
            if orphan is not None:
                os.close(fd)
                raise WarehouseBusy(
                    f"the warehouse {Path(warehouse).name} is still open in pid {orphan}, a process no run holds "
                    f"(left by a run that was killed?): try again when it has ended"
                )
            _write_holder(fd, command or current_command())
            _held[path] = fd
    if reentered:
        yield
        return
    try:
        yield
    finally:
        with _guard:
            fd = _held.pop(path)
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
