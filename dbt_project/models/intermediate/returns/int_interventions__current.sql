{{ current_records('stg_raw__interventions', 'intervention_id') }}
