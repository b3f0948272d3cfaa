"""The comparison's page (`comparison.html`): per provider, actual beside simulated by line.

Every figure is the comparison's (comparison.py); this module groups the rows by provider,
formats them and draws each provider's chart (chart.py). Nothing depends on the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby
from typing import TYPE_CHECKING

from pbr_pipeline.payments.statements import pounds
from pbr_pipeline.simulate.chart import comparison_svg
from pbr_pipeline.simulate.comparison import ComparisonRow, signed_pounds, total

if TYPE_CHECKING:
    from pbr_pipeline.simulate.run import Comparison


@dataclass(frozen=True)
class ProviderBlock:
    area: str
    provider: str
    rows: list[ComparisonRow]
    chart: str

    @property
    def anchor(self) -> str:
        return f"{self.area}-{self.provider}"

    @property
    def actual(self) -> Decimal:
        return total(self.rows, "actual_amount")

    @property
    def simulated(self) -> Decimal:
        return total(self.rows, "simulated_amount")


@dataclass(frozen=True)
class ComparisonPage:
    title: str
    facts: list[tuple[str, str]]
    totals: list[tuple[str, str]]
    largest: list[ComparisonRow]
    providers: list[ProviderBlock]


def comparison_page(comparison: Comparison) -> ComparisonPage:
    plan = comparison.plan
    compared = len(plan.windows)
    facts = [
        ("Windows compared", f"{plan.label} ({compared} window{'s' if compared != 1 else ''})"),
        ("Simulated configuration", str(plan.config_dir)),
        ("Landed returns", str(plan.real.landing_dir)),
        ("Simulated run", f"{plan.run_windows[0]}..{plan.run_windows[-1]}, into {plan.settings.warehouse.name}"),
        (
            "Actual (real runs)",
            f"{len(comparison.windows_actual)} of {compared} window(s) paid, from {plan.real.analyst_warehouse.name}",
        ),
    ]
    totals = [
        ("Total actual", pounds(comparison.total_actual)),
        ("Total simulated", pounds(comparison.total_simulated)),
        ("Difference", signed_pounds(comparison.total_difference)),
    ]
    # Each chart's ids are its own (chart.py): the n-th provider's start `chart-n-`.
    providers = [
        ProviderBlock(area, provider, block, comparison_svg(block, id_prefix=f"chart-{number}-"))
        for number, ((area, provider), rows) in enumerate(
            groupby(comparison.rows, key=lambda row: (row.area, row.provider)), start=1
        )
        for block in [list(rows)]
    ]
    return ComparisonPage(
        title=f"What-if {plan.label}: simulated against actual payments",
        facts=facts,
        totals=totals,
        largest=comparison.largest,
        providers=providers,
    )
