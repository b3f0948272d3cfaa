-- The cap position of each contract in the financial year of window P, for the statement
-- (spec/payments.md, "Statement"; grain payment_window x contract_id): the cap, what is
-- payable so far in that financial year as of P, and what remains. Uncapped contracts show a
-- null cap and remaining.
{{ per_window_incremental('payment_window') }}

with window_years as (
    select
        as_of_window,
        {{ financial_year(window_start()) }} as financial_year
    from {{ ref('stg_run__windows') }}
),

contracts as (
    select
        contracts.*,
        window_years.as_of_window,
        window_years.financial_year
    from {{ ref('stg_config__contracts') }} as contracts
    cross join window_years
    -- contracts running at some point of the financial year
    where contracts.start_date <= {{ financial_year_end('window_years.financial_year') }}
        and contracts.end_date >= {{ financial_year_start('window_years.financial_year') }}
),

payable as (
    select
        entitlements.as_of_window,
        entitlements.contract_id,
        sum(entitlements.payable_amount) as payable_to_date
    from {{ ref('entitlements') }} as entitlements
    inner join window_years
        on window_years.as_of_window = entitlements.as_of_window
    where entitlements.earned_date
        between {{ financial_year_start('window_years.financial_year') }}
        and {{ financial_year_end('window_years.financial_year') }}
    group by entitlements.as_of_window, entitlements.contract_id
)

select
    cast(contracts.as_of_window as varchar) as payment_window,
    contracts.area,
    contracts.provider,
    contracts.contract_id,
    contracts.financial_year,
    contracts.annual_cap_gbp,
    cast(coalesce(payable.payable_to_date, 0) as decimal(14, 2)) as payable_to_date,
    cast(contracts.annual_cap_gbp - coalesce(payable.payable_to_date, 0) as decimal(14, 2)) as cap_remaining
from contracts
left join payable
    on payable.as_of_window = contracts.as_of_window
        and payable.contract_id = contracts.contract_id
