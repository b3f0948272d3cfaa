-- E1_EMPLOYMENT (spec/outcomes.md), for every started journey with t = its start: an
-- employment spell of the pbr_id starting in [t, t + 365] that lasts at least 91 days
-- (end_date - start_date >= 91, or still going with start_date + 91 on or before the run's last
-- day). Outcome date: the earliest such start_date + 91, credited to the provider with an
-- episode open then (macro provider_on_date). The window has elapsed once t + 365 + 91 is on
-- or before the run's last day (before that, not attained is WINDOW_NOT_ELAPSED).
-- The forecast (spec/monitoring.md) reads the same spells: not attained, and a spell starting in
-- [t, t + 365] still going (end_date null) whose 91 days end after the run's last day E make E1
-- pending, expected on the earliest such start + 91 for the provider the rule takes on E.

with started as (
    select
        as_of_window,
        journey_id,
        pbr_id,
        start_date
    from {{ ref('int_journey_starts') }}
),

spells as (
    select
        as_of_window,
        pbr_id,
        spell_id,
        start_date,
        end_date,
        -- an end after the run's last day is not known yet: the spell is still going as of P
        case when end_date <= {{ as_of_end() }} then end_date else {{ as_of_end() }} end as known_until
    from {{ ref('int_employment__current') }}
    where start_date <= {{ as_of_end() }}
),

journey_spells as (
    select
        started.as_of_window,
        started.journey_id,
        spells.spell_id,
        spells.start_date,
        spells.end_date,
        spells.known_until
    from started
    inner join spells
        on spells.as_of_window = started.as_of_window
            and spells.pbr_id = started.pbr_id
            and spells.start_date between started.start_date and started.start_date + 365
),

qualifying_spells as (
    select
        as_of_window,
        journey_id,
        spell_id,
        start_date + 91 as outcome_date
    from journey_spells
    where known_until - start_date >= 91
),

first_spells as (
    select *
    from qualifying_spells
    qualify row_number() over (partition by as_of_window, journey_id order by outcome_date, spell_id) = 1
),

credited as (
    {{ provider_on_date('first_spells') }}
),

pending as (
    select
        journey_spells.as_of_window,
        journey_spells.journey_id,
        min(journey_spells.start_date + 91) as expected_date,
        {{ as_of_end('journey_spells.as_of_window') }} as outcome_date
    from journey_spells
    left join first_spells
        on first_spells.as_of_window = journey_spells.as_of_window
            and first_spells.journey_id = journey_spells.journey_id
    where first_spells.journey_id is null
        and journey_spells.end_date is null
        and journey_spells.start_date + 91 > {{ as_of_end('journey_spells.as_of_window') }}
    group by journey_spells.as_of_window, journey_spells.journey_id
),

credited_on_end as (
    {{ provider_on_date('pending') }}
)

select
    started.as_of_window,
    started.journey_id,
    'E1_EMPLOYMENT' as outcome_code,
    true as in_eligible_group,
    started.start_date + 365 + 91 <= {{ as_of_end('started.as_of_window') }} as window_elapsed,
    credited.outcome_date,
    credited.credited_provider,
    case when credited.journey_id is not null then first_spells.spell_id end as evidence,
    pending.expected_date,
    credited_on_end.credited_provider as expected_provider
from started
left join first_spells
    on first_spells.as_of_window = started.as_of_window
        and first_spells.journey_id = started.journey_id
left join credited
    on credited.as_of_window = started.as_of_window
        and credited.journey_id = started.journey_id
left join pending
    on pending.as_of_window = started.as_of_window
        and pending.journey_id = started.journey_id
left join credited_on_end
    on credited_on_end.as_of_window = started.as_of_window
        and credited_on_end.journey_id = started.journey_id
