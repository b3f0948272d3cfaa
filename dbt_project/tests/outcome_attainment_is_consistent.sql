-- Invariants of marts.outcome_attainment for the windows of this run (spec/outcomes.md, "Why things
-- do not count"): an attained outcome is eligible, has an outcome date on or before the
-- window's last day and a credited provider, and no reason; one not attained has a reason
-- and no date or provider; a reason other than WINDOW_NOT_ELAPSED / NOT_MET means not eligible.
select *
from {{ ref('outcome_attainment') }}
where as_of_window in {{ run_windows() }}
    and (
        (attained and (
            not eligible or outcome_date is null or credited_provider is null
            or reason is not null or outcome_date > {{ as_of_end() }}
        ))
        or (not attained and (reason is null or outcome_date is not null or credited_provider is not null))
        or (eligible and reason in ('NOT_STARTED', 'NO_START_TOP', 'NOT_ELIGIBLE'))
        or (not eligible and reason in ('WINDOW_NOT_ELAPSED', 'NOT_MET'))
    )
