{{ current_records('stg_raw__episodes', 'episode_id') }}
