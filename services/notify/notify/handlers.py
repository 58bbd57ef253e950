"""What the notify service does with each event: keep its copy of offers and organisations, and
write the notices the event calls for (`rules`), in the inbox transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from notify import notices
from notify.rules import LIVE, NO_STATUS, Notice, referral_notices_after, regency_of
from notify.webhooks import fanout as webhooks
from sprpa_contracts import events as ev
from sprpa_shared.db import execute, fetch, write
from sprpa_shared.events.consumer import BatchHandler, only_when
from sprpa_shared.events.envelope import Envelope, EventData

# The offers' states as last heard, and the notices their changes call for, in one statement:
# - `before` reads the status each change replaces (every part sees the same snapshot). It is read
#   whole before any watch is written (`locked_first`): a row the statement has changed is not
#   read, nor locked, by it again;
# - an older event (out of order across subjects) writes no watch and so no notice, and a change
#   that moves nothing (the child changed in a merge) tells nobody;
# - each notice comes with the statuses after which it is due (`rules.referral_notices_after`).
# The referrals of one statement are distinct (`_distinct_runs`): a row cannot be upserted twice
# by one statement.
_WATCHED = """
heard AS (
    SELECT * FROM unnest(CAST(:referrals AS uuid[]), CAST(:organizations AS uuid[]), CAST(:children AS uuid[]),
                         CAST(:villages AS text[]), CAST(:regencies AS text[]), CAST(:needs AS text[]),
                         CAST(:backbones AS boolean[]), CAST(:offered_at AS timestamptz[]),
                         CAST(:deadlines AS timestamptz[]), CAST(:statuses AS text[]), CAST(:at AS timestamptz[]))
        WITH ORDINALITY AS h (referral_id, organization_id, child_id, village_code, regency_code, need, backbone,
                              offered_at, deadline, status, changed_at, n)
),
before AS (SELECT w.referral_id, w.status FROM offer_watches w JOIN heard h USING (referral_id) FOR UPDATE OF w),
watched AS (
    INSERT INTO offer_watches AS w (referral_id, organization_id, child_id, village_code, regency_code, need,
                                    backbone, offered_at, deadline, status, changed_at)
    SELECT referral_id, organization_id, child_id, village_code, regency_code, need, backbone, offered_at,
           deadline, status, changed_at
    FROM heard CROSS JOIN (SELECT count(*) FROM before) AS locked_first ORDER BY n
    ON CONFLICT (referral_id) DO UPDATE SET status = EXCLUDED.status, changed_at = EXCLUDED.changed_at,
        child_id = EXCLUDED.child_id, deadline = COALESCE(EXCLUDED.deadline, w.deadline)
        WHERE w.changed_at <= EXCLUDED.changed_at
    RETURNING referral_id, status
)"""
_DUE = f"""
SELECT g.id, g.kind, g.audience, g.organization_id, g.regency_code, g.village_code, g.urgent, g.params, g.link,
       g.at, g.key
FROM ({notices.given("told_", ("referrals", "referral_id", "uuid"), ("afters", "after", "text"))}) AS g
JOIN heard h USING (referral_id) JOIN watched USING (referral_id) LEFT JOIN before b USING (referral_id)
WHERE b.status IS DISTINCT FROM h.status AND coalesce(b.status, '{NO_STATUS}') = ANY (string_to_array(g.after, ','))
"""
_WATCH_AND_TELL = text(f"WITH {_WATCHED}, {notices.to_tell(_DUE)}")
_SERVING = text("""
SELECT DISTINCT ON (organization_id) organization_id, need, village_code FROM offer_watches
WHERE child_id = :child AND status = ANY (:live) ORDER BY organization_id, changed_at DESC
""")
_ORGANIZATION = text("""
INSERT INTO organizations AS o (id, name, regency_code, version) VALUES (:id, :name, :regency, :version)
ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, regency_code = EXCLUDED.regency_code,
    version = EXCLUDED.version WHERE o.version <= EXCLUDED.version
""")


async def referrals_changed(session: AsyncSession, envelopes: list[Envelope], wanted: webhooks.Wanted) -> None:
    """A run of referral changes (a flag's offers reach notify together): every offer's watch and
    every notice they call for in one statement."""
    for run_of in _distinct_runs(envelopes):
        changes = [ev.ReferralStatusChanged.model_validate(envelope.data) for envelope in run_of]
        for envelope in run_of:
            await webhooks.queue(session, envelope, wanted)
        due = [(notice, envelope.time, data.referral_id, ",".join(after))
               for data, envelope in zip(changes, run_of, strict=True)
               for notice, after in referral_notices_after(data)]
        told = await notices.columns(session, [(notice, at) for notice, at, _, _ in due], prefix="told_")
        await write(session, _WATCH_AND_TELL, {
            "referrals": [data.referral_id for data in changes],
            "organizations": [data.organization_id for data in changes],
            "children": [data.child_id for data in changes],
            "villages": [data.village_code for data in changes],
            "regencies": [regency_of(data.village_code) for data in changes],
            "needs": [data.need for data in changes], "backbones": [data.backbone for data in changes],
            "offered_at": [envelope.time if data.status == "offered" else None
                           for data, envelope in zip(changes, run_of, strict=True)],
            "deadlines": [data.respond_by for data in changes], "statuses": [data.status for data in changes],
            "at": [envelope.time for envelope in run_of],
            **told, "told_referrals": [referral for _, _, referral, _ in due],
            "told_afters": [after for _, _, _, after in due]})


def _distinct_runs(envelopes: list[Envelope]) -> list[list[Envelope]]:
    """The envelopes cut, in order, into runs in which no referral comes twice."""
    runs: list[list[Envelope]] = [[]]
    seen: set = set()
    for envelope in envelopes:
        referral = envelope.data.get("referral_id")
        if referral in seen:
            runs.append([])
            seen = set()
        seen.add(referral)
        runs[-1].append(envelope)
    return runs


async def case_moved(session: AsyncSession, data: ev.CaseStatusChanged, envelope: Envelope) -> None:
    if data.to_status != "withdrawn":
        return
    await notices.write(session, [Notice(
        "child.withdrawn", "cadres", regency_of(data.village_code), f"/children/{data.child_id}",
        f"withdrawn:{data.child_id}:{envelope.id}", village_code=data.village_code,
        params={"village_code": data.village_code})], at=envelope.time)


async def flag_awaiting_approval(session: AsyncSession, data: ev.FlagAwaitingApproval, envelope: Envelope) -> None:
    """A flag without the guardian's consent waits for a second person: the district's operators
    hear of it (whoever flagged it cannot approve it)."""
    await notices.write(session, [Notice(
        "flag.awaiting_approval", "operators", regency_of(data.village_code), f"/children/{data.child_id}",
        f"approval:{data.flag_id}", village_code=data.village_code, urgent=True,
        params={"village_code": data.village_code, "services": data.needs})], at=envelope.time)


async def visits_due(session: AsyncSession, data: ev.VisitsDue, envelope: Envelope) -> None:
    """The registry's weekly count of a desa's visits due: the cadres' weekly digest."""
    link = "/children?overdue=true" if data.overdue else "/children"
    await notices.write(session, [Notice(
        "visits.due", "cadres", regency_of(data.village_code), link,
        f"visits:{data.village_code}:{data.week_of}", village_code=data.village_code,
        params={"village_code": data.village_code, "due": data.due, "overdue": data.overdue})], at=envelope.time)


async def merge_requested(session: AsyncSession, data: ev.ChildMergeRequested, envelope: Envelope) -> None:
    """Someone asked the district to merge two records of one child: the operators decide."""
    await notices.write(session, [Notice(
        "merge.requested", "operators", regency_of(data.village_code), f"/children/{data.child_id}?duplicates=1",
        f"merge:{data.child_id}:{data.duplicate_id}", village_code=data.village_code,
        params={"village_code": data.village_code})], at=envelope.time)


async def transfer_proposed(session: AsyncSession, data: ev.TransferProposed, envelope: Envelope) -> None:
    """A kabupaten proposes moving a child's case to another: the receiving operators answer."""
    await notices.write(session, [Notice(
        "transfer.proposed", "operators", data.to_regency_code, "/transfers", f"transfer:{data.transfer_id}",
        params={"village_code": data.village_code})], at=envelope.time)


async def transfer_answered(session: AsyncSession, data: ev.ChildTransferred | ev.TransferDecided,
                            envelope: Envelope) -> None:
    """The receiving kabupaten accepted or declined: the proposing operators hear which."""
    if isinstance(data, ev.ChildTransferred):
        kind, transfer, village, decline = "transfer.accepted", data.transfer_id, data.from_village_code, None
    else:
        decided = data
        if decided.outcome != "declined":
            return  # a proposal withdrawn by its own kabupaten tells nobody
        kind, transfer, village, decline = "transfer.declined", decided.transfer_id, decided.village_code, \
            decided.reason
    await notices.write(session, [Notice(
        kind, "operators", regency_of(village), "/transfers?direction=outgoing", f"{kind}:{transfer}",
        params={"village_code": village, "decline": decline})], at=envelope.time)


async def gap_recorded(session: AsyncSession, data: ev.GapRecorded, envelope: Envelope) -> None:
    await notices.write(session, [Notice(
        "gap.recorded", "operators", regency_of(data.village_code), f"/children/{data.child_id}",
        f"gap:{data.gap_id}", village_code=data.village_code,
        params={"service": data.need, "village_code": data.village_code, "reason": data.reason})], at=envelope.time)


async def child_gone(session: AsyncSession, data: ev.ChildErased | ev.ChildMerged, envelope: Envelope) -> None:
    """A child erased or merged: the organisations serving the child are told (to delete copies
    held outside the system, or to follow the surviving record)."""
    if isinstance(data, ev.ChildErased):
        kind, child = "case.erased", data.child_id
    else:
        kind, child = "case.merged", data.merged_id
    serving = await fetch(session, _SERVING, {"child": child, "live": list(LIVE)})
    await notices.write(session, [Notice(
        kind, "organization", regency_of(row["village_code"]), "/inbox", f"{kind}:{child}:{row['organization_id']}",
        organization_id=row["organization_id"], village_code=row["village_code"],
        params={"service": row["need"], "village_code": row["village_code"]}) for row in serving], at=envelope.time)


async def organization_upserted(session: AsyncSession, data: ev.OrganizationUpserted, envelope: Envelope) -> None:
    await execute(session, _ORGANIZATION, {"id": data.organization_id, "name": data.organization_name,
                                           "regency": data.regency_code, "version": data.version})


async def mou_ending(session: AsyncSession, data: ev.MouExpiring | ev.MouExpired, envelope: Envelope) -> None:
    if isinstance(data, ev.MouExpiring):
        kind, extra = "mou.expiring", {"days_left": data.days_left}
    else:
        kind, extra = "mou.expired", {}
    await notices.write(session, [Notice(
        kind, "operators", data.regency_code, f"/directory/{data.organization_id}",
        f"{kind}:{data.mou_id}:{data.valid_until}", urgent=kind == "mou.expired",
        params={"organization_id": str(data.organization_id), "valid_until": data.valid_until.isoformat(),
                "regency_code": data.regency_code, **extra})], at=envelope.time)


_NOTICES: dict[type[EventData], Callable[..., Awaitable[None]]] = {
    ev.CaseStatusChanged: case_moved, ev.ChildErased: child_gone, ev.ChildMerged: child_gone,
    ev.GapRecorded: gap_recorded,
    ev.FlagAwaitingApproval: flag_awaiting_approval, ev.OrganizationUpserted: organization_upserted,
    ev.MouExpiring: mou_ending, ev.MouExpired: mou_ending, ev.VisitsDue: visits_due,
    ev.ChildMergeRequested: merge_requested, ev.TransferProposed: transfer_proposed,
    ev.TransferDecided: transfer_answered, ev.ChildTransferred: transfer_answered,
}


# Events of these types make a notice only when this says so (read from the envelope alone).
_MAY_NOTICE: dict[type[EventData], Callable[[Envelope], bool]] = {
    ev.CaseStatusChanged: lambda envelope: envelope.data.get("to_status") == "withdrawn",
}


# Events so large that reading one no endpoint wants was most of what notify spent on an import (a
# thousand children each, issue 27): whether an endpoint may want one is asked of its NATS subject
# first, whose kabupaten is the event's own place (`regency_code`).
_ASKED_BY_SUBJECT = frozenset({ev.ChildrenImported})


def _handler(model: type[EventData], wanted: webhooks.Wanted) -> Callable[..., Awaitable[None]] | BatchHandler:
    """Every event goes to the webhooks that want it; some also make notices. An event that makes
    none is not validated into its class here: the webhooks forward its envelope as it came, and
    validating an import's 1,000 children was most of what notify spent on it (issue 27).

    An event that makes no notice and that no endpoint wants, by what `wanted` keeps, has no effect:
    the consumer acknowledges it without a transaction (`only_when`). A flag's case events were a
    transaction of their own in notify, with an inbox row each."""
    if model is ev.ReferralStatusChanged:
        return BatchHandler(partial(referrals_changed, wanted=wanted))
    notices_of = _NOTICES.get(model)
    if notices_of is None:
        async def queue_all(session: AsyncSession, envelopes: list[Envelope]) -> None:
            for envelope in envelopes:
                await webhooks.queue(session, envelope, wanted)

        by_subject = None
        if model in _ASKED_BY_SUBJECT:
            def by_subject(subject: str) -> bool:
                return not webhooks.surely_unwanted_on(subject, model.event_type, wanted)

        return only_when(lambda envelope: not webhooks.surely_unwanted(envelope, wanted),
                         by_subject=by_subject)(BatchHandler(queue_all))

    async def handle(session: AsyncSession, event: EventData, envelope: Envelope) -> None:
        await webhooks.queue(session, envelope, wanted)
        await notices_of(session, event, envelope)

    may_notice = _MAY_NOTICE.get(model)
    if may_notice is None:
        return handle
    return only_when(lambda envelope: may_notice(envelope) or not webhooks.surely_unwanted(envelope, wanted))(handle)


def of(service: str, wanted: webhooks.Wanted) -> dict[type[EventData], Callable[..., Awaitable[None]] | BatchHandler]:
    """The handler of each event type `service` publishes."""
    return {model: _handler(model, wanted) for model in ev.CATALOGUE if model.source_service == service}
