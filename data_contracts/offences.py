"""offences.csv, sent by the area's police data share (spec/returns.md)."""

from typing import ClassVar

import pandera.pandas as pa
from pandera.typing import Series

from data_contracts.rules import RowContract


class Offences(RowContract):
    offence_id: Series[object] = pa.Field(nullable=True)
    offence_date: Series[object] = pa.Field(nullable=True)
    disposal_date: Series[object] = pa.Field(nullable=True)
    offence_group: Series[object] = pa.Field(nullable=True)

    class Config:
        metadata: ClassVar[dict] = {
            "key": "offence_id",
            "required": ("offence_date", "disposal_date", "offence_group"),
            "codes": {"offence_group": ("ACQUISITIVE", "VIOLENCE", "DRUGS", "OTHER")},
            "dates": ("offence_date", "disposal_date"),
            "event_dates": ("offence_date", "disposal_date"),
            "date_order": (("disposal_date", "offence_date"),),
        }
