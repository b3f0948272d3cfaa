-- Submissions seen, for windows up to the run's window.
select
    submission_id,
    submitter,
    area,
    "window",
    seq,
    status,
    reason,
    fingerprint
from {{ source('quality', 'submissions') }}
where "window" <= {{ as_of_window() }}
