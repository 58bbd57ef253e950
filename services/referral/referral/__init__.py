"""SPRPA referral engine: Matches flagged needs to MOU providers, fans out offers and tracks every referral to its end."""
