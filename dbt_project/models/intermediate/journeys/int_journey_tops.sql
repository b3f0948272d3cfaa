-- Treatment Outcomes Profiles assigned to the journey whose span holds their top_date. The TOP's
-- episode_id plays no part (a TOP of an unknown episode still counts, spec/returns.md).
-- Only what the outcome rules read is kept, the Start (S), review (R) and exit (E) TOPs and
-- their measures: at national scale this table holds millions of rows and is written on every
-- run (lineage and the other columns stay in int_top__current / raw.top).
{{ config(materialized='table') }}

with tops as (
    select
        as_of_window,
        pbr_id,
        submitter,
        top_id,
        top_date,
        stage,
        alcohol_days,
        opiates_days,
        crack_days,
        cocaine_days,
        amphetamines_days,
        cannabis_days,
        other_days,
        injecting_days,
        quality_of_life,
        acute_housing_problem,
        risk_of_eviction
    from {{ ref('int_top__current') }}
    where stage in ('S', 'R', 'E')
),

assigned as (
    {{ assign_to_journeys('tops', 'top_date') }}
)

-- the journey identifies the person from here on
select * exclude (pbr_id) from assigned
