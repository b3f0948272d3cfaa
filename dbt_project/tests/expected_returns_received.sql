-- Every return expected for the windows of the run arrived (quality.missing_returns is empty
-- for them). A warning, not a failure: the run still pays what the data known at P earns,
-- and the run's summary and the commissioner's missing_returns.csv list what did not arrive.
{{ config(severity='warn') }}

select
    as_of_window,
    area,
    submitter,
    role,
    detail
from {{ ref('missing_returns') }}
where as_of_window in {{ run_windows() }}
