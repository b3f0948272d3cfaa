"""employment.csv, sent by the national DWP share (spec/returns.md)."""

from typing import ClassVar

import pandera.pandas as pa
from pandera.typing import Series

from data_contracts.rules import RowContract


class Employment(RowContract):
    spell_id: Series[object] = pa.Field(nullable=True)
    start_date: Series[object] = pa.Field(nullable=True)
    end_date: Series[object] = pa.Field(nullable=True)

    class Config:
        metadata: ClassVar[dict] = {
            "key": "spell_id",
            "required": ("start_date",),
            "dates": ("start_date", "end_date"),
            "event_dates": ("start_date", "end_date"),
            "date_order": (("end_date", "start_date"),),
        }
