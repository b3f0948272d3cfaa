"""top.csv, the Treatment Outcomes Profile, sent by a treatment provider (spec/returns.md)."""

from typing import ClassVar

import pandera.pandas as pa
from pandera.typing import Series

from data_contracts.rules import TEXT_PATTERN, YES_NO, RowContract

SUBSTANCE_DAY_COLUMNS = (
    "alcohol_days", "opiates_days", "crack_days", "cocaine_days",
    "amphetamines_days", "cannabis_days", "other_days",
)
DAY_COLUMNS = SUBSTANCE_DAY_COLUMNS + (
    "injecting_days", "shoplifting_days", "drug_selling_days", "paid_work_days", "education_days",
)
SCORE_COLUMNS = ("psych_health", "phys_health", "quality_of_life")


class Top(RowContract):
    top_id: Series[object] = pa.Field(nullable=True)
    episode_id: Series[object] = pa.Field(nullable=True)
    top_date: Series[object] = pa.Field(nullable=True)
    stage: Series[object] = pa.Field(nullable=True)
    alcohol_days: Series[object] = pa.Field(nullable=True)
    opiates_days: Series[object] = pa.Field(nullable=True)
    crack_days: Series[object] = pa.Field(nullable=True)
    cocaine_days: Series[object] = pa.Field(nullable=True)
    amphetamines_days: Series[object] = pa.Field(nullable=True)
    cannabis_days: Series[object] = pa.Field(nullable=True)
    other_days: Series[object] = pa.Field(nullable=True)
    alcohol_units: Series[object] = pa.Field(nullable=True)
    injecting_days: Series[object] = pa.Field(nullable=True)
    shoplifting_days: Series[object] = pa.Field(nullable=True)
    drug_selling_days: Series[object] = pa.Field(nullable=True)
    psych_health: Series[object] = pa.Field(nullable=True)
    phys_health: Series[object] = pa.Field(nullable=True)
    quality_of_life: Series[object] = pa.Field(nullable=True)
    acute_housing_problem: Series[object] = pa.Field(nullable=True)
    risk_of_eviction: Series[object] = pa.Field(nullable=True)
    paid_work_days: Series[object] = pa.Field(nullable=True)
    education_days: Series[object] = pa.Field(nullable=True)

    class Config:
        metadata: ClassVar[dict] = {
            "key": "top_id",
            "required": ("episode_id", "top_date", "stage"),
            # An id reference: free text, whose known episodes are checked downstream.
            "patterns": {"episode_id": TEXT_PATTERN},
            "codes": {
                "stage": ("S", "R", "E", "P"),
                "acute_housing_problem": YES_NO,
                "risk_of_eviction": YES_NO,
            },
            "integers": {
                **{column: (0, 28) for column in DAY_COLUMNS},
                **{column: (0, 20) for column in SCORE_COLUMNS},
            },
            "decimals": {"alcohol_units": (0, 200)},
            "dates": ("top_date",),
            "event_dates": ("top_date",),
        }
