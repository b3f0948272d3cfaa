-- assessments.csv records of every submission seen (which of them count as of a window is
-- decided in int_assessments__current).
select *
from {{ source('raw', 'assessments') }}
