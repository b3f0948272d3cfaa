-- The journey's tariff band over time (spec/outcomes.md: the band on a date is the tariff_band
-- of the journey's latest assessment, INITIAL or REVIEW, dated on or before it). One row per
-- assessment date with the half-open validity [band_from, band_until); band_until is null for
-- the band in force now. Look a date up with band_from <= d and d < coalesce(band_until, date
-- '9999-12-31') (in a join, an "is null or" condition makes DuckDB use a nested-loop join).
-- A table: the journey starts and the payment models look bands up in it.
{{ config(materialized='table') }}

with assessments as (
    select
        as_of_window,
        journey_id,
        assessment_id,
        assessment_type,
        assessment_date,
        tariff_band
    from {{ ref('int_journey_assessments') }}
),

one_per_day as (
    -- two assessments on the same day: the spec does not say which is later; the stricter
    -- reading keeps the lower band (it pays less)
    select *
    from assessments
    qualify row_number() over (
            partition by as_of_window, journey_id, assessment_date
            order by tariff_band, assessment_id
        ) = 1
)

select
    as_of_window,
    journey_id,
    assessment_id,
    assessment_type,
    tariff_band,
    assessment_date as band_from,
    lead(assessment_date) over (partition by as_of_window, journey_id order by assessment_date) as band_until
from one_per_day
