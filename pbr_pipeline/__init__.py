"""Payment by results for drug and alcohol recovery services."""
