{{ current_records('stg_raw__offences', 'offence_id') }}
