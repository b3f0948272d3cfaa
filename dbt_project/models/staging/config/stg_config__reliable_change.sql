select * from {{ source('config', 'reliable_change') }}
