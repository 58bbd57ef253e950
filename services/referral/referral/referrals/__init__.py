"""Referrals: one offer of one need to one organisation, followed until it ends."""
