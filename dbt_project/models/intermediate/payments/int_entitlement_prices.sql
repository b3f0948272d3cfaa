-- Each entitlement line priced (spec/payments.md): the area's schedule in force on the earned
-- date (latest effective_from on or before it), the band's amounts in that schedule, the
-- outcome's weight, and the credited provider's contract holding the earned date. A line with
-- no contract or no schedule for its band earns nothing and carries the issue instead.
-- Gross amounts are rounded half up to the penny once, here. The schedule in force and the
-- unrounded price stay as columns: the payment checkpoint bounds each entitlement's gross by
-- this price rather than pricing it a second time.
-- A table: entitlements, the record issues, their data tests and the checkpoint all read it.
{{ config(materialized='table') }}

with candidates as (
    select * from {{ ref('int_entitlement_candidates') }}
),

-- The schedule in force: the latest effective_from on or before the earned date (an ASOF
-- join, which stays a fast range join at national scale).
in_force as (
    select
        candidates.*,
        schedules.effective_from,
        schedules.conversion_payment_gbp
    from candidates
    asof left join {{ ref('stg_config__schedules') }} as schedules
        on schedules.area = candidates.area
            and candidates.earned_date >= schedules.effective_from
),

priced as (
    select
        in_force.*,
        bands.band as schedule_band,
        contracts.contract_id,
        case in_force.kind
            when 'ATTACHMENT' then bands.attachment_fee_gbp
            -- an outcome the schedule gives no weight is worth nothing, like a weight of 0
            when 'OUTCOME' then bands.outcome_tariff_gbp * coalesce(weights.weight, 0)
            -- a conversion without a conversion payment still counts, at 0
            when 'CONVERSION' then coalesce(in_force.conversion_payment_gbp, 0)
        end as price_gbp
    from in_force
    left join {{ ref('stg_config__schedule_bands') }} as bands
        on bands.area = in_force.area
            and bands.effective_from = in_force.effective_from
            and bands.band = in_force.band
    left join {{ ref('stg_config__schedule_weights') }} as weights
        on weights.area = in_force.area
            and weights.effective_from = in_force.effective_from
            and weights.outcome_code = in_force.outcome_code
    left join {{ ref('stg_config__contracts') }} as contracts
        on contracts.provider = in_force.provider
            and in_force.earned_date between contracts.start_date and contracts.end_date
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
    effective_from as schedule_from,
    price_gbp,
    cast(round(price_gbp, 2) as decimal(14, 2)) as gross_amount,
    case
        when contract_id is null then 'NO_CONTRACT'
        when effective_from is null or schedule_band is null then 'NO_SCHEDULE'
    end as issue,
    case
        when contract_id is null then 'no contract of ' || provider || ' holds ' || cast(earned_date as varchar)
        when effective_from is null then 'no schedule of ' || area || ' in force on ' || cast(earned_date as varchar)
        when
            schedule_band is null
            then 'the schedule of '
                || cast(effective_from as varchar)
                || ' defines no band '
                || coalesce(cast(band as varchar), '(none)')
    end as issue_detail
from priced
