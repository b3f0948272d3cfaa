select * from {{ source('config', 'schedule_weights') }}
