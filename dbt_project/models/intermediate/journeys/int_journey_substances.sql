-- The journey's presenting substances (spec/outcomes.md): primary_substance and, if given,
-- secondary_substance of its INITIAL assessment, each with the area's reliable-change threshold
-- for D1_REDUCED_USE (config, never a constant here). One row per journey (two substances at
-- most, so side by side: the TOP conditions then need no aggregation). A substance with no
-- configured threshold keeps a null one, which makes the D1 condition false (stricter reading).

with journeys as (
    select
        as_of_window,
        journey_id,
        area,
        primary_substance,
        secondary_substance
    from {{ ref('int_journeys') }}
),

reliable_change as (
    select
        area,
        substance,
        days
    from {{ ref('stg_config__reliable_change') }}
)

select
    journeys.as_of_window,
    journeys.journey_id,
    journeys.area,
    journeys.primary_substance,
    primary_change.days as primary_reliable_change_days,
    journeys.secondary_substance,
    secondary_change.days as secondary_reliable_change_days
from journeys
left join reliable_change as primary_change
    on primary_change.area = journeys.area
        and primary_change.substance = journeys.primary_substance
left join reliable_change as secondary_change
    on secondary_change.area = journeys.area
        and secondary_change.substance = journeys.secondary_substance
