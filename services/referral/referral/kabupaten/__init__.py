"""Per-kabupaten referral settings: offers in parallel, the response SLA, whether weekends count."""
