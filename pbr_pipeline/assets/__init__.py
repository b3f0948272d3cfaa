"""Assets grouped by domain: configuration, ingest, dbt models, payments."""
