"""Which areas to generate, who submits for each, and how many journeys each one holds."""

from __future__ import annotations

from dataclasses import dataclass

from pbr_pipeline.config import AreaConfig, Areas
from pbr_pipeline.generate import rates


@dataclass(frozen=True)
class AreaPlan:
    code: str
    index: int
    lasar: str
    providers: tuple[str, ...]
    police: str | None
    bands: tuple[int, ...]
    annual_journeys: float
    # pathway -> provider where the area's providers split by pathway (Oxfordshire)
    pathway_providers: dict[str, str]

    @property
    def converts(self) -> bool:
        """Harm Minimisation users can convert to Recovery only where pathways are split."""
        return bool(self.pathway_providers)


@dataclass(frozen=True)
class Registry:
    """Every submitter the generator writes for, in code order (its index is `_sub`)."""

    codes: tuple[str, ...]
    roles: tuple[str, ...]
    areas: tuple[str | None, ...]  # None for the national DWP share

    def index(self) -> dict[str, int]:
        return {code: i for i, code in enumerate(self.codes)}


def plan_areas(areas: Areas, annual_journeys: dict[str, float]) -> list[AreaPlan]:
    """One plan per configured area that can produce journeys (a LASAR and a PROVIDER)."""
    plans: list[AreaPlan] = []
    for config in areas.areas:
        lasars, providers = config.submitters_with_role("LASAR"), config.submitters_with_role("PROVIDER")
        if not lasars or not providers:
            continue
        police = config.submitters_with_role("POLICE")
        plans.append(
            AreaPlan(
                code=config.area,
                index=len(plans),
                lasar=lasars[0],
                providers=providers,
                police=police[0] if police else None,
                bands=tuple(sorted(config.bands)),
                annual_journeys=annual_journeys.get(config.area, rates.DEFAULT_ANNUAL_JOURNEYS),
                pathway_providers=_pathway_providers(config),
            )
        )
    if not plans:
        raise ValueError("no configured area has both a LASAR and a PROVIDER submitter")
    return plans


def _pathway_providers(config: AreaConfig) -> dict[str, str]:
    routing = rates.PATHWAY_PROVIDERS.get(config.area, {})
    providers = set(config.submitters_with_role("PROVIDER"))
    # A custom configuration may rename the providers: then fall back to a random split.
    return dict(routing) if set(routing.values()) <= providers and routing else {}


def dwp_code(areas: Areas) -> str | None:
    codes = sorted(code for code, role in areas.roles.items() if role == "DWP")
    return codes[0] if codes else None


def build_registry(plans: list[AreaPlan], dwp: str | None) -> Registry:
    entries: dict[str, tuple[str, str | None]] = {}
    for plan in plans:
        entries[plan.lasar] = ("LASAR", plan.code)
        for provider in plan.providers:
            entries[provider] = ("PROVIDER", plan.code)
        if plan.police:
            entries[plan.police] = ("POLICE", plan.code)
    if dwp:
        entries[dwp] = ("DWP", None)
    codes = tuple(sorted(entries))
    return Registry(codes, tuple(entries[c][0] for c in codes), tuple(entries[c][1] for c in codes))
