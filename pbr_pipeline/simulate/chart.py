"""The comparison's chart: per provider, what was paid beside what the simulation pays, by line.

Drawn as the monitor's charts are (monitor/charts.py: same settings, so the same figures give
the same bytes, and nothing clipped, so no clip-path ids); one horizontal pair of bars per kind
and outcome, actual above simulated, and at the right of each pair what moves (simulated −
actual), coloured as the table's difference. Negative amounts (a provider's lines net of their
reversals) are bars left of zero; a provider whose lines are all zero still gets its axis.

A page holds one chart per provider, so every id in a chart carries the prefix it is given:
no two charts of a page share an id, even where matplotlib would make the same one (its
markers' ids are hashes of their paths).
"""

from __future__ import annotations

import re
from decimal import Decimal

from matplotlib.figure import Figure
from matplotlib.textpath import TextPath

from pbr_pipeline.monitor.charts import PEERS, PROVIDER, svg_text
from pbr_pipeline.simulate.comparison import ComparisonRow, signed_pounds

UP, DOWN, MUTED = "#0b6b2b", "#b00020", "#555555"  # comparison.html's td.up, td.down, muted text
ROW_HEIGHT_IN, TOP_IN, BOTTOM_IN, WIDTH_IN = 0.42, 0.45, 0.45, 9.0
LEFT_MIN_IN, RIGHT_IN, PAD_IN = 1.0, 1.25, 0.12
BAR = 0.38
FONT = 9  # points; the SVG is drawn at 72 points to the inch and shown at 96 px to it: 12 px
_IDS = re.compile(r'(\bid="|xlink:href="#|href="#|url\(#)([^")]+)')


def _label(row: ComparisonRow) -> str:
    return row.outcome_code or row.kind


def _whole_pounds(value: float, _position=None) -> str:
    """An axis tick as the page writes money: `£20,000`, `-£120`, `£0` (never `£-0`)."""
    rounded = round(value)
    return f"-£{-rounded:,}" if rounded < 0 else f"£{rounded:,}"


def _moved(difference: Decimal) -> tuple[str, str]:
    """What a pair of bars moves by, and its colour: the table's `+£220.00` and `-£220.00`."""
    if not difference:
        return "no change", MUTED
    return signed_pounds(difference), UP if difference > 0 else DOWN


def _label_width_in(labels: list[str]) -> float:
    """The width of the widest label as matplotlib sets it (DejaVu Sans, which is wider than
    the fonts a browser falls back to: room to spare)."""
    return max((TextPath((0, 0), label, size=FONT).get_extents().width for label in labels), default=0) / 72


def _own_ids(svg: str, prefix: str) -> str:
    """Every id of the SVG, and every reference to one, with the prefix."""
    return _IDS.sub(lambda match: f"{match[1]}{prefix}{match[2]}", svg)


def comparison_svg(rows: list[ComparisonRow], id_prefix: str = "cmp-") -> str:
    """One provider's rows as bars in pounds: grey for what was paid, blue for the simulation,
    each pair's difference beside it; its ids start with `id_prefix`."""
    height = TOP_IN + BOTTOM_IN + ROW_HEIGHT_IN * max(len(rows), 1)
    figure = Figure(figsize=(WIDTH_IN, height))
    labels = [_label(row) for row in rows]
    left = max(LEFT_MIN_IN, _label_width_in(labels) + PAD_IN * 2)
    axes = figure.add_axes(
        (left / WIDTH_IN, BOTTOM_IN / height, 1 - (left + RIGHT_IN) / WIDTH_IN, 1 - (TOP_IN + BOTTOM_IN) / height)
    )
    positions = list(range(len(rows)))
    actual = [float(row.actual_amount) for row in rows]
    simulated = [float(row.simulated_amount) for row in rows]
    axes.barh([p - BAR / 2 for p in positions], actual, height=BAR, color=PEERS, label="actual", clip_on=False)
    axes.barh([p + BAR / 2 for p in positions], simulated, height=BAR, color=PROVIDER, label="simulated", clip_on=False)
    axes.set_yticks(positions, labels, fontsize=FONT)
    axes.set_ylim(len(rows) - 0.5, -0.5)  # the table's order, top down
    low, high = min([0.0, *actual, *simulated]), max([0.0, *actual, *simulated])
    if low == high:  # nothing paid either way: an axis from £0, with nothing on it
        axes.set_xlim(0, 1)
        axes.set_xticks([0])
    else:
        span = high - low
        axes.set_xlim(low - span * 0.02 if low < 0 else 0, high + span * 0.02 if high > 0 else 0)
    axes.tick_params(axis="x", labelsize=FONT - 1)
    axes.xaxis.set_major_formatter(_whole_pounds)
    axes.axvline(0, color="#1a1a1a", linewidth=0.8, clip_on=False)
    axes.grid(axis="x", color="#e0e0e0", linewidth=0.6, clip_on=False)
    axes.set_axisbelow(True)
    for position, row in zip(positions, rows):
        text, colour = _moved(row.difference)
        axes.annotate(
            text,
            (1, position),
            xycoords=("axes fraction", "data"),
            xytext=(PAD_IN * 72, 0),
            textcoords="offset points",
            va="center",
            fontsize=FONT,
            color=colour,
            fontweight="bold" if row.difference else "normal",
            annotation_clip=False,
        )
    axes.annotate(
        "difference",
        (1, 1),
        xycoords="axes fraction",
        xytext=(PAD_IN * 72, 4),
        textcoords="offset points",
        va="bottom",
        fontsize=FONT - 1,
        color=MUTED,
    )
    axes.legend(loc="lower left", fontsize=FONT, frameon=False, bbox_to_anchor=(0, 1), ncols=2, borderaxespad=0.2)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return _own_ids(svg_text(figure), id_prefix)
