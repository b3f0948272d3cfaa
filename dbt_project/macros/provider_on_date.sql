{#- The provider credited with a journey-level outcome (O1_OFFENDING, E1_EMPLOYMENT;
    spec/outcomes.md, "Which provider earns it"), for each row of `dated` (a relation or CTE
    with as_of_window, journey_id and outcome_date):
      - the provider with an episode of the journey open on the outcome date (open: triage_date
        <= day and (discharge_date null or > day)), latest triage_date, then lowest submitter;
      - else the provider of the journey's episode with the latest discharge_date on or before
        the outcome date, then lowest submitter.
    Episode id breaks any remaining tie so that the answer is deterministic.
    Returns a select of as_of_window, journey_id, outcome_date, credited_provider. -#}
{% macro provider_on_date(dated) %}
select as_of_window, journey_id, outcome_date, credited_provider
from (
    select
        dated.as_of_window,
        dated.journey_id,
        dated.outcome_date,
        episodes.submitter as credited_provider,
        row_number() over (
            partition by dated.as_of_window, dated.journey_id, dated.outcome_date
            order by
                -- an open episode beats a discharged one
                (episodes.discharge_date is null or episodes.discharge_date > dated.outcome_date) desc,
                -- among open episodes: latest triage; among discharged ones: latest discharge
                case when episodes.discharge_date is null or episodes.discharge_date > dated.outcome_date
                     then episodes.triage_date end desc nulls last,
                case when episodes.discharge_date <= dated.outcome_date
                     then episodes.discharge_date end desc nulls last,
                episodes.submitter,
                episodes.episode_id
        ) as preference
    from {{ dated }} as dated
    inner join {{ ref('int_journey_episodes') }} as episodes
        on episodes.as_of_window = dated.as_of_window
       and episodes.journey_id = dated.journey_id
       -- started on or before the day: either open on it or discharged on or before it
       and episodes.triage_date <= dated.outcome_date
) as candidates
where preference = 1
{% endmacro %}
