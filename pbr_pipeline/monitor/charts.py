"""The monitor's trend charts: one small SVG per indicator row, drawn by matplotlib.

A chart shows the provider's value (solid) and its peers' (dashed) over the windows run so far,
the window shown marked. Same figures, same bytes: no date in the SVG's metadata, a fixed hash
salt for the ids matplotlib makes, text kept as text (no font outlines), nothing clipped (so no
clip-path ids that would repeat between the charts of one page). One figure is drawn again for
every chart: a page holds hundreds of them, and a new figure costs five times as much.
"""

from __future__ import annotations

import io
from functools import cache

import matplotlib

matplotlib.use("Agg")  # no display; before pyplot or a backend is imported anywhere

from matplotlib import rcParams  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

PROVIDER, PEERS, FLAGGED = "#0b4f8a", "#8c8c8c", "#b00020"
WIDTH_IN, HEIGHT_IN = 1.8, 0.5
rcParams.update({"svg.hashsalt": "pbr-monitor", "svg.fonttype": "none", "path.simplify": False})


class _Sparkline:
    def __init__(self) -> None:
        self.figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN))
        self.axes = self.figure.add_axes((0.02, 0.1, 0.96, 0.8))
        self.axes.set_axis_off()
        self.axes.set_ylim(-0.02, 1.02)  # shares: the same scale on every chart, to compare
        (self.peers,) = self.axes.plot([], [], color=PEERS, linewidth=1, linestyle="--", clip_on=False)
        (self.provider,) = self.axes.plot([], [], color=PROVIDER, linewidth=1.4, clip_on=False)
        (self.last,) = self.axes.plot([], [], "o", markersize=3, clip_on=False)

    def svg(self, values: list[float | None], peers: list[float | None], flagged: bool) -> str:
        xs = list(range(len(values)))
        self.provider.set_data(*_points(xs, values))
        self.peers.set_data(*_points(xs, peers))
        self.last.set_data([xs[-1]] if values[-1] is not None else [], [values[-1]] if values[-1] is not None else [])
        self.last.set_color(FLAGGED if flagged else PROVIDER)
        self.axes.set_xlim(-0.5, max(len(values), 2) - 0.5)
        return svg_text(self.figure)


def svg_text(figure: Figure) -> str:
    """The figure as SVG to inline in a page (no XML declaration or doctype), with no date or
    creator in its metadata: the same figure, the same bytes."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _points(xs: list[int], values: list[float | None]) -> tuple[list[int], list[float]]:
    """A line through the windows that have a value (a window without a denominator is a gap)."""
    kept = [(x, v) for x, v in zip(xs, values) if v is not None]
    return [x for x, _ in kept], [v for _, v in kept]


@cache
def _sparkline() -> _Sparkline:
    return _Sparkline()


def trend_svg(values: list[float | None], peers: list[float | None], flagged: bool) -> str:
    """The trend of one indicator row over the windows run so far, oldest first, as inline SVG."""
    return _sparkline().svg(values, peers, flagged)
