{#- The records in force as of each window of the run (spec/returns.md, "Record identity and
    supersession"): only submissions in force (LOADED: a higher seq supersedes a lower one), the
    record from the latest window up to the as-of window wins, then the higher seq; a winning
    retraction (deleted = Y) removes the key.
    Set-based over the run's windows without multiplying the records: each key's version of a
    window (highest seq, then latest line) holds from that window until the key's next window
    with a version, and is joined to the run windows in that span.
    `windows`: the windows to compute (a relation or CTE with an as_of_window column), the
    run's by default; marts.payment_line_evidence passes the payment windows of every run, as
    `pbr explain` may ask for any of them. -#}
{% macro current_records(staging_model, key_column, windows=none) %}
with loaded as (
    select records.*
    from {{ ref(staging_model) }} as records
    inner join {{ ref('stg_quality__submissions') }} as submissions
        on submissions.submission_id = records.submission_id
       and submissions.status in (select status from {{ ref('submission_statuses') }} where in_force)
),

window_versions as (
    select *
    from loaded
    qualify row_number() over (
        partition by submitter, {{ key_column }}, "window"
        order by seq desc, line_number desc
    ) = 1
),

spans as (
    select
        *,
        lead("window") over (partition by submitter, {{ key_column }} order by "window") as superseded_in
    from window_versions
)

select
    run_windows.as_of_window,
    spans.* exclude (superseded_in, deleted)
from spans
inner join {{ windows if windows else ref('stg_run__windows') }} as run_windows
    on run_windows.as_of_window >= spans."window"
   and run_windows.as_of_window < coalesce(spans.superseded_in, '9999-12')
where not spans.deleted
{% endmacro %}
