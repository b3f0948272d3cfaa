{{ current_records('stg_raw__employment', 'spell_id') }}
