-- The entitlement as of each window (spec/outputs.md marts.entitlements; grain as_of_window x
-- line_key): the priced lines with a contract and a schedule, and their payable amount after
-- the contract's annual cap. Within a contract and financial year (1 April - 31 March) lines
-- are taken by earned date, then line key; each is paid min(gross, cap - paid so far), never
-- below zero. Since paid so far = min(cap, gross before), that is
-- greatest(0, least(gross, cap - gross before)).
{{ per_window_incremental('as_of_window') }}

with payable_lines as (
    select
        prices.*,
        contracts.annual_cap_gbp,
        {{ financial_year('prices.earned_date') }} as financial_year
    from {{ ref('int_entitlement_prices') }} as prices
    inner join {{ ref('stg_config__contracts') }} as contracts
        on contracts.contract_id = prices.contract_id
    where prices.issue is null
),

running as (
    select
        *,
        coalesce(sum(gross_amount) over (
            partition by as_of_window, contract_id, financial_year
            order by earned_date, line_key
            rows between unbounded preceding and 1 preceding
        ), 0) as gross_before
    from payable_lines
)

select
    cast(as_of_window as varchar) as as_of_window,
    line_key,
    journey_id,
    pbr_id,
    area,
    kind,
    outcome_code,
    provider,
    contract_id,
    band,
    earned_date,
    earned_window,
    gross_amount,
    cast(
        case
            when annual_cap_gbp is null then gross_amount
            else greatest(0, least(gross_amount, annual_cap_gbp - gross_before))
        end as decimal(14, 2)
    ) as payable_amount
from running
