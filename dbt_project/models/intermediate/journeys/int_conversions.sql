-- Conversions from Harm Minimisation to Recovery (spec/outcomes.md, "Conversions"): a journey
-- converts when a RECOVERY episode starts (triage_date) after a HARM_MIN episode of the same
-- journey started. Conversion date: the triage_date of the first such RECOVERY episode, whose
-- submitter is the receiving provider; the converting provider is the submitter of the latest
-- HARM_MIN episode started before it. At most once per journey.
-- Ties (not in the spec, made deterministic): lowest submitter code, then episode_id.
-- A table: marts.journeys and the payment models both read it.
{{ config(materialized='table') }}

with episodes as (
    select
        as_of_window,
        journey_id,
        pbr_id,
        journey_area as area,
        episode_id,
        submitter,
        pathway,
        triage_date
    from {{ ref('int_journey_episodes') }}
),

first_harm_min as (
    select
        as_of_window,
        journey_id,
        min(triage_date) as first_harm_min_start
    from episodes
    where pathway = 'HARM_MIN'
    group by as_of_window, journey_id
),

receiving as (
    -- the first RECOVERY episode starting strictly after the first HARM_MIN start
    select episodes.*
    from episodes
    inner join first_harm_min
        on first_harm_min.as_of_window = episodes.as_of_window
            and first_harm_min.journey_id = episodes.journey_id
            and episodes.triage_date > first_harm_min.first_harm_min_start
    where episodes.pathway = 'RECOVERY'
    qualify row_number() over (
            partition by episodes.as_of_window, episodes.journey_id
            order by episodes.triage_date, episodes.submitter, episodes.episode_id
        ) = 1
),

converting as (
    select
        receiving.as_of_window,
        receiving.journey_id,
        harm_min.submitter,
        harm_min.episode_id
    from receiving
    inner join episodes as harm_min
        on harm_min.as_of_window = receiving.as_of_window
            and harm_min.journey_id = receiving.journey_id
            and harm_min.pathway = 'HARM_MIN'
            and harm_min.triage_date < receiving.triage_date
    qualify row_number() over (
            partition by receiving.as_of_window, receiving.journey_id
            order by harm_min.triage_date desc, harm_min.submitter asc, harm_min.episode_id asc
        ) = 1
)

select
    receiving.as_of_window,
    receiving.journey_id,
    receiving.pbr_id,
    receiving.area,
    receiving.triage_date as conversion_date,
    converting.submitter as converting_provider,
    converting.episode_id as converting_episode_id,
    receiving.submitter as receiving_provider,
    receiving.episode_id as receiving_episode_id
from receiving
inner join converting
    on converting.as_of_window = receiving.as_of_window
        and converting.journey_id = receiving.journey_id
