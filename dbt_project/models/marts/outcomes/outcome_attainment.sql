-- Outcome attainment per window (spec/outputs.md marts.outcome_attainment; grain
-- as_of_window x journey x outcome). A run replaces the rows of the windows it computes and
-- keeps the other windows' (the payments compare one window's entitlement with the previous
-- one's).
{{ per_window_incremental('as_of_window') }}

with attainment as (
    select * from {{ ref('int_outcome_attainment') }}
),

journeys as (
    select
        as_of_window,
        journey_id,
        pbr_id,
        area
    from {{ ref('int_journeys') }}
)

select
    cast(attainment.as_of_window as varchar) as as_of_window,
    attainment.journey_id,
    journeys.pbr_id,
    journeys.area,
    attainment.outcome_code,
    attainment.eligible,
    attainment.attained,
    attainment.outcome_date,
    attainment.credited_provider,
    attainment.reason,
    attainment.evidence
from attainment
inner join journeys
    on journeys.as_of_window = attainment.as_of_window
        and journeys.journey_id = attainment.journey_id
