-- Conversions from Harm Minimisation to Recovery per contract period (spec/payments.md,
-- "Conversion counts"; grain payment_window x provider x role): for the converting and for the
-- receiving provider, how many journeys converted in window P (as known at P), and how many
-- conversions the run for P sees for the first time (any period). All-zero rows are left out.
{{ per_window_incremental('payment_window') }}

with history as (
    select * from {{ ref('int_conversion_history') }}
),

-- Each window of the run with the window run before it (null before the first window).
run_windows as (
    {{ run_windows_with_previous('history') }}
),

by_role as (
    select
        as_of_window,
        journey_id,
        area,
        conversion_date,
        converting_provider as provider,
        'CONVERTING' as role
    from history
    union all
    select
        as_of_window,
        journey_id,
        area,
        conversion_date,
        receiving_provider as provider,
        'RECEIVING' as role
    from history
),

current_run as (
    {{ history_as_of_run('by_role', 'payment_window') }}
),

previous_run as (
    {{ history_as_of_run('by_role', 'previous_window') }}
),

counted as (
    select
        current_run.payment_window,
        current_run.area,
        current_run.provider,
        current_run.role,
        count(*) filter (where {{ window_of('current_run.conversion_date') }} = current_run.payment_window)
            as conversions_in_period,
        count(*) filter (where previous_run.journey_id is null) as first_seen_in_run
    from current_run
    left join previous_run
        on previous_run.payment_window = current_run.payment_window
            and previous_run.journey_id = current_run.journey_id
            and previous_run.role = current_run.role
            and previous_run.provider = current_run.provider
    group by all
)

select
    cast(payment_window as varchar) as payment_window,
    * exclude (payment_window)
from counted
where conversions_in_period > 0 or first_seen_in_run > 0
