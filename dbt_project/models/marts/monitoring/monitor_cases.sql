-- The journeys behind each number of marts.monitor_indicators (spec/monitoring.md: "a
-- commissioner can list the journeys counted in any numerator or denominator"), kept per window
-- as the indicators are, so that `pbr monitor` and monitor.html list them for any window run.
-- Pseudonymous ids only: pbr_id, journey_id, episode_id.
{{ per_window_incremental('as_of_window') }}

select
    cast(as_of_window as varchar) as as_of_window,
    area,
    provider,
    pathway,
    cast(band as integer) as band,
    indicator,
    pbr_id,
    journey_id,
    episode_id,
    event_date,
    in_numerator
from {{ ref('int_monitor_cases') }}
