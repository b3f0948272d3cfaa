"""Payment runs: the checkpoint, the run record, statements and finalisation (spec/payments.md)."""
