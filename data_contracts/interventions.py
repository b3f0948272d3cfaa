"""interventions.csv, sent by a treatment provider (spec/returns.md)."""

from typing import ClassVar

import pandera.pandas as pa
from pandera.typing import Series

from data_contracts.rules import RowContract


class Interventions(RowContract):
    intervention_id: Series[object] = pa.Field(nullable=True)
    intervention: Series[object] = pa.Field(nullable=True)
    intervention_date: Series[object] = pa.Field(nullable=True)

    class Config:
        metadata: ClassVar[dict] = {
            "key": "intervention_id",
            "required": ("intervention", "intervention_date"),
            "codes": {"intervention": ("HEPB_COURSE_COMPLETED", "HEPC_TEST", "NALOXONE_SUPPLIED")},
            "dates": ("intervention_date",),
            "event_dates": ("intervention_date",),
        }
