-- Assessments (INITIAL and REVIEW) assigned to the journey whose span holds their date.
{{ assign_to_journeys(ref('int_assessments__current'), 'assessment_date') }}
