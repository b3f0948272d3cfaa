-- Records that loaded but cannot count, as of each window of the run (spec/outputs.md
-- quality.record_issues), found by looking at the records themselves:
--   NO_JOURNEY: an episode, TOP or intervention dated before its pbr_id's first INITIAL
--     assessment, or of a pbr_id with no INITIAL at all (spec/outcomes.md: it earns nothing);
--   UNKNOWN_EPISODE: a TOP whose episode_id is not an episode of its submitter seen in any
--     loaded submission up to the window (spec/returns.md: the TOP still counts).
-- record_key is the record's key, "<submitter>|<id>".
-- A table: computed once per run (it re-reads the current records), then tested and unioned.
{{ config(materialized='table') }}

with first_initial_assessments as (
    select
        as_of_window,
        pbr_id,
        min(initial_assessment_date) as first_initial_date
    from {{ ref('int_journeys') }}
    group by as_of_window, pbr_id
),

dated_records as (
    select
        as_of_window,
        'episodes' as table_name,
        submitter,
        episode_id as record_id,
        pbr_id,
        'triage_date' as date_column,
        triage_date as record_date
    from {{ ref('int_episodes__current') }}
    union all
    select
        as_of_window,
        'top',
        submitter,
        top_id,
        pbr_id,
        'top_date',
        top_date
    from {{ ref('int_top__current') }}
    union all
    select
        as_of_window,
        'interventions',
        submitter,
        intervention_id,
        pbr_id,
        'intervention_date',
        intervention_date
    from {{ ref('int_interventions__current') }}
),

no_journey as (
    select
        dated_records.as_of_window,
        dated_records.table_name,
        dated_records.submitter || '|' || dated_records.record_id as record_key,
        dated_records.pbr_id,
        'NO_JOURNEY' as issue,
        case
            when first_initial_assessments.pbr_id is null
                then dated_records.date_column
                    || ' '
                    || dated_records.record_date
                    || ': the pbr_id has no INITIAL assessment'
            else dated_records.date_column || ' ' || dated_records.record_date
                || ' is before the first INITIAL assessment (' || first_initial_assessments.first_initial_date || ')'
        end as detail
    from dated_records
    left join first_initial_assessments
        on first_initial_assessments.as_of_window = dated_records.as_of_window
            and first_initial_assessments.pbr_id = dated_records.pbr_id
    where dated_records.record_date <= {{ as_of_end('dated_records.as_of_window') }}
        and (
            first_initial_assessments.pbr_id is null
            or dated_records.record_date < first_initial_assessments.first_initial_date
        )
),

episodes_seen as (
    -- any version of an episode in a loaded submission up to the window, even if later
    -- retracted or changed; a retraction row itself is not a sighting of an episode. Each
    -- episode once, with the first window it was seen in: seen as of every window from then.
    select
        episodes.submitter,
        episodes.episode_id,
        min(episodes."window") as first_seen_in
    from {{ ref('stg_raw__episodes') }} as episodes
    inner join {{ ref('stg_quality__submissions') }} as submissions
        on submissions.submission_id = episodes.submission_id
            and submissions.status in (
                select status from {{ ref('submission_statuses') }}
                where in_force
            )
    where not episodes.deleted
    group by episodes.submitter, episodes.episode_id
),

unknown_episode as (
    select
        tops.as_of_window,
        'top' as table_name,
        tops.submitter || '|' || tops.top_id as record_key,
        tops.pbr_id,
        'UNKNOWN_EPISODE' as issue,
        'episode_id ' || tops.episode_id || ' is not an episode of ' || tops.submitter as detail
    from {{ ref('int_top__current') }} as tops
    left join episodes_seen
        on episodes_seen.submitter = tops.submitter
            and episodes_seen.episode_id = tops.episode_id
    -- not seen at all, or only in a later window than the as-of window (tested in the where
    -- clause: a non-key condition in a left join's ON makes DuckDB use a nested-loop join)
    where (episodes_seen.episode_id is null or episodes_seen.first_seen_in > tops.as_of_window)
        and tops.top_date <= {{ as_of_end('tops.as_of_window') }}
)

select * from no_journey
union all
select * from unknown_episode
