-- Started journeys (spec/outcomes.md): the start is the triage_date of the journey's first
-- episode (earliest triage_date, then lowest episode_id, then lowest submitter). A journey with
-- no episode has not started and has no row here. The band at start is the journey's band on
-- that day; the first episode's submitter earns the attachment fee (spec/payments.md). The
-- pbr_id comes along for the outcome rules that look up the person's other records.
{{ config(materialized='table') }}

with first_episodes as (
    select
        as_of_window,
        journey_id,
        episode_id,
        submitter,
        pathway,
        triage_date
    from {{ ref('int_journey_episodes') }}
    qualify row_number() over (
            partition by as_of_window, journey_id
            order by triage_date, episode_id, submitter
        ) = 1
),

bands as (
    select
        as_of_window,
        journey_id,
        tariff_band,
        band_from,
        band_until
    from {{ ref('int_journey_bands') }}
)

select
    first_episodes.as_of_window,
    first_episodes.journey_id,
    journeys.pbr_id,
    first_episodes.triage_date as start_date,
    first_episodes.episode_id as first_episode_id,
    first_episodes.submitter as first_provider,
    first_episodes.pathway as first_pathway,
    bands.tariff_band as band_at_start
from first_episodes
inner join {{ ref('int_journeys') }} as journeys
    on journeys.as_of_window = first_episodes.as_of_window
        and journeys.journey_id = first_episodes.journey_id
left join bands
    on bands.as_of_window = first_episodes.as_of_window
        and bands.journey_id = first_episodes.journey_id
        and bands.band_from <= first_episodes.triage_date
        -- coalesce, not "is null or": an OR in a join condition forces a nested-loop join
        and first_episodes.triage_date < coalesce(bands.band_until, date '9999-12-31')
