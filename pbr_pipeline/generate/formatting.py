"""Turning one window's rows into CSV text: per-column formatting and RFC 4180 writing.

Formatting is done a column at a time over a whole window (numpy string operations), and the
csv module does the quoting, so a value that needs quotes (a defect's odd text) gets them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pbr_pipeline.generate.dates import MISSING, format_days
from pbr_pipeline.generate.tables import ID_DIGITS, Column, columns, key_column


@dataclass
class FileContent:
    """One CSV file of a submission: its header, its rows as text, and each row's uid."""

    table: str
    header: tuple[str, ...]
    rows: list[tuple[str, ...]]
    uids: list[int] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.table}.csv"

    def to_bytes(self) -> bytes:
        return csv_bytes(self.header, self.rows)


def csv_bytes(header, rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def sort_for_writing(table: pd.DataFrame, name: str) -> pd.DataFrame:
    """Window, then submitter, then key: each submission's rows are one contiguous run."""
    return table.sort_values(["_win", "_sub", key_column(name), "_uid"], kind="stable", ignore_index=True)


def _format_column(values: np.ndarray, column: Column) -> np.ndarray:
    kind = column.kind
    if kind == "text":
        return values.astype(object)
    if kind == "date":
        return format_days(values)
    values = values.astype(np.int64)
    missing = values == MISSING
    if kind == "id":
        text = np.char.add(column.id_prefix, np.char.zfill(values.astype(str), ID_DIGITS))
    elif kind == "tenths":
        safe = np.where(missing, 0, values)
        text = np.char.add(np.char.add((safe // 10).astype(str), "."), (safe % 10).astype(str))
    else:
        text = values.astype(str)
    return np.where(missing, "", text).astype(object)


def format_window(
    table: pd.DataFrame, name: str, overrides: dict[int, tuple[str, str]]
) -> tuple[list[np.ndarray], np.ndarray]:
    """The text columns of a window's rows (defect overrides applied) and the rows' uids."""
    spec = columns(name)
    texts = [_format_column(table[c.name].to_numpy(), c) for c in spec]
    uids = table["_uid"].to_numpy()
    if overrides:
        wanted = np.fromiter(overrides, dtype=np.int64)
        positions = np.flatnonzero(np.isin(uids, wanted))
        index = {c.name: i for i, c in enumerate(spec)}
        for position in positions:
            column, text = overrides[int(uids[position])]
            texts[index[column]][position] = text
    return texts, uids


def file_content(
    name: str, texts: list[np.ndarray], uids: np.ndarray, start: int, stop: int, duplicates: set[int]
) -> FileContent:
    rows = list(zip(*(t[start:stop] for t in texts)))
    row_uids = uids[start:stop].tolist()
    if duplicates:
        doubled_rows, doubled_uids = [], []
        for row, uid in zip(rows, row_uids):
            copies = 2 if uid in duplicates else 1
            doubled_rows.extend([row] * copies)
            doubled_uids.extend([uid] * copies)
        rows, row_uids = doubled_rows, doubled_uids
    return FileContent(name, tuple(c.name for c in columns(name)), rows, row_uids)
