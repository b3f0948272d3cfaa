-- H3_HEPB_COMPLETED (spec/outcomes.md): eligible when the Start TOP records injecting
-- (injecting_days > 0); attained by a HEPB_COURSE_COMPLETED intervention dated in
-- [start, start + 365]. Outcome date: the earliest such intervention_date; its submitter is
-- credited. One row per started journey with a Start TOP.
-- Stricter reading: the intervention must also belong to this journey (its date in the
-- journey's span), not just to the pbr_id.

with started as (
    select
        as_of_window,
        journey_id,
        start_date
    from {{ ref('int_journey_starts') }}
),

start_tops as (
    select
        as_of_window,
        journey_id,
        injecting_days
    from {{ ref('int_journey_start_tops') }}
),

courses as (
    select
        as_of_window,
        journey_id,
        intervention_id,
        intervention_date,
        submitter
    from {{ ref('int_journey_interventions') }}
    where intervention = 'HEPB_COURSE_COMPLETED'
),

first_courses as (
    select
        courses.as_of_window,
        courses.journey_id,
        courses.intervention_date,
        courses.submitter,
        courses.intervention_id
    from courses
    inner join started
        on started.as_of_window = courses.as_of_window
            and started.journey_id = courses.journey_id
            and courses.intervention_date between started.start_date and started.start_date + 365
    qualify row_number() over (
            partition by courses.as_of_window, courses.journey_id
            order by courses.intervention_date, courses.submitter, courses.intervention_id
        ) = 1
),

eligibility as (
    select
        started.as_of_window,
        started.journey_id,
        coalesce(start_tops.injecting_days > 0, false) as in_eligible_group
    from started
    inner join start_tops
        on start_tops.as_of_window = started.as_of_window
            and start_tops.journey_id = started.journey_id
)

-- outside the eligible group nothing is attained (guarded in the select: a non-key condition
-- in a left join's ON makes DuckDB use a nested-loop join)
select
    eligibility.as_of_window,
    eligibility.journey_id,
    'H3_HEPB_COMPLETED' as outcome_code,
    eligibility.in_eligible_group,
    cast(null as boolean) as window_elapsed,
    case when eligibility.in_eligible_group then first_courses.intervention_date end as outcome_date,
    case when eligibility.in_eligible_group then first_courses.submitter end as credited_provider,
    case when eligibility.in_eligible_group then first_courses.intervention_id end as evidence
from eligibility
left join first_courses
    on first_courses.as_of_window = eligibility.as_of_window
        and first_courses.journey_id = eligibility.journey_id
