-- The cases the monitor counts (spec/monitoring.md, Indicators), as of each window of the run
-- (E its last day): one row per journey or episode in an indicator's denominator, with
-- in_numerator, the provider and pathway it is about and its band. What a commissioner lists
-- behind a number; int_monitor_counts adds them up. The rules they read have their homes
-- elsewhere: journeys, starts and bands (journeys), D3_COMPLETED and D4_SUSTAINED (outcomes),
-- what a discharge code means (seed discharge_reasons).

with journeys as (
    select
        as_of_window,
        journey_id,
        pbr_id,
        area,
        initial_assessment_date,
        band_at_assessment,
        pathway_at_assessment,
        referred_to
    from {{ ref('int_journeys') }}
),

episodes as (
    select
        as_of_window,
        journey_id,
        journey_area,
        pbr_id,
        submitter,
        episode_id,
        pathway,
        triage_date,
        discharge_date,
        discharge_reason
    from {{ ref('int_journey_episodes') }}
),

discharge_reasons as (
    select * from {{ ref('discharge_reasons') }}
),

-- START_RATE: journeys assessed in (E - 455, E - 90], about the provider and pathway the INITIAL
-- assessment referred them to, in its band; started within 90 days of it
start_rate as (
    select
        journeys.as_of_window,
        journeys.area,
        'START_RATE' as indicator,
        journeys.referred_to as provider,
        journeys.pathway_at_assessment as pathway,
        journeys.band_at_assessment as band,
        journeys.pbr_id,
        journeys.journey_id,
        starts.first_episode_id as episode_id,
        journeys.initial_assessment_date as event_date,
        coalesce(starts.start_date <= journeys.initial_assessment_date + 90, false) as in_numerator
    from journeys
    left join {{ ref('int_journey_starts') }} as starts
        on starts.as_of_window = journeys.as_of_window
            and starts.journey_id = journeys.journey_id
    where journeys.initial_assessment_date > {{ as_of_end('journeys.as_of_window') }} - 455
        and journeys.initial_assessment_date <= {{ as_of_end('journeys.as_of_window') }} - 90
),

-- SUCCESSFUL_COMPLETION and DECLINED_OR_DROPPED: episodes discharged in the lookback
-- (E - 365, E], transfers left out; the band on the discharge date
discharged as (
    select
        episodes.*,
        discharge_reasons.successful,
        discharge_reasons.declined_or_dropped
    from episodes
    inner join discharge_reasons
        on discharge_reasons.code = episodes.discharge_reason
    where not discharge_reasons.transfer
        and episodes.discharge_date > {{ as_of_end('episodes.as_of_window') }} - 365
        and episodes.discharge_date <= {{ as_of_end('episodes.as_of_window') }}
),

discharge_cases as (
    select
        as_of_window,
        journey_area as area,
        'SUCCESSFUL_COMPLETION' as indicator,
        submitter as provider,
        pathway,
        pbr_id,
        journey_id,
        episode_id,
        discharge_date as event_date,
        discharge_date as band_date,
        successful as in_numerator
    from discharged
    union all
    select
        as_of_window,
        journey_area as area,
        'DECLINED_OR_DROPPED' as indicator,
        submitter as provider,
        pathway,
        pbr_id,
        journey_id,
        episode_id,
        discharge_date as event_date,
        discharge_date as band_date,
        declined_or_dropped as in_numerator
    from discharged
),

-- NO_RECENT_REVIEW: episodes open on E and triaged on or before E - 180 (int_journey_episodes
-- has no discharge after E: such an episode is open); the band on E
recent_tops as (
    select distinct
        as_of_window,
        submitter,
        episode_id
    from {{ ref('int_top__current') }}
    where top_date > {{ as_of_end() }} - 180
        and top_date <= {{ as_of_end() }}
),

no_recent_review as (
    select
        episodes.as_of_window,
        episodes.journey_area as area,
        'NO_RECENT_REVIEW' as indicator,
        episodes.submitter as provider,
        episodes.pathway,
        episodes.pbr_id,
        episodes.journey_id,
        episodes.episode_id,
        episodes.triage_date as event_date,
        {{ as_of_end('episodes.as_of_window') }} as band_date,
        recent_tops.episode_id is null as in_numerator
    from episodes
    left join recent_tops
        on recent_tops.as_of_window = episodes.as_of_window
            and recent_tops.submitter = episodes.submitter
            and recent_tops.episode_id = episodes.episode_id
    where episodes.discharge_date is null
        and episodes.triage_date <= {{ as_of_end('episodes.as_of_window') }} - 180
),

-- REPRESENTED: journeys with D3_COMPLETED on d in (E - 730, E - 365], about its credited provider
-- and the pathway of the discharged episode, in the band on d. There d + 365 <= E, so
-- D4_SUSTAINED's window has elapsed and D4 is not attained exactly when the journey re-presented
-- in (d, d + 365]: its rule is read, not written again.
represented as (
    select
        completed.as_of_window,
        episodes.journey_area as area,
        'REPRESENTED' as indicator,
        completed.credited_provider as provider,
        episodes.pathway,
        episodes.pbr_id,
        completed.journey_id,
        completed.evidence as episode_id,
        completed.outcome_date as event_date,
        completed.outcome_date as band_date,
        sustained.outcome_date is null as in_numerator
    from {{ ref('int_outcomes__completed') }} as completed
    inner join {{ ref('int_outcomes__sustained') }} as sustained
        on sustained.as_of_window = completed.as_of_window
            and sustained.journey_id = completed.journey_id
    inner join episodes
        on episodes.as_of_window = completed.as_of_window
            and episodes.submitter = completed.credited_provider
            and episodes.episode_id = completed.evidence
    where completed.outcome_date > {{ as_of_end('completed.as_of_window') }} - 730
        and completed.outcome_date <= {{ as_of_end('completed.as_of_window') }} - 365
),

banded_on_a_date as (
    select * from discharge_cases
    union all
    select * from no_recent_review
    union all
    select * from represented
)

select
    as_of_window,
    area,
    indicator,
    provider,
    pathway,
    band,
    pbr_id,
    journey_id,
    episode_id,
    event_date,
    in_numerator
from start_rate
union all
select
    cases.as_of_window,
    cases.area,
    cases.indicator,
    cases.provider,
    cases.pathway,
    bands.tariff_band as band,
    cases.pbr_id,
    cases.journey_id,
    cases.episode_id,
    cases.event_date,
    cases.in_numerator
from banded_on_a_date as cases
-- the band in force on band_date: the latest band_from on or before it
asof left join {{ ref('int_journey_bands') }} as bands
    on bands.as_of_window = cases.as_of_window
        and bands.journey_id = cases.journey_id
        and cases.band_date >= bands.band_from
