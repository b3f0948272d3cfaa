"""The monitor's page for a window (`monitor.html`, spec/outputs.md; spec/monitoring.md) and the
journeys behind any of its numbers (`pbr monitor`).

Every figure is marts.monitor_indicators' as dbt left it, every case marts.monitor_cases'; this
module orders them (flags first), formats them and draws the trends (charts.py). Nothing
depends on the clock: the run date printed is the run's recorded `run_at`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import duckdb

from pbr_pipeline.monitor import MonitorError
from pbr_pipeline.monitor.charts import trend_svg
from pbr_pipeline.payments.runs import RunRecord
from pbr_pipeline.payments.statements import ratio, run_facts, share_text, z_text

INDICATOR_COLUMNS = [
    "area",
    "provider",
    "pathway",
    "band",
    "indicator",
    "numerator",
    "denominator",
    "value",
    "peer_numerator",
    "peer_denominator",
    "peer_value",
    "z",
    "flag",
]
CASE_COLUMNS = ["pbr_id", "journey_id", "episode_id", "event_date", "in_numerator"]
PATHWAY_TEXT = {"HARM_MIN": "Harm Minimisation", "RECOVERY": "Recovery"}


@dataclass(frozen=True)
class Indicator:
    """A row of marts.monitor_indicators for the window, with what the page adds to it."""

    area: str
    provider: str
    pathway: str
    band: int
    indicator: str
    numerator: int
    denominator: int
    value: Decimal
    peer_numerator: int
    peer_denominator: int
    peer_value: Decimal | None
    z: Decimal | None
    flag: bool

    @property
    def key(self) -> tuple[str, str, int, str]:
        return (self.provider, self.pathway, self.band, self.indicator)

    @property
    def anchor(self) -> str:
        return f"cases-{self.provider}-{self.pathway}-{self.band}-{self.indicator}"

    def command(self, window: str) -> str:
        return (
            f"pbr monitor --window {window} --provider {self.provider} --indicator {self.indicator} "
            f"--pathway {self.pathway} --band {self.band}"
        )


@dataclass
class Row:
    indicator: Indicator
    trend: str = ""  # inline SVG; band-0 rows and flags only (a page would hold thousands)


@dataclass
class Flag:
    indicator: Indicator
    cases: list[tuple]


@dataclass
class ProviderBlock:
    area: str
    provider: str
    rows: list[Row] = field(default_factory=list)

    @property
    def flags(self) -> int:
        return sum(row.indicator.flag for row in self.rows)


@dataclass
class MonitorPage:
    title: str
    facts: list[tuple[str, str]]
    flags: list[Flag]
    areas: list[tuple[str, list[ProviderBlock]]]  # (area's name and code, its providers)
    indicators: list[tuple[str, str, str]]  # (code, adverse when, description): the legend
    windows: list[str]


def indicator_codes(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    return con.execute(
        "SELECT indicator, adverse_when, description FROM reference.monitor_indicator_codes ORDER BY rowid"
    ).fetchall()


def indicators(con: duckdb.DuckDBPyConnection, window: str) -> list[Indicator]:
    """The window's rows, flags first, then by area, provider, pathway, the indicators' order, band."""
    rows = con.execute(
        f"""SELECT {", ".join(f"i.{c}" for c in INDICATOR_COLUMNS)}
            FROM marts.monitor_indicators i
            JOIN (SELECT indicator, rowid AS position FROM reference.monitor_indicator_codes) codes USING (indicator)
            WHERE i.as_of_window = ?
            ORDER BY i.area, i.provider, i.pathway, codes.position, i.band""",
        [window],
    ).fetchall()
    return [Indicator(*row) for row in rows]


def _flags_first(rows: list[Indicator]) -> list[Indicator]:
    return sorted(rows, key=lambda row: not row.flag)  # stable: the order above within each


def cases(con: duckdb.DuckDBPyConnection, window: str, row: Indicator) -> list[tuple]:
    """The journeys counted in the row's denominator (band 0: every band), numerator first."""
    return con.execute(
        f"""SELECT {", ".join(CASE_COLUMNS)} FROM marts.monitor_cases
            WHERE as_of_window = ? AND provider = ? AND pathway = ? AND indicator = ? AND (band = ? OR ? = 0)
            ORDER BY in_numerator DESC, event_date, journey_id, episode_id NULLS FIRST""",
        [window, row.provider, row.pathway, row.indicator, row.band, row.band],
    ).fetchall()


def windows_so_far(con: duckdb.DuckDBPyConnection, window: str) -> list[str]:
    """The windows run up to this one (the run record of this one is written after its files)."""
    earlier = con.execute(
        "SELECT payment_window FROM marts.payment_runs WHERE payment_window < ? ORDER BY 1", [window]
    ).fetchall()
    return [w for (w,) in earlier] + [window]


def _history(con: duckdb.DuckDBPyConnection, windows: list[str]) -> dict[tuple, dict[str, tuple]]:
    """(provider, pathway, band, indicator) -> window -> (value, peer_value), over the windows."""
    history: dict[tuple, dict[str, tuple]] = defaultdict(dict)
    for window, provider, pathway, band, indicator, value, peer in con.execute(
        """SELECT as_of_window, provider, pathway, band, indicator, value, peer_value FROM marts.monitor_indicators
           WHERE as_of_window IN (SELECT unnest(?))""",
        [windows],
    ).fetchall():
        history[(provider, pathway, band, indicator)][window] = (value, peer)
    return history


def _trend(history: dict[str, tuple], windows: list[str], flagged: bool) -> str:
    def series(position: int) -> list[float | None]:
        return [
            None if history.get(w, (None, None))[position] is None else float(history[w][position]) for w in windows
        ]

    return trend_svg(series(0), series(1), flagged)


def _area_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT area, name FROM staging.stg_config__areas").fetchall())


def thresholds_text(con: duckdb.DuckDBPyConnection) -> str:
    rows = con.execute(
        "SELECT DISTINCT min_denominator, z_threshold FROM staging.stg_config__areas ORDER BY 1, 2"
    ).fetchall()
    return "; ".join(f"at least {n} cases and |z| at least {z:g}" for n, z in rows) or "none configured"


def monitor_page(con: duckdb.DuckDBPyConnection, run: RunRecord) -> MonitorPage:
    window = run.window
    rows = indicators(con, window)
    windows = windows_so_far(con, window)
    history = _history(con, windows)
    names = _area_names(con)
    blocks: dict[tuple[str, str], ProviderBlock] = {}
    for row in rows:
        block = blocks.setdefault((row.area, row.provider), ProviderBlock(row.area, row.provider))
        trend = _trend(history[row.key], windows, row.flag) if row.band == 0 or row.flag else ""
        block.rows.append(Row(row, trend))
    for block in blocks.values():
        block.rows.sort(key=lambda r: not r.indicator.flag)
    by_area: dict[str, list[ProviderBlock]] = defaultdict(list)
    for (area, _provider), block in sorted(blocks.items()):
        by_area[area].append(block)
    flags = [Flag(row, cases(con, window, row)) for row in _flags_first(rows) if row.flag]
    return MonitorPage(
        title=f"Monitor {window}: perverse incentives",
        facts=[*run_facts(run), ("Flag when", thresholds_text(con)), ("Windows shown", f"{windows[0]} to {window}")],
        flags=flags,
        areas=[(f"{names.get(area, area)} ({area})", providers) for area, providers in by_area.items()],
        indicators=indicator_codes(con),
        windows=windows,
    )


# --- the flags of a run (the asset check) ---------------------------------------------------


def flagged(con: duckdb.DuckDBPyConnection, windows: list[str]) -> list[tuple[str, Indicator]]:
    """(window, row) of every flag raised in the windows."""
    rows = con.execute(
        f"""SELECT as_of_window, {", ".join(INDICATOR_COLUMNS)} FROM marts.monitor_indicators
            WHERE flag AND as_of_window IN (SELECT unnest(?))
            ORDER BY as_of_window, area, provider, pathway, indicator, band""",
        [windows],
    ).fetchall()
    return [(row[0], Indicator(*row[1:])) for row in rows]


def flag_text(row: Indicator) -> str:
    """A flag in one line: who, what, how far from the peers."""
    band = f"band {row.band}" if row.band else "all bands"
    return (
        f"{row.provider} {row.indicator} ({row.pathway}, {band}): {ratio(row.value)} "
        f"({share_text(row.numerator, row.denominator)}) against peers {ratio(row.peer_value)}, z {z_text(row.z)}"
    )


def flag_lines(rows: list[tuple[str, Indicator]]) -> dict[str, list[str]]:
    lines: dict[str, list[str]] = defaultdict(list)
    for window, row in rows:
        lines[window].append(flag_text(row))
    return lines


# --- `pbr monitor` --------------------------------------------------------------------------


def list_cases(
    con: duckdb.DuckDBPyConnection, window: str, provider: str, indicator: str, pathway: str | None, band: int
) -> str:
    """The indicator's rows for the provider (each pathway unless one is named) and, under each,
    the journeys behind its numerator and denominator, as text."""
    rows = [
        row
        for row in indicators(con, window)
        if row.provider == provider
        and row.indicator == indicator
        and row.band == band
        and (pathway is None or row.pathway == pathway)
    ]
    if not rows:
        raise MonitorError(
            f"no {indicator} row for {provider} as of {window}"
            + (f" on {pathway}" if pathway else "")
            + f" in band {band} (marts.monitor_indicators: is the window run, the provider and indicator spelt right?)"
        )
    parts = []
    for row in rows:
        listed = cases(con, window, row)
        parts.append(
            f"{row.indicator} {row.provider} {row.pathway} band {row.band} as of {window}: "
            f"{share_text(row.numerator, row.denominator)} = {ratio(row.value)}; peers "
            f"{share_text(row.peer_numerator, row.peer_denominator)} = {ratio(row.peer_value) or '-'}; "
            f"z {z_text(row.z) or '-'}; {'FLAG' if row.flag else 'no flag'}"
        )
        parts.append("  " + " | ".join(CASE_COLUMNS))
        parts += [
            "  " + " | ".join("" if v is None else str(v).lower() if isinstance(v, bool) else str(v) for v in case)
            for case in listed
        ]
    return "\n".join(parts)
