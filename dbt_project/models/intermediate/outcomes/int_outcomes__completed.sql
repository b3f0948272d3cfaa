-- D3_COMPLETED (spec/outcomes.md): an episode of the journey discharged with a successful code
-- (the discharge_reasons seed: 80, 81, 82) while no episode of the journey is open on the day after its discharge_date
-- (open: triage_date <= day and (discharge_date null or > day)). Outcome date: the earliest such
-- discharge_date; the discharging submitter is credited. One row per started journey.
{{ config(materialized='table') }}

with episodes as (
    select
        as_of_window,
        journey_id,
        episode_id,
        submitter,
        triage_date,
        discharge_date,
        discharge_reason
    from {{ ref('int_journey_episodes') }}
),

started as (
    select
        as_of_window,
        journey_id
    from {{ ref('int_journey_starts') }}
),

successful_discharges as (
    select
        *,
        discharge_date + 1 as day_after
    from episodes
    where discharge_reason in (
            select discharge_reasons.code from {{ ref('discharge_reasons') }} as discharge_reasons
            where discharge_reasons.successful
        )
        and discharge_date is not null
),

still_open_day_after as (
    -- successful discharges with some episode of the journey open on the day after
    select distinct
        successful_discharges.as_of_window,
        successful_discharges.journey_id,
        successful_discharges.submitter,
        successful_discharges.episode_id
    from successful_discharges
    inner join episodes as other_episodes
        on other_episodes.as_of_window = successful_discharges.as_of_window
            and other_episodes.journey_id = successful_discharges.journey_id
            and other_episodes.triage_date <= successful_discharges.day_after
            and coalesce(other_episodes.discharge_date, date '9999-12-31') > successful_discharges.day_after
),

completions as (
    select successful_discharges.*
    from successful_discharges
    left join still_open_day_after
        on still_open_day_after.as_of_window = successful_discharges.as_of_window
            and still_open_day_after.journey_id = successful_discharges.journey_id
            and still_open_day_after.submitter = successful_discharges.submitter
            and still_open_day_after.episode_id = successful_discharges.episode_id
    where still_open_day_after.episode_id is null
),

first_completions as (
    select *
    from completions
    qualify row_number() over (
            partition by as_of_window, journey_id
            order by discharge_date, submitter, episode_id
        ) = 1
)

select
    started.as_of_window,
    started.journey_id,
    'D3_COMPLETED' as outcome_code,
    true as in_eligible_group,
    cast(null as boolean) as window_elapsed,
    first_completions.discharge_date as outcome_date,
    first_completions.submitter as credited_provider,
    first_completions.episode_id as evidence
from started
left join first_completions
    on first_completions.as_of_window = started.as_of_window
        and first_completions.journey_id = started.journey_id
