-- Which TOP rule conditions each TOP after the journey's Start TOP meets (spec/outcomes.md),
-- one row per review (stage R) or exit (stage E) TOP meeting at least one, a flag per outcome:
--   D1_REDUCED_USE: for every presenting substance, days = 0 or days <= start days - the area's
--     reliable change (config);
--   D2_ABSTINENT: days = 0 for every presenting substance;
--   H1_INJECTING_CEASED: injecting_days = 0;
--   H2_HOUSING_RESOLVED: acute_housing_problem and risk_of_eviction both N;
--   H4_QOL_NORMATIVE: quality_of_life >= the area's norm (config).
-- A null in any column a condition reads (the Start TOP's baseline and the thresholds
-- included) makes it false. Review TOPs feed the two-review rule (int_two_review_rule); exit
-- TOPs also count for H2. Flags side by side rather than one row per outcome. A view: the
-- two-review rule reads it whole, once; the H2 exit lookup reads only exit TOPs.

with start_tops as (
    select * from {{ ref('int_journey_start_tops') }}
),

later_tops as (
    -- reviews and exits dated after the Start TOP
    select tops.*
    from {{ ref('int_journey_tops') }} as tops
    inner join start_tops
        on
            start_tops.as_of_window = tops.as_of_window
            and start_tops.journey_id = tops.journey_id
            and tops.top_date > start_tops.top_date
    where tops.stage in ('R', 'E')
),

substances as (
    select * from {{ ref('int_journey_substances') }}
),

qol_norms as (
    select
        area,
        qol_norm
    from {{ ref('stg_config__areas') }}
),

measured as (
    -- the presenting substances' days of use at this TOP and at the Start TOP
    select
        later_tops.as_of_window,
        later_tops.journey_id,
        later_tops.top_id,
        later_tops.submitter,
        later_tops.top_date,
        later_tops.stage,
        {{ top_substance_days('substances.primary_substance', 'later_tops') }} as primary_days,
        {{ top_substance_days('substances.primary_substance', 'start_tops') }} as primary_start_days,
        substances.primary_reliable_change_days,
        substances.secondary_substance,
        {{ top_substance_days('substances.secondary_substance', 'later_tops') }} as secondary_days,
        {{ top_substance_days('substances.secondary_substance', 'start_tops') }} as secondary_start_days,
        substances.secondary_reliable_change_days,
        later_tops.injecting_days,
        later_tops.acute_housing_problem,
        later_tops.risk_of_eviction,
        later_tops.quality_of_life,
        qol_norms.qol_norm
    from later_tops
    inner join start_tops
        on
            start_tops.as_of_window = later_tops.as_of_window
            and start_tops.journey_id = later_tops.journey_id
    inner join substances
        on
            substances.as_of_window = later_tops.as_of_window
            and substances.journey_id = later_tops.journey_id
    left join qol_norms
        on qol_norms.area = later_tops.journey_area
),

conditions as (
    select
        as_of_window,
        journey_id,
        top_id,
        submitter,
        top_date,
        stage,
        coalesce(
            {{ reduced_use('primary_days', 'primary_start_days', 'primary_reliable_change_days') }}
            and (
                secondary_substance is null
                or {{ reduced_use('secondary_days', 'secondary_start_days', 'secondary_reliable_change_days') }}
            ),
            false
        ) as meets_d1_reduced_use,
        coalesce(
            primary_days = 0 and (secondary_substance is null or secondary_days = 0),
            false
        ) as meets_d2_abstinent,
        coalesce(injecting_days = 0, false) as meets_h1_injecting_ceased,
        coalesce(acute_housing_problem = 'N' and risk_of_eviction = 'N', false) as meets_h2_housing_resolved,
        coalesce(quality_of_life >= qol_norm, false) as meets_h4_qol_normative
    from measured
)

select *
from conditions
where
    meets_d1_reduced_use
    or meets_d2_abstinent
    or meets_h1_injecting_ceased
    or meets_h2_housing_resolved
    or meets_h4_qol_normative
