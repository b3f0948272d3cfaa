select * from {{ source('config', 'contracts') }}
