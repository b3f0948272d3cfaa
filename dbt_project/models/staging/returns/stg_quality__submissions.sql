-- Every submission seen, with its status.
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
