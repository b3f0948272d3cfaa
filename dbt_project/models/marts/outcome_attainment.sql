-- Outcome attainment per window (spec/outputs.md marts.outcome_attainment; grain
-- as_of_window x journey x outcome). Each window's run replaces that window's rows and keeps
-- the other windows' (the payments compare one window's entitlement with the previous one's).
-- The pre-hook clears the window first, so a re-run that yields fewer rows leaves none behind.
-- The incremental predicate (a literal on the window) lets DuckDB skip the other windows' row
-- groups in the delete; the generated "in (select ... from the new rows)" alone scans them all.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='as_of_window',
    incremental_predicates=["as_of_window = '" ~ var('window') ~ "'"],
    pre_hook="{% if is_incremental() %}delete from {{ this }} where as_of_window = {{ as_of_window() }}{% endif %}"
) }}

with attainment as (
    select * from {{ ref('int_outcome_attainment') }}
),

journeys as (
    select journey_id, pbr_id, area from {{ ref('int_journeys') }}
)

select
    cast({{ as_of_window() }} as varchar) as as_of_window,
    attainment.journey_id,
    journeys.pbr_id,
    journeys.area,
    attainment.outcome_code,
    attainment.eligible,
    attainment.attained,
    attainment.outcome_date,
    attainment.credited_provider,
    attainment.reason,
    attainment.evidence
from attainment
inner join journeys
    on journeys.journey_id = attainment.journey_id
