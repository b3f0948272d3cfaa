-- Each entitlement line priced on its earned date (spec/payments.md; the price rule is the
-- macro price_lines, which the forecast shares): the schedule in force, the band's amounts,
-- the outcome's weight and the credited provider's contract. A line with no contract or no
-- schedule for its band earns nothing and carries the issue instead, in words here for
-- quality.record_issues. The schedule in force and the unrounded price stay as columns: the
-- payment checkpoint bounds each entitlement's gross by this price rather than pricing it a
-- second time.
-- A table: entitlements, the record issues, their data tests and the checkpoint all read it.
{{ config(materialized='table') }}

with priced as (
    {{ price_lines(ref('int_entitlement_candidates'), 'earned_date') }}
)

select
    as_of_window,
    line_key,
    journey_id,
    pbr_id,
    area,
    kind,
    outcome_code,
    provider,
    contract_id,
    band,
    earned_date,
    {{ window_of('earned_date') }} as earned_window,
    schedule_from,
    price_gbp,
    gross_amount,
    issue,
    case issue
        when 'NO_CONTRACT' then 'no contract of ' || provider || ' holds ' || cast(earned_date as varchar)
        when 'NO_SCHEDULE' then
            case
                when schedule_from is null
                    then 'no schedule of ' || area || ' in force on ' || cast(earned_date as varchar)
                else 'the schedule of '
                    || cast(schedule_from as varchar)
                    || ' defines no band '
                    || coalesce(cast(band as varchar), '(none)')
            end
    end as issue_detail
from priced
