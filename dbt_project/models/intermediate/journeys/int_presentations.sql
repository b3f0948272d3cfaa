-- Every presentation to treatment, for the re-presentation test of D4_SUSTAINED
-- (spec/outcomes.md): an episode starting (triage_date) or an INITIAL assessment
-- (assessment_date), of any pbr_id in any area, dated on or before the as-of window's last day.
-- Episodes count whether or not they belong to a journey (the stricter reading).

with episode_starts as (
    select
        as_of_window,
        pbr_id,
        'EPISODE' as presentation_kind,
        submitter,
        episode_id as record_id,
        triage_date as presentation_date
    from {{ ref('int_episodes__current') }}
),

initial_assessments as (
    select
        as_of_window,
        pbr_id,
        'INITIAL_ASSESSMENT' as presentation_kind,
        submitter,
        assessment_id as record_id,
        assessment_date as presentation_date
    from {{ ref('int_assessments__current') }}
    where assessment_type = 'INITIAL'
)

select * from episode_starts
where presentation_date <= {{ as_of_end() }}
union all
select * from initial_assessments
where presentation_date <= {{ as_of_end() }}
