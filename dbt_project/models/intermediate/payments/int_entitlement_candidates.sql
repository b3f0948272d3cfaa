-- Every line the data known as of each window earns (spec/payments.md, "Entitlement"), before
-- prices: one ATTACHMENT per started journey, one OUTCOME per attained journey x outcome, one
-- CONVERSION per converted journey; each with its earned date, credited provider and the
-- journey's tariff band on the earned date.

with journeys as (
    select
        as_of_window,
        journey_id,
        pbr_id,
        area
    from {{ ref('int_journeys') }}
),

attachments as (
    select
        as_of_window,
        journey_id,
        'ATTACHMENT' as kind,
        null as outcome_code,
        start_date as earned_date,
        first_provider as provider
    from {{ ref('int_journey_starts') }}
    where start_date <= {{ as_of_end() }}
),

outcomes as (
    select
        as_of_window,
        journey_id,
        'OUTCOME' as kind,
        outcome_code,
        outcome_date as earned_date,
        credited_provider as provider
    from {{ ref('int_outcome_attainment') }}
    where attained
),

conversions as (
    select
        as_of_window,
        journey_id,
        'CONVERSION' as kind,
        null as outcome_code,
        conversion_date as earned_date,
        converting_provider as provider
    from {{ ref('int_conversions') }}
    where conversion_date <= {{ as_of_end() }}
),

lines as (
    select * from attachments
    union all
    select * from outcomes
    union all
    select * from conversions
)

select
    lines.as_of_window,
    lines.journey_id || '|' || lines.kind || '|' || coalesce(lines.outcome_code, '') as line_key,
    lines.journey_id,
    journeys.pbr_id,
    journeys.area,
    lines.kind,
    lines.outcome_code,
    lines.provider,
    lines.earned_date,
    bands.tariff_band as band
from lines
inner join journeys
    on journeys.as_of_window = lines.as_of_window
        and journeys.journey_id = lines.journey_id
-- the band in force on the earned date: the latest band_from on or before it
asof left join {{ ref('int_journey_bands') }} as bands
    on bands.as_of_window = lines.as_of_window
        and bands.journey_id = lines.journey_id
        and lines.earned_date >= bands.band_from
