{{ current_records('stg_raw__assessments', 'assessment_id') }}
