"""Matching needs to offerings: eligibility, then ranking."""
