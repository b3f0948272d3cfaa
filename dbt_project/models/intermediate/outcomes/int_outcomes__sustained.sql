-- D4_SUSTAINED (spec/outcomes.md): eligible once D3_COMPLETED is attained on date d; attained
-- when there is no re-presentation in (d, d + 365] (an episode starting or an INITIAL
-- assessment, of the same pbr_id or of any pbr_id with the same attributor_hash, in any area),
-- and only once d + 365 is on or before the as-of window's last day. Outcome date d + 365; the
-- submitter of the successful discharge is credited. One row per journey with D3 attained.
-- The forecast (spec/monitoring.md) reads the same evaluation: while d + 365 is still to come
-- and no re-presentation is known so far (in (d, E], the presentations seen as of the window),
-- D4 is pending, expected on d + 365 for the D3 provider.

with completions as (
    select
        completed.as_of_window,
        completed.journey_id,
        journeys.pbr_id,
        completed.outcome_date as completed_on,
        completed.credited_provider,
        completed.evidence as discharge_episode_id
    from {{ ref('int_outcomes__completed') }} as completed
    inner join {{ ref('int_journeys') }} as journeys
        on journeys.as_of_window = completed.as_of_window
            and journeys.journey_id = completed.journey_id
    where completed.outcome_date is not null
),

representations as (
    select distinct
        completions.as_of_window,
        completions.journey_id
    from completions
    inner join {{ ref('int_person_links') }} as links
        on links.as_of_window = completions.as_of_window
            and links.pbr_id = completions.pbr_id
    inner join {{ ref('int_presentations') }} as presentations
        on presentations.as_of_window = links.as_of_window
            and presentations.pbr_id = links.linked_pbr_id
            and presentations.presentation_date > completions.completed_on
            and presentations.presentation_date <= completions.completed_on + 365
),

evaluated as (
    select
        completions.*,
        completions.completed_on + 365 <= {{ as_of_end('completions.as_of_window') }} as window_elapsed,
        representations.journey_id is not null as represented
    from completions
    left join representations
        on representations.as_of_window = completions.as_of_window
            and representations.journey_id = completions.journey_id
)

select
    as_of_window,
    journey_id,
    'D4_SUSTAINED' as outcome_code,
    true as in_eligible_group,
    window_elapsed,
    case when window_elapsed and not represented then completed_on + 365 end as outcome_date,
    case when window_elapsed and not represented then credited_provider end as credited_provider,
    case when window_elapsed and not represented then discharge_episode_id end as evidence,
    case when not window_elapsed and not represented then completed_on + 365 end as expected_date,
    case when not window_elapsed and not represented then credited_provider end as expected_provider
from evaluated
