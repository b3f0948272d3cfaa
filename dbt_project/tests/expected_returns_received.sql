-- Every return expected for the window arrived (quality.missing_returns is empty for it).
-- A warning, not a failure: the run still pays what the data known at P earns, and the
-- run's summary and the commissioner's missing_returns.csv list what did not arrive.
{{ config(severity='warn') }}

select area, submitter, role, detail
from {{ ref('missing_returns') }}
where as_of_window = {{ as_of_window() }}
