-- spec/outputs.md: every journey has one row for each of the ten outcome codes in every
-- window it is evaluated. With the grain test (one row per journey and code), the accepted
-- outcome codes (ten) and the relationship to marts.journeys, ten rows for each journey is
-- the same as: the latest window of the run (the one marts.journeys describes) has exactly
-- ten times as many rows as there are journeys. A count rather than a group by: at national
-- scale the window holds millions of rows.
-- The meta attaches the test to outcome_attainment, so Dagster shows it as that asset's check.
{{ config(meta={'dagster': {'ref': {'name': 'outcome_attainment'}}}) }}
with counts as (
    select
        (
            select count(*) from {{ ref('outcome_attainment') }}
            where as_of_window = {{ latest_run_window() }}
        ) as attainment_rows,
        (select count(*) from {{ ref('journeys') }}) as journeys
)

select *
from counts
where attainment_rows <> 10 * journeys
