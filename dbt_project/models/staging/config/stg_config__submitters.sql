select * from {{ source('config', 'submitters') }}
