-- The records of one pbr_id in force as of a window, with where each came from. The same
-- supersession rules as the dbt macro current_records: only LOADED submissions of windows up
-- to the window; the latest window wins, then the higher seq; a winning retraction removes it.
-- Parameters: $pbr_id, $window.
WITH records AS (
    SELECT 'assessments' AS table_name, assessment_id AS record_key, submitter, assessment_date AS event_date,
           assessment_type || ' band ' || tariff_band AS what, deleted, submission_id, "window", seq, file, line_number
    FROM raw.assessments WHERE pbr_id = $pbr_id
    UNION ALL
    SELECT 'episodes', episode_id, submitter, triage_date,
           pathway || coalesce(' discharged ' || discharge_date || ' (' || discharge_reason || ')', ' open'),
           deleted, submission_id, "window", seq, file, line_number
    FROM raw.episodes WHERE pbr_id = $pbr_id
    UNION ALL
    SELECT 'top', top_id, submitter, top_date, 'stage ' || stage || ' of episode ' || episode_id,
           deleted, submission_id, "window", seq, file, line_number
    FROM raw.top WHERE pbr_id = $pbr_id
    UNION ALL
    SELECT 'interventions', intervention_id, submitter, intervention_date, intervention,
           deleted, submission_id, "window", seq, file, line_number
    FROM raw.interventions WHERE pbr_id = $pbr_id
    UNION ALL
    SELECT 'offences', offence_id, submitter, offence_date, offence_group || ' disposed ' || disposal_date,
           deleted, submission_id, "window", seq, file, line_number
    FROM raw.offences WHERE pbr_id = $pbr_id
    UNION ALL
    SELECT 'employment', spell_id, submitter, start_date, 'to ' || coalesce(cast(end_date AS varchar), 'ongoing'),
           deleted, submission_id, "window", seq, file, line_number
    FROM raw.employment WHERE pbr_id = $pbr_id
),

in_force AS (
    SELECT records.*
    FROM records
    JOIN quality.submissions s ON s.submission_id = records.submission_id AND s.status = 'LOADED'
    WHERE records."window" <= $window
    QUALIFY row_number() OVER (
        PARTITION BY table_name, records.submitter, record_key
        ORDER BY records."window" DESC, records.seq DESC, line_number DESC
    ) = 1
)

SELECT table_name, record_key, submitter, event_date, what, submission_id, file, line_number
FROM in_force
WHERE NOT deleted
ORDER BY event_date, table_name, record_key
