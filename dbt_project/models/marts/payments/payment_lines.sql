-- The payment run for each window P of the run (spec/payments.md, "The payment run for P";
-- grain payment_window x line_key x status): the entitlement as of P against the entitlement
-- of the previous window run, line key by line key. NEW pays a line that is new or changed
-- (provider, contract or payable); REVERSAL takes back the old line that disappeared or
-- changed; both carry why (change_reason) and what changed in words (change_detail). Over all
-- runs up to P, a line key's lines sum to its payable amount as of P.
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

-- Line key by line key, the line as of P - 1 beside the line as of P, and why it moved
-- (spec/payments.md, "Why a line changed"): the first difference of provider, contract and
-- payable, in that order, names the reason. Unchanged lines have no reason and make no lines.
compared as (
    select
        coalesce(current_run.payment_window, previous_run.payment_window) as payment_window,
        current_run.line_key as current_key,
        previous_run.line_key as previous_key,
        case
            when previous_run.line_key is null then 'EARNED'
            when current_run.line_key is null then 'WITHDRAWN'
            when (current_run.provider is distinct from previous_run.provider) then 'PROVIDER_CHANGED'
            when (current_run.contract_id is distinct from previous_run.contract_id) then 'CONTRACT_CHANGED'
            when (current_run.payable_amount is distinct from previous_run.payable_amount) then 'AMOUNT_CHANGED'
        end as change_reason,
        case
            when previous_run.line_key is null
                then 'earned ' || current_run.earned_date || ', payable ' || current_run.payable_amount
                    || case
                        when current_run.payable_amount < current_run.gross_amount
                            then ' of gross ' || current_run.gross_amount || ' (cap reached)'
                        else ''
                    end
            when current_run.line_key is null then null
            else concat_ws(
                    '; ',
                    {{ change_part('provider', 'previous_run.provider', 'current_run.provider') }},
                    {{ change_part('contract', 'previous_run.contract_id', 'current_run.contract_id') }},
                    {{ change_part('band', 'previous_run.band', 'current_run.band') }},
                    {{ change_part('earned', 'previous_run.earned_date', 'current_run.earned_date') }},
                    {{ change_part('gross', 'previous_run.gross_amount', 'current_run.gross_amount') }},
                    {{ change_part('payable', 'previous_run.payable_amount', 'current_run.payable_amount') }}
                    -- the same line at the same price paid differently: an earlier line took the cap
                    || case
                        when (previous_run.band is not distinct from current_run.band)
                            and previous_run.earned_date = current_run.earned_date
                            and previous_run.gross_amount = current_run.gross_amount
                            and (previous_run.payable_amount is distinct from current_run.payable_amount)
                            then ' (cap position)'
                        else ''
                    end
                )
        end as change_detail,
        previous_run.journey_id as previous_journey_id,
        previous_run.outcome_code as previous_outcome_code,
        previous_run.payable_amount as previous_payable
    from current_run
    full outer join previous_run
        on previous_run.payment_window = current_run.payment_window
            and previous_run.line_key = current_run.line_key
),

-- A withdrawn line says what the data known at P holds instead: the outcome's attainment as
-- of P, or that its journey is no longer one (a re-presentation or a new assessment split it).
journeys_as_of_run as (
    select distinct
        attainment.as_of_window,
        attainment.journey_id
    from {{ ref('outcome_attainment') }} as attainment
    inner join run_windows
        on run_windows.payment_window = attainment.as_of_window
),

withdrawn_details as (
    select
        compared.payment_window,
        compared.previous_key,
        case
            when journeys_as_of_run.journey_id is null
                then 'journey ' || compared.previous_journey_id
                    || ' is no longer a journey as of ' || compared.payment_window
            when attainment.outcome_code is not null and not attainment.attained
                then compared.previous_outcome_code || ' not attained as of ' || compared.payment_window
                    || ' (' || attainment.reason || ')'
            else 'no longer earned as of ' || compared.payment_window
        end || '; was payable ' || compared.previous_payable as change_detail
    from compared
    left join journeys_as_of_run
        on journeys_as_of_run.as_of_window = compared.payment_window
            and journeys_as_of_run.journey_id = compared.previous_journey_id
    left join {{ ref('outcome_attainment') }} as attainment
        on attainment.as_of_window = compared.payment_window
            and attainment.journey_id = compared.previous_journey_id
            and attainment.outcome_code = compared.previous_outcome_code
    where compared.change_reason = 'WITHDRAWN'
),

explained as (
    select
        compared.payment_window,
        compared.current_key,
        compared.previous_key,
        compared.change_reason,
        coalesce(withdrawn_details.change_detail, compared.change_detail) as change_detail
    from compared
    left join withdrawn_details
        on withdrawn_details.payment_window = compared.payment_window
            and withdrawn_details.previous_key = compared.previous_key
    where compared.change_reason is not null
),

new_lines as (
    select
        current_run.*,
        'NEW' as status,
        current_run.payable_amount as amount,
        explained.change_reason,
        explained.change_detail
    from current_run
    inner join explained
        on explained.payment_window = current_run.payment_window
            and explained.current_key = current_run.line_key
),

reversals as (
    select
        previous_run.*,
        'REVERSAL' as status,
        -previous_run.payable_amount as amount,
        explained.change_reason,
        explained.change_detail
    from previous_run
    inner join explained
        on explained.payment_window = previous_run.payment_window
            and explained.previous_key = previous_run.line_key
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
    cast(amount as decimal(14, 2)) as amount,
    change_reason,
    change_detail
from (
    select * from new_lines
    union all
    select * from reversals
)
