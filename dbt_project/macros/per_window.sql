{#- Config for a table with one slice per window (grain starts with `column`): the
    per_window materialisation replaces the slices of the run's windows and keeps the others'. -#}
{% macro per_window_incremental(column) %}
    {{ config(materialized='per_window', window_column=column) }}
{% endmacro %}
