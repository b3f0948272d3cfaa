"""The monitor catches the gaming providers (issue 15): on 24 windows of generated pilot returns
with one provider of each `--gaming` behaviour (conftest GAMING), `marts.monitor_indicators`
flags each on its indicator as of the last window, and the same returns without gaming (the
generated run, seed 1) flag none of those rows.

The rows a behaviour must be caught on, read from the spec (monitoring.md) and the generator's
list (defects.json, level `gaming`: submitter, indicator code, band): every row of the provider,
that indicator and that band, on each pathway it has one on. For `cream-skim` that is band 3;
for `park` and `drop` band 0, all bands pooled (the generator spreads them over every band, so
the pooled row is the one a commissioner reads first, and the per-band rows are too small for
some bands to be a fair test).
"""

from __future__ import annotations

import json
from decimal import Decimal

import duckdb
import pytest

from pbr_pipeline.cli import DEMO_FIRST, DEMO_GAMING, DEMO_LAST, monitor_summary
from pbr_pipeline.generate.writer import defects_path
from pbr_pipeline.windows import window_range
from tests.conftest import GAMING, GENERATED_WINDOWS

LAST = GENERATED_WINDOWS[1]
# spec/monitoring.md: the side on which a value is adverse, and the flag's default thresholds.
ADVERSE = {"START_RATE": -1, "NO_RECENT_REVIEW": 1, "DECLINED_OR_DROPPED": 1}
MIN_DENOMINATOR, Z_THRESHOLD = 20, 3
ROW = "provider, pathway, band, indicator"
FIGURES = ("numerator", "denominator", "value", "peer_value", "z")


def gaming_entries(run) -> list[dict]:
    return [d for d in json.loads(defects_path(run.landing).read_text()) if d["level"] == "gaming"]


def indicator_rows(run, submitter: str, indicator: str, band: int) -> dict[tuple, dict]:
    """The last window's rows of the monitor for a provider, indicator and band, by their key."""
    columns, rows = run.columns_and_rows(
        f"""SELECT {ROW}, numerator, denominator, value, peer_value, z, flag
            FROM marts.monitor_indicators
            WHERE as_of_window = ? AND provider = ? AND indicator = ? AND band = ?
            ORDER BY pathway""",
        [LAST, submitter, indicator, band],
    )
    return {row[:4]: dict(zip(columns, row, strict=True)) for row in rows}


def flagged_windows(run, entry: dict) -> dict[str, list[str]]:
    """The windows in which a gaming entry's rows are flagged, by pathway."""
    rows = run.query(
        """SELECT pathway, list(as_of_window ORDER BY as_of_window) FROM marts.monitor_indicators
           WHERE flag AND provider = ? AND indicator = ? AND band = ? GROUP BY pathway""",
        [entry["submitter"], entry["code"], entry["band"]],
    )
    return dict(rows)


@pytest.fixture(scope="module")
def caught(gaming_run) -> list[tuple[dict, dict[tuple, dict]]]:
    """Each gaming entry with the rows it must be flagged on."""
    return [(d, indicator_rows(gaming_run, d["submitter"], d["code"], d["band"])) for d in gaming_entries(gaming_run)]


def test_the_gaming_run_injects_one_provider_of_each_behaviour(gaming_run):
    entries = gaming_entries(gaming_run)
    assert [(d["submitter"], d["behaviour"]) for d in entries] == sorted(GAMING)
    assert [(d["submitter"], d["code"], d["band"]) for d in entries] == [
        ("KNT-KCA", "NO_RECENT_REVIEW", 0),
        ("OXF-LIFELINE", "START_RATE", 3),
        ("WIG-ADS", "DECLINED_OR_DROPPED", 0),
    ]


def test_each_gaming_provider_is_flagged_on_its_indicator_by_the_last_window(caught):
    for entry, rows in caught:
        assert rows, f"{entry['submitter']} has no {entry['code']} band {entry['band']} row as of {LAST}"
        for key, row in rows.items():
            side = ADVERSE[entry["code"]]
            assert row["flag"] is True, (key, row)
            assert row["denominator"] >= MIN_DENOMINATOR, (key, row)
            assert side * row["z"] >= Z_THRESHOLD, (key, row)
            assert side * (row["value"] - row["peer_value"]) > 0, (key, row)


def test_the_gaming_rows_are_what_was_measured(caught):
    """The figures of the flagged rows as of the last window (seed 1): numerator, denominator,
    value, the peers' value and z; a change to the generator or the indicators that weakens a
    catch shows here first."""
    measured = {key: tuple(row[c] for c in FIGURES) for _, rows in caught for key, row in rows.items()}
    assert measured == {
        ("KNT-KCA", "HARM_MIN", 0, "NO_RECENT_REVIEW"): (
            138,
            361,
            Decimal("0.3823"),
            Decimal("0.0017"),
            Decimal("26.60"),
        ),
        ("KNT-KCA", "RECOVERY", 0, "NO_RECENT_REVIEW"): (
            169,
            366,
            Decimal("0.4617"),
            Decimal("0.0082"),
            Decimal("24.09"),
        ),
        ("OXF-LIFELINE", "RECOVERY", 3, "START_RATE"): (
            87,
            170,
            Decimal("0.5118"),
            Decimal("0.9657"),
            Decimal("-19.56"),
        ),
        ("WIG-ADS", "HARM_MIN", 0, "DECLINED_OR_DROPPED"): (
            88,
            156,
            Decimal("0.5641"),
            Decimal("0.2726"),
            Decimal("7.35"),
        ),
        ("WIG-ADS", "RECOVERY", 0, "DECLINED_OR_DROPPED"): (
            270,
            491,
            Decimal("0.5499"),
            Decimal("0.2735"),
            Decimal("12.57"),
        ),
    }


def test_without_gaming_the_same_rows_are_there_and_never_flagged(caught, generated_run):
    for entry, rows in caught:
        plain = indicator_rows(generated_run, entry["submitter"], entry["code"], entry["band"])
        assert set(plain) == set(rows), entry  # the same provider, pathway, band and indicator
        assert [key for key, row in plain.items() if row["flag"]] == [], entry
        # nor in any window before: the plain run is a baseline with nothing to find
        assert flagged_windows(generated_run, entry) == {}, entry


def test_once_caught_a_gaming_provider_stays_flagged_to_the_last_window(gaming_run):
    """The trend a commissioner sees: each row flagged in every window from its first flag on."""
    first = {}
    for entry in gaming_entries(gaming_run):
        for pathway, windows in flagged_windows(gaming_run, entry).items():
            assert windows == window_range(windows[0], LAST), (entry, pathway)
            first[(entry["submitter"], pathway)] = windows[0]
    assert first == {
        ("KNT-KCA", "HARM_MIN"): "2013-01",
        ("KNT-KCA", "RECOVERY"): "2013-01",
        ("OXF-LIFELINE", "RECOVERY"): "2012-08",
        ("WIG-ADS", "HARM_MIN"): "2013-04",
        ("WIG-ADS", "RECOVERY"): "2012-10",
    }


def test_the_only_flags_of_the_last_window_are_the_gaming_providers(gaming_run, generated_run):
    """As of the last window the plain run flags nothing, and the gaming run flags only the
    gaming providers: on their behaviour's indicator in the pooled row and in most bands, and
    `drop` on SUCCESSFUL_COMPLETION too (a discharge moved to 85 or 88 is a completion less)."""
    sql = """SELECT provider, indicator, count(*) FROM marts.monitor_indicators
             WHERE as_of_window = ? AND flag GROUP BY ALL ORDER BY ALL"""
    assert generated_run.query(sql, [LAST]) == []
    assert gaming_run.query(sql, [LAST]) == [
        ("KNT-KCA", "NO_RECENT_REVIEW", 8),  # both pathways, bands 0 to 3
        ("OXF-LIFELINE", "START_RATE", 2),  # RECOVERY bands 0 and 3
        ("WIG-ADS", "DECLINED_OR_DROPPED", 7),  # all but HARM_MIN band 1 (25 cases, z 2.55)
        ("WIG-ADS", "SUCCESSFUL_COMPLETION", 7),
    ]


def test_the_demos_gaming_provider_is_one_caught_here():
    """`pbr demo` generates the same returns with one of these providers (README): its flag is
    the one this run shows by the last window, the demo's last window."""
    assert set(DEMO_GAMING) <= set(GAMING) and (DEMO_FIRST, DEMO_LAST) == GENERATED_WINDOWS


def test_the_demos_closing_lines_list_the_flags(gaming_run, generated_run, tmp_path):
    page = tmp_path / "monitor.html"
    with duckdb.connect(str(gaming_run.analyst_warehouse), read_only=True) as con:
        lines = monitor_summary(con, LAST, page).splitlines()
    assert lines[0] == f"monitor {LAST}: 24 flag(s) ({page})"
    assert (
        lines[1]
        == "  KNT-KCA NO_RECENT_REVIEW (HARM_MIN, all bands): 0.3823 (138 / 361) against peers 0.0017, z +26.60"
    )
    assert len(lines) == 1 + 24
    with duckdb.connect(str(generated_run.analyst_warehouse), read_only=True) as con:
        assert monitor_summary(con, LAST, page) == f"monitor {LAST}: 0 flag(s) ({page})"
