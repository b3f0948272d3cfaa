{#- Grain test: no two rows share the same values in the given columns (what dbt_utils'
    test of the same name does; packages cannot be installed here). -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
{%- set columns = combination_of_columns | join(', ') %}
select {{ columns }}, count(*) as duplicates
from {{ model }}
group by {{ columns }}
having count(*) > 1
{% endtest %}
