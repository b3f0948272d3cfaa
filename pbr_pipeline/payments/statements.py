"""The statements people read (spec/payments.md, "Statement"; spec/outputs.md, "Exports"): each
provider's statement and the commissioner's summary for a window, as documents that the HTML
templates (`templates/`) and the PDF layout (`pdf.py`) both draw, so each figure, heading and
order is decided here once.

Every figure is read from the warehouse as dbt left it (marts.payment_lines,
marts.provider_statements, marts.conversion_counts, marts.contract_cap_positions,
marts.payment_forecast, marts.monitor_indicators) and formatted once, here; what is added up
here is only a row's net (NEW + REVERSAL), the forecast's lines per month and outcome (it is a
forecast, not a payment: no mart totals it) and a table's total row. Nothing depends on the
clock: the run date printed is the run's recorded `run_at`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import duckdb

from pbr_pipeline.assets.display import money
from pbr_pipeline.payments.exports import missing_returns, statement_providers, summary_rows
from pbr_pipeline.payments.runs import RunRecord, timestamp
from pbr_pipeline.windows import first_day


@dataclass(frozen=True)
class Cell:
    text: str
    href: str | None = None


@dataclass(frozen=True)
class Column:
    label: str
    numeric: bool = False
    wide: bool = False  # free text that wraps (a change detail)


@dataclass
class Table:
    """A table as both renderers draw it: `kind` names it for styling and for readers that look
    a table up (the tests read figures back by it); `marks` tag rows (a reversal)."""

    kind: str
    columns: list[Column]
    rows: list[list[Cell]] = field(default_factory=list)
    marks: list[str] = field(default_factory=list)
    total: list[Cell] | None = None

    def add(self, values: list[str | Cell], mark: str = "") -> None:
        self.rows.append([v if isinstance(v, Cell) else Cell(v) for v in values])
        self.marks.append(mark)


@dataclass
class Section:
    title: str
    table: Table
    intro: str = ""
    empty: str = "None."
    link: Cell | None = None  # a page beside this one in the window's folder, under the intro


@dataclass
class Document:
    """A statement or a summary: who and when, the headline amount, then its sections in order."""

    title: str
    facts: list[tuple[str, str]]
    headline_label: str
    headline: str
    sections: list[Section]
    footer: str


def month_name(window: str) -> str:
    return f"{first_day(window):%B %Y}"


def pounds(amount) -> str:
    return money(Decimal(amount).quantize(Decimal("0.01")))


def count(number: int) -> str:
    return f"{number:,}"


def ratio(value: Decimal | None) -> str:
    """An indicator's value (a share, 4 decimals): the summary's flags and the monitor's page."""
    return "" if value is None else f"{value:.4f}"


def z_text(z: Decimal | None) -> str:
    return "" if z is None else f"{z:+.2f}"


def share_text(numerator: int, denominator: int) -> str:
    return f"{count(numerator)} / {count(denominator)}"


def cap_text(cap) -> str:
    return pounds(cap) if cap is not None else "no cap"


FOOTER = (
    "Figures are the warehouse's (marts.payment_lines, marts.provider_statements); the net amount due is the sum "
    "of the provider's payment lines for the window. Amounts in pounds; a reversal is negative."
)


def run_facts(run: RunRecord) -> list[tuple[str, str]]:
    return [
        ("Window", f"{run.window} ({month_name(run.window)})"),
        ("Run status", run.status_text()),
        ("Run date", timestamp(run.run_at)),
        ("Inputs fingerprint", run.inputs_fingerprint),
    ]


# --- The provider's statement ---------------------------------------------------------------


def _contracts(con: duckdb.DuckDBPyConnection, provider: str) -> list[tuple]:
    return con.execute(
        """SELECT contract_id, start_date, end_date, annual_cap_gbp FROM staging.stg_config__contracts
           WHERE provider = ? ORDER BY start_date, contract_id""",
        [provider],
    ).fetchall()


def _area_names(con: duckdb.DuckDBPyConnection, areas: list[str]) -> str:
    names = dict(con.execute("SELECT area, name FROM staging.stg_config__areas").fetchall())
    return ", ".join(f"{names.get(area, area)} ({area})" for area in areas)


def summary_by_kind(con: duckdb.DuckDBPyConnection, window: str, provider: str) -> Table:
    """NEW and REVERSAL count and amount per kind and outcome, and the net (marts.provider_statements)."""
    rows = con.execute(
        """SELECT kind, coalesce(outcome_code, '') AS outcome_code, status, line_count, amount
           FROM marts.provider_statements WHERE payment_window = ? AND provider = ?""",
        [window, provider],
    ).fetchall()
    cells: dict[tuple[str, str], dict[str, tuple[int, Decimal]]] = defaultdict(dict)
    for kind, outcome, status, lines, amount in rows:
        previous = cells[(kind, outcome)].get(status, (0, Decimal(0)))
        cells[(kind, outcome)][status] = (previous[0] + lines, previous[1] + amount)
    table = Table(
        "summary",
        [
            Column("Kind"),
            Column("Outcome"),
            Column("NEW lines", numeric=True),
            Column("NEW amount", numeric=True),
            Column("REVERSAL lines", numeric=True),
            Column("REVERSAL amount", numeric=True),
            Column("Net", numeric=True),
        ],
    )
    totals = [0, Decimal(0), 0, Decimal(0)]
    for (kind, outcome), by_status in sorted(cells.items(), key=lambda item: (KIND_ORDER[item[0][0]], item[0][1])):
        new_lines, new_amount = by_status.get("NEW", (0, Decimal(0)))
        rev_lines, rev_amount = by_status.get("REVERSAL", (0, Decimal(0)))
        table.add(
            [
                kind,
                outcome,
                count(new_lines),
                pounds(new_amount),
                count(rev_lines),
                pounds(rev_amount),
                pounds(new_amount + rev_amount),
            ]
        )
        totals = [totals[0] + new_lines, totals[1] + new_amount, totals[2] + rev_lines, totals[3] + rev_amount]
    table.total = [
        Cell(v)
        for v in (
            "Total",
            "",
            count(totals[0]),
            pounds(totals[1]),
            count(totals[2]),
            pounds(totals[3]),
            pounds(totals[1] + totals[3]),
        )
    ]
    return table


KIND_ORDER = {"ATTACHMENT": 0, "OUTCOME": 1, "CONVERSION": 2}
ROLE_TEXT = {"CONVERTING": "converting (Harm Minimisation)", "RECEIVING": "receiving (Recovery)"}


def conversions(con: duckdb.DuckDBPyConnection, window: str, provider: str | None) -> Table:
    """Conversions by conversion date in the window, and those first seen in this run."""
    rows = con.execute(
        """SELECT area, provider, role, conversions_in_period, first_seen_in_run FROM marts.conversion_counts
           WHERE payment_window = $window AND ($provider IS NULL OR provider = $provider)
           ORDER BY area, provider, role""",
        {"window": window, "provider": provider},
    ).fetchall()
    columns = [
        Column("Role"),
        Column("Converted in the window", numeric=True),
        Column("First seen in this run", numeric=True),
    ]
    table = Table("conversions", ([Column("Area"), Column("Provider")] if provider is None else []) + columns)
    for area, name, role, in_period, first_seen in rows:
        who = [area, name] if provider is None else []
        table.add([*who, ROLE_TEXT[role], count(in_period), count(first_seen)])
    return table


def cap_positions(con: duckdb.DuckDBPyConnection, window: str, provider: str | None) -> Table:
    """Each contract's cap, what is payable so far in the window's financial year, and what remains."""
    rows = con.execute(
        """SELECT area, provider, contract_id, financial_year, annual_cap_gbp, payable_to_date, cap_remaining
           FROM marts.contract_cap_positions
           WHERE payment_window = $window AND ($provider IS NULL OR provider = $provider)
           ORDER BY area, provider, contract_id""",
        {"window": window, "provider": provider},
    ).fetchall()
    columns = [
        Column("Contract"),
        Column("Financial year"),
        Column("Cap", numeric=True),
        Column("Payable so far", numeric=True),
        Column("Remaining", numeric=True),
    ]
    table = Table("caps", ([Column("Area"), Column("Provider")] if provider is None else []) + columns)
    for area, name, contract, year, cap, payable, remaining in rows:
        who = [area, name] if provider is None else []
        remaining_text = pounds(remaining) if remaining is not None else "-"
        table.add([*who, contract, f"{year}-{(year + 1) % 100:02d}", cap_text(cap), pounds(payable), remaining_text])
    return table


def payment_lines(con: duckdb.DuckDBPyConnection, window: str, provider: str) -> Table:
    """Every line of the window, reversals first: what was taken back is what is disputed first."""
    rows = con.execute(
        """SELECT line_key, journey_id, kind, coalesce(outcome_code, ''), band, earned_date, status, amount,
                  change_reason, change_detail
           FROM marts.payment_lines WHERE payment_window = ? AND provider = ?
           ORDER BY status = 'NEW', kind, outcome_code NULLS FIRST, line_key""",
        [window, provider],
    ).fetchall()
    table = Table(
        "lines",
        [
            Column("Status"),
            Column("Line key"),
            Column("Journey"),
            Column("Kind"),
            Column("Outcome"),
            Column("Band", numeric=True),
            Column("Earned"),
            Column("Amount", numeric=True),
            Column("Reason"),
            Column("Detail", wide=True),
        ],
    )
    for key, journey, kind, outcome, band, earned, status, amount, reason, detail in rows:
        band_text = str(band) if band is not None else ""
        table.add(
            [status, key, journey, kind, outcome, band_text, earned.isoformat(), pounds(amount), reason, detail],
            mark=status.lower(),
        )
    return table


def reason_legend(con: duckdb.DuckDBPyConnection) -> Table:
    table = Table("reasons", [Column("Reason"), Column("Meaning", wide=True)])
    for code, description in con.execute(
        "SELECT change_reason, description FROM reference.change_reasons ORDER BY rowid"
    ).fetchall():
        table.add([code, description])
    return table


# --- What is still to come (spec/monitoring.md, Forecast) ------------------------------------

FORECAST_TITLE = "Expected in the coming months: not yet earned"
NOT_YET_EARNED = (
    "Outcomes whose evidence is in place as of {window} but whose outcome date has not yet come "
    "(marts.payment_forecast), priced at the tariff in force on the expected date, before any cap. "
    "Not yet earned: none of it is in the net amount due, and each is paid only if it is still "
    "attained when its date comes."
)


def provider_forecast(con: duckdb.DuckDBPyConnection, window: str, provider: str) -> list[tuple]:
    """(expected_window, outcome_code, lines, gross) of the provider's forecast: its statement's table."""
    return con.execute(
        """SELECT expected_window, outcome_code, count(*), sum(gross_amount) FROM marts.payment_forecast
           WHERE as_of_window = ? AND provider = ?
           GROUP BY expected_window, outcome_code ORDER BY expected_window, outcome_code""",
        [window, provider],
    ).fetchall()


def forecast_totals(con: duckdb.DuckDBPyConnection, window: str) -> list[tuple]:
    """(area, provider, expected_window, lines, gross) of the window's forecast: the summary's
    table and the UI's."""
    return con.execute(
        """SELECT area, provider, expected_window, count(*), sum(gross_amount) FROM marts.payment_forecast
           WHERE as_of_window = ? GROUP BY area, provider, expected_window ORDER BY area, provider, expected_window""",
        [window],
    ).fetchall()


def forecast_table(keys: list[str], rows: list[tuple]) -> Table:
    """Pending lines and their gross per key (each row: the key's values, lines, gross), with a total."""
    table = Table(
        "forecast",
        [*(Column(key) for key in keys), Column("Lines", numeric=True), Column("Gross, not yet earned", numeric=True)],
    )
    for *key, lines, gross in rows:
        table.add([*key, count(lines), pounds(gross)])
    lines = sum(row[-2] for row in rows)
    gross = sum((row[-1] for row in rows), Decimal(0))
    table.total = [Cell(v) for v in ("Total", *([""] * (len(keys) - 1)), count(lines), pounds(gross))]
    return table


def forecast_section(window: str, table: Table) -> Section:
    return Section(
        FORECAST_TITLE,
        table,
        intro=NOT_YET_EARNED.format(window=window),
        empty="No outcomes are expected in the coming months.",
    )


# --- The monitor's flags (spec/monitoring.md, Indicators) -------------------------------------

MONITOR_PAGE = "monitor.html"
FLAGS_INTRO = (
    "A flag is a question, not a verdict: an indicator on which a provider's clients fare worse than "
    "every other provider's on the same pathway and band (marts.monitor_indicators), on enough cases "
    "and by enough (|z| at least the area's threshold) to ask the provider why. The numbers behind it "
    "are beside it."
)


def monitor_flags(con: duckdb.DuckDBPyConnection, window: str) -> list[tuple]:
    """The window's flagged indicators with the figures behind them and the adverse direction."""
    return con.execute(
        """SELECT m.area, m.provider, m.pathway, m.band, m.indicator, c.adverse_when, m.numerator, m.denominator,
                  m.value, m.peer_numerator, m.peer_denominator, m.peer_value, m.z
           FROM marts.monitor_indicators AS m
           LEFT JOIN reference.monitor_indicator_codes AS c USING (indicator)
           WHERE m.as_of_window = ? AND m.flag
           ORDER BY m.area, m.provider, m.pathway, m.band, m.indicator""",
        [window],
    ).fetchall()


def flags_table(rows: list[tuple]) -> Table:
    """The rows of `monitor_flags` as the summary shows them: band 0 is all bands together."""
    table = Table(
        "flags",
        [
            Column("Area"),
            Column("Provider"),
            Column("Pathway"),
            Column("Band"),
            Column("Indicator"),
            Column("Adverse when"),
            Column("Numerator / denominator", numeric=True),
            Column("Value", numeric=True),
            Column("Peers' numerator / denominator", numeric=True),
            Column("Peer value", numeric=True),
            Column("z", numeric=True),
        ],
    )
    for area, provider, pathway, band, indicator, adverse, num, den, value, peer_num, peer_den, peer, z in rows:
        table.add(
            [
                area,
                provider,
                pathway,
                str(band) if band else "all",
                indicator,
                (adverse or "").lower(),
                share_text(num, den),
                ratio(value),
                share_text(peer_num, peer_den),
                ratio(peer),
                z_text(z),
            ]
        )
    return table


def flags_section(window: str, table: Table) -> Section:
    return Section(
        "The monitor's flags",
        table,
        intro=FLAGS_INTRO,
        empty=f"No indicator is flagged as of {window}.",
        link=Cell(f"{MONITOR_PAGE}: every indicator per area and provider, its trend and its peers", MONITOR_PAGE),
    )


def provider_statement(con: duckdb.DuckDBPyConnection, run: RunRecord, areas: list[str], provider: str) -> Document:
    window = run.window
    net = con.execute(
        "SELECT coalesce(sum(amount), 0) FROM marts.provider_statements WHERE payment_window = ? AND provider = ?",
        [window, provider],
    ).fetchone()[0]
    contracts = "; ".join(
        f"{cid} ({start} to {end}, {'cap ' + pounds(cap) + ' a year' if cap is not None else 'no cap'})"
        for cid, start, end, cap in _contracts(con, provider)
    )
    facts = [
        ("Area", _area_names(con, areas)),
        ("Provider", provider),
        ("Contracts", contracts or "none"),
        *run_facts(run),
    ]
    lines = payment_lines(con, window, provider)
    return Document(
        title=f"Payment statement {window}: {provider}",
        facts=facts,
        headline_label="Net amount due",
        headline=pounds(net),
        sections=[
            Section(
                "Summary by kind and outcome",
                summary_by_kind(con, window, provider),
                empty="No payment lines in this window.",
            ),
            Section(
                "Conversions",
                conversions(con, window, provider),
                intro="Journeys converted from Harm Minimisation to Recovery, by conversion date.",
                empty="No conversions in this window.",
            ),
            Section(
                "Cap position",
                cap_positions(con, window, provider),
                intro="Each contract's annual cap in the window's financial year (1 April to 31 March).",
                empty="No contract runs in this financial year.",
            ),
            Section(
                f"Lines of {window} ({count(len(lines.rows))}), reversals first",
                lines,
                intro="A reversal takes back a line paid in an earlier run; its reason says why.",
                empty="No payment lines in this window.",
            ),
            Section("Why a line moved", reason_legend(con)),
            forecast_section(
                window, forecast_table(["Expected month", "Outcome"], provider_forecast(con, window, provider))
            ),
        ],
        footer=FOOTER,
    )


# --- The commissioner's summary -------------------------------------------------------------


def providers_table(con: duckdb.DuckDBPyConnection, window: str) -> tuple[Table, Decimal]:
    table = Table(
        "providers",
        [
            Column("Area"),
            Column("Provider"),
            Column("Lines", numeric=True),
            Column("NEW amount", numeric=True),
            Column("REVERSAL amount", numeric=True),
            Column("Net amount due", numeric=True),
        ],
    )
    total = [0, Decimal(0), Decimal(0), Decimal(0)]
    for _window, area, provider, lines, new, reversal, net in summary_rows(con, window):
        link = Cell(provider, href=statement_name(provider, "html"))
        table.add([area, link, count(lines), pounds(new), pounds(reversal), pounds(net)])
        total = [total[0] + lines, total[1] + new, total[2] + reversal, total[3] + net]
    table.total = [
        Cell(v) for v in ("Total", "", count(total[0]), pounds(total[1]), pounds(total[2]), pounds(total[3]))
    ]
    return table, total[3]


def missing_returns_table(con: duckdb.DuckDBPyConnection, window: str) -> Table:
    table = Table("missing", [Column("Area"), Column("Submitter"), Column("Role"), Column("Detail", wide=True)])
    for _window, area, submitter, role, detail in missing_returns(con, window):
        table.add([area or "", submitter, role, detail or ""])
    return table


def commissioner_summary(con: duckdb.DuckDBPyConnection, run: RunRecord) -> Document:
    window = run.window
    providers, total = providers_table(con, window)
    areas = sorted({area for area, _provider in statement_providers(con, window)})
    return Document(
        title=f"Payment summary {window}",
        facts=[("Areas", _area_names(con, areas)), *run_facts(run)],
        headline_label="Total net amount due",
        headline=pounds(total),
        sections=[
            Section(
                "Net amount due by provider",
                providers,
                intro="Each provider's statement is linked from its name.",
                empty="No providers.",
            ),
            Section(
                "Cap positions", cap_positions(con, window, None), empty="No contract runs in this financial year."
            ),
            Section("Conversions", conversions(con, window, None), empty="No conversions in this window."),
            flags_section(window, flags_table(monitor_flags(con, window))),
            forecast_section(
                window, forecast_table(["Area", "Provider", "Expected month"], forecast_totals(con, window))
            ),
            Section(
                "Returns expected and not received",
                missing_returns_table(con, window),
                empty="Every expected return was received.",
            ),
        ],
        footer=FOOTER,
    )


def statement_name(provider: str, suffix: str = "") -> str:
    """A provider's statement file, `statement_<PROVIDER>.<suffix>` (its stem without one)."""
    return f"statement_{provider}.{suffix}" if suffix else f"statement_{provider}"


def window_documents(con: duckdb.DuckDBPyConnection, run: RunRecord) -> dict[str, Document]:
    """File stem -> document: each provider's statement and the summary."""
    areas_of: dict[str, list[str]] = defaultdict(list)
    for area, provider in statement_providers(con, run.window):
        areas_of[provider].append(area)
    documents = {
        statement_name(provider): provider_statement(con, run, areas, provider)
        for provider, areas in sorted(areas_of.items())
    }
    documents["summary"] = commissioner_summary(con, run)
    return documents
