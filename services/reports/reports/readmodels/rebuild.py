"""Rebuild every read model by replaying the streams from their first event.

The district's own inputs (pilot targets, KLA entries) and the audit log are kept.
"""

from __future__ import annotations

from reports.settings import ReportsSettings
from reports.subscriptions import consumers
from sprpa_shared.events.replay import replay

READ_MODELS = ("rm_children", "rm_child_counts", "rm_case_moves", "rm_visits", "rm_flags", "rm_referrals",
               "rm_referral_counts", "rm_referral_hours", "rm_needs", "rm_need_providers", "rm_gaps",
               "rm_organizations", "rm_offerings", "rm_mous", "rm_progress", "rm_activities", "rm_activity_sessions",
               "rm_session_children", "rm_institution_changes", "rm_costs")


async def rebuild(settings: ReportsSettings) -> None:
    await replay(settings, tables=READ_MODELS, consumers=consumers(settings))
