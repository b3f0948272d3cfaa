{#- The records in force as of the run's window (spec/returns.md, "Record identity and
    supersession"): only submissions still LOADED (a higher seq supersedes a lower one), the
    record from the latest window wins, then the higher seq; a winning retraction
    (deleted = Y) removes the key. -#}
{% macro current_records(staging_model, key_column) %}
with loaded as (
    select records.*
    from {{ ref(staging_model) }} as records
    inner join {{ ref('stg_quality__submissions') }} as submissions
        on submissions.submission_id = records.submission_id
       and submissions.status = 'LOADED'
),

ranked as (
    select
        *,
        row_number() over (
            partition by submitter, {{ key_column }}
            order by "window" desc, seq desc, line_number desc
        ) as recency
    from loaded
)

select * exclude (recency, deleted)
from ranked
where recency = 1 and not deleted
{% endmacro %}
