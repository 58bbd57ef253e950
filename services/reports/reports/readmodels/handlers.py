"""Event handlers that keep the read models: one upsert per event (one for a run of registrations
or of referral changes), in the inbox transaction; a fetch's upserts, its inbox and progress rows
go to the database in one statement before the commit (`_run`).

Every handler gives the same tables whatever the order in which the three streams interleave
(each stream arrives in its own order), so a rebuild by replay produces identical reports.
Newer facts win by event time, so a late or replayed older event changes nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time

from pydantic_core import to_json
from sqlalchemy import TextClause, text
from sqlmodel.ext.asyncio.session import AsyncSession

from sprpa_contracts import events as ev
from sprpa_contracts.vocabulary import ENDED_REFERRAL
from sprpa_shared.db import keep, later, text_part
from sprpa_shared.events.consumer import BatchHandler
from sprpa_shared.events.envelope import Envelope

# A run of registrations (a bulk import's) is one statement.
_CHILDREN_REGISTERED = text("""
INSERT INTO rm_children (child_id, village_code, sex, birth_year, mapping_categories, classification,
                         school_at_intake, school_status, living_arrangement, registered_at, status, status_at,
                         changed_at, identified_through, classification_basis, birth_month)
SELECT child_id, village_code, sex, birth_year, mapping_categories, classification, school_status, school_status,
       living_arrangement, at, 'identified', at, at, identified_through, COALESCE(classification_basis, '{}'),
       birth_month
FROM json_to_recordset(CAST(:rows AS json)) AS r (
    child_id uuid, village_code text, sex text, birth_year smallint, mapping_categories text[], classification text,
    school_status text, living_arrangement text, at timestamptz, identified_through text,
    classification_basis text[], birth_month text)
ON CONFLICT (child_id) DO NOTHING
""")
_CHILD_UPDATED = text("""
UPDATE rm_children SET village_code = :village, sex = :sex, birth_year = :birth_year,
    birth_month = COALESCE(:birth_month, birth_month),
    classification = :classification, mapping_categories = COALESCE(:mapping, mapping_categories),
    school_status = COALESCE(:school, school_status), living_arrangement = COALESCE(:living, living_arrangement),
    identified_through = COALESCE(:through, identified_through),
    classification_basis = COALESCE(:basis, classification_basis), changed_at = :at
WHERE child_id = :child AND changed_at <= :at
""")
_CASE_MOVED = text("""
INSERT INTO rm_case_moves (event_id, child_id, village_code, at, from_status, to_status, basis)
VALUES (:event, :child, :village, :at, :from_status, :to_status, :basis) ON CONFLICT DO NOTHING
""")
_CHILD_STATUS = text("""
UPDATE rm_children SET status = :to_status, status_at = :at WHERE child_id = :child AND status_at <= :at
""")
_VISIT = text("""
INSERT INTO rm_visits (visit_id, child_id, village_code, visited_on, outcome)
VALUES (:visit, :child, :village, :on, :outcome) ON CONFLICT DO NOTHING
""")
_MERGED = text("UPDATE rm_children SET merged_into = :survivor WHERE child_id = :merged")
_MERGED_COSTS = text("UPDATE rm_costs SET child_id = :survivor WHERE child_id = :merged")  # the registry moves them too
# The read models hold no name, NIK or exact birth date to drop: the child stays counted (reports
# add up) and is marked, so nothing here is ever joined back to a person again.
_ERASED = text("UPDATE rm_children SET erased_on = :on WHERE child_id = :child")
_FLAG = text("""
INSERT INTO rm_flags (event_id, child_id, village_code, flagged_at, age, classification, needs)
VALUES (:event, :child, :village, :at, :age, :classification, :needs) ON CONFLICT DO NOTHING
""")
# Each status stamps its own moment; the current status follows the newest event. A run of
# changes (a flag's offers) is one statement, each referral at most once in it.
_REFERRALS = text("""
INSERT INTO rm_referrals (referral_id, case_id, need_id, child_id, village_code, category, organization_id,
                          offering_id, backbone, status, outcome, reason, offered_at, accepted_at, started_at,
                          ended_at, changed_at, sessions)
SELECT referral_id, case_id, need_id, child_id, village_code, need, organization_id, service_id, backbone,
       status, outcome, reason, offered_at, accepted_at, started_at, ended_at, at, sessions
FROM json_to_recordset(CAST(:rows AS json)) AS r (
    referral_id uuid, case_id uuid, need_id uuid, child_id uuid, village_code text, need text,
    organization_id uuid, service_id uuid, backbone boolean, status text, outcome text, reason text,
    offered_at timestamptz, accepted_at timestamptz, started_at timestamptz, ended_at timestamptz, at timestamptz,
    sessions integer)
ON CONFLICT (referral_id) DO UPDATE SET
    status = CASE WHEN rm_referrals.changed_at <= EXCLUDED.changed_at THEN EXCLUDED.status
                  ELSE rm_referrals.status END,
    outcome = COALESCE(EXCLUDED.outcome, rm_referrals.outcome),
    sessions = COALESCE(EXCLUDED.sessions, rm_referrals.sessions),
    reason = COALESCE(EXCLUDED.reason, rm_referrals.reason),
    offered_at = COALESCE(rm_referrals.offered_at, EXCLUDED.offered_at),
    accepted_at = COALESCE(rm_referrals.accepted_at, EXCLUDED.accepted_at),
    started_at = COALESCE(rm_referrals.started_at,
                          CASE WHEN EXCLUDED.started_at IS NOT NULL
                                   THEN GREATEST(EXCLUDED.started_at, rm_referrals.offered_at) END),
    ended_at = COALESCE(rm_referrals.ended_at,
                        CASE WHEN EXCLUDED.ended_at IS NOT NULL
                                 THEN GREATEST(EXCLUDED.ended_at, rm_referrals.offered_at) END),
    changed_at = GREATEST(rm_referrals.changed_at, EXCLUDED.changed_at)
""")
_GAP = text("""
INSERT INTO rm_gaps (gap_id, need_id, child_id, village_code, category, reason, backbone_organization_id,
                     recorded_on)
VALUES (:gap, :need_id, :child, :village, :category, :reason, :backbone, :on) ON CONFLICT DO NOTHING
""")
_ORGANIZATION = text("""
INSERT INTO rm_organizations (organization_id, name, kind, regency_code, version)
VALUES (:org, :name, :kind, :regency, :version)
ON CONFLICT (organization_id) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind,
    regency_code = EXCLUDED.regency_code, version = EXCLUDED.version
WHERE rm_organizations.version < EXCLUDED.version
""")
_MOU = text("""
INSERT INTO rm_mous (mou_id, organization_id, regency_code, signed_date, valid_from, valid_until, terminated_on,
                     changed_at)
VALUES (:mou, :org, :regency, :signed, :valid_from, :valid_until, :terminated, :at)
ON CONFLICT (mou_id) DO UPDATE SET signed_date = EXCLUDED.signed_date, valid_from = EXCLUDED.valid_from,
    valid_until = EXCLUDED.valid_until, terminated_on = EXCLUDED.terminated_on, changed_at = EXCLUDED.changed_at
WHERE rm_mous.changed_at <= EXCLUDED.changed_at
""")
_OFFERING = text("""
INSERT INTO rm_offerings (offering_id, organization_id, category, course_type, version)
VALUES (:offering, :org, :category, :course, :version)
ON CONFLICT (offering_id) DO UPDATE SET category = EXCLUDED.category, course_type = EXCLUDED.course_type,
    version = EXCLUDED.version
WHERE rm_offerings.version < EXCLUDED.version
""")
_ACTIVITY = text("""
INSERT INTO rm_activities (activity_id, village_code, kind, recurring) VALUES (:activity, :village, :kind, :recurring)
ON CONFLICT DO NOTHING
""")
_SESSION = text("""
INSERT INTO rm_activity_sessions (session_id, activity_id, village_code, kind, held_on, anonymous, anonymous_total,
                                  registered)
VALUES (:session_id, :activity, :village, :kind, :held_on, CAST(:anonymous AS jsonb), :total, :registered)
ON CONFLICT DO NOTHING
""")
_SESSION_CHILDREN = text("""
INSERT INTO rm_session_children (session_id, child_id, village_code, held_on, kind)
SELECT :session_id, child, :village, :held_on, :kind FROM unnest(CAST(:children AS uuid[])) AS child
ON CONFLICT DO NOTHING
""")
_INSTITUTION = text("""
INSERT INTO rm_institution_changes (event_id, institution_id, village_code, type, status, decreed_on, members,
                                    changed_on, at)
VALUES (:event, :institution, :village, :type, :status, :decreed_on, :members, :changed_on, :at)
ON CONFLICT DO NOTHING
""")
_COST = text("""
INSERT INTO rm_costs (cost_id, village_code, amount_idr, funding_source, spent_on, child_id, service_code,
                      organization_id, activity_id, activity_kind)
VALUES (:cost, :village, :amount, :source, :spent_on, :child, :service, :org, :activity, :kind)
ON CONFLICT DO NOTHING
""")
_PROGRESS = text("""
INSERT INTO rm_progress (consumer, last_event_at, applied_at, events) VALUES (:consumer, :at, now(), :events)
ON CONFLICT (consumer) DO UPDATE SET last_event_at = GREATEST(rm_progress.last_event_at, EXCLUDED.last_event_at),
    applied_at = now(), events = rm_progress.events + EXCLUDED.events
""")
ENDED = ENDED_REFERRAL


async def _run(session: AsyncSession, statement: TextClause, **params) -> None:
    """Kept for the transaction's last statement (db.keep), with its inbox and progress rows: a
    fetch's handlers read nothing back, so their writes go in one round trip before the commit,
    on the driver connection (a fifth of the CPU of a statement through SQLAlchemy). A second write
    to one table goes after the first, in a statement of its own."""
    await keep(session, text_part(statement, params), table=_changed_table(statement))


_CHANGES = re.compile(r"^\s*(?:INSERT\s+INTO|UPDATE)\s+(\w+)", re.IGNORECASE)


def _changed_table(statement: TextClause) -> str:
    found = _CHANGES.match(statement.text)
    if found is None:
        raise ValueError(f"not an INSERT or an UPDATE: {statement.text[:60]}")
    return found.group(1)


_REGISTERED_FIELDS = {"child_id", "village_code", "sex", "birth_year", "mapping_categories", "classification",
                      "identified_through", "classification_basis", "birth_month",
                      "school_status", "living_arrangement"}


def _json(rows: list[dict]) -> str:
    """A run's rows as the statement's JSON parameter: pydantic's encoder, a third of `json.dumps`'s
    time for an import's thousand children (issue 27)."""
    return to_json(rows).decode()


async def children_registered(session: AsyncSession, envelopes: list[Envelope]) -> None:
    rows = []
    for envelope in envelopes:
        e = ev.ChildRegistered.model_validate(envelope.data)
        rows.append({**e.model_dump(mode="json", include=_REGISTERED_FIELDS), "at": envelope.time.isoformat()})
    await _run(session, _CHILDREN_REGISTERED, rows=_json(rows))


async def children_imported(session: AsyncSession, envelopes: list[Envelope]) -> None:
    """An import's batches: the children of each, one statement for the run, as a run of registrations."""
    rows = []
    for envelope in envelopes:
        ev.ChildrenImported.model_validate(envelope.data)  # the contract holds, or the event is refused
        at = envelope.time.isoformat()
        # The children as the event carries them (the statement reads the fields it names): a
        # thousand models dumped again one by one cost this consumer a third of an import's events.
        rows += [{**child, "at": at} for child in envelope.data["children"]]
    await _run(session, _CHILDREN_REGISTERED, rows=_json(rows))


async def child_updated(session: AsyncSession, e: ev.ChildUpdated, envelope: Envelope) -> None:
    await _run(session, _CHILD_UPDATED, child=e.child_id, village=e.village_code, sex=e.sex,
               birth_year=e.birth_year, birth_month=e.birth_month, classification=e.classification,
               mapping=e.mapping_categories, school=e.school_status, living=e.living_arrangement,
               through=e.identified_through,
               basis=e.classification_basis, at=envelope.time)


async def case_moved(session: AsyncSession, e: ev.CaseStatusChanged, envelope: Envelope) -> None:
    await _run(session, _CASE_MOVED, event=envelope.id, child=e.child_id, village=e.village_code, at=envelope.time,
               from_status=e.from_status, to_status=e.to_status, basis=e.basis)
    await _run(session, _CHILD_STATUS, child=e.child_id, to_status=e.to_status, at=envelope.time)


async def visit_recorded(session: AsyncSession, e: ev.VisitRecorded, envelope: Envelope) -> None:
    await _run(session, _VISIT, visit=e.visit_id, child=e.child_id, village=e.village_code, on=e.visited_on,
               outcome=e.outcome)


async def child_merged(session: AsyncSession, e: ev.ChildMerged, envelope: Envelope) -> None:
    await _run(session, _MERGED, survivor=e.child_id, merged=e.merged_id)
    await _run(session, _MERGED_COSTS, survivor=e.child_id, merged=e.merged_id)


async def child_erased(session: AsyncSession, e: ev.ChildErased, envelope: Envelope) -> None:
    await _run(session, _ERASED, child=e.child_id, on=e.on)


async def case_flagged(session: AsyncSession, e: ev.CaseFlagged, envelope: Envelope) -> None:
    await _run(session, _FLAG, event=envelope.id, child=e.child_id, village=e.village_code, at=envelope.time,
               age=e.age, classification=e.classification, needs=e.needs)


_REFERRAL_FIELDS = {"referral_id", "case_id", "need_id", "child_id", "village_code", "need", "organization_id",
                    "service_id", "backbone", "status", "outcome", "reason", "sessions"}


def _happened(e: ev.ReferralStatusChanged, envelope: Envelope) -> str:
    """When a start or an end counts: the event's time, or, for one the provider dated earlier (paper
    first, typed later), noon UTC of that day (the same day in WIB, WITA and WIT), never before the
    offer (the upsert keeps that). An acceptance counts when it was given in the system: the
    response time is the system's."""
    if e.on >= envelope.time.date():
        return envelope.time.isoformat()
    return datetime.combine(e.on, time(12), tzinfo=UTC).isoformat()


def _referral_row(envelope: Envelope) -> dict:
    e = ev.ReferralStatusChanged.model_validate(envelope.data)
    at, happened = envelope.time.isoformat(), _happened(e, envelope)
    return {**e.model_dump(mode="json", include=_REFERRAL_FIELDS), "at": at,
            "offered_at": at if e.status == "offered" else None,
            "accepted_at": at if e.status == "accepted" else None,  # the answer in the system: response times
            "started_at": happened if e.status == "in_service" else None,
            "ended_at": happened if e.status in ENDED else None}


async def referrals_changed(session: AsyncSession, envelopes: list[Envelope]) -> None:
    """One statement per stretch of the run in which no referral comes twice (a statement may
    not update one row twice); the stretches in the run's order."""
    stretch: dict[str, dict] = {}
    for row in map(_referral_row, envelopes):
        if row["referral_id"] in stretch:
            await _run(session, _REFERRALS, rows=_json(list(stretch.values())))
            stretch = {}
        stretch[row["referral_id"]] = row
    await _run(session, _REFERRALS, rows=_json(list(stretch.values())))


async def gap_recorded(session: AsyncSession, e: ev.GapRecorded, envelope: Envelope) -> None:
    await _run(session, _GAP, gap=e.gap_id, need_id=e.need_id, child=e.child_id, village=e.village_code,
               category=e.need, reason=e.reason, backbone=e.backbone_organization_id, on=e.on)


async def organization_upserted(session: AsyncSession, e: ev.OrganizationUpserted, envelope: Envelope) -> None:
    await _run(session, _ORGANIZATION, org=e.organization_id, name=e.organization_name, kind=e.kind,
               regency=e.regency_code, version=e.version)


async def mou_changed(session: AsyncSession, e: ev.MouChanged, envelope: Envelope) -> None:
    await _run(session, _MOU, mou=e.mou_id, org=e.organization_id, regency=e.regency_code, signed=e.signed_date,
               valid_from=e.valid_from, valid_until=e.valid_until, terminated=e.terminated_on, at=envelope.time)


async def offering_changed(session: AsyncSession, e: ev.OfferingChanged, envelope: Envelope) -> None:
    await _run(session, _OFFERING, offering=e.offering_id, org=e.organization_id, category=e.category,
               course=e.course_type, version=e.version)


async def activity_recorded(session: AsyncSession, e: ev.ActivityRecorded, envelope: Envelope) -> None:
    await _run(session, _ACTIVITY, activity=e.activity_id, village=e.village_code, kind=e.kind,
               recurring=e.recurring)


async def session_recorded(session: AsyncSession, e: ev.ActivitySessionRecorded, envelope: Envelope) -> None:
    anonymous = [count.model_dump(mode="json") for count in e.anonymous]
    await _run(session, _SESSION, session_id=e.session_id, activity=e.activity_id, village=e.village_code, kind=e.kind,
               held_on=e.held_on, anonymous=json.dumps(anonymous), total=sum(c["count"] for c in anonymous),
               registered=len(e.child_ids))
    if e.child_ids:
        await _run(session, _SESSION_CHILDREN, session_id=e.session_id, village=e.village_code, held_on=e.held_on,
                   kind=e.kind, children=[str(child) for child in e.child_ids])


async def institution_changed(session: AsyncSession, e: ev.InstitutionChanged, envelope: Envelope) -> None:
    await _run(session, _INSTITUTION, event=envelope.id, institution=e.institution_id, village=e.village_code,
               type=e.type, status=e.status, decreed_on=e.decreed_on, members=e.members, changed_on=e.changed_on,
               at=envelope.time)


async def cost_recorded(session: AsyncSession, e: ev.CostRecorded, envelope: Envelope) -> None:
    await _run(session, _COST, cost=e.cost_id, village=e.village_code, amount=e.amount_idr, source=e.funding_source,
               spent_on=e.spent_on, child=e.child_id, service=e.service_code, org=e.organization_id,
               activity=e.activity_id, kind=e.activity_kind)


def progress(consumer: str) -> Callable[[AsyncSession, list[Envelope]], Awaitable[None]]:
    """Advances the consumer's row of `rm_progress` (the reports' freshness) by the events a fetch
    acts on: once a transaction (the consumer's `before`), not once a handler, and with the
    handlers' first statement (`db.later`), not in a round trip of its own."""
    async def advance(session: AsyncSession, envelopes: list[Envelope]) -> None:
        later(session, text_part(_PROGRESS, {"consumer": consumer, "at": max(e.time for e in envelopes),
                                             "events": len(envelopes)}))

    return advance


REGISTRY = {
    ev.ChildRegistered: BatchHandler(children_registered), ev.ChildrenImported: BatchHandler(children_imported),
    ev.ChildUpdated: child_updated,
    ev.CaseStatusChanged: case_moved, ev.VisitRecorded: visit_recorded, ev.ChildMerged: child_merged,
    ev.CaseFlagged: case_flagged, ev.ChildErased: child_erased,
    ev.ActivityRecorded: activity_recorded, ev.ActivitySessionRecorded: session_recorded,
    ev.InstitutionChanged: institution_changed, ev.CostRecorded: cost_recorded,
}
REFERRAL = {ev.ReferralStatusChanged: BatchHandler(referrals_changed), ev.GapRecorded: gap_recorded}
PROVIDERS = {ev.OrganizationUpserted: organization_upserted, ev.OfferingChanged: offering_changed,
             ev.MouChanged: mou_changed}
