"""SPRPA reports: Read models built from events: dashboards, KLA indicators, pilot targets and programme tables."""
