"""SPRPA referral engine: matches flagged needs to MOU providers, fans out offers, tracks each referral."""
