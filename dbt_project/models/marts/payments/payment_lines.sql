-- The payment run for each window P of the run (spec/payments.md, "The payment run for P";
-- grain payment_window x line_key x status): the entitlement as of P against the entitlement
-- of the previous window run, line key by line key. NEW pays a line that is new or changed
-- (provider, contract or payable); REVERSAL takes back the old line that disappeared or
-- changed. Over all runs up to P, a line key's lines sum to its payable amount as of P.
{{ per_window_incremental('payment_window') }}

with entitlements as (
    select * from {{ ref('entitlements') }}
),

-- Each window of the run with the window run before it: its entitlement is the one as of
-- P - 1 (the pipeline refuses to skip a window).
run_windows as (
    {{ run_windows_with_previous('entitlements') }}
),

current_run as (
    {{ history_as_of_run('entitlements', 'payment_window') }}
),

previous_run as (
    {{ history_as_of_run('entitlements', 'previous_window') }}
),

compared as (
    select
        coalesce(current_run.payment_window, previous_run.payment_window) as payment_window,
        current_run.line_key as current_key,
        previous_run.line_key as previous_key,
        (
            (current_run.provider is distinct from previous_run.provider)
            or (current_run.contract_id is distinct from previous_run.contract_id)
            or (current_run.payable_amount is distinct from previous_run.payable_amount)
        ) as changed
    from current_run
    full outer join previous_run
        on previous_run.payment_window = current_run.payment_window
            and previous_run.line_key = current_run.line_key
),

new_lines as (
    select
        current_run.*,
        'NEW' as status,
        current_run.payable_amount as amount
    from current_run
    inner join compared
        on compared.payment_window = current_run.payment_window
            and compared.current_key = current_run.line_key
    where compared.changed
),

reversals as (
    select
        previous_run.*,
        'REVERSAL' as status,
        -previous_run.payable_amount as amount
    from previous_run
    inner join compared
        on compared.payment_window = previous_run.payment_window
            and compared.previous_key = previous_run.line_key
    where compared.changed
)

select
    cast(payment_window as varchar) as payment_window,
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
    status,
    cast(amount as decimal(14, 2)) as amount
from (
    select * from new_lines
    union all
    select * from reversals
)
