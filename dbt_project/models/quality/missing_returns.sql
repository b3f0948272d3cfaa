-- Returns expected for the window and not received (spec/config.md submitters): a month with
-- no returns would otherwise pay (outcomes earned by time passing) without a word.
-- A PROVIDER is expected in every window of its own contracts; the area's LASAR and police in
-- every window in which any contract of the area runs; the national DWP share once, in any
-- window in which some area has a contract. A return counts as received when a submission
-- for the window loaded (or repeated one that did); one rejected is listed, with its reasons.
{{ per_window_incremental('as_of_window') }}

with contracts_in_force as (
    select
        run_windows.as_of_window,
        contracts.area,
        contracts.provider
    from {{ ref('stg_config__contracts') }} as contracts
    inner join {{ ref('stg_run__windows') }} as run_windows
        on contracts.start_date <= {{ as_of_end('run_windows.as_of_window') }}
            and contracts.end_date >= {{ window_start('run_windows.as_of_window') }}
),

expected as (
    select distinct
        c.as_of_window,
        s.submitter,
        s.role,
        case when s.role = 'DWP' then null else s.area end as area
    from {{ ref('stg_config__submitters') }} as s
    inner join contracts_in_force as c
        on (s.role = 'PROVIDER' and c.provider = s.submitter)
            or (s.role <> 'PROVIDER' and c.area = s.area)
),

sightings as (
    select
        submissions."window" as as_of_window,
        submissions.submitter,
        bool_or(statuses.received) as received,
        string_agg(distinct submissions.reason, ', ' order by submissions.reason)
        filter (where not statuses.received) as rejected_for
    from {{ ref('stg_quality__submissions') }} as submissions
    inner join {{ ref('submission_statuses') }} as statuses
        on statuses.status = submissions.status
    where submissions."window" in {{ run_windows() }}
    group by submissions."window", submissions.submitter
)

select
    cast(e.as_of_window as varchar) as as_of_window,
    cast(e.area as varchar) as area,
    cast(e.submitter as varchar) as submitter,
    cast(e.role as varchar) as role,
    cast(
        case
            when s.submitter is null then 'nothing received for the window'
            else 'received but rejected: ' || s.rejected_for
        end as varchar
    ) as detail
from expected as e
left join sightings as s
    on s.as_of_window = e.as_of_window
        and s.submitter = e.submitter
where not coalesce(s.received, false)
