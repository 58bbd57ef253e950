"""Consumer of `referral.status_changed`: moves the case and keeps provider access current.

Runs in the inbox transaction (sprpa_shared.events.consumer): a redelivered event has no
second effect. Events may arrive out of order across referrals; each step only moves the
case forward along the lifecycle.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from registry.cases import history
from registry.cases.lifecycle import CaseStatus, can_move
from registry.children.models import Child
from registry.visits.rules import next_visit_due
from sprpa_contracts.events import ReferralStatusChanged
from sprpa_contracts.vocabulary import TAKEN_REFERRAL
from sprpa_shared.auth.principal import Principal, Role
from sprpa_shared.events.consumer import only_when
from sprpa_shared.events.envelope import Envelope
from sprpa_shared.observability import get_logger

log = get_logger(__name__)
ENGINE = Principal(subject="service:referral", role=Role.INTEGRATION)

# Statuses only an offer reaches (never a referral the provider held): no access to open or close.
_NOTHING_TO_DO = frozenset({"offered", "declined", "expired", "withdrawn"})
_ACCESS = text(
    """
    INSERT INTO provider_access (referral_id, child_id, organization_id, status, live, changed_on, need)
    VALUES (:referral, :child, :org, :status, :live, :on, :need)
    ON CONFLICT (referral_id) DO UPDATE SET status = EXCLUDED.status, live = EXCLUDED.live,
        changed_on = EXCLUDED.changed_on, child_id = EXCLUDED.child_id, need = EXCLUDED.need
    WHERE provider_access.changed_on <= EXCLUDED.changed_on
    """
)


def _moves_something(envelope: Envelope) -> bool:
    """An offer, or one that ended unanswered, opens no access and moves nothing."""
    return envelope.data.get("status") not in _NOTHING_TO_DO or bool(envelope.data.get("all_needs_settled"))


@only_when(_moves_something)
async def on_referral_changed(session: AsyncSession, event: ReferralStatusChanged, envelope: Envelope) -> None:
    await (await session.connection()).execute(_ACCESS, {
        "referral": event.referral_id, "child": event.child_id, "org": event.organization_id,
        "status": event.status, "live": event.status in TAKEN_REFERRAL, "on": event.on, "need": event.need,
    })
    child = await session.get(Child, event.child_id, with_for_update=True)
    if child is None:
        log.warning("referral event for an unknown child", referral_id=str(event.referral_id))
        return
    now = envelope.time
    if event.status in ("accepted", "in_service"):
        await _advance(session, child, CaseStatus.REFERRED, now, f"referral for {event.need} accepted")
    if event.status == "in_service":
        await _advance(session, child, CaseStatus.IN_REMEDIATION, now, f"service {event.need} started")
        if child.remediation_started_on is None:
            child.remediation_started_on = event.on
            child.next_visit_due = next_visit_due(last_visit=event.on, remediation_started=event.on)
    if event.status == "completed" and event.outcome == "service_delivered":
        child.service_delivered = True  # any service: what can make an at-risk child prevented
    if event.all_needs_settled and (child.next_visit_due is None or child.next_visit_due > event.on):
        child.next_visit_due = event.on  # every need answered: the follow-up visit is due now
    session.add(child)


async def _advance(session: AsyncSession, child: Child, target: CaseStatus, now, reason: str) -> None:
    if child.status != target.value and can_move(CaseStatus(child.status), target):
        await history.move(session, child=child, target=target, principal=ENGINE, now=now, reason=reason)
