-- The offences O1_OFFENDING counts (spec/outcomes.md), for every started journey with t = its
-- start: those of the pbr_id dated in [t - 365, t) (before_start) or (t, t + 365], seen as of
-- the window (dated on or before its last day); an offence on t itself counts in neither.
-- int_outcomes__offending counts them; marts.payment_line_evidence lists them as an O1 line's
-- evidence.

with started as (
    select
        as_of_window,
        journey_id,
        pbr_id,
        start_date
    from {{ ref('int_journey_starts') }}
),

offences as (
    select
        as_of_window,
        pbr_id,
        offence_id,
        submitter,
        offence_date
    from {{ ref('int_offences__current') }}
    where offence_date <= {{ as_of_end() }}
)

select
    started.as_of_window,
    started.journey_id,
    offences.offence_id,
    offences.submitter,
    offences.offence_date,
    offences.offence_date < started.start_date as before_start
from started
inner join offences
    on offences.as_of_window = started.as_of_window
        and offences.pbr_id = started.pbr_id
        and offences.offence_date between started.start_date - 365 and started.start_date + 365
where offences.offence_date <> started.start_date
