-- employment.csv records of every submission seen (which of them count as of a window is
-- decided in int_employment__current).
select *
from {{ source('raw', 'employment') }}
