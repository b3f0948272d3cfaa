-- Each provider's statement lines per payment window (spec/outputs.md
-- marts.provider_statements; grain payment_window x provider x kind x outcome_code x status):
-- count and amount of the run's payment lines. The provider's net amount due is the sum of
-- its rows.
{{ per_window_incremental('payment_window') }}

select
    payment_window,
    area,
    provider,
    kind,
    outcome_code,
    status,
    count(*) as line_count,
    cast(sum(amount) as decimal(14, 2)) as amount
from {{ ref('payment_lines') }}
where payment_window in {{ run_windows() }}
group by all
