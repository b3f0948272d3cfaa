{#- numerator / denominator rounded half up to `places` decimals, exactly, as a decimal of that
    scale: in whole numbers (a DuckDB division of decimals is a double), for counts numerator
    >= 0 and denominator > 0; null when denominator is 0. -#}
{% macro ratio_half_up(numerator, denominator, places) -%}
    case when {{ denominator }} > 0 then
        cast(
            (2 * {{ numerator }} * {{ 10 ** places }} + {{ denominator }}) // (2 * {{ denominator }}) as decimal(18, 0)
        ) * {{ '0.' ~ '0' * (places - 1) ~ '1' }}
    end
{%- endmacro %}
