-- The monitor's counts (spec/monitoring.md, Indicators) per window, area, provider, pathway, band
-- and indicator: numerator and denominator of int_monitor_cases, for each band with a case and,
-- as band 0, for all the provider's bands on that pathway together. Only combinations with a
-- case have a row (a denominator above 0).

with by_band as (
    select
        as_of_window,
        area,
        provider,
        pathway,
        band,
        indicator,
        count(*) filter (where in_numerator) as numerator,
        count(*) as denominator
    from {{ ref('int_monitor_cases') }}
    group by as_of_window, area, provider, pathway, band, indicator
)

select * from by_band
union all
select
    as_of_window,
    area,
    provider,
    pathway,
    0 as band,
    indicator,
    -- a sum of counts is a hugeint in DuckDB: the union keeps the counts' type
    cast(sum(numerator) as bigint) as numerator,
    cast(sum(denominator) as bigint) as denominator
from by_band
group by as_of_window, area, provider, pathway, indicator
