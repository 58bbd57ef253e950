"""What the notify service does with each event: keep its copy of offers and organisations, and
write the notices the event calls for (`rules`), in the inbox transaction."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from notify import notices
from notify.rules import LIVE, Notice, referral_notices, regency_of
from notify.sql import run
from notify.webhooks import fanout as webhooks
from sprpa_contracts import events as ev
from sprpa_shared.events.envelope import Envelope

# The offer's state as last heard; an older event (out of order across subjects) changes nothing.
_BEFORE = text("SELECT status FROM offer_watches WHERE referral_id = :referral FOR UPDATE")
_WATCH = text("""
INSERT INTO offer_watches AS w (referral_id, organization_id, child_id, village_code, regency_code, need, backbone,
                                offered_at, deadline, status, changed_at)
VALUES (:referral, :organization, :child, :village, :regency, :need, :backbone, :offered_at, :deadline, :status, :at)
ON CONFLICT (referral_id) DO UPDATE SET status = EXCLUDED.status, changed_at = EXCLUDED.changed_at,
    child_id = EXCLUDED.child_id, deadline = COALESCE(EXCLUDED.deadline, w.deadline)
    WHERE w.changed_at <= EXCLUDED.changed_at
RETURNING status
""")
_SERVING = text("""
SELECT DISTINCT ON (organization_id) organization_id, need, village_code FROM offer_watches
WHERE child_id = :child AND status = ANY (:live) ORDER BY organization_id, changed_at DESC
""")
_ORGANIZATION = text("""
INSERT INTO organizations AS o (id, name, regency_code, version) VALUES (:id, :name, :regency, :version)
ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, regency_code = EXCLUDED.regency_code,
    version = EXCLUDED.version WHERE o.version <= EXCLUDED.version
""")


async def referral_changed(session: AsyncSession, envelope: Envelope) -> None:
    data = ev.ReferralStatusChanged.model_validate(envelope.data)
    previous = (await run(session, _BEFORE, {"referral": data.referral_id})).scalar()
    row = (await run(session, _WATCH, {
        "referral": data.referral_id, "organization": data.organization_id, "child": data.child_id,
        "village": data.village_code, "regency": regency_of(data.village_code), "need": data.need,
        "backbone": data.backbone, "offered_at": envelope.time if data.status == "offered" else None,
        "deadline": data.respond_by, "status": data.status, "at": envelope.time})).first()
    if row is None:
        return  # older than what is known
    if previous == data.status:
        return  # nothing moved (e.g. the child changed in a merge)
    await notices.write(session, referral_notices(data, previous_status=previous), at=envelope.time)


async def case_moved(session: AsyncSession, envelope: Envelope) -> None:
    data = ev.CaseStatusChanged.model_validate(envelope.data)
    if data.to_status != "withdrawn":
        return
    await notices.write(session, [Notice(
        "child.withdrawn", "cadres", regency_of(data.village_code), f"/children/{data.child_id}",
        f"withdrawn:{data.child_id}:{envelope.id}", village_code=data.village_code,
        params={"village_code": data.village_code})], at=envelope.time)


async def flag_awaiting_approval(session: AsyncSession, envelope: Envelope) -> None:
    """A flag without the guardian's consent waits for a second person: the district's operators
    hear of it (whoever flagged it cannot approve it)."""
    data = ev.FlagAwaitingApproval.model_validate(envelope.data)
    await notices.write(session, [Notice(
        "flag.awaiting_approval", "operators", regency_of(data.village_code), f"/children/{data.child_id}",
        f"approval:{data.flag_id}", village_code=data.village_code, urgent=True,
        params={"village_code": data.village_code, "services": data.needs})], at=envelope.time)


async def visits_due(session: AsyncSession, envelope: Envelope) -> None:
    """The registry's weekly count of a desa's visits due: the cadres' weekly digest."""
    data = ev.VisitsDue.model_validate(envelope.data)
    link = "/children?overdue=true" if data.overdue else "/children"
    await notices.write(session, [Notice(
        "visits.due", "cadres", regency_of(data.village_code), link,
        f"visits:{data.village_code}:{data.week_of}", village_code=data.village_code,
        params={"village_code": data.village_code, "due": data.due, "overdue": data.overdue})], at=envelope.time)


async def merge_requested(session: AsyncSession, envelope: Envelope) -> None:
    """Someone asked the district to merge two records of one child: the operators decide."""
    data = ev.ChildMergeRequested.model_validate(envelope.data)
    await notices.write(session, [Notice(
        "merge.requested", "operators", regency_of(data.village_code), f"/children/{data.child_id}?duplicates=1",
        f"merge:{data.child_id}:{data.duplicate_id}", village_code=data.village_code,
        params={"village_code": data.village_code})], at=envelope.time)


async def transfer_proposed(session: AsyncSession, envelope: Envelope) -> None:
    """A kabupaten proposes moving a child's case to another: the receiving operators answer."""
    data = ev.TransferProposed.model_validate(envelope.data)
    await notices.write(session, [Notice(
        "transfer.proposed", "operators", data.to_regency_code, "/transfers", f"transfer:{data.transfer_id}",
        params={"village_code": data.village_code})], at=envelope.time)


async def transfer_answered(session: AsyncSession, envelope: Envelope) -> None:
    """The receiving kabupaten accepted or declined: the proposing operators hear which."""
    if envelope.type == ev.ChildTransferred.event_type:
        moved = ev.ChildTransferred.model_validate(envelope.data)
        kind, transfer, village, decline = "transfer.accepted", moved.transfer_id, moved.from_village_code, None
    else:
        decided = ev.TransferDecided.model_validate(envelope.data)
        if decided.outcome != "declined":
            return  # a proposal withdrawn by its own kabupaten tells nobody
        kind, transfer, village, decline = "transfer.declined", decided.transfer_id, decided.village_code, \
            decided.reason
    await notices.write(session, [Notice(
        kind, "operators", regency_of(village), "/transfers?direction=outgoing", f"{kind}:{transfer}",
        params={"village_code": village, "decline": decline})], at=envelope.time)


async def gap_recorded(session: AsyncSession, envelope: Envelope) -> None:
    data = ev.GapRecorded.model_validate(envelope.data)
    await notices.write(session, [Notice(
        "gap.recorded", "operators", regency_of(data.village_code), f"/children/{data.child_id}",
        f"gap:{data.gap_id}", village_code=data.village_code,
        params={"service": data.need, "village_code": data.village_code, "reason": data.reason})], at=envelope.time)


async def child_gone(session: AsyncSession, envelope: Envelope) -> None:
    """A child erased or merged: the organisations serving the child are told (to delete copies
    held outside the system, or to follow the surviving record)."""
    if envelope.type == ev.ChildErased.event_type:
        data = ev.ChildErased.model_validate(envelope.data)
        kind, child = "case.erased", data.child_id
    else:
        merged = ev.ChildMerged.model_validate(envelope.data)
        kind, child = "case.merged", merged.merged_id
    serving = (await run(session, _SERVING, {"child": child, "live": list(LIVE)})).all()
    await notices.write(session, [Notice(
        kind, "organization", regency_of(row.village_code), "/inbox", f"{kind}:{child}:{row.organization_id}",
        organization_id=row.organization_id, village_code=row.village_code,
        params={"service": row.need, "village_code": row.village_code}) for row in serving], at=envelope.time)


async def organization_upserted(session: AsyncSession, envelope: Envelope) -> None:
    data = ev.OrganizationUpserted.model_validate(envelope.data)
    await run(session, _ORGANIZATION, {"id": data.organization_id, "name": data.organization_name,
                                          "regency": data.regency_code, "version": data.version})


async def mou_ending(session: AsyncSession, envelope: Envelope) -> None:
    if envelope.type == ev.MouExpiring.event_type:
        data: ev.MouExpiring | ev.MouExpired = ev.MouExpiring.model_validate(envelope.data)
        kind, extra = "mou.expiring", {"days_left": data.days_left}
    else:
        data = ev.MouExpired.model_validate(envelope.data)
        kind, extra = "mou.expired", {}
    await notices.write(session, [Notice(
        kind, "operators", data.regency_code, f"/directory/{data.organization_id}",
        f"{kind}:{data.mou_id}:{data.valid_until}", urgent=kind == "mou.expired",
        params={"organization_id": str(data.organization_id), "valid_until": data.valid_until.isoformat(),
                "regency_code": data.regency_code, **extra})], at=envelope.time)


_NOTICES = {ev.CaseStatusChanged.event_type: case_moved, ev.ChildErased.event_type: child_gone,
            ev.ChildMerged.event_type: child_gone, ev.ReferralStatusChanged.event_type: referral_changed,
            ev.GapRecorded.event_type: gap_recorded, ev.FlagAwaitingApproval.event_type: flag_awaiting_approval,
            ev.OrganizationUpserted.event_type: organization_upserted, ev.MouExpiring.event_type: mou_ending,
            ev.MouExpired.event_type: mou_ending, ev.VisitsDue.event_type: visits_due,
            ev.ChildMergeRequested.event_type: merge_requested, ev.TransferProposed.event_type: transfer_proposed,
            ev.TransferDecided.event_type: transfer_answered, ev.ChildTransferred.event_type: transfer_answered}


def _handler(event_type: str):
    """Every event goes to the webhooks that want it; some also make notices."""
    notices_of = _NOTICES.get(event_type)

    async def handle(session: AsyncSession, envelope: Envelope) -> None:
        await webhooks.queue(session, envelope)
        if notices_of is not None:
            await notices_of(session, envelope)

    return handle


def of(service: str) -> dict:
    """The handler of each event type `service` publishes."""
    return {model.event_type: _handler(model.event_type) for model in ev.CATALOGUE if model.source_service == service}
