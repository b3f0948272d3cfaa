select * from {{ source('config', 'areas') }}
