-- The monitor's indicators per window (spec/monitoring.md, Indicators; grain as_of_window x area x
-- provider x pathway x band x indicator): each provider's value beside its peers', the
-- two-proportion z of the one against the other, and a flag where the difference is large,
-- adverse and on enough cases (the area's thresholds). A run replaces the rows of the windows it
-- computes and keeps the other windows' (the monitor shows each indicator's trend).
{{ per_window_incremental('as_of_window') }}

with counts as (
    select * from {{ ref('int_monitor_counts') }}
),

everyone as (
    select
        as_of_window,
        pathway,
        band,
        indicator,
        sum(numerator) as numerator,
        sum(denominator) as denominator
    from counts
    group by as_of_window, pathway, band, indicator
),

-- the provider's own counts in every area: its peers are every other provider
own as (
    select
        as_of_window,
        provider,
        pathway,
        band,
        indicator,
        sum(numerator) as numerator,
        sum(denominator) as denominator
    from counts
    group by as_of_window, provider, pathway, band, indicator
),

with_peers as (
    select
        counts.*,
        cast(everyone.numerator - own.numerator as bigint) as peer_numerator,
        cast(everyone.denominator - own.denominator as bigint) as peer_denominator
    from counts
    inner join everyone
        on everyone.as_of_window = counts.as_of_window
            and everyone.pathway = counts.pathway
            and everyone.band = counts.band
            and everyone.indicator = counts.indicator
    inner join own
        on own.as_of_window = counts.as_of_window
            and own.provider = counts.provider
            and own.pathway = counts.pathway
            and own.band = counts.band
            and own.indicator = counts.indicator
),

pooled as (
    select
        *,
        cast({{ ratio_half_up('numerator', 'denominator', 4) }} as decimal(5, 4)) as value,
        cast({{ ratio_half_up('peer_numerator', 'peer_denominator', 4) }} as decimal(5, 4)) as peer_value,
        (numerator + peer_numerator) / (denominator + peer_denominator) as pooled_share
    from with_peers
),

two_proportion as (
    select
        *,
        -- p1 and p2 are value and peer_value as the spec writes them (rounded to 4 decimals);
        -- null when a side has no case or the pooled share is 0 or 1 (no variance)
        case
            when peer_denominator > 0 and pooled_share > 0 and pooled_share < 1
                then (cast(value as double) - cast(peer_value as double))
                    / sqrt(pooled_share * (1 - pooled_share) * (1 / denominator + 1 / peer_denominator))
        end as unrounded_z
    from pooled
),

scored as (
    select
        *,
        cast(round(unrounded_z, 2) as decimal(9, 2)) as z
    from two_proportion
),

thresholds as (
    select
        area,
        min_denominator,
        z_threshold
    from {{ ref('stg_config__areas') }}
)

select
    cast(scored.as_of_window as varchar) as as_of_window,
    scored.area,
    scored.provider,
    scored.pathway,
    cast(scored.band as integer) as band,
    scored.indicator,
    scored.numerator,
    scored.denominator,
    scored.value,
    scored.peer_numerator,
    scored.peer_denominator,
    scored.peer_value,
    scored.z,
    -- the rounded z, as shown: |z| >= threshold flags more than the unrounded one would
    coalesce(
        scored.denominator >= thresholds.min_denominator
        and abs(scored.z) >= thresholds.z_threshold
        and case codes.adverse_when when 'LOWER' then scored.z < 0 when 'HIGHER' then scored.z > 0 end,
        false
    ) as flag
from scored
inner join {{ ref('monitor_indicator_codes') }} as codes
    on codes.indicator = scored.indicator
left join thresholds
    on thresholds.area = scored.area
