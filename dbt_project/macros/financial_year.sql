{#- The financial year (1 April - 31 March) of a date, named by the year it starts in: caps are
    annual per contract and financial year (spec/payments.md). -#}
{% macro financial_year(date_expr) -%}
    (year({{ date_expr }}) - case when month({{ date_expr }}) < 4 then 1 else 0 end)
{%- endmacro %}

{#- The first and last day of the financial year that starts in `year_expr`. -#}
{% macro financial_year_start(year_expr) -%}
    make_date({{ year_expr }}, 4, 1)
{%- endmacro %}

{% macro financial_year_end(year_expr) -%}
    make_date({{ year_expr }} + 1, 3, 31)
{%- endmacro %}
