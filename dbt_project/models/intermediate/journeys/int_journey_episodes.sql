-- Treatment episodes assigned to the journey whose span holds their triage_date.
-- A discharge dated after the as-of window's last day is not seen yet: the episode is still
-- open as of that window.
{{ config(materialized='table') }}

with assigned as (
    {{ assign_to_journeys(ref('int_episodes__current'), 'triage_date') }}
)

select
    * replace (
        case when discharge_date <= {{ as_of_end() }} then discharge_date end as discharge_date,
        case when discharge_date <= {{ as_of_end() }} then discharge_reason end as discharge_reason
    )
from assigned
