-- interventions.csv records from submissions of windows up to the run's window (as of P).
select *
from {{ source('raw', 'interventions') }}
where "window" <= {{ as_of_window() }}
