-- Health interventions assigned to the journey whose span holds their intervention_date.
{{ assign_to_journeys(ref('int_interventions__current'), 'intervention_date') }}
