{{ current_records('stg_raw__top', 'top_id') }}
