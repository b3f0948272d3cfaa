-- One journey per LASAR INITIAL assessment (spec/outcomes.md, "Journeys"), as of each window
-- of the run: it spans from that assessment up to, not including, the same pbr_id's next
-- INITIAL assessment seen by then.
-- A table, not a view: every journey-level model joins to it.
{{ config(materialized='table') }}

with initial_assessments as (
    select *
    from {{ ref('int_assessments__current') }}
    where assessment_type = 'INITIAL'
        and assessment_date <= {{ as_of_end() }}
),

ordered as (
    select
        *,
        -- the ordinal among the pbr_id's INITIAL assessments by date, then assessment_id (the spec's
        -- order); submitter only makes it deterministic
        row_number() over by_person as journey_seq,
        lead(assessment_date) over by_person as next_initial_date
    from initial_assessments
    window by_person as (partition by as_of_window, pbr_id order by assessment_date, assessment_id, submitter)
)

select
    as_of_window,
    pbr_id || '#' || journey_seq as journey_id,
    pbr_id,
    -- the journey's area is the pbr_id prefix, wherever the records come from
    split_part(pbr_id, '-', 1) as area,
    journey_seq,
    assessment_id as initial_assessment_id,
    assessment_date as initial_assessment_date,
    -- exclusive end of the span; null while this is the pbr_id's latest journey
    next_initial_date as span_end,
    tariff_band as band_at_assessment,
    pathway as pathway_at_assessment,
    primary_substance,
    secondary_substance,
    referred_to,
    attributor_hash,
    submitter as assessed_by
from ordered
