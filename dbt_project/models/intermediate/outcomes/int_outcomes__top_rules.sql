-- The rules read from TOPs (spec/outcomes.md; two_review_rule in seeds/outcome_codes.csv):
-- D1_REDUCED_USE, D2_ABSTINENT, H1_INJECTING_CEASED, H2_HOUSING_RESOLVED, H4_QOL_NORMATIVE. One
-- row per journey with a Start TOP x outcome: whether the Start TOP puts it in the eligible
-- group and, when attained, the outcome date, the credited provider and the evidence (TOP ids).
-- Attainment is the two-review rule (int_two_review_rule); H2 may also be met at a single exit
-- TOP (stage E) after the Start TOP, whichever is earlier.

with start_tops as (
    select * from {{ ref('int_journey_start_tops') }}
),

presenting_substances as (
    select * from {{ ref('int_journey_substances') }}
),

start_substance_use as (
    -- D1: at least one presenting substance used (days > 0) at the start; null is not use
    select
        start_tops.as_of_window,
        start_tops.journey_id,
        coalesce(
            {{ top_substance_days('presenting_substances.primary_substance', 'start_tops') }} > 0
            or {{ top_substance_days('presenting_substances.secondary_substance', 'start_tops') }} > 0,
            false
        ) as uses_presenting_substance
    from start_tops
    inner join presenting_substances
        on presenting_substances.as_of_window = start_tops.as_of_window
            and presenting_substances.journey_id = start_tops.journey_id
),

eligibility as (
    select
        start_tops.as_of_window,
        start_tops.journey_id,
        coalesce(start_substance_use.uses_presenting_substance, false) as d1_eligible,
        coalesce(start_tops.injecting_days > 0, false) as h1_eligible,
        coalesce(start_tops.acute_housing_problem = 'Y' or start_tops.risk_of_eviction = 'Y', false) as h2_eligible
    from start_tops
    left join start_substance_use
        on start_substance_use.as_of_window = start_tops.as_of_window
            and start_substance_use.journey_id = start_tops.journey_id
),

top_outcomes as (
    -- the rules read from TOPs: those of the two-review rule (seeds/outcome_codes.csv)
    select outcome_code from {{ ref('outcome_codes') }}
    where two_review_rule
),

eligible_groups as (
    -- each rule's eligible group; D2 and H4 take every journey with a Start TOP
    select
        eligibility.as_of_window,
        eligibility.journey_id,
        top_outcomes.outcome_code,
        case top_outcomes.outcome_code
            when 'D1_REDUCED_USE' then eligibility.d1_eligible
            when 'D2_ABSTINENT' then true
            when 'H1_INJECTING_CEASED' then eligibility.h1_eligible
            when 'H2_HOUSING_RESOLVED' then eligibility.h2_eligible
            when 'H4_QOL_NORMATIVE' then true
        end as in_eligible_group
    from eligibility
    cross join top_outcomes
),

two_review as (
    select
        as_of_window,
        journey_id,
        outcome_code,
        outcome_date,
        credited_provider,
        r2_top_id as top_id,
        r1_top_id || ',' || r2_top_id as evidence
    from {{ ref('int_two_review_rule') }}
),

first_exits as (
    -- H2 can also be met at a single exit TOP: the earliest (then lowest submitter, top_id)
    select
        as_of_window,
        journey_id,
        'H2_HOUSING_RESOLVED' as outcome_code,
        top_date as outcome_date,
        submitter as credited_provider,
        top_id,
        top_id as evidence
    from {{ ref('int_top_conditions') }}
    where stage = 'E' and meets_h2_housing_resolved
    qualify row_number() over (partition by as_of_window, journey_id order by top_date, submitter, top_id) = 1
),

first_housing_resolved as (
    -- attained at most once: the earlier of the two-review date and the exit TOP's date; on
    -- the same day the lowest submitter code, then top_id, is credited
    select *
    from (
        select * from two_review
        where outcome_code = 'H2_HOUSING_RESOLVED'
        union all
        select * from first_exits
    ) as housing
    qualify row_number() over (
            partition by as_of_window, journey_id
            order by outcome_date, credited_provider, top_id
        ) = 1
),

first_attainment as (
    select * from two_review
    where outcome_code <> 'H2_HOUSING_RESOLVED'
    union all
    select * from first_housing_resolved
)

-- outside the eligible group nothing is attained (guarded in the select, not in the join
-- condition: a non-key condition in a left join's ON makes DuckDB use a nested-loop join)
select
    eligible_groups.as_of_window,
    eligible_groups.journey_id,
    eligible_groups.outcome_code,
    eligible_groups.in_eligible_group,
    -- no waiting period for these rules
    cast(null as boolean) as window_elapsed,
    case when eligible_groups.in_eligible_group then first_attainment.outcome_date end as outcome_date,
    case when eligible_groups.in_eligible_group then first_attainment.credited_provider end as credited_provider,
    case when eligible_groups.in_eligible_group then first_attainment.evidence end as evidence
from eligible_groups
left join first_attainment
    on first_attainment.as_of_window = eligible_groups.as_of_window
        and first_attainment.journey_id = eligible_groups.journey_id
        and first_attainment.outcome_code = eligible_groups.outcome_code
