{#- The price rule (spec/payments.md), once for every priced line: the entitlement's lines
    (int_entitlement_prices) and the forecast's (marts.payment_forecast). For each row of
    `lines` (a relation or CTE with area, kind, outcome_code, band and provider), priced on the
    date in its column `priced_on`:
      - the area's schedule in force on that date: the latest effective_from on or before it
        (an ASOF join, which stays a fast range join at national scale);
      - the band's amounts in that schedule and the outcome's weight: an ATTACHMENT is the
        attachment fee, an OUTCOME the outcome tariff x the weight (an outcome the schedule
        gives no weight is worth nothing, like a weight of 0), a CONVERSION the conversion
        payment (without one it still counts, at 0);
      - the provider's contract whose [start, end] holds that date;
      - gross_amount: the price rounded half up to the penny, once, here.
    Returns a select of the lines' columns and schedule_from, schedule_band, contract_id,
    price_gbp (unrounded), gross_amount and issue (NO_CONTRACT, NO_SCHEDULE: the line cannot
    earn; null when it can). -#}
{% macro price_lines(lines, priced_on) %}
select
    *,
    cast(round(price_gbp, 2) as decimal(14, 2)) as gross_amount,
    case
        when contract_id is null then 'NO_CONTRACT'
        when schedule_from is null or schedule_band is null then 'NO_SCHEDULE'
    end as issue
from (
    select
        lines.*,
        schedules.effective_from as schedule_from,
        bands.band as schedule_band,
        contracts.contract_id,
        case lines.kind
            when 'ATTACHMENT' then bands.attachment_fee_gbp
            when 'OUTCOME' then bands.outcome_tariff_gbp * coalesce(weights.weight, 0)
            when 'CONVERSION' then coalesce(schedules.conversion_payment_gbp, 0)
        end as price_gbp
    from {{ lines }} as lines
    asof left join {{ ref('stg_config__schedules') }} as schedules
        on schedules.area = lines.area
            and lines.{{ priced_on }} >= schedules.effective_from
    left join {{ ref('stg_config__schedule_bands') }} as bands
        on bands.area = lines.area
            and bands.effective_from = schedules.effective_from
            and bands.band = lines.band
    left join {{ ref('stg_config__schedule_weights') }} as weights
        on weights.area = lines.area
            and weights.effective_from = schedules.effective_from
            and weights.outcome_code = lines.outcome_code
    left join {{ ref('stg_config__contracts') }} as contracts
        on contracts.provider = lines.provider
            and lines.{{ priced_on }} between contracts.start_date and contracts.end_date
) as priced
{% endmacro %}
