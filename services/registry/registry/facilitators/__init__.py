"""Each case's facilitator (fasilitator desa pendamping anak), reassigned with history; a facilitator's
caseload and the district's caseloads per facilitator. Who may be assigned comes from the web
service's account events (a live village_cadre account of the child's desa)."""
