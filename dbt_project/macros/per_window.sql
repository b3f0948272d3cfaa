{#- Config for a table with one slice per window (grain starts with `column`): each run
    replaces the slices of the windows it computes and keeps the others'. The pre-hook clears
    those windows first, so a re-run that yields fewer rows (or none) leaves nothing stale
    behind. -#}
{% macro per_window_incremental(column) %}
    {{ config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=column,
        incremental_predicates=[column ~ " in " ~ run_windows()],
        on_schema_change='fail',
        pre_hook="{% if is_incremental() %}delete from {{ this }} where " ~ column ~ " in {{ run_windows() }}{% endif %}"
    ) }}
{% endmacro %}
