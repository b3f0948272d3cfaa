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
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from pbr_pipeline.payments.statements import Document, Section, Table

PAGE = landscape(A4)
MARGIN = 12 * mm
WIDTH = PAGE[0] - 2 * MARGIN
FONT, BOLD = "Helvetica", "Helvetica-Bold"
SIZE = 7.5
PADDING = 3
VPAD = 1.5
LEADING = SIZE + 2
ACCENT_HEX = "#0b4f8a"
ACCENT = colors.HexColor(ACCENT_HEX)
BAND = colors.HexColor("#f3f3f3")
REVERSAL = colors.HexColor("#fdecea")
MUTED = colors.HexColor("#555555")
RULE = colors.HexColor("#c8c8c8")
# The narrowest a wrapping column (a change detail) may be before the others are squeezed (and
# their text would run into the next column).
MIN_WIDE = 40 * mm

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
        bold = [column.label] + ([table.total[i].text] if table.total else [])
        widest = max(
            max(stringWidth(t, BOLD, SIZE) for t in bold),
            max((stringWidth(row[i].text, FONT, SIZE) for row in table.rows), default=0),
        )
        natural.append(widest + 2 * PADDING + 2)
    wide = [i for i, column in enumerate(table.columns) if column.wide]
    fixed = sum(w for i, w in enumerate(natural) if i not in wide)
    if not wide:
        return natural if fixed <= WIDTH else [w * WIDTH / fixed for w in natural]
    share = max((WIDTH - fixed) / len(wide), MIN_WIDE)
    widths = [share if i in wide else w for i, w in enumerate(natural)]
    scale = min(1.0, WIDTH / sum(widths))
    return [w * scale for w in widths]


class _Rows(Flowable):
    """A data table drawn row by row on the canvas, its header repeated on each page.

    ReportLab's own Table costs about 2 ms a row (a text object per cell, every cell measured
    again at each page split); a national window's statements hold tens of thousands of lines,
    so this draws the same table (header band, rules under rows, reversals tinted, numbers
    right-aligned, wrapping cells split into lines, a bold total) with a string per cell line.
    """

    def __init__(self, table: Table, widths: list[float], rows: list, marks: list[str], total: list | None):
        super().__init__()
        self.table, self.widths, self.rows, self.marks, self.total = table, widths, rows, marks, total
        self.header = [[column.label] for column in table.columns]
        self.heights = [self._height(cells) for cells in rows]  # once: a split keeps slices

    @staticmethod
    def _height(cells: list[list[str]]) -> float:
        return max(len(lines) for lines in cells) * LEADING + 2 * VPAD

    def wrap(self, available_width, available_height):
        self.width = sum(self.widths)
        self.height = self._height(self.header) + sum(self.heights) + (self._height(self.total) if self.total else 0)
        return self.width, self.height

    def split(self, available_width, available_height):
        room = available_height - self._height(self.header)
        fit = 0
        for height in self.heights:
            if room < height:
                break
            room -= height
            fit += 1
        if fit == len(self.rows) and self.total and room < self._height(self.total):
            fit -= 1  # the total goes over with the last row
        if fit <= 0:
            return []
        if fit == len(self.rows):
            return [self]
        return [
            _Rows(self.table, self.widths, self.rows[:fit], self.marks[:fit], None),
            _Rows(self.table, self.widths, self.rows[fit:], self.marks[fit:], self.total),
        ]

    def _draw_row(self, canvas, top: float, cells: list[list[str]], font: str, fill) -> float:
        height = self._height(cells)
        if fill is not None:
            canvas.setFillColor(fill)
            canvas.rect(0, top - height, self.width, height, stroke=0, fill=1)
        canvas.setFillColor(colors.black)
        canvas.setFont(font, SIZE)
        x = 0.0
        for lines, width, column in zip(cells, self.widths, self.table.columns):
            baseline = top - VPAD - SIZE
            for line in lines:
                if column.numeric:
                    canvas.drawRightString(x + width - PADDING, baseline, line)
                else:
                    canvas.drawString(x + PADDING, baseline, line)
                baseline -= LEADING
            x += width
        canvas.line(0, top - height, self.width, top - height)
        return top - height

    def draw(self):
        canvas = self.canv
        canvas.saveState()
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.25)
        top = self._draw_row(canvas, self.height, self.header, BOLD, BAND)
        for cells, mark in zip(self.rows, self.marks):
            top = self._draw_row(canvas, top, cells, FONT, REVERSAL if mark == "reversal" else None)
        if self.total:
            canvas.setStrokeColor(colors.black)
            canvas.setLineWidth(1)
            canvas.line(0, top, self.width, top)
            canvas.setStrokeColor(RULE)
            canvas.setLineWidth(0.25)
            self._draw_row(canvas, top, self.total, BOLD, None)
        canvas.restoreState()


def _table(table: Table) -> _Rows:
    widths = _column_widths(table)

    def lines(text: str, i: int) -> list[str]:
        if not table.columns[i].wide:
            return [text]
        return simpleSplit(text, FONT, SIZE, widths[i] - 2 * PADDING) or [""]

    rows = [[lines(c.text, i) for i, c in enumerate(row)] for row in table.rows]
    total = [[c.text] for c in table.total] if table.total else None
    return _Rows(table, widths, rows, list(table.marks), total)


def _section(section: Section) -> list:
    heading = [Paragraph(escape(section.title), HEADING)]
    if section.intro:
        heading.append(Paragraph(escape(section.intro), TEXT))
    if section.link:
        # A link to the page beside the PDF (relative: the window's folder travels whole).
        markup = f'<a href="{escape(section.link.href)}" color="{ACCENT_HEX}">{escape(section.link.text)}</a>'
        heading.append(Paragraph(markup, TEXT))
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
