-- The windows this run computes, oldest first (written by the run before dbt starts).
select as_of_window
from {{ source('control', 'run_windows') }}
