"""Remediation costs: recorded against a delivered service (a referral in service or completed) or a
community activity; amount in IDR, funding source, date. District operators record and see their
kabupaten's; provider staff record and see only their own organisation's."""
