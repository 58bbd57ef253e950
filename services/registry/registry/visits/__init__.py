"""Monitoring visits: facts observed, reclassification, follow-up schedule, withdrawn or prevented."""
