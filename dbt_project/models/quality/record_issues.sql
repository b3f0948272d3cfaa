-- Records that loaded but cannot count, per window (spec/outputs.md quality.record_issues).
-- A union of the int_record_issues__* models: the records' own issues (NO_JOURNEY,
-- UNKNOWN_EPISODE) and the payment issues (NO_CONTRACT, NO_SCHEDULE). A run replaces the rows
-- of the windows it computes and keeps the others'.
-- A window with no issues left keeps none (per_window_incremental clears the window first).
{{ per_window_incremental('as_of_window') }}

with issues as (
    select
        as_of_window,
        table_name,
        record_key,
        pbr_id,
        issue,
        detail
    from {{ ref('int_record_issues__records') }}
    union all
    select
        as_of_window,
        table_name,
        record_key,
        pbr_id,
        issue,
        detail
    from {{ ref('int_record_issues__payments') }}
)

select
    cast(as_of_window as varchar) as as_of_window,
    cast(table_name as varchar) as table_name,
    cast(record_key as varchar) as record_key,
    cast(pbr_id as varchar) as pbr_id,
    cast(issue as varchar) as issue,
    cast(detail as varchar) as detail
from issues
