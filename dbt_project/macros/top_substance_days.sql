{#- The TOP column that holds the days of use of a substance code (spec/returns.md,
    assessments.csv: OPIATES -> opiates_days, ...). A code outside the list gives null, which
    makes any condition reading it false. -#}
{% macro top_substance_days(substance, top) %}
    case {{ substance }}
        when 'OPIATES' then {{ top }}.opiates_days
        when 'CRACK' then {{ top }}.crack_days
        when 'COCAINE' then {{ top }}.cocaine_days
        when 'AMPHETAMINES' then {{ top }}.amphetamines_days
        when 'CANNABIS' then {{ top }}.cannabis_days
        when 'ALCOHOL' then {{ top }}.alcohol_days
        when 'OTHER' then {{ top }}.other_days
    end
{% endmacro %}
