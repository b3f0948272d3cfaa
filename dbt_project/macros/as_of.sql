{#- The window a run is evaluated as of, and its last day: events after it are not seen. -#}
{% macro as_of_window() -%}
    '{{ var("window") }}'
{%- endmacro %}

{% macro as_of_end() -%}
    last_day(cast('{{ var("window") }}-01' as date))
{%- endmacro %}

{% macro window_of(date_expr) -%}
    strftime({{ date_expr }}, '%Y-%m')
{%- endmacro %}
