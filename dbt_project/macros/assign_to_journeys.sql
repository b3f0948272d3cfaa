{#- The records of one table that belong to a journey (spec/outcomes.md, "Journeys"), per
    as-of window: the journey of the same pbr_id whose span [initial_assessment_date, span_end)
    holds the record's date. Only records dated on or before the window's last day count.
    Records dated before the pbr_id's first INITIAL match no span and are left out here; they
    are reported as NO_JOURNEY by int_record_issues__records. -#}
{% macro assign_to_journeys(records, date_column) %}
select
    journeys.journey_id,
    journeys.area as journey_area,
    records.*
from {{ records }} as records
inner join {{ ref('int_journeys') }} as journeys
    on journeys.as_of_window = records.as_of_window
   and journeys.pbr_id = records.pbr_id
   and records.{{ date_column }} >= journeys.initial_assessment_date
   -- coalesce rather than "is null or": an OR in a join condition makes DuckDB fall back to
   -- a nested-loop join
   and records.{{ date_column }} < coalesce(journeys.span_end, date '9999-12-31')
where records.{{ date_column }} <= {{ as_of_end('records.as_of_window') }}
{% endmacro %}
