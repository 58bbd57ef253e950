"""The engine's cases: one per flag of a child, with its needs and their referrals."""
