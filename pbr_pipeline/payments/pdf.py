"""A statement document (statements.py) as an A4 PDF, with ReportLab (docs/decisions.md, "Issue
14: the PDF library"): the same sections, in the same order, as the HTML.

`invariant=1` makes ReportLab leave out the creation date and the random document id, so the
same document gives the same bytes. The fonts are the PDF standard Helvetica family, which
every reader has and which needs no font file.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from pbr_pipeline.payments.statements import Document, Section, Table

PAGE = landscape(A4)
MARGIN = 12 * mm
WIDTH = PAGE[0] - 2 * MARGIN
FONT, BOLD = "Helvetica", "Helvetica-Bold"
SIZE = 7.5
PADDING = 3
ACCENT = colors.HexColor("#0b4f8a")
BAND = colors.HexColor("#f3f3f3")
REVERSAL = colors.HexColor("#fdecea")
MUTED = colors.HexColor("#555555")
# The narrowest a wrapping column (a change detail) may be before the others give way.
MIN_WIDE = 70 * mm

TITLE = ParagraphStyle("title", fontName=BOLD, fontSize=16, leading=20, spaceAfter=4)
HEADING = ParagraphStyle(
    "heading", fontName=BOLD, fontSize=11, leading=14, spaceBefore=10, spaceAfter=3, textColor=ACCENT
)
TEXT = ParagraphStyle("text", fontName=FONT, fontSize=SIZE + 1, leading=SIZE + 3.5, textColor=MUTED)
CELL = ParagraphStyle("cell", fontName=FONT, fontSize=SIZE, leading=SIZE + 2)
HEADLINE_LABEL = ParagraphStyle("headline_label", fontName=FONT, fontSize=9, leading=11, textColor=MUTED)
HEADLINE = ParagraphStyle("headline", fontName=BOLD, fontSize=22, leading=26, textColor=ACCENT)


def _column_widths(table: Table) -> list[float]:
    """Each column as wide as its widest cell; wrapping columns share what is left."""
    natural = []
    for i, column in enumerate(table.columns):
        texts = [column.label] + [row[i].text for row in table.rows] + ([table.total[i].text] if table.total else [])
        natural.append(max(stringWidth(t, BOLD, SIZE) for t in texts) + 2 * PADDING + 4)
    wide = [i for i, column in enumerate(table.columns) if column.wide]
    fixed = sum(w for i, w in enumerate(natural) if i not in wide)
    if not wide:
        return natural if fixed <= WIDTH else [w * WIDTH / fixed for w in natural]
    share = max((WIDTH - fixed) / len(wide), MIN_WIDE)
    widths = [share if i in wide else w for i, w in enumerate(natural)]
    scale = min(1.0, WIDTH / sum(widths))
    return [w * scale for w in widths]


def _table(table: Table) -> PdfTable:
    def cell(text: str, wide: bool):
        return Paragraph(escape(text), CELL) if wide else text

    header = [column.label for column in table.columns]
    body = [[cell(c.text, column.wide) for c, column in zip(row, table.columns)] for row in table.rows]
    footer = [[c.text for c in table.total]] if table.total else []
    style = [
        ("FONT", (0, 0), (-1, -1), FONT, SIZE),
        ("FONT", (0, 0), (-1, 0), BOLD, SIZE),
        ("BACKGROUND", (0, 0), (-1, 0), BAND),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#c8c8c8")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), PADDING),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]
    style += [("ALIGN", (i, 0), (i, -1), "RIGHT") for i, column in enumerate(table.columns) if column.numeric]
    style += [
        ("BACKGROUND", (0, row), (-1, row), REVERSAL)
        for row, mark in enumerate(table.marks, start=1)
        if mark == "reversal"
    ]
    if footer:
        style += [("FONT", (0, -1), (-1, -1), BOLD, SIZE), ("LINEABOVE", (0, -1), (-1, -1), 1, colors.black)]
    return PdfTable(
        [header, *body, *footer], colWidths=_column_widths(table), repeatRows=1, hAlign="LEFT", style=TableStyle(style)
    )


def _section(section: Section) -> list:
    heading = [Paragraph(escape(section.title), HEADING)]
    if section.intro:
        heading.append(Paragraph(escape(section.intro), TEXT))
    if not section.table.rows:
        return [KeepTogether([*heading, Paragraph(escape(section.empty), TEXT)])]
    # A heading is never left alone at the foot of a page.
    table = _table(section.table)
    return [KeepTogether([*heading, table])] if len(section.table.rows) < 12 else [*heading, table]


def _facts(document: Document) -> PdfTable:
    rows = [[Paragraph(escape(label), TEXT), Paragraph(escape(value), CELL)] for label, value in document.facts]
    return PdfTable(
        rows,
        colWidths=[35 * mm, WIDTH - 35 * mm],
        hAlign="LEFT",
        style=TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 0.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0.5),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        ),
    )


def _headline(document: Document) -> PdfTable:
    box = [
        [Paragraph(escape(document.headline_label), HEADLINE_LABEL)],
        [Paragraph(escape(document.headline), HEADLINE)],
    ]
    return PdfTable(
        box,
        colWidths=[90 * mm],
        hAlign="LEFT",
        style=TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 2, ACCENT),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        ),
    )


def render_pdf(document: Document) -> bytes:
    buffer = io.BytesIO()

    def page_footer(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, MARGIN / 2, document.title)
        canvas.drawRightString(PAGE[0] - MARGIN, MARGIN / 2, f"page {doc.page}")
        canvas.restoreState()

    pdf = SimpleDocTemplate(
        buffer,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=document.title,
        author="pbr_pipeline",
        creator="pbr_pipeline",
        invariant=1,
    )
    story = [Paragraph(escape(document.title), TITLE), _facts(document), Spacer(1, 4), _headline(document)]
    for section in document.sections:
        story += _section(section)
    story += [Spacer(1, 8), Paragraph(escape(document.footer), TEXT)]
    pdf.build(story, onFirstPage=page_footer, onLaterPages=page_footer)
    return buffer.getvalue()
