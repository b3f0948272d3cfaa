"""The comparison of a simulation (spec/outputs.md, "Simulation"), from hand-made rows: the
arithmetic (simulate/comparison.py), the summary printed, comparison.csv, and comparison.html
with its charts (simulate/report.py, simulate/chart.py), in a browser too. No pipeline runs."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pbr_pipeline.payments.render import render_comparison
from pbr_pipeline.settings import Settings
from pbr_pipeline.simulate.chart import comparison_svg
from pbr_pipeline.simulate.comparison import (
    COMPARISON_COLUMNS,
    ComparisonRow,
    compare,
    comparison_csv,
    largest_differences,
    signed_pounds,
    total,
)
from pbr_pipeline.simulate.report import comparison_page
from pbr_pipeline.simulate.run import SIMULATION_WAREHOUSE, Comparison, SimulationPlan
from tests.browser import OfflinePage, chromium, ink_fraction, png_size

ROOT = Path(__file__).resolve().parents[1]
D = Decimal

# What the real runs paid and what the simulation pays, per (area, provider, kind, outcome_code):
# a line only one side has, a provider that is paid back more than it was paid (negative), and
# one whose lines are all zero.
ACTUAL = {
    ("OXF", "OXF-LIFELINE", "OUTCOME", "D4_SUSTAINED"): D("550.00"),
    ("OXF", "OXF-LIFELINE", "OUTCOME", "D3_COMPLETED"): D("440.00"),
    ("OXF", "OXF-LIFELINE", "ATTACHMENT", None): D("1200.00"),
    ("OXF", "OXF-LIFELINE", "OUTCOME", "D2_ABSTINENT"): D("330.00"),
    ("OXF", "OXF-OXHEALTH", "OUTCOME", "O1_OFFENDING"): D("-80.00"),
    ("OXF", "OXF-QUIET", "OUTCOME", "O1_OFFENDING"): D("0.00"),
    ("BRK", "BRK-ONE", "OUTCOME", "D2_ABSTINENT"): D("100.10"),
}
SIMULATED = {
    ("OXF", "OXF-LIFELINE", "OUTCOME", "D4_SUSTAINED"): D("770.00"),
    ("OXF", "OXF-LIFELINE", "OUTCOME", "D3_COMPLETED"): D("220.00"),
    ("OXF", "OXF-LIFELINE", "ATTACHMENT", None): D("1200.00"),
    ("OXF", "OXF-LIFELINE", "CONVERSION", None): D("95.05"),
    ("OXF", "OXF-LIFELINE", "OUTCOME", "D2_ABSTINENT"): D("330.00"),
    ("OXF", "OXF-OXHEALTH", "OUTCOME", "O1_OFFENDING"): D("-120.00"),
    ("BRK", "BRK-ONE", "OUTCOME", "D2_ABSTINENT"): D("100.03"),
}
WINDOWS = ["2013-04", "2013-05", "2013-06"]


def row(area, provider, kind, outcome, actual, simulated) -> ComparisonRow:
    return ComparisonRow(area, provider, kind, outcome, D(actual), D(simulated))


def plan(out: Path = Path("/srv/whatif/out")) -> SimulationPlan:
    """A plan as plan_simulation makes one (run.py), without its checks of windows and folders."""
    real = Settings.from_env({"PBR_WAREHOUSE": "/srv/pbr/pbr.duckdb", "PBR_LANDING_DIR": "/srv/pbr/landing"})
    config = Path("/srv/whatif/config")
    settings = dataclasses.replace(real, config_dir=config, warehouse=out / SIMULATION_WAREHOUSE)
    return SimulationPlan(config, WINDOWS, out, real, settings)


def comparison(actual=ACTUAL, simulated=SIMULATED, windows_actual=("2013-04", "2013-05")) -> Comparison:
    return Comparison(plan(), compare(dict(actual), dict(simulated)), list(windows_actual))


def rendered() -> bytes:
    """The page of the hand-made comparison (also run in a fresh process, below)."""
    return render_comparison(comparison())


# -- the arithmetic --------------------------------------------------------------------------


def test_compare_gives_one_row_per_key_of_either_side_in_the_statements_order():
    rows = compare(ACTUAL, SIMULATED)
    assert [(r.area, r.provider, r.kind, r.outcome_code) for r in rows] == [
        ("BRK", "BRK-ONE", "OUTCOME", "D2_ABSTINENT"),
        ("OXF", "OXF-LIFELINE", "ATTACHMENT", None),
        ("OXF", "OXF-LIFELINE", "CONVERSION", None),
        ("OXF", "OXF-LIFELINE", "OUTCOME", "D2_ABSTINENT"),
        ("OXF", "OXF-LIFELINE", "OUTCOME", "D3_COMPLETED"),
        ("OXF", "OXF-LIFELINE", "OUTCOME", "D4_SUSTAINED"),
        ("OXF", "OXF-OXHEALTH", "OUTCOME", "O1_OFFENDING"),
        ("OXF", "OXF-QUIET", "OUTCOME", "O1_OFFENDING"),
    ]
    by_key = {(r.provider, r.kind, r.outcome_code): r for r in rows}
    # a side without the line has 0.00 (two decimals: the CSV writes what it is given)
    conversion = by_key["OXF-LIFELINE", "CONVERSION", None]
    assert (str(conversion.actual_amount), conversion.simulated_amount) == ("0.00", D("95.05"))
    quiet = by_key["OXF-QUIET", "OUTCOME", "O1_OFFENDING"]
    assert (quiet.actual_amount, str(quiet.simulated_amount)) == (D("0.00"), "0.00")
    # both sides kept as they are
    assert all(r.actual_amount == ACTUAL.get(k, 0) for k, r in zip(sorted_keys(rows), rows))
    assert all(r.simulated_amount == SIMULATED.get(k, 0) for k, r in zip(sorted_keys(rows), rows))


def sorted_keys(rows: list[ComparisonRow]) -> list[tuple]:
    return [(r.area, r.provider, r.kind, r.outcome_code) for r in rows]


def test_a_line_without_an_outcome_comes_before_the_same_kinds_outcomes():
    rows = compare(
        {("OXF", "P", "OUTCOME", "A1"): D("1.00"), ("OXF", "P", "OUTCOME", None): D("2.00")},
        {("OXF", "P", "ATTACHMENT", None): D("3.00"), ("OXF", "P", "OUTCOME", "A0"): D("4.00")},
    )
    assert [(r.kind, r.outcome_code) for r in rows] == [
        ("ATTACHMENT", None),
        ("OUTCOME", None),
        ("OUTCOME", "A0"),
        ("OUTCOME", "A1"),
    ]


def test_compare_of_nothing_is_no_rows():
    assert compare({}, {}) == []
    assert comparison_csv([]) == (",".join(COMPARISON_COLUMNS) + "\n").encode()


def test_the_difference_is_simulated_minus_actual_to_the_penny():
    assert row("OXF", "P", "OUTCOME", "D2", "100.10", "100.03").difference == D("-0.07")
    assert row("OXF", "P", "OUTCOME", "D2", "0.10", "0.30").difference == D("0.20")  # not 0.19999…
    assert row("OXF", "P", "OUTCOME", "D2", "-80.00", "-120.00").difference == D("-40.00")
    assert str(row("OXF", "P", "ATTACHMENT", None, "0.00", "0.00").difference) == "0.00"
    rows = compare(ACTUAL, SIMULATED)
    assert total(rows, "actual_amount") == D("2540.10")
    assert total(rows, "simulated_amount") == D("2595.08")
    assert total(rows, "difference") == D("54.98") == D("2595.08") - D("2540.10")
    assert str(total([], "difference")) == "0.00"


def test_largest_differences_are_by_size_either_way_ties_in_file_order_zeros_left_out():
    rows = [
        row("OXF", "A", "OUTCOME", "D1", "10.00", "10.00"),  # no move: never named
        row("OXF", "A", "OUTCOME", "D2", "100.00", "80.00"),  # -20
        row("OXF", "A", "OUTCOME", "D3", "0.00", "20.00"),  # +20, a tie after D2
        row("OXF", "B", "OUTCOME", "D1", "50.00", "0.00"),  # -50, the largest
        row("OXF", "B", "OUTCOME", "D2", "0.00", "19.99"),
        row("OXF", "C", "OUTCOME", "D1", "-20.00", "0.00"),  # +20, the third of the tie
    ]
    assert largest_differences(rows) == [rows[3], rows[1], rows[2]]
    assert largest_differences(rows, 5) == [rows[3], rows[1], rows[2], rows[5], rows[4]]
    assert largest_differences(rows, 10) == [rows[3], rows[1], rows[2], rows[5], rows[4]]
    assert largest_differences([rows[0], row("OXF", "Z", "ATTACHMENT", None, "0.00", "0.00")]) == []


def test_comparison_csv_is_these_bytes():
    assert comparison_csv(compare(ACTUAL, SIMULATED)) == (
        b"area,provider,kind,outcome_code,actual_amount,simulated_amount,difference\n"
        b"BRK,BRK-ONE,OUTCOME,D2_ABSTINENT,100.10,100.03,-0.07\n"
        b"OXF,OXF-LIFELINE,ATTACHMENT,,1200.00,1200.00,0.00\n"
        b"OXF,OXF-LIFELINE,CONVERSION,,0.00,95.05,95.05\n"
        b"OXF,OXF-LIFELINE,OUTCOME,D2_ABSTINENT,330.00,330.00,0.00\n"
        b"OXF,OXF-LIFELINE,OUTCOME,D3_COMPLETED,440.00,220.00,-220.00\n"
        b"OXF,OXF-LIFELINE,OUTCOME,D4_SUSTAINED,550.00,770.00,220.00\n"
        b"OXF,OXF-OXHEALTH,OUTCOME,O1_OFFENDING,-80.00,-120.00,-40.00\n"
        b"OXF,OXF-QUIET,OUTCOME,O1_OFFENDING,0.00,0.00,0.00\n"
    )
    assert COMPARISON_COLUMNS == [
        "area",
        "provider",
        "kind",
        "outcome_code",
        "actual_amount",
        "simulated_amount",
        "difference",
    ]


def test_amounts_are_written_with_two_decimals_whatever_their_exponent():
    rows = [row("OXF", "P", "OUTCOME", "D2", "5", "5.5")]
    assert comparison_csv(rows).splitlines()[1] == b"OXF,P,OUTCOME,D2,5.00,5.50,0.50"


def test_the_summary_names_the_totals_and_the_three_largest_differences():
    assert comparison().summary_lines() == [
        "simulation 2013-04..2013-06 with /srv/whatif/config: 8 comparison row(s)",
        "  total actual            2,540.10  (2 of 3 window(s) paid by real runs)",
        "  total simulated         2,595.08",
        "  difference                +54.98",
        "  largest differences:",
        "           -220.00  OXF OXF-LIFELINE OUTCOME D3_COMPLETED",
        "           +220.00  OXF OXF-LIFELINE OUTCOME D4_SUSTAINED",
        "            +95.05  OXF OXF-LIFELINE CONVERSION",
    ]


def test_the_summary_of_a_simulation_that_changes_nothing():
    same = {("OXF", "OXF-LIFELINE", "ATTACHMENT", None): D("1234567.50")}
    lines = comparison(same, same, ["2013-04", "2013-05", "2013-06"]).summary_lines()
    assert lines == [
        "simulation 2013-04..2013-06 with /srv/whatif/config: 1 comparison row(s)",
        "  total actual        1,234,567.50  (3 of 3 window(s) paid by real runs)",
        "  total simulated     1,234,567.50",
        "  difference                 +0.00",
        "  no line differs",
    ]


def test_differences_read_as_the_statements_write_money():
    assert [signed_pounds(D(a)) for a in ("1250.00", "-80.00", "0.00", "0.07")] == [
        "+£1,250.00",
        "-£80.00",
        "£0.00",
        "+£0.07",
    ]


# -- the page --------------------------------------------------------------------------------


class ComparisonHTML(HTMLParser):
    """Per provider section (data-provider): its heading, its inline SVGs, its comparison
    table's body rows and total row (cell texts); the largest-differences table; every id."""

    def __init__(self, html: str):
        super().__init__()
        self.sections: dict[str, dict] = {}
        self.largest: list[list[str]] = []
        self.providers: list[list[str]] = []
        self.ids: list[str] = []
        self._section = self._table = self._row = self._cell = None
        self._part = None
        self._svg_depth = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "section" and "data-provider" in attrs:
            self._section = {"provider": attrs["data-provider"], "anchor": attrs["id"], "svgs": 0, "rows": []}
            self._section["total"] = None
            self.sections[attrs["data-provider"]] = self._section
        elif tag == "svg":
            if self._svg_depth == 0 and self._section is not None:
                self._section["svgs"] += 1
            self._svg_depth += 1
        elif tag == "table":
            self._table = attrs.get("data-table")
        elif tag in ("thead", "tbody", "tfoot"):
            self._part = tag
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(self._cell.strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._table == "largest" and self._part == "tbody":
                self.largest.append(self._row)
            elif self._table == "providers" and self._part == "tbody":
                self.providers.append(self._row)
            elif self._table == "comparison" and self._part == "tbody":
                self._section["rows"].append(self._row)
            elif self._table == "comparison" and self._part == "tfoot":
                self._section["total"] = self._row
            self._row = None
        elif tag == "table":
            self._table = None
        elif tag == "svg":
            self._svg_depth -= 1
        elif tag == "section":
            self._section = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


MONEY = re.compile(r"^([+-]?)£([0-9,]+\.[0-9]{2})$")


def amount(text: str) -> Decimal:
    """`-£1,234.50`, `+£7.00` -> Decimal; anything else is not money and fails."""
    match = MONEY.match(text)
    assert match, f"not an amount: {text!r}"
    return Decimal(("-" if match[1] == "-" else "") + match[2].replace(",", ""))


def test_the_same_comparison_renders_to_the_same_bytes_each_time_and_in_a_fresh_process():
    first = rendered()
    assert first == rendered()
    fresh = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from tests.test_simulate_report import rendered; sys.stdout.buffer.write(rendered())",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        check=True,
        timeout=120,
    )
    assert fresh.stdout == first
    html = first.decode()
    assert "<dc:date" not in html and "clipPath" not in html and "clip-path" not in html


def test_every_provider_has_a_section_with_one_chart_and_its_rows_to_the_penny():
    page = ComparisonHTML(rendered().decode())
    rows = compare(ACTUAL, SIMULATED)
    providers = sorted({r.provider for r in rows})
    assert sorted(page.sections) == providers
    assert list(page.sections) == ["BRK-ONE", "OXF-LIFELINE", "OXF-OXHEALTH", "OXF-QUIET"]  # the file's order
    for provider, section in page.sections.items():
        mine = [r for r in rows if r.provider == provider]
        assert section["anchor"] == f"{mine[0].area}-{provider}"
        assert section["svgs"] == 1
        assert [
            (kind, outcome or None, amount(actual), amount(simulated), amount(difference))
            for kind, outcome, actual, simulated, difference in section["rows"]
        ] == [(r.kind, r.outcome_code, r.actual_amount, r.simulated_amount, r.difference) for r in mine]
        assert [amount(cell) for cell in section["total"][2:]] == [
            total(mine, "actual_amount"),
            total(mine, "simulated_amount"),
            total(mine, "difference"),
        ]
    # the differences named first are the summary's, linked to their provider's section
    assert [(provider, outcome, amount(difference)) for _, provider, _, outcome, _, _, difference in page.largest] == [
        ("OXF-LIFELINE", "D3_COMPLETED", D("-220.00")),
        ("OXF-LIFELINE", "D4_SUSTAINED", D("220.00")),
        ("OXF-LIFELINE", "", D("95.05")),
    ]


def test_the_providers_table_gives_each_providers_totals_linked_to_its_section():
    page = ComparisonHTML(rendered().decode())
    rows = compare(ACTUAL, SIMULATED)
    expected = []
    for provider in page.sections:
        mine = [r for r in rows if r.provider == provider]
        expected.append(
            [
                mine[0].area,
                provider,
                total(mine, "actual_amount"),
                total(mine, "simulated_amount"),
                total(mine, "difference"),
            ]
        )
    assert [[area, provider, *map(amount, figures)] for area, provider, *figures in page.providers] == expected


def test_the_headline_figures_are_the_totals():
    html = rendered().decode()
    figures = dict(re.findall(r'data-figure="(\w+)">.*?<span class="amount">([^<]+)</span>', html, re.S))
    assert figures == {"total_actual": "£2,540.10", "total_simulated": "£2,595.08", "difference": "+£54.98"}


def test_no_id_repeats_on_the_page_and_every_reference_is_to_its_own_chart():
    html = rendered().decode()
    page = ComparisonHTML(html)
    assert len(page.ids) == len(set(page.ids)), [i for i in page.ids if page.ids.count(i) > 1][:5]
    # a chart's <use> points into the same chart (ids `chart-n-…`, n the provider's place)
    for number, chart in enumerate(re.findall(r"<svg.*?</svg>", html, re.S), start=1):
        for reference in re.findall(r'href="#([^"]+)"', chart):
            assert reference.startswith(f"chart-{number}-") and f'id="{reference}"' in chart


def test_the_chart_draws_what_moves_negative_amounts_and_a_provider_paid_nothing():
    rows = compare(ACTUAL, SIMULATED)
    lifeline = comparison_svg([r for r in rows if r.provider == "OXF-LIFELINE"])
    for label in ("ATTACHMENT", "CONVERSION", "D2_ABSTINENT", "D3_COMPLETED", "D4_SUSTAINED", "actual", "simulated"):
        assert label in svg_texts(lifeline)
    assert {"-£220.00", "+£220.00", "+£95.05", "no change"} <= set(svg_texts(lifeline))
    # paid back more than paid: the axis runs left of £0, written as money is
    negative = svg_texts(comparison_svg([r for r in rows if r.provider == "OXF-OXHEALTH"]))
    assert "-£100" in negative and "£0" in negative and not any("£-" in text for text in negative)
    assert "-£40.00" in negative
    # all zero: still a chart, its axis at £0, saying nothing moved
    quiet = comparison_svg([r for r in rows if r.provider == "OXF-QUIET"])
    assert quiet.startswith("<svg") and quiet.rstrip().endswith("</svg>")
    assert svg_texts(quiet).count("£0") == 1 and "no change" in svg_texts(quiet) and "O1_OFFENDING" in quiet
    # the same rows, the same bytes; the ids carry the prefix given
    assert lifeline == comparison_svg([r for r in rows if r.provider == "OXF-LIFELINE"])
    assert 'id="x-' in comparison_svg(rows[:1], id_prefix="x-")


def svg_texts(svg: str) -> list[str]:
    """The texts an SVG shows (matplotlib writes them as <text> with svg.fonttype none)."""
    return [re.sub(r"<[^>]+>", "", text).strip() for text in re.findall(r"<text\b[^>]*>(.*?)</text>", svg, re.S)]


def test_the_page_says_which_windows_configuration_and_runs_it_compares():
    page = comparison_page(comparison())
    facts = dict(page.facts)
    assert page.title == "What-if 2013-04..2013-06: simulated against actual payments"
    assert facts["Windows compared"] == "2013-04..2013-06 (3 windows)"
    assert facts["Simulated configuration"] == "/srv/whatif/config"
    assert facts["Simulated run"] == "2012-04..2013-06, into simulation.duckdb"
    assert facts["Actual (real runs)"] == "2 of 3 window(s) paid, from pbr_analyst.duckdb"


# -- in a browser ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


TABLES_WITHIN_THE_PAGE = """() => {
  const body = document.body.getBoundingClientRect().right - parseFloat(getComputedStyle(document.body).paddingRight);
  return [...document.querySelectorAll('table')].every(t => t.getBoundingClientRect().right <= body + 0.5);
}"""
# A chart's bars: the paths filled grey (actual) or blue (simulated), the legend's keys apart;
# its zero line: the axvline, stroked in the ink colour.
BARS = """const bars = svg => [...svg.querySelectorAll('path')]
  .filter(p => /fill: #(8c8c8c|0b4f8a)/.test(p.getAttribute('style') || '') && !p.closest('g[id*="legend"]'))
  .map(p => p.getBoundingClientRect()).filter(b => b.width >= 1 && b.height >= 1);
const zeros = svg => [...svg.querySelectorAll('path')]
  .filter(p => /stroke: #1a1a1a/.test(p.getAttribute('style') || '')).map(p => p.getBoundingClientRect());
"""
# Per chart: its size on the page, how many of its bars have an area, and the texts that run
# out of the chart (cut off).
CHARTS = (
    """() => {"""
    + BARS
    + """
return [...document.querySelectorAll('section[data-provider] .chart svg')].map(svg => {
  const box = svg.getBoundingClientRect();
  const outside = [...svg.querySelectorAll('text')].filter(t => {
    const b = t.getBoundingClientRect();
    return b.left < box.left - 0.5 || b.right > box.right + 0.5 || b.top < box.top - 0.5 || b.bottom > box.bottom + 0.5;
  }).map(t => t.textContent);
  return {provider: svg.closest('section').dataset.provider, width: box.width, height: box.height,
          bars: bars(svg).length, outside};
})}"""
)


LONG = ("OXF", "OXF-QUIET", "OUTCOME", "R9_RESETTLED_IN_SETTLED_ACCOMMODATION")


@pytest.mark.parametrize("width", [1400, 900])
def test_the_comparison_page_renders_in_a_browser(browser, tmp_path, width):
    path = tmp_path / "comparison.html"
    # with a long outcome code, whose label must not be cut off
    path.write_bytes(render_comparison(comparison({**ACTUAL, LONG: D("0.00")}, SIMULATED)))
    page = OfflinePage(browser, tmp_path)
    try:
        opened = page.open(path)
        opened.set_viewport_size({"width": width, "height": 900})
        assert opened.locator("section[data-provider]").count() == 4
        assert opened.locator(".headline .amount").first.inner_text() == "£2,540.10"
        charts = opened.evaluate(CHARTS)
        assert [chart["provider"] for chart in charts] == ["BRK-ONE", "OXF-LIFELINE", "OXF-OXHEALTH", "OXF-QUIET"]
        for chart in charts:
            assert chart["width"] > 300 and chart["height"] > 60, chart
            assert chart["outside"] == [], chart  # no label cut off
        bars = {chart["provider"]: chart["bars"] for chart in charts}
        # every non-zero amount is a bar with an area: actual and simulated for each line but
        # the conversion (actual nothing), OXHEALTH's two negative ones, none for OXF-QUIET
        assert bars == {"BRK-ONE": 2, "OXF-LIFELINE": 9, "OXF-OXHEALTH": 2, "OXF-QUIET": 0}
        # a negative bar lies left of the chart's zero line
        assert opened.evaluate(NEGATIVE_BARS_LEFT_OF_ZERO)
        # the largest-differences link opens the provider's section
        opened.click("table[data-table=largest] a")
        assert opened.evaluate("location.hash") == "#OXF-OXF-LIFELINE"
        assert opened.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        assert opened.evaluate(TABLES_WITHIN_THE_PAGE)
        shot = tmp_path / "comparison.png"
        opened.screenshot(path=str(shot), full_page=True)
        shot_width, shot_height = png_size(shot)
        assert shot_width == width and shot_height >= 900 and ink_fraction(shot) > 0.02
        page.assert_nothing_left_the_machine()
    finally:
        page.close()


# OXF-OXHEALTH's chart: both its bars (negative) end at the zero line and lie left of it.
NEGATIVE_BARS_LEFT_OF_ZERO = (
    """() => {"""
    + BARS
    + """
const svg = document.querySelector('section[data-provider="OXF-OXHEALTH"] .chart svg');
const [zero] = zeros(svg);
return bars(svg).length === 2 && bars(svg).every(b => Math.abs(b.right - zero.left - zero.width / 2) < 1.5);
}"""
)
