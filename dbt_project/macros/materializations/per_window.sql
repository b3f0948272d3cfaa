{#- A table with one slice per window (its grain starts with `window_column`): a run replaces
    the slices of the windows it computes and keeps the others'. The slices are deleted
    first (so a re-run that yields fewer rows, or none, leaves nothing stale behind), then the
    model's rows inserted straight into the table, in one transaction. dbt's incremental
    materialisation would write every row twice (a temporary table, then the table): at
    national scale these tables take millions of rows a window. The windows are read from
    control.run_windows at run time and written into the delete as literals, so that DuckDB
    skips the row groups of the other windows. -#}
{% materialization per_window, adapter='duckdb' %}
{%- set column = config.require('window_column') -%}
{%- set target_relation = this.incorporate(type='table') -%}
{%- set existing_relation = load_cached_relation(this) -%}

{{ run_hooks(pre_hooks, inside_transaction=False) }}
{{ run_hooks(pre_hooks, inside_transaction=True) }}

{% if existing_relation is not none and should_full_refresh() %}
        {% do adapter.drop_relation(existing_relation) %}
        {% set existing_relation = none %}
    {% endif %}
{% if existing_relation is none %}
        {% call statement('main') -%}
            {{ create_table_as(False, target_relation, sql) }}
        {%- endcall %}
    {% else %}
{#- The model's columns must be the table's (dbt's incremental on_schema_change='fail'). -#}
{%- set model_columns = get_columns_in_query(sql) | map('lower') | sort | list -%}
{%- set table_columns = adapter.get_columns_in_relation(target_relation)
            | map(attribute='name') | map('lower') | sort | list -%}
{% if model_columns != table_columns %}
            {{ exceptions.raise_compiler_error(
                "the columns of " ~ this ~ " changed (" ~ (table_columns | join(", ")) ~ " -> " ~ (model_columns | join(", "))
                ~ "): rebuild it whole with --full-refresh") }}
        {% endif %}
        {#- An enforced contract (the marts of spec/outputs.md) is checked on every run: dbt checks
            it only where it creates the table. -#}
{% if config.get('contract').enforced %}
            {{ get_assert_columns_equivalent(sql) }}
        {% endif %}
{%- set windows = run_query('select as_of_window from control.run_windows order by 1').columns[0].values() -%}
{% call statement('delete_run_windows') -%}
delete from {{ target_relation }}
            where {{ column }} in ({% for window in windows %}'{{ window }}'{{ ", " if not loop.last }}{% endfor %})
        {%- endcall %}
        {% call statement('main') -%}
            insert into {{ target_relation }} by name
            {{ sql }}
        {%- endcall %}
    {% endif %}

{% do persist_docs(target_relation, model) %}
{{ run_hooks(post_hooks, inside_transaction=True) }}
{% do adapter.commit() %}
{{ run_hooks(post_hooks, inside_transaction=False) }}

{{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
