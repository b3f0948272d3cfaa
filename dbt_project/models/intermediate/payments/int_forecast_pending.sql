-- The outcomes pending as of each window (spec/monitoring.md, "Forecast"): evidence in place as
-- of the window but the outcome date still to come. The rules decide what is pending, each in
-- its own model (D4_SUSTAINED, O1_OFFENDING, E1_EMPLOYMENT: expected_date and
-- expected_provider); this model only gathers them into forecast lines, with the journey's
-- tariff band on the window's last day E.

with pending as (
    {% for rule in ['int_outcomes__sustained', 'int_outcomes__offending', 'int_outcomes__employment'] %}
        select
            as_of_window,
            journey_id,
            outcome_code,
            expected_date,
            expected_provider
        from {{ ref(rule) }}
        where expected_date is not null
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select
    pending.as_of_window,
    pending.journey_id || '|OUTCOME|' || pending.outcome_code as line_key,
    pending.journey_id,
    journeys.pbr_id,
    journeys.area,
    'OUTCOME' as kind,
    pending.outcome_code,
    pending.expected_provider as provider,
    bands.tariff_band as band,
    pending.expected_date
from pending
inner join {{ ref('int_journeys') }} as journeys
    on journeys.as_of_window = pending.as_of_window
        and journeys.journey_id = pending.journey_id
-- the band in force on E: the latest band_from on or before it
asof left join {{ ref('int_journey_bands') }} as bands
    on bands.as_of_window = pending.as_of_window
        and bands.journey_id = pending.journey_id
        and {{ as_of_end('pending.as_of_window') }} >= bands.band_from
