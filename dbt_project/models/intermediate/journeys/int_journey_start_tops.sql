-- The journey's Start TOP (spec/outcomes.md): its earliest TOP with stage S, ties to the lowest
-- top_id (then submitter, for determinism). Baselines for the TOP rules are read from it.
{{ config(materialized='table') }}

select *
from {{ ref('int_journey_tops') }}
where stage = 'S'
qualify row_number() over (
        partition by as_of_window, journey_id
        order by top_date, top_id, submitter
    ) = 1
