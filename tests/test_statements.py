"""The statements people read (spec/payments.md, "Statement"; spec/outputs.md, "Exports"): the
HTML and PDF of each provider and the commissioner's summary, on the acceptance scenario's real
run. Their figures are read back out of the HTML and the PDF's text and compared with the
warehouse to the penny; a re-run gives the same bytes, final windows included; and the pages are
looked at as a person sees them, in a real browser and as a rendered PDF page."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import defaultdict
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from pbr_pipeline.windows import window_range
from tests.browser import OfflinePage, chromium, ink_fraction, png_size, poppler
from tests.conftest import ACCEPTANCE_WINDOWS

WINDOWS = window_range(*ACCEPTANCE_WINDOWS)
# 2012-11 takes back four outcomes, 2013-02 has a conversion, 2013-08 reverses D4_SUSTAINED.
TELLING_WINDOWS = ["2012-11", "2013-02", "2013-08"]
# The README's picture of a statement, rewritten by the browser test with PBR_UPDATE_SCREENSHOTS=1.
DOCS_SCREENSHOT = Path(__file__).parents[1] / "docs" / "statement.png"
MONEY = re.compile(r"^(-?)£([0-9,]+\.[0-9]{2})$")


def pounds(text: str) -> Decimal:
    """`-£1,234.50` -> Decimal('-1234.50'); anything else is not money and fails."""
    match = MONEY.match(text.strip())
    assert match, f"not an amount: {text!r}"
    return Decimal(match[1] + match[2].replace(",", ""))


class Tables(HTMLParser):
    """The page's tables by their data-table name (rows of cell texts; the total row apart),
    and the headline amount."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.totals: dict[str, list[str]] = {}
        self.headline = ""
        self._table = self._row = self._cell = None
        self._in_foot = self._in_headline_amount = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = attrs["data-table"]
            self.tables[self._table] = []
        elif tag == "tfoot":
            self._in_foot = True
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = ""
        elif tag == "span" and attrs.get("class") == "amount":
            self._in_headline_amount = True

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(self._cell.strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._in_foot:
                self.totals[self._table] = self._row
            elif self._row and not all(c == "" for c in self._row):
                self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "tfoot":
            self._in_foot = False
        elif tag == "table":
            self._table = None
        elif tag == "span":
            self._in_headline_amount = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
        if self._in_headline_amount:
            self.headline += data.strip()

    def body(self, name: str) -> list[list[str]]:
        """The table's rows without its header row (empty when the page has no such table)."""
        return self.tables.get(name, [[]])[1:]


def statement_rows(run, window: str) -> dict[str, dict[tuple[str, str, str], tuple[int, Decimal]]]:
    """provider -> (kind, outcome, status) -> (line_count, amount), from marts.provider_statements."""
    rows = defaultdict(dict)
    for provider, kind, outcome, status, lines, amount in run.query(
        """SELECT provider, kind, coalesce(outcome_code, ''), status, line_count, amount
           FROM marts.provider_statements WHERE payment_window = ?""",
        [window],
    ):
        rows[provider][(kind, outcome, status)] = (lines, amount)
    return rows


def summary_figures(cells: list[str]) -> dict[tuple[str, str, str], tuple[int, Decimal]]:
    """One summary row (kind, outcome, NEW lines, NEW amount, REVERSAL lines, REVERSAL amount,
    net) as the warehouse's keys; a status with no lines is not a row there."""
    kind, outcome, new_lines, new_amount, reversal_lines, reversal_amount, net = cells
    assert pounds(net) == pounds(new_amount) + pounds(reversal_amount)
    figures = {}
    for status, lines, amount in (("NEW", new_lines, new_amount), ("REVERSAL", reversal_lines, reversal_amount)):
        if int(lines.replace(",", "")):
            figures[(kind, outcome, status)] = (int(lines.replace(",", "")), pounds(amount))
        else:
            assert pounds(amount) == 0
    return figures


def read_html(path: Path) -> Tables:
    return Tables(path.read_text(encoding="utf-8"))


def test_every_window_has_an_html_and_a_pdf_statement_per_provider_and_a_summary(acceptance_run):
    for window in WINDOWS:
        folder = acceptance_run.exports / window
        csvs = sorted(p.stem for p in folder.glob("statement_*.csv"))
        assert csvs == ["statement_OXF-LIFELINE", "statement_OXF-OXHEALTH", "statement_WIG-ADS"], window
        for stem in [*csvs, "summary"]:
            assert (folder / f"{stem}.html").read_bytes().startswith(b"<!DOCTYPE html>")
            assert (folder / f"{stem}.pdf").read_bytes().startswith(b"%PDF-")


def test_html_statement_figures_are_the_warehouses_to_the_penny(acceptance_run):
    for window in WINDOWS:
        expected = statement_rows(acceptance_run, window)
        for provider in ("OXF-LIFELINE", "OXF-OXHEALTH", "WIG-ADS"):
            page = read_html(acceptance_run.exports / window / f"statement_{provider}.html")
            shown = {}
            for cells in page.body("summary"):
                shown |= summary_figures(cells)
            assert shown == expected.get(provider, {}), (window, provider)
            net = sum((amount for _lines, amount in expected.get(provider, {}).values()), Decimal("0"))
            assert pounds(page.headline) == net, (window, provider)
            if shown:
                assert pounds(page.totals["summary"][-1]) == net


def test_html_lines_are_the_windows_payment_lines_reversals_first_with_their_reasons(acceptance_run):
    for window in WINDOWS:
        for provider in ("OXF-LIFELINE", "OXF-OXHEALTH"):
            page = read_html(acceptance_run.exports / window / f"statement_{provider}.html")
            lines = page.body("lines")
            shown = sorted((c[0], c[1], pounds(c[7]), c[8], c[9]) for c in lines)
            expected = acceptance_run.query(
                """SELECT status, line_key, amount, change_reason, change_detail FROM marts.payment_lines
                   WHERE payment_window = ? AND provider = ? ORDER BY ALL""",
                [window, provider],
            )
            assert shown == sorted(expected), (window, provider)
            statuses = [c[0] for c in lines]
            assert statuses == sorted(statuses, key=lambda s: s != "REVERSAL"), (window, provider)
    reversals = read_html(acceptance_run.exports / "2012-11" / "statement_OXF-LIFELINE.html").body("lines")
    assert [(c[0], c[1], c[7], c[8]) for c in reversals] == [
        ("REVERSAL", "OXF-000003#1|OUTCOME|D1_REDUCED_USE", "-£50.00", "WITHDRAWN"),
        ("REVERSAL", "OXF-000003#1|OUTCOME|D2_ABSTINENT", "-£150.00", "WITHDRAWN"),
        ("REVERSAL", "OXF-000003#1|OUTCOME|H2_HOUSING_RESOLVED", "-£50.00", "WITHDRAWN"),
        ("REVERSAL", "OXF-000003#1|OUTCOME|H4_QOL_NORMATIVE", "£0.00", "WITHDRAWN"),
    ]
    assert reversals[1][9] == "D2_ABSTINENT not attained as of 2012-11 (NOT_MET); was payable 150.00"


def test_html_statement_shows_who_when_conversions_and_cap_position(acceptance_run):
    folder = acceptance_run.exports / "2013-02"
    run_at, fingerprint = acceptance_run.query(
        "SELECT run_at, inputs_fingerprint FROM marts.payment_runs WHERE payment_window = '2013-02'"
    )[0]
    html = (folder / "statement_OXF-LIFELINE.html").read_text(encoding="utf-8")
    for fact in (
        "<dt>Area</dt><dd>Oxfordshire (acceptance scenario) (OXF)</dd>",
        "<dt>Provider</dt><dd>OXF-LIFELINE</dd>",
        "<dt>Contracts</dt><dd>OXF-REC-1 (2012-04-01 to 2013-03-31, cap £900.00 a year); "
        "OXF-REC-2 (2013-04-01 to 2015-03-31, no cap)</dd>",
        "<dt>Window</dt><dd>2013-02 (February 2013)</dd>",
        "<dt>Run status</dt><dd>PROVISIONAL (may change until the window is finalised)</dd>",
        f"<dt>Run date</dt><dd>{run_at:%Y-%m-%d %H:%M} UTC</dd>",
        f"<dt>Inputs fingerprint</dt><dd>{fingerprint}</dd>",
    ):
        assert fact in html
    page = Tables(html)
    assert page.body("conversions") == [["receiving (Recovery)", "1", "1"]]
    cap = acceptance_run.query(
        """SELECT contract_id, annual_cap_gbp, payable_to_date, cap_remaining FROM marts.contract_cap_positions
           WHERE payment_window = '2013-02' AND provider = 'OXF-LIFELINE'"""
    )
    assert [(c[0], pounds(c[2]), pounds(c[3]), pounds(c[4])) for c in page.body("caps")] == cap
    assert cap == [("OXF-REC-1", Decimal("900.00"), Decimal("900.00"), Decimal("0.00"))]
    oxhealth = read_html(folder / "statement_OXF-OXHEALTH.html")
    assert oxhealth.body("conversions") == [["converting (Harm Minimisation)", "1", "1"]]
    assert oxhealth.body("caps") == [["OXF-HM", "2012-13", "no cap", "£1,700.00", "-"]]


def test_html_summary_gives_every_providers_net_due_and_links_its_statement(acceptance_run):
    for window in WINDOWS:
        folder = acceptance_run.exports / window
        page = read_html(folder / "summary.html")
        expected = acceptance_run.query(
            """SELECT area, provider, lines, net_amount_due FROM read_csv(?, all_varchar = true) ORDER BY ALL""",
            [str(folder / "summary.csv")],
        )
        assert sorted((c[0], c[1], c[2], str(pounds(c[5]))) for c in page.body("providers")) == expected
        net = acceptance_run.query(
            "SELECT coalesce(sum(amount), 0) FROM marts.provider_statements WHERE payment_window = ?", [window]
        )[0][0]
        assert pounds(page.headline) == net == pounds(page.totals["providers"][-1])
        html = (folder / "summary.html").read_text(encoding="utf-8")
        for provider in ("OXF-LIFELINE", "OXF-OXHEALTH", "WIG-ADS"):
            assert f'<a href="statement_{provider}.html">{provider}</a>' in html
    caps = read_html(acceptance_run.exports / "2013-02" / "summary.html").body("caps")
    assert caps == [
        ["OXF", "OXF-LIFELINE", "OXF-REC-1", "2012-13", "£900.00", "£900.00", "£0.00"],
        ["OXF", "OXF-OXHEALTH", "OXF-HM", "2012-13", "no cap", "£1,700.00", "-"],
        ["WIG", "WIG-ADS", "WIG-ADS", "2012-13", "no cap", "£0.00", "-"],
    ]


# A summary row in the PDF's text: kind, outcome (none for an attachment or a conversion),
# NEW lines and amount, REVERSAL lines and amount, net.
PDF_SUMMARY_ROW = re.compile(
    r"^\s*(ATTACHMENT|OUTCOME|CONVERSION)\s+(?:([A-Z0-9_]+)\s+)?([0-9,]+)\s+(-?£[0-9,.]+)\s+([0-9,]+)\s+"
    r"(-?£[0-9,.]+)\s+(-?£[0-9,.]+)\s*$"
)


def pdf_text(path: Path) -> str:
    return subprocess.run(
        [poppler("pdftotext"), "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_pdf_statement_figures_are_the_warehouses_to_the_penny(acceptance_run):
    for window in WINDOWS:
        expected = statement_rows(acceptance_run, window)
        for provider in ("OXF-LIFELINE", "OXF-OXHEALTH", "WIG-ADS"):
            text = pdf_text(acceptance_run.exports / window / f"statement_{provider}.pdf")
            shown = {}
            for line in text.splitlines():
                row = PDF_SUMMARY_ROW.match(line)
                if row:
                    shown |= summary_figures([row[1], row[2] or "", *row.groups()[2:]])
            assert shown == expected.get(provider, {}), (window, provider)
            net = sum((amount for _lines, amount in expected.get(provider, {}).values()), Decimal("0"))
            headline = re.search(r"Net amount due\s+(-?£[0-9,.]+)", text)
            assert headline and pounds(headline[1]) == net, (window, provider)


def test_pdf_summary_gives_every_providers_net_due(acceptance_run):
    for window in TELLING_WINDOWS:
        text = pdf_text(acceptance_run.exports / window / "summary.pdf")
        expected = acceptance_run.query(
            """SELECT area, provider, lines, new_amount, reversal_amount, net_amount_due
               FROM read_csv(?, all_varchar = true) ORDER BY ALL""",
            [str(acceptance_run.exports / window / "summary.csv")],
        )
        shown = []
        for area, provider, *_figures in expected:
            row = re.search(rf"^\s*{area}\s+{provider}\s+([0-9,]+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$", text, re.M)
            assert row, (window, provider)
            shown.append((area, provider, row[1].replace(",", ""), *(str(pounds(v)) for v in row.groups()[1:])))
        assert shown == expected


def test_lines_of_a_reversal_window_are_in_the_pdf_with_their_reasons(acceptance_run):
    text = pdf_text(acceptance_run.exports / "2013-08" / "statement_OXF-LIFELINE.pdf")
    assert re.search(r"REVERSAL\s+OXF-000002#1\|OUTCOME\|D4_SUSTAINED\s+.*-£250\.00\s+WITHDRAWN", text)
    # reversals first: the first line of the table is a reversal
    first = re.search(r"^\s*(NEW|REVERSAL)\s+OXF-", text, re.M)
    assert first[1] == "REVERSAL"


def test_no_personal_data_in_the_human_statements(acceptance_run):
    # The scenario's people have initials and dates of birth in the LASAR returns only.
    for window in TELLING_WINDOWS:
        for path in (acceptance_run.exports / window).glob("*.html"):
            html = path.read_text(encoding="utf-8").lower()
            assert "initials" not in html and "date_of_birth" not in html and "date of birth" not in html


# --- What is still to come, and the monitor's flags. -------------------------------------------


def forecast_rows(run, window: str, provider: str) -> list[tuple[str, str, int, Decimal]]:
    """(expected_window, outcome_code, lines, gross) of marts.payment_forecast, as the statement groups it."""
    return run.query(
        """SELECT expected_window, outcome_code, count(*)::int, sum(gross_amount) FROM marts.payment_forecast
           WHERE as_of_window = ? AND provider = ? GROUP BY ALL ORDER BY ALL""",
        [window, provider],
    )


# A forecast row in the PDF's text: expected month, outcome, lines, gross (and the summary's:
# area, provider, expected month, lines, gross).
PDF_FORECAST_ROW = re.compile(r"^\s*([0-9]{4}-[0-9]{2})\s+([A-Z0-9_]+)\s+([0-9,]+)\s+(-?£[0-9,.]+)\s*$", re.M)
PDF_SUMMARY_FORECAST_ROW = re.compile(
    r"^\s*([A-Z]+)\s+([A-Z]+-[A-Z0-9-]+)\s+([0-9]{4}-[0-9]{2})\s+([0-9,]+)\s+(-?£[0-9,.]+)\s*$", re.M
)
NO_FORECAST = "No outcomes are expected in the coming months."


def test_statement_forecast_is_the_marts_not_yet_earned_and_after_the_lines(acceptance_run):
    seen = 0
    for window in WINDOWS:
        for provider in ("OXF-LIFELINE", "OXF-OXHEALTH", "WIG-ADS"):
            expected = forecast_rows(acceptance_run, window, provider)
            html = (acceptance_run.exports / window / f"statement_{provider}.html").read_text(encoding="utf-8")
            page = Tables(html)
            shown = [(c[0], c[1], int(c[2]), pounds(c[3])) for c in page.body("forecast")]
            assert shown == expected, (window, provider)
            text = pdf_text(acceptance_run.exports / window / f"statement_{provider}.pdf")
            # marked as not yet earned, and last: after the lines, as the spec orders it
            assert html.index("<h2>Lines of") < html.index("<h2>Expected in the coming months: not yet earned")
            assert "Expected in the coming months: not yet earned" in text
            pdf_shown = [(m[1], m[2], int(m[3]), pounds(m[4])) for m in PDF_FORECAST_ROW.finditer(text)]
            assert pdf_shown == expected, (window, provider)
            if expected:
                seen += 1
                total = sum((gross for *_key, gross in expected), Decimal("0"))
                assert pounds(page.totals["forecast"][-1]) == total
            else:
                assert NO_FORECAST in html and NO_FORECAST in text
    assert seen > 20
    # expected/2013-02/payment_forecast.csv: two O1_OFFENDING lines in April 2013 (330.00 + 150.00)
    page = read_html(acceptance_run.exports / "2013-02" / "statement_OXF-LIFELINE.html")
    assert page.body("forecast") == [
        ["2013-04", "O1_OFFENDING", "2", "£480.00"],
        ["2013-05", "O1_OFFENDING", "1", "£150.00"],
        ["2013-06", "D4_SUSTAINED", "1", "£250.00"],
    ]
    assert page.totals["forecast"] == ["Total", "", "4", "£880.00"]
    # not part of the net amount due: that is the payment lines' sum alone
    net = acceptance_run.query(
        "SELECT sum(amount) FROM marts.payment_lines WHERE payment_window = '2013-02' AND provider = 'OXF-LIFELINE'"
    )[0][0]
    assert pounds(page.headline) == net
    text = pdf_text(acceptance_run.exports / "2013-02" / "statement_OXF-OXHEALTH.pdf")
    assert [m.groups() for m in PDF_FORECAST_ROW.finditer(text)] == [("2013-12", "D4_SUSTAINED", "1", "£550.00")]


def test_summary_forecast_per_provider_and_month_is_the_marts(acceptance_run):
    for window in WINDOWS:
        expected = acceptance_run.query(
            """SELECT area, provider, expected_window, count(*)::int, sum(gross_amount) FROM marts.payment_forecast
               WHERE as_of_window = ? GROUP BY ALL ORDER BY ALL""",
            [window],
        )
        page = read_html(acceptance_run.exports / window / "summary.html")
        assert [(c[0], c[1], c[2], int(c[3]), pounds(c[4])) for c in page.body("forecast")] == expected, window
    page = read_html(acceptance_run.exports / "2013-08" / "summary.html")
    # expected/2013-08/payment_forecast.csv
    assert page.body("forecast") == [
        ["OXF", "OXF-LIFELINE", "2014-06", "1", "£550.00"],
        ["OXF", "OXF-OXHEALTH", "2014-03", "1", "£150.00"],
    ]
    assert page.totals["forecast"] == ["Total", "", "", "2", "£700.00"]
    text = pdf_text(acceptance_run.exports / "2013-08" / "summary.pdf")
    assert [m.groups() for m in PDF_SUMMARY_FORECAST_ROW.finditer(text)] == [
        ("OXF", "OXF-LIFELINE", "2014-06", "1", "£550.00"),
        ("OXF", "OXF-OXHEALTH", "2014-03", "1", "£150.00"),
    ]
    assert "Expected in the coming months: not yet earned" in text


def test_summary_says_no_flag_and_points_to_the_monitor_when_none_is_raised(acceptance_run):
    # A single provider per pathway and band: no peers, so no flag in any window.
    assert acceptance_run.query("SELECT count(*) FROM marts.monitor_indicators WHERE flag") == [(0,)]
    for window in WINDOWS:
        html = (acceptance_run.exports / window / "summary.html").read_text(encoding="utf-8")
        assert f"No indicator is flagged as of {window}." in html
        assert "A flag is a question, not a verdict" in html
        assert '<a href="monitor.html">' in html
        assert read_html(acceptance_run.exports / window / "summary.html").body("flags") == []
    text = pdf_text(acceptance_run.exports / "2013-08" / "summary.pdf")
    assert "No indicator is flagged as of 2013-08." in text and "monitor.html" in text


# A flagged row as monitor_flags gives it (area, provider, pathway, band, indicator, adverse
# when, numerator, denominator, value, peer numerator, peer denominator, peer value, z) and as the
# summary shows it.
FLAG = ("OXF", "OXF-LIFELINE", "RECOVERY", 0, "DECLINED_OR_DROPPED", "HIGHER", 12, 40)
FLAG_FIGURES = (Decimal("0.3000"), 30, 300, Decimal("0.1000"), Decimal("3.61"))
FLAG_CELLS = ["OXF", "OXF-LIFELINE", "RECOVERY", "all", "DECLINED_OR_DROPPED", "higher"]
FLAG_CELLS += ["12 / 40", "0.3000", "30 / 300", "0.1000", "+3.61"]
LOW_START = ("KNT", "KNT-CRI", "HARM_MIN", 3, "START_RATE", "LOWER", 5, 1200)
LOW_START_FIGURES = (Decimal("0.0042"), 900, 1000, Decimal("0.9000"), Decimal("-55.10"))
LOW_START_CELLS = ["KNT", "KNT-CRI", "HARM_MIN", "3", "START_RATE", "lower"]
LOW_START_CELLS += ["5 / 1,200", "0.0042", "900 / 1,000", "0.9000", "-55.10"]


def test_a_flag_is_shown_with_the_numbers_behind_it():
    from pbr_pipeline.payments.statements import flags_table

    table = flags_table([(*FLAG, *FLAG_FIGURES), (*LOW_START, *LOW_START_FIGURES)])
    assert [[c.text for c in row] for row in table.rows] == [FLAG_CELLS, LOW_START_CELLS]
    assert table.total is None


def test_a_flagged_indicator_reaches_the_summary_html_and_pdf(acceptance_run, tmp_path):
    """On a copy of the scenario's warehouse, one indicator is set flagged (as the monitor would
    flag it with peers); the window's documents drawn again show it in the summary."""
    from pbr_pipeline.payments.render import window_human_files
    from pbr_pipeline.payments.runs import RunRecord

    run = acceptance_run.copy(tmp_path / "run")
    window = "2013-08"
    con = duckdb.connect(str(run.warehouse))
    try:
        record = RunRecord(
            window,
            *con.execute(
                """SELECT status, run_at, finalized_by, finalized_at, inputs_fingerprint FROM marts.payment_runs
                   WHERE payment_window = ?""",
                [window],
            ).fetchone(),
        )
        # drawn again as they stand, the documents are the run's files, byte for byte
        assert window_human_files(con, record) == {
            name: content for name, content in human_files(run.exports / window).items() if not name.endswith(".csv")
        }
        updated = con.execute(
            """UPDATE marts.monitor_indicators
               SET numerator = 12, denominator = 40, value = 0.3000, peer_numerator = 30, peer_denominator = 300,
                   peer_value = 0.1000, z = 3.61, flag = true
               WHERE as_of_window = ? AND provider = 'OXF-LIFELINE' AND pathway = 'RECOVERY' AND band = 0
                 AND indicator = 'DECLINED_OR_DROPPED'""",
            [window],
        ).fetchone()
        assert updated == (1,)
        files = window_human_files(con, record)
    finally:
        con.close()
    html = files["summary.html"].decode()
    assert Tables(html).body("flags") == [FLAG_CELLS]
    assert "No indicator is flagged" not in html and '<a href="monitor.html">' in html
    (tmp_path / "summary.pdf").write_bytes(files["summary.pdf"])
    text = pdf_text(tmp_path / "summary.pdf")
    assert re.search(
        r"OXF\s+OXF-LIFELINE\s+RECOVERY\s+all\s+DECLINED_OR_DROPPED\s+higher\s+12 / 40\s+0\.3000\s+30 / 300\s+"
        r"0\.1000\s+\+3\.61",
        text,
    )
    # the summary shows flags (and the monitor's page, its own): the providers' statements are as they were
    changed = {n for n in files if files[n] != (run.exports / window / n).read_bytes()}
    assert changed == {"summary.html", "summary.pdf", "monitor.html"}


# --- The same bytes again. ---------------------------------------------------------------------


def human_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix in (".html", ".pdf", ".csv")}


def test_a_rerun_gives_the_same_bytes_provisional_and_final(acceptance_run, tmp_path):
    run = acceptance_run.copy(tmp_path / "run")
    last = WINDOWS[-1]
    before = human_files(run.exports / last)
    run.pbr("run", "--from", last, "--to", last)
    assert human_files(run.exports / last) == before

    run.pbr("finalize", "--window", last, "--by", "Ann Analyst")
    final = human_files(run.exports / last)
    # the CSVs hold no status: only the human files are drawn again, saying FINAL
    assert {n for n in before if final[n] != before[n]} == {n for n in before if not n.endswith(".csv")}
    finalized_at = run.query("SELECT finalized_at FROM marts.payment_runs WHERE payment_window = ?", [last])[0][0]
    assert (
        f"<dt>Run status</dt><dd>FINAL, finalised by Ann Analyst on {finalized_at:%Y-%m-%d %H:%M} UTC</dd>"
        in final["summary.html"].decode()
    )
    run.pbr("run", "--from", last, "--to", last)
    assert human_files(run.exports / last) == final


# --- As a person sees them. --------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


TABLES_WITHIN_THE_PAGE = """() => {
  const body = document.body.getBoundingClientRect().right - parseFloat(getComputedStyle(document.body).paddingRight);
  return [...document.querySelectorAll('table')].every(t => t.getBoundingClientRect().right <= body + 0.5);
}"""


@pytest.mark.parametrize("name", ["statement_OXF-LIFELINE.html", "summary.html"])
def test_statement_pages_render_in_a_browser_with_their_figures(acceptance_run, browser, name, tmp_path):
    folder = acceptance_run.exports / "2012-11"
    page = OfflinePage(browser, folder)
    try:
        opened = page.open(folder / name)
        text = opened.inner_text("body")
        net = read_html(folder / name).headline
        provider = "OXF-LIFELINE" if name.startswith("statement") else None
        expected = acceptance_run.query(
            """SELECT coalesce(sum(amount), 0) FROM marts.provider_statements
               WHERE payment_window = '2012-11' AND (? IS NULL OR provider = ?)""",
            [provider, provider],
        )[0][0]
        assert pounds(net) == expected
        headline = opened.locator(".headline .amount")
        assert headline.inner_text() == net and headline.is_visible()
        # the headline stands out: larger than the tables' text
        size = float(headline.evaluate("e => getComputedStyle(e).fontSize").removesuffix("px"))
        assert size >= 24
        assert ("WITHDRAWN" if provider else "OXF-OXHEALTH") in text
        # nothing runs off the right of the page (a too-wide lines table once did)
        assert opened.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        assert opened.evaluate(TABLES_WITHIN_THE_PAGE)
        shot = tmp_path / "page.png"
        opened.screenshot(path=str(shot), full_page=True)
        width, height = png_size(shot)
        assert width >= 1000 and height >= 600
        assert ink_fraction(shot) > 0.02
        page.assert_nothing_left_the_machine()
        if provider and os.environ.get("PBR_UPDATE_SCREENSHOTS") == "1":
            shutil.copyfile(shot, DOCS_SCREENSHOT)
    finally:
        page.close()
    assert DOCS_SCREENSHOT.read_bytes().startswith(b"\x89PNG")  # the README's picture


def test_summary_links_open_the_providers_statement(acceptance_run, browser):
    folder = acceptance_run.exports / "2013-02"
    page = OfflinePage(browser, folder)
    try:
        opened = page.open(folder / "summary.html")
        opened.click("text=OXF-OXHEALTH")
        opened.wait_for_load_state("load")
        assert opened.url.endswith("/2013-02/statement_OXF-OXHEALTH.html")
        assert opened.locator("h1").inner_text() == "Payment statement 2013-02: OXF-OXHEALTH"
        page.assert_nothing_left_the_machine()
    finally:
        page.close()


def test_the_printed_page_is_a4(acceptance_run, browser, tmp_path):
    """Printed from the browser, the statement is A4 (the stylesheet's @page)."""
    folder = acceptance_run.exports / "2012-11"
    page = OfflinePage(browser, folder)
    try:
        opened = page.open(folder / "statement_OXF-LIFELINE.html")
        printed = tmp_path / "printed.pdf"
        opened.pdf(path=str(printed), prefer_css_page_size=True)
        size = re.search(rb"/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]", printed.read_bytes())
        # A4 landscape is 842 x 595 points
        assert (round(float(size[1])), round(float(size[2]))) == (842, 595)
    finally:
        page.close()


@pytest.mark.parametrize("name", ["statement_OXF-LIFELINE.pdf", "summary.pdf"])
def test_the_pdfs_first_page_renders_a4_with_ink(acceptance_run, name, tmp_path):
    pdf = acceptance_run.exports / "2012-11" / name
    subprocess.run(
        [poppler("pdftoppm"), "-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(tmp_path / "p")],
        check=True,
    )
    width, height = png_size(tmp_path / "p.png")
    # A4 landscape at 50 dpi: 11.69 x 8.27 inches
    assert (width, height) == (585, 414)
    assert ink_fraction(tmp_path / "p.png") > 0.02
