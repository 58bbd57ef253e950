"""The pure rules of the referral engine: a referral's lifecycle, matching a need to offerings, the
SLA deadline. No I/O: they read like the law and the MOU, and are tested as tables."""
