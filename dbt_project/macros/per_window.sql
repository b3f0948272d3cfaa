{#- Config for a table with one slice per window (grain starts with `column`): each run
    replaces its own window's rows and keeps the others'. The pre-hook clears the window
    first, so a re-run that yields fewer rows (or none) leaves nothing stale behind. The
    incremental predicate (a literal on the window) lets DuckDB skip the other windows' row
    groups in the delete; the generated "in (select ... from the new rows)" alone scans them all. -#}
{% macro per_window_incremental(column) %}
    {{ config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=column,
        incremental_predicates=[column ~ " = '" ~ var('window') ~ "'"],
        on_schema_change='fail',
        pre_hook="{% if is_incremental() %}delete from {{ this }} where " ~ column ~ " = {{ as_of_window() }}{% endif %}"
    ) }}
{% endmacro %}
