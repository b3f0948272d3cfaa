{#- Use the configured schema names as they are (raw, quality, marts…), not prefixed with the
    target schema: the warehouse's schema names are part of the contract (spec/outputs.md). -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name if custom_schema_name else target.schema }}
{%- endmacro %}
