-- The records that prove each payment line of the run's windows (grain payment_window x
-- line_key x table_name x record_key), by the rules that paid it, as of the line's window:
-- - every line: the INITIAL assessment that opened the journey and set its band (int_journeys);
-- - an OUTCOME: the ids of its evidence as of the window (int_outcome_attainment), in the
--   table the outcome_codes seed names; for O1_OFFENDING, whose evidence is counts, the
--   offences counted (int_offences_around_start);
-- - an ATTACHMENT: the journey's first episode (int_journey_starts);
-- - a CONVERSION: the journey's episodes started up to the conversion date (int_conversions).
-- A line whose outcome or conversion has gone away as of its window (a reversal) keeps only
-- what still holds. Kept per window: the models compute only the run's windows, and
-- marts.payment_line_evidence answers for any window run.
{{ per_window_incremental('payment_window') }}

with lines as (
    select distinct
        payment_lines.payment_window,
        payment_lines.line_key,
        payment_lines.journey_id,
        payment_lines.kind,
        payment_lines.outcome_code
    from {{ ref('payment_lines') }} as payment_lines
    inner join {{ ref('stg_run__windows') }} as run_windows
        on run_windows.as_of_window = payment_lines.payment_window
),

opening_assessments as (
    select
        lines.payment_window,
        lines.line_key,
        'assessments' as table_name,
        journeys.initial_assessment_id as record_key
    from lines
    inner join {{ ref('int_journeys') }} as journeys
        on journeys.as_of_window = lines.payment_window
            and journeys.journey_id = lines.journey_id
),

outcome_evidence as (
    select
        lines.payment_window,
        lines.line_key,
        outcome_codes.evidence_table as table_name,
        unnest(string_split(attainment.evidence, ',')) as record_key
    from lines
    inner join {{ ref('int_outcome_attainment') }} as attainment
        on attainment.as_of_window = lines.payment_window
            and attainment.journey_id = lines.journey_id
            and attainment.outcome_code = lines.outcome_code
    inner join {{ ref('outcome_codes') }} as outcome_codes
        on outcome_codes.outcome_code = lines.outcome_code
    where lines.kind = 'OUTCOME' and outcome_codes.evidence_ids and attainment.evidence is not null
),

counted_offences as (
    select
        lines.payment_window,
        lines.line_key,
        'offences' as table_name,
        counted.offence_id as record_key
    from lines
    inner join {{ ref('int_offences_around_start') }} as counted
        on counted.as_of_window = lines.payment_window
            and counted.journey_id = lines.journey_id
    where lines.kind = 'OUTCOME' and lines.outcome_code = 'O1_OFFENDING'
),

first_episodes as (
    select
        lines.payment_window,
        lines.line_key,
        'episodes' as table_name,
        starts.first_episode_id as record_key
    from lines
    inner join {{ ref('int_journey_starts') }} as starts
        on starts.as_of_window = lines.payment_window
            and starts.journey_id = lines.journey_id
    where lines.kind = 'ATTACHMENT'
),

conversion_episodes as (
    select
        lines.payment_window,
        lines.line_key,
        'episodes' as table_name,
        episodes.episode_id as record_key
    from lines
    inner join {{ ref('int_conversions') }} as conversions
        on conversions.as_of_window = lines.payment_window
            and conversions.journey_id = lines.journey_id
    inner join {{ ref('int_journey_episodes') }} as episodes
        on episodes.as_of_window = lines.payment_window
            and episodes.journey_id = lines.journey_id
            and episodes.triage_date <= conversions.conversion_date
    where lines.kind = 'CONVERSION'
)

select distinct
    cast(payment_window as varchar) as payment_window,
    line_key,
    table_name,
    record_key
from (
    select * from opening_assessments
    union all
    select * from outcome_evidence
    union all
    select * from counted_offences
    union all
    select * from first_episodes
    union all
    select * from conversion_episodes
)
