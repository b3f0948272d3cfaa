{#- Windows are data, not a dbt var: the run writes the windows it computes to
    control.run_windows (pbr_pipeline.warehouse), and every window-dependent model carries an
    as_of_window column and computes all of them at once, set-based. -#}

{#- The first day of a window (`YYYY-MM` text). -#}
{% macro window_start(window_column='as_of_window') -%}
    cast({{ window_column }} || '-01' as date)
{%- endmacro %}

{#- The last day of a window: events after it are not seen as of that window. -#}
{% macro as_of_end(window_column='as_of_window') -%}
    last_day({{ window_start(window_column) }})
{%- endmacro %}

{#- The windows of this run, as a subquery, for incremental hooks and predicates. By name, not
    source(): a config is rendered where the model's sources need not be known (unit tests),
    and the tests' `where` filters, which cannot call a macro, name it the same way. -#}
{% macro run_windows() -%}
    (select as_of_window from control.run_windows)
{%- endmacro %}

{% macro window_of(date_expr) -%}
    strftime({{ date_expr }}, '%Y-%m')
{%- endmacro %}

{#- The latest window of this run: the one marts.journeys describes. -#}
{% macro latest_run_window() -%}
    (select max(as_of_window) from control.run_windows)
{%- endmacro %}

{#- Each window of the run (as payment_window) with the latest window before it that
    `history` (a relation with as_of_window) holds: null before the first window. Windows run
    in order and `history` already holds this run's windows, so that is the window P - 1. -#}
{% macro run_windows_with_previous(history) -%}
    select
        run_windows.as_of_window as payment_window,
        (select max(earlier.as_of_window) from {{ history }} as earlier where earlier.as_of_window < run_windows.as_of_window)
            as previous_window
    from {{ ref('stg_run__windows') }} as run_windows
{%- endmacro %}

{#- The rows of `history` (a relation with as_of_window) for each window of the run, as of
    that window (`which`='payment_window') or as of the window run before it
    (`which`='previous_window'), tagged with the run's window. Reads the CTE `run_windows`
    that run_windows_with_previous made. -#}
{% macro history_as_of_run(history, which) -%}
    select run_windows.payment_window, {{ history }}.*
    from {{ history }}
    inner join run_windows
        on run_windows.{{ which }} = {{ history }}.as_of_window
{%- endmacro %}
