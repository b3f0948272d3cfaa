-- The two-review rule (spec/outcomes.md), once for every TOP rule: it holds when two review
-- TOPs r1, r2 of the journey, on different dates, both meet the outcome's condition and
-- r2.top_date - r1.top_date <= 365 days. One row per journey x outcome where it holds: the
-- smallest r2 date (the outcome date), the r2 TOP credited (lowest submitter, then top_id,
-- among the qualifying reviews of that date) and, as evidence, the latest r1 before it.
-- The per-outcome conditions come from int_top_conditions (one flag per outcome), the outcomes
-- it applies to from the outcome_codes seed (two_review_rule): adding a TOP rule means a row
-- there, a flag in int_top_conditions and a branch in the case below, not another copy of the rule.
{{ config(materialized='table') }}

with outcome_flags as (
    select outcome_code from {{ ref('outcome_codes') }}
    where two_review_rule
),

qualifying_reviews as (
    -- one row per review x outcome whose condition it meets
    select
        conditions.as_of_window,
        conditions.journey_id,
        outcome_flags.outcome_code,
        conditions.top_id,
        conditions.top_date,
        conditions.submitter
    from {{ ref('int_top_conditions') }} as conditions
    inner join outcome_flags
        on case outcome_flags.outcome_code
                when 'D1_REDUCED_USE' then conditions.meets_d1_reduced_use
                when 'D2_ABSTINENT' then conditions.meets_d2_abstinent
                when 'H1_INJECTING_CEASED' then conditions.meets_h1_injecting_ceased
                when 'H2_HOUSING_RESOLVED' then conditions.meets_h2_housing_resolved
                when 'H4_QOL_NORMATIVE' then conditions.meets_h4_qol_normative
            end
    where conditions.stage = 'R'
),

second_reviews as (
    -- the self-join, bounded: a qualifying review is a possible r2 when the same journey has a
    -- review meeting the same outcome's condition strictly earlier and at most 365 days before
    -- (a semi-join: whether such an r1 exists, without multiplying the rows)
    select r2.*
    from qualifying_reviews as r2
    semi join qualifying_reviews as r1
        on r1.as_of_window = r2.as_of_window
            and r1.journey_id = r2.journey_id
            and r1.outcome_code = r2.outcome_code
            and r1.top_date < r2.top_date
            and r1.top_date >= r2.top_date - 365
),

first_second_reviews as (
    -- the smallest r2 date; on that date the lowest submitter, then top_id, is credited
    select *
    from second_reviews
    qualify row_number() over (
            partition by as_of_window, journey_id, outcome_code
            order by top_date, submitter, top_id
        ) = 1
),

evidence_first_reviews as (
    -- for the evidence, the latest r1 that pairs with the chosen r2
    select
        r2.as_of_window,
        r2.journey_id,
        r2.outcome_code,
        r1.top_id as r1_top_id
    from first_second_reviews as r2
    inner join qualifying_reviews as r1
        on r1.as_of_window = r2.as_of_window
            and r1.journey_id = r2.journey_id
            and r1.outcome_code = r2.outcome_code
            and r1.top_date < r2.top_date
            and r1.top_date >= r2.top_date - 365
    qualify row_number() over (
            partition by r2.as_of_window, r2.journey_id, r2.outcome_code
            order by r1.top_date desc, r1.submitter asc, r1.top_id asc
        ) = 1
)

select
    first_second_reviews.as_of_window,
    first_second_reviews.journey_id,
    first_second_reviews.outcome_code,
    first_second_reviews.top_date as outcome_date,
    first_second_reviews.submitter as credited_provider,
    evidence_first_reviews.r1_top_id,
    first_second_reviews.top_id as r2_top_id
from first_second_reviews
inner join evidence_first_reviews
    on evidence_first_reviews.as_of_window = first_second_reviews.as_of_window
        and evidence_first_reviews.journey_id = first_second_reviews.journey_id
        and evidence_first_reviews.outcome_code = first_second_reviews.outcome_code
