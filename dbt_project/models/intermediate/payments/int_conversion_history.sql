-- The conversions known as of each window (grain as_of_window x journey_id), kept so that a
-- run can tell which conversions it sees for the first time.
{{ per_window_incremental('as_of_window') }}

select
    cast(as_of_window as varchar) as as_of_window,
    journey_id,
    area,
    conversion_date,
    converting_provider,
    receiving_provider
from {{ ref('int_conversions') }}
where conversion_date <= {{ as_of_end() }}
