"""The statements people read, as files: each document (statements.py) as HTML from the
Jinja2 template in `templates/`, and as PDF (pdf.py); the monitor's page (monitor/report.py); and
a simulation's comparison (simulate/report.py)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import duckdb
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from pbr_pipeline.monitor.report import PATHWAY_TEXT, monitor_page, ratio, share_text, z_text
from pbr_pipeline.payments.pdf import render_pdf
from pbr_pipeline.payments.runs import RunRecord
from pbr_pipeline.payments.statements import Document, pounds, window_documents
from pbr_pipeline.simulate.comparison import signed_pounds
from pbr_pipeline.simulate.report import comparison_page

if TYPE_CHECKING:
    from pbr_pipeline.simulate.run import Comparison


@cache
def _environment() -> Environment:
    # StrictUndefined: a misspelt field fails the run instead of printing nothing.
    return Environment(
        loader=PackageLoader("pbr_pipeline.payments", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def render_html(document: Document) -> bytes:
    return _environment().get_template("document.html").render(doc=document).encode("utf-8")


def render_monitor(con: duckdb.DuckDBPyConnection, run: RunRecord) -> bytes:
    page = monitor_page(con, run)
    template = _environment().get_template("monitor.html")
    return template.render(page=page, pathways=PATHWAY_TEXT, ratio=ratio, share=share_text, z_text=z_text).encode(
        "utf-8"
    )


def render_comparison(comparison: Comparison) -> bytes:
    """A simulation's comparison.html (simulate/report.py)."""
    page = comparison_page(comparison)
    template = _environment().get_template("comparison.html")
    return template.render(page=page, pounds=pounds, signed=signed_pounds).encode("utf-8")


def window_human_files(con: duckdb.DuckDBPyConnection, run: RunRecord) -> dict[str, bytes]:
    """File name -> bytes: each provider's statement and the summary, as HTML and as PDF, and
    the monitor's page."""
    files: dict[str, bytes] = {}
    for stem, document in window_documents(con, run).items():
        files[f"{stem}.html"] = render_html(document)
        files[f"{stem}.pdf"] = render_pdf(document)
    files["monitor.html"] = render_monitor(con, run)
    return files
