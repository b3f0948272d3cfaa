-- interventions.csv records of every submission seen (which of them count as of a window is
-- decided in int_interventions__current).
select *
from {{ source('raw', 'interventions') }}
