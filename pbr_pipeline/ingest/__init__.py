"""Ingest provider returns (spec/returns.md): integrity, row contracts, quarantine, lineage."""
