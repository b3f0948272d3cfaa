-- The forecast as of each window (spec/monitoring.md marts.payment_forecast; grain
-- as_of_window x line_key): the pending outcomes priced as their lines would be on the expected
-- date (macro price_lines, the entitlements' price rule): the schedule in force then for the
-- band on E, the provider's contract holding it. A pending outcome with no such contract or
-- schedule is left out. No caps: a forecast is gross, and never a payment line.
{{ per_window_incremental('as_of_window') }}

with priced as (
    {{ price_lines(ref('int_forecast_pending'), 'expected_date') }}
)

select
    cast(as_of_window as varchar) as as_of_window,
    line_key,
    journey_id,
    pbr_id,
    area,
    kind,
    outcome_code,
    provider,
    contract_id,
    band,
    expected_date,
    {{ window_of('expected_date') }} as expected_window,
    gross_amount
from priced
where issue is null
