-- O1_OFFENDING (spec/outcomes.md), for every started journey with t = its start:
-- b = offences of the pbr_id dated in [t - 365, t), a = offences dated in (t, t + 365]
-- (an offence on t itself counts in neither; the offences counted are int_offences_around_start);
-- attained when (b > 0 and a < b) or (b = 0 and a = 0), and only once t + 365 is on or before
-- the as-of window's last day. Outcome date t + 365, credited to the provider with an episode
-- open then (macro provider_on_date).
-- The forecast (spec/monitoring.md) reads the same counts: while t + 365 is still to come, the
-- offences known so far (a: those in (t, E], seen as of the window) meeting the condition make
-- O1 pending, expected on t + 365 for the provider the rule takes on E.

with started as (
    select
        as_of_window,
        journey_id,
        start_date
    from {{ ref('int_journey_starts') }}
),

counts as (
    -- the offences counted (int_offences_around_start), before and after t
    select
        started.as_of_window,
        started.journey_id,
        started.start_date,
        count(counted.offence_id) filter (where counted.before_start) as offences_before,
        count(counted.offence_id) filter (where not counted.before_start) as offences_after
    from started
    left join {{ ref('int_offences_around_start') }} as counted
        on counted.as_of_window = started.as_of_window
            and counted.journey_id = started.journey_id
    group by started.as_of_window, started.journey_id, started.start_date
),

evaluated as (
    select
        as_of_window,
        journey_id,
        start_date + 365 as outcome_date,
        start_date + 365 <= {{ as_of_end() }} as window_elapsed,
        (offences_before > 0 and offences_after < offences_before)
        or (offences_before = 0 and offences_after = 0) as counts_met,
        'before=' || offences_before || ',after=' || offences_after as evidence
    from counts
),

attained as (
    select
        as_of_window,
        journey_id,
        outcome_date
    from evaluated
    where window_elapsed and counts_met
),

credited as (
    {{ provider_on_date('attained') }}
),

pending as (
    select
        as_of_window,
        journey_id,
        {{ as_of_end() }} as outcome_date
    from evaluated
    where not window_elapsed and counts_met
),

credited_on_end as (
    {{ provider_on_date('pending') }}
)

select
    evaluated.as_of_window,
    evaluated.journey_id,
    'O1_OFFENDING' as outcome_code,
    true as in_eligible_group,
    evaluated.window_elapsed,
    credited.outcome_date,
    credited.credited_provider,
    case when credited.journey_id is not null then evaluated.evidence end as evidence,
    case when not evaluated.window_elapsed and evaluated.counts_met then evaluated.outcome_date end as expected_date,
    credited_on_end.credited_provider as expected_provider
from evaluated
left join credited
    on credited.as_of_window = evaluated.as_of_window
        and credited.journey_id = evaluated.journey_id
left join credited_on_end
    on credited_on_end.as_of_window = evaluated.as_of_window
        and credited_on_end.journey_id = evaluated.journey_id
