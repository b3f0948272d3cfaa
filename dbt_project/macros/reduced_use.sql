{#- D1_REDUCED_USE for one presenting substance (spec/outcomes.md): days of use now = 0, or at
    most the Start TOP's days minus the reliable change. A null in any of the three makes it
    false (never null), so that "for every substance" can be a plain AND. -#}
{% macro reduced_use(days, start_days, reliable_change_days) %}
    ({{ days }} is not null and {{ start_days }} is not null and {{ reliable_change_days }} is not null
     and ({{ days }} = 0 or {{ days }} <= {{ start_days }} - {{ reliable_change_days }}))
{% endmacro %}
