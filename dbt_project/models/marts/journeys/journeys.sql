-- Treatment journeys as of the latest window run (spec/outputs.md marts.journeys): one row
-- per journey with its start, band at start, first provider and conversion date. Rebuilt
-- whole by every run, as of the last window it computes; as_of_window says which window it
-- describes.
{{ config(materialized='table') }}

with latest_window as (
    select max(as_of_window) as as_of_window from {{ ref('stg_run__windows') }}
),

journeys as (
    select journeys.*
    from {{ ref('int_journeys') }} as journeys
    inner join latest_window
        on latest_window.as_of_window = journeys.as_of_window
),

starts as (
    select * from {{ ref('int_journey_starts') }}
),

conversions as (
    select
        as_of_window,
        journey_id,
        conversion_date
    from {{ ref('int_conversions') }}
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
    journeys.as_of_window
from journeys
left join starts
    on starts.as_of_window = journeys.as_of_window
        and starts.journey_id = journeys.journey_id
left join conversions
    on conversions.as_of_window = journeys.as_of_window
        and conversions.journey_id = journeys.journey_id
