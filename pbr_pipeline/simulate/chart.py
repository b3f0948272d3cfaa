"""The comparison's chart: per provider, what was paid beside what the simulation pays, by line.

Drawn as the monitor's charts are (monitor/charts.py: same settings, so the same figures give
the same bytes); one horizontal pair of bars per kind and outcome, actual above simulated.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from pbr_pipeline.monitor.charts import PEERS, PROVIDER, svg_text
from pbr_pipeline.simulate.comparison import ComparisonRow

ROW_HEIGHT_IN, MARGIN_IN, WIDTH_IN = 0.32, 0.7, 7.5
BAR = 0.38


def _label(row: ComparisonRow) -> str:
    return row.outcome_code or row.kind


def comparison_svg(rows: list[ComparisonRow]) -> str:
    """One provider's rows as bars in pounds: grey for what was paid, blue for the simulation."""
    height = MARGIN_IN + ROW_HEIGHT_IN * len(rows)
    figure = Figure(figsize=(WIDTH_IN, height))
    axes = figure.add_axes((0.26, MARGIN_IN * 0.6 / height, 0.7, 1 - MARGIN_IN / height))
    positions = list(range(len(rows)))
    actual = [float(row.actual_amount) for row in rows]
    simulated = [float(row.simulated_amount) for row in rows]
    axes.barh([p - BAR / 2 for p in positions], actual, height=BAR, color=PEERS, label="actual", clip_on=False)
    axes.barh([p + BAR / 2 for p in positions], simulated, height=BAR, color=PROVIDER, label="simulated", clip_on=False)
    axes.set_yticks(positions, [_label(row) for row in rows], fontsize=8)
    axes.invert_yaxis()  # the table's order, top down
    axes.tick_params(axis="x", labelsize=7)
    axes.xaxis.set_major_formatter(lambda value, _: f"£{value:,.0f}")
    axes.axvline(0, color="#1a1a1a", linewidth=0.6, clip_on=False)
    axes.legend(loc="lower right", fontsize=7, frameon=False, bbox_to_anchor=(1, 1), ncols=2)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return svg_text(figure)
