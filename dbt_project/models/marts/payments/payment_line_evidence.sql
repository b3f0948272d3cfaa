-- The records behind each payment line (grain payment_window x line_key x table_name x
-- submitter x record_key), for `pbr explain`: every record of the line's person in force as of
-- the line's window, with the submission, file and line it came from, and whether it proves
-- the line (is_evidence: int_payment_line_evidence_keys, the rules that paid it) or is one of
-- the person's other records, shown for context.
-- The records in force are the current_records rule of the int_*__current models, computed
-- here for the payment windows of every run (those models compute only the run's windows).
-- A view: nothing is written by the build; DuckDB pushes explain's filters on payment_window
-- and line_key down to the lines.
{{ config(materialized='view') }}

with lines as (
    select distinct
        payment_window,
        line_key,
        pbr_id
    from {{ ref('payment_lines') }}
),

payment_windows as (
    select distinct payment_window as as_of_window from lines
),

assessments as (
    {{ current_records('stg_raw__assessments', 'assessment_id', 'payment_windows') }}
),

episodes as (
    {{ current_records('stg_raw__episodes', 'episode_id', 'payment_windows') }}
),

tops as (
    {{ current_records('stg_raw__top', 'top_id', 'payment_windows') }}
),

interventions as (
    {{ current_records('stg_raw__interventions', 'intervention_id', 'payment_windows') }}
),

offences as (
    {{ current_records('stg_raw__offences', 'offence_id', 'payment_windows') }}
),

employment as (
    {{ current_records('stg_raw__employment', 'spell_id', 'payment_windows') }}
),

-- one shape for every table: its key, its date and a line saying what it is
records as (
    select
        as_of_window,
        pbr_id,
        'assessments' as table_name,
        assessment_id as record_key,
        submitter,
        assessment_date as event_date,
        assessment_type || ' band ' || tariff_band as what,
        submission_id,
        file,
        line_number
    from assessments
    union all
    select
        as_of_window,
        pbr_id,
        'episodes',
        episode_id,
        submitter,
        triage_date,
        pathway || coalesce(' discharged ' || discharge_date || ' (' || discharge_reason || ')', ' open'),
        submission_id,
        file,
        line_number
    from episodes
    union all
    select
        as_of_window,
        pbr_id,
        'top',
        top_id,
        submitter,
        top_date,
        'stage ' || stage || ' of episode ' || episode_id,
        submission_id,
        file,
        line_number
    from tops
    union all
    select
        as_of_window,
        pbr_id,
        'interventions',
        intervention_id,
        submitter,
        intervention_date,
        intervention,
        submission_id,
        file,
        line_number
    from interventions
    union all
    select
        as_of_window,
        pbr_id,
        'offences',
        offence_id,
        submitter,
        offence_date,
        offence_group || ' disposed ' || disposal_date,
        submission_id,
        file,
        line_number
    from offences
    union all
    select
        as_of_window,
        pbr_id,
        'employment',
        spell_id,
        submitter,
        start_date,
        'to ' || coalesce(cast(end_date as varchar), 'ongoing'),
        submission_id,
        file,
        line_number
    from employment
)

select
    lines.payment_window,
    lines.line_key,
    lines.pbr_id,
    records.table_name,
    records.record_key,
    records.submitter,
    records.event_date,
    records.what,
    records.submission_id,
    records.file,
    records.line_number,
    evidence_keys.record_key is not null as is_evidence
from lines
inner join records
    on records.as_of_window = lines.payment_window
        and records.pbr_id = lines.pbr_id
left join {{ ref('int_payment_line_evidence_keys') }} as evidence_keys
    on evidence_keys.payment_window = lines.payment_window
        and evidence_keys.line_key = lines.line_key
        and evidence_keys.table_name = records.table_name
        and evidence_keys.record_key = records.record_key
