{#- "label old -> new" when the two differ, else null (concat_ws leaves nulls out): one part of
    a payment line's change_detail (marts.payment_lines). -#}
{% macro change_part(label, old, new) -%}
    case
        when {{ old }} is distinct from {{ new }}
            then '{{ label }} ' || coalesce(cast({{ old }} as varchar), 'none')
            || ' -> ' || coalesce(cast({{ new }} as varchar), 'none')
    end
{%- endmacro %}
