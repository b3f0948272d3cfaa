-- Which pbr_ids are the same person (spec/returns.md, "Personal data"; spec/outcomes.md,
-- D4_SUSTAINED): each pbr_id with itself and with every pbr_id, in any area, that has an
-- assessment with the same attributor_hash.

with person_hashes as (
    select distinct
        as_of_window,
        pbr_id,
        attributor_hash
    from {{ ref('int_assessments__current') }}
    where attributor_hash is not null
        and assessment_date <= {{ as_of_end() }}
),

same_hash as (
    select
        this.as_of_window,
        this.pbr_id,
        other.pbr_id as linked_pbr_id
    from person_hashes as this
    inner join person_hashes as other
        on other.as_of_window = this.as_of_window
            and other.attributor_hash = this.attributor_hash
),

itself as (
    select distinct
        as_of_window,
        pbr_id,
        pbr_id as linked_pbr_id
    from {{ ref('int_assessments__current') }}
)

select
    as_of_window,
    pbr_id,
    linked_pbr_id
from same_hash
union
select
    as_of_window,
    pbr_id,
    linked_pbr_id
from itself
