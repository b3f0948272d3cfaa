-- Treatment journeys as of the latest run (spec/outputs.md marts.journeys): one row per
-- journey with its start, band at start, first provider and conversion date. Rebuilt whole by
-- every run; as_of_window says which window it describes.
{{ config(materialized='table') }}

with journeys as (
    select * from {{ ref('int_journeys') }}
),

starts as (
    select * from {{ ref('int_journey_starts') }}
),

conversions as (
    select journey_id, conversion_date from {{ ref('int_conversions') }}
)

select
    journeys.journey_id,
    journeys.pbr_id,
    journeys.area,
    journeys.journey_seq,
    journeys.initial_assessment_date,
    starts.start_date,
    starts.band_at_start,
    journeys.pathway_at_assessment,
    starts.first_provider,
    conversions.conversion_date as converted_on,
    {{ as_of_window() }} as as_of_window
from journeys
left join starts
    on starts.journey_id = journeys.journey_id
left join conversions
    on conversions.journey_id = journeys.journey_id
