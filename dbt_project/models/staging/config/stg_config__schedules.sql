select * from {{ source('config', 'schedules') }}
