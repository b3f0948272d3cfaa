select * from {{ source('config', 'schedule_bands') }}
