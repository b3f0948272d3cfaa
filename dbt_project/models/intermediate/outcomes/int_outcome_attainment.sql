-- Every journey x each of the ten outcome codes, as of the run's window (spec/outcomes.md,
-- spec/outputs.md marts.outcome_attainment): eligible, attained, outcome date, credited
-- provider, evidence, and for what is not attained the first reason that applies, in the spec's
-- order: NOT_STARTED, NO_START_TOP, NOT_ELIGIBLE, WINDOW_NOT_ELAPSED, NOT_MET.
-- The rules themselves live in the int_outcomes__* models; this one only assembles them.
-- pbr_id and area are left to marts.outcome_attainment (from int_journeys): this table has
-- ten rows per journey and is written on every run.
-- A table: the marts and the payment models read it, and its tests would otherwise rebuild
-- every rule.
{{ config(materialized='table') }}

with outcome_codes as (
    -- the national rule set (seeds/outcome_codes.csv); reads_start_top: the rule's eligible
    -- group is read from the Start TOP, so a started journey without one is NO_START_TOP
    select
        outcome_code,
        reads_start_top
    from {{ ref('outcome_codes') }}
),

journeys as (
    select
        journeys.as_of_window,
        journeys.journey_id,
        starts.journey_id is not null as is_started,
        start_tops.journey_id is not null as has_start_top
    from {{ ref('int_journeys') }} as journeys
    left join {{ ref('int_journey_starts') }} as starts
        on starts.as_of_window = journeys.as_of_window
            and starts.journey_id = journeys.journey_id
    left join {{ ref('int_journey_start_tops') }} as start_tops
        on start_tops.as_of_window = journeys.as_of_window
            and start_tops.journey_id = journeys.journey_id
),

rule_results as (
    select * from {{ ref('int_outcomes__top_rules') }}
    union all by name
    select * from {{ ref('int_outcomes__hepb') }}
    union all by name
    select * from {{ ref('int_outcomes__completed') }}
    union all by name
    select * from {{ ref('int_outcomes__sustained') }}
    union all by name
    select * from {{ ref('int_outcomes__offending') }}
    union all by name
    select * from {{ ref('int_outcomes__employment') }}
),

evaluated as (
    select
        journeys.as_of_window,
        journeys.journey_id,
        outcome_codes.outcome_code,
        journeys.is_started,
        outcome_codes.reads_start_top and not journeys.has_start_top as lacks_start_top,
        coalesce(rule_results.in_eligible_group, false) as in_eligible_group,
        -- rules without a waiting period have no window to wait for
        coalesce(rule_results.window_elapsed, true) as window_elapsed,
        rule_results.outcome_date,
        rule_results.credited_provider,
        rule_results.evidence
    from journeys
    cross join outcome_codes
    left join rule_results
        on rule_results.as_of_window = journeys.as_of_window
            and rule_results.journey_id = journeys.journey_id
            and rule_results.outcome_code = outcome_codes.outcome_code
),

decided as (
    select
        *,
        is_started and not lacks_start_top and in_eligible_group as eligible
    from evaluated
)

select
    as_of_window,
    journey_id,
    outcome_code,
    eligible,
    eligible and outcome_date is not null as attained,
    case when eligible then outcome_date end as outcome_date,
    case when eligible and outcome_date is not null then credited_provider end as credited_provider,
    case
        when eligible and outcome_date is not null then null
        when not is_started then 'NOT_STARTED'
        when lacks_start_top then 'NO_START_TOP'
        when not in_eligible_group then 'NOT_ELIGIBLE'
        when not window_elapsed then 'WINDOW_NOT_ELAPSED'
        else 'NOT_MET'
    end as reason,
    case when eligible and outcome_date is not null then evidence end as evidence
from decided
