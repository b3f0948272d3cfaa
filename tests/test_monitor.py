"""The monitor's page (monitor.html), its charts, `pbr monitor` and the flags' asset check, on the
acceptance scenario (spec/monitoring.md; spec/outputs.md, Exports and Command line)."""

from __future__ import annotations

import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from pbr_pipeline.monitor.charts import trend_svg
from pbr_pipeline.monitor.report import flag_lines, flagged
from pbr_pipeline.payments.render import render_monitor
from pbr_pipeline.payments.runs import RunRecord
from pbr_pipeline.windows import window_range
from tests.browser import OfflinePage, chromium, ink_fraction, png_size
from tests.conftest import ACCEPTANCE_WINDOWS

WINDOWS = window_range(*ACCEPTANCE_WINDOWS)
WINDOW = "2013-06"


class Page(HTMLParser):
    """The monitor page's tables by data-table (rows of cell texts) and its ids."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.ids: list[str] = []
        self.svgs = 0
        self._table = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._in_body = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs and tag != "g" and tag != "path" and tag != "defs":
            self.ids.append(attrs["id"])
        if tag == "svg":
            self.svgs += 1
        if tag == "table":
            self._table = attrs.get("data-table")
            self.tables.setdefault(self._table, [])
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self._row = []
        elif tag == "td" and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "tbody":
            self._in_body = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def test_every_window_has_a_monitor_page(acceptance_run):
    for window in WINDOWS:
        assert (acceptance_run.exports / window / "monitor.html").exists(), window


def test_the_page_shows_every_indicator_row_of_the_window(acceptance_run):
    rows = acceptance_run.query(
        """SELECT provider, indicator, band, numerator, denominator, value FROM marts.monitor_indicators
           WHERE as_of_window = ? ORDER BY ALL""",
        [WINDOW],
    )
    assert len(rows) > 5
    page = Page((acceptance_run.exports / WINDOW / "monitor.html").read_text())
    shown = []
    providers = {r[0] for r in rows}
    html = (acceptance_run.exports / WINDOW / "monitor.html").read_text()
    for provider in providers:
        assert f'data-provider="{provider}"' in html
    for cells in page.tables["indicators"]:
        _pathway, indicator, band, share, value = cells[:5]
        numerator, denominator = (int(n.replace(",", "")) for n in share.split(" / "))
        shown.append((indicator, 0 if band == "all" else int(band), numerator, denominator, value))
    expected = sorted((i, b, n, d, f"{v:.4f}") for _p, i, b, n, d, v in rows)
    assert sorted(shown) == expected
    # a trend chart for every band-0 row (no flag in the scenario: its providers have no peers)
    assert page.svgs == sum(1 for r in rows if r[2] == 0)
    assert "flags" not in page.tables and "No flag as of this window." in html


def test_no_personal_data_on_the_page(acceptance_run):
    html = (acceptance_run.exports / WINDOW / "monitor.html").read_text()
    assert not re.search(r"\b(19[0-9]{2}|200[0-9])-[01][0-9]-[0-3][0-9]\b", html)  # no date of birth
    assert "initials" not in html and "date_of_birth" not in html


def test_charts_are_the_same_bytes_each_time_and_stand_alone():
    first = trend_svg([0.5, None, 0.4, 0.45], [0.6, 0.6, None, 0.62], flagged=True)
    assert first == trend_svg([0.5, None, 0.4, 0.45], [0.6, 0.6, None, 0.62], flagged=True)
    assert first.startswith("<svg") and first.rstrip().endswith("</svg>")
    assert "clipPath" not in first and "<dc:date" not in first  # nothing that repeats ids or dates
    assert first != trend_svg([0.5, None, 0.4, 0.45], [0.6, 0.6, None, 0.62], flagged=False)  # the dot's colour
    assert "#b00020" in first


@pytest.fixture(scope="module")
def flagged_run(acceptance_run, tmp_path_factory):
    """A copy of the acceptance warehouse in which one indicator row of WINDOW is flagged as the
    monitor would flag it (the scenario has no peers, so no real flag), and its monitor page."""
    run = acceptance_run.copy(tmp_path_factory.mktemp("flagged") / "run")
    with duckdb.connect(str(run.warehouse)) as con:
        con.execute(
            """UPDATE marts.monitor_indicators SET peer_numerator = 90, peer_denominator = 100,
                      peer_value = 0.9, z = -3.42, flag = true
               WHERE as_of_window = ? AND provider = 'OXF-LIFELINE' AND indicator = 'SUCCESSFUL_COMPLETION'
                 AND band = 0""",
            [WINDOW],
        )
        assert con.execute("SELECT count(*) FROM marts.monitor_indicators WHERE flag").fetchone()[0] == 1
        row = con.execute(
            """SELECT payment_window, status, run_at, finalized_by, finalized_at, inputs_fingerprint
               FROM marts.payment_runs WHERE payment_window = ?""",
            [WINDOW],
        ).fetchone()
        run_record = RunRecord(*row)
        html = render_monitor(con, run_record)
        again = render_monitor(con, run_record)
        cases = con.execute(
            """SELECT pbr_id, journey_id, in_numerator FROM marts.monitor_cases
               WHERE as_of_window = ? AND provider = 'OXF-LIFELINE' AND indicator = 'SUCCESSFUL_COMPLETION'
               ORDER BY in_numerator DESC, event_date, journey_id""",
            [WINDOW],
        ).fetchall()
        flags = flag_lines(flagged(con, WINDOWS))
        flagged_row = con.execute(
            """SELECT numerator, denominator, value FROM marts.monitor_indicators WHERE flag"""
        ).fetchone()
    page = run.root / "monitor.html"
    page.write_bytes(html)
    return {"run": run, "html": html, "again": again, "cases": cases, "page": page, "flags": flags, "row": flagged_row}


def test_a_flag_is_listed_first_with_the_journeys_behind_it(flagged_run):
    assert flagged_run["html"] == flagged_run["again"]
    page = Page(flagged_run["html"].decode())
    [flag] = page.tables["flags"]
    assert flag[:7] == ["OXF", "OXF-LIFELINE", "RECOVERY", "0", "SUCCESSFUL_COMPLETION", flag[5], flag[6]]
    assert flag[7:10] == ["90 / 100", "0.9000", "-3.42"]
    anchor = "cases-OXF-LIFELINE-RECOVERY-0-SUCCESSFUL_COMPLETION"
    assert anchor in page.ids and f'href="#{anchor}"' in flagged_run["html"].decode()
    # the provider's table puts its flagged row first
    lifeline = [r for r in page.tables["indicators"] if r[8] == "FLAG"]
    assert len(lifeline) == 1 and lifeline[0][1] == "SUCCESSFUL_COMPLETION"
    listed = [(c[0], c[1], c[4] == "yes") for c in page.tables["cases"]]
    assert listed == [tuple(c) for c in flagged_run["cases"]] and listed
    numerator, denominator = (int(n) for n in flag[5].split(" / "))
    assert (sum(1 for c in listed if c[2]), len(listed)) == (numerator, denominator)
    assert flag[10] == f"{denominator} journey{'s' if denominator != 1 else ''}"


def test_the_asset_checks_line_names_provider_indicator_and_band(flagged_run):
    numerator, denominator, value = flagged_run["row"]
    assert flagged_run["flags"] == {
        WINDOW: [
            f"OXF-LIFELINE SUCCESSFUL_COMPLETION (RECOVERY, all bands): {value:.4f} ({numerator} / {denominator}) "
            "against peers 0.9000, z -3.42"
        ]
    }


def test_pbr_monitor_prints_the_journeys_behind_an_indicator(acceptance_run):
    result = acceptance_run.pbr(
        "monitor", "--window", WINDOW, "--provider", "OXF-LIFELINE", "--indicator", "SUCCESSFUL_COMPLETION"
    )
    lines = result.stdout.splitlines()
    numerator, denominator = acceptance_run.query(
        """SELECT numerator, denominator FROM marts.monitor_indicators WHERE as_of_window = ?
           AND provider = 'OXF-LIFELINE' AND indicator = 'SUCCESSFUL_COMPLETION' AND band = 0""",
        [WINDOW],
    )[0]
    assert lines[0].startswith(
        f"SUCCESSFUL_COMPLETION OXF-LIFELINE RECOVERY band 0 as of {WINDOW}: {numerator} / {denominator} = "
    )
    assert lines[1] == "  pbr_id | journey_id | episode_id | event_date | in_numerator"
    cases = acceptance_run.query(
        """SELECT pbr_id, journey_id, episode_id, event_date, in_numerator FROM marts.monitor_cases
           WHERE as_of_window = ? AND provider = 'OXF-LIFELINE' AND indicator = 'SUCCESSFUL_COMPLETION'
           ORDER BY in_numerator DESC, event_date, journey_id, episode_id NULLS FIRST""",
        [WINDOW],
    )
    assert lines[2:] == [f"  {p} | {j} | {e or ''} | {d.isoformat()} | {str(n).lower()}" for p, j, e, d, n in cases]
    assert len(cases) == denominator


def test_pbr_monitor_says_what_it_cannot_find(acceptance_run):
    result = acceptance_run.pbr(
        "monitor", "--window", WINDOW, "--provider", "OXF-NOBODY", "--indicator", "START_RATE", check=False
    )
    assert result.returncode == 2
    assert result.stderr.strip().startswith(f"pbr: no START_RATE row for OXF-NOBODY as of {WINDOW} in band 0")
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


DOCS_SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "monitor.png"


def test_the_monitor_page_renders_in_a_browser(flagged_run, browser, tmp_path):
    page = OfflinePage(browser, flagged_run["page"].parent)
    try:
        opened = page.open(flagged_run["page"])
        assert opened.locator(".headline .amount").inner_text() == "1"
        assert opened.locator("table.flags tbody tr").count() == 1
        # the flag's link opens its journeys
        opened.click("table.flags a")
        assert opened.evaluate("location.hash") == "#cases-OXF-LIFELINE-RECOVERY-0-SUCCESSFUL_COMPLETION"
        assert opened.locator("details[open] table.cases tbody tr").count() == len(flagged_run["cases"])
        charts = opened.locator("td.trend svg")
        assert charts.count() > 5 and charts.first.bounding_box()["width"] > 100
        assert opened.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        shot = tmp_path / "monitor.png"
        opened.screenshot(path=str(shot), full_page=True)
        width, height = png_size(shot)
        assert width >= 1000 and height >= 600 and ink_fraction(shot) > 0.02
        page.assert_nothing_left_the_machine()
        if os.environ.get("PBR_UPDATE_SCREENSHOTS") == "1":
            shutil.copyfile(shot, DOCS_SCREENSHOT)
    finally:
        page.close()
