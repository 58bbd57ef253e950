"""The fan-out: a flagged case's needs reach providers, and every change moves the need on.

A need keeps up to the kabupaten's `parallel_offers` offers out, to different organisations,
best match first. When an offer is declined or expires, the next candidate is offered; when
none is left and none is out, the need goes to the kabupaten's backbone organisation and is
recorded as a gap. If there is no backbone, or the backbone does not take it either, the need
is unmet and waits for the district.

Every change to a need happens with the need's row locked (`Need ... FOR UPDATE`), so an
acceptance, a decline, the SLA sweeper and a district re-referral never interleave on one
need; locks are always taken need first, then its case, then its referrals, then an offering's
capacity.
Each change is a line in the case timeline and an event through the outbox, in the same
transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from referral.directory import repository
from referral.kabupaten.service import KabupatenRules
from referral.models import Case, Gap, Need, Referral, TimelineEntry
from referral.rules import sla
from referral.rules.lifecycle import HOLDS_CAPACITY, LIVE, Status
from referral.rules.matching import Candidate, Match, honour, match
from sprpa_contracts.catalogue import NeedPreferences
from sprpa_contracts.eligibility import ChildNeed
from sprpa_contracts.events import CaseRefused, GapRecorded, ReferralStatusChanged
from sprpa_contracts.vocabulary import ENDED_REFERRAL
from sprpa_shared.auth.principal import Principal, Role
from sprpa_shared.db import Inserting, Part, new_row
from sprpa_shared.events.envelope import EventData
from sprpa_shared.events.outbox import emit_all
from sprpa_shared.ids import new_id
from sprpa_shared.observability import get_logger

log = get_logger(__name__)
ENGINE = Principal(subject="service:referral-engine", role=Role.INTEGRATION)
CONSENT_TO_SHARE = "share_with_mou_providers"
ENDED = ENDED_REFERRAL


class NeedStatus:
    MATCHING, ACCEPTED, IN_SERVICE, COMPLETED, UNMET = "matching", "accepted", "in_service", "completed", "unmet"
    WITHDRAWN = "withdrawn"  # the district took the need back, with a reason
    SETTLED = frozenset({COMPLETED, UNMET, WITHDRAWN})


@dataclass
class Step:
    """One transaction's changes to a case: its timeline lines and events, written at the end (so
    the last event can say whether the change settled every need of the case).

    `fresh`: the case is being opened, so every row the step keeps is new. They are then not handed
    to the session's unit of work but written by `finish`, an insert per table with the lines and
    the events, in one statement. `opened_before`: whether the flag opened its case before, when
    the caller read it (False: the case goes in that statement too; a flag handled twice at once
    fails there on the case's key, or on its inbox row). When not read, the case goes first, alone,
    with ON CONFLICT DO NOTHING: a flag that opened its case before writes nothing again."""

    session: AsyncSession
    case: Case
    actor: Principal
    now: datetime
    events: list[EventData] = field(default_factory=list)
    lines: list[dict] = field(default_factory=list)
    fresh: bool = False
    opened_before: bool | None = None
    made: dict[int, SQLModel] = field(default_factory=dict)

    def keep(self, row: SQLModel) -> None:
        """A row the step made or changed: for the session to flush, or for `finish` (`fresh`)."""
        if self.fresh:
            self.made[id(row)] = row
        else:
            self.session.add(row)

    def made_gaps(self, need: Need) -> list[Gap]:
        return [row for row in self.made.values() if isinstance(row, Gap) and row.need_id == need.id]

    def note(self, what: str, *, need: Need | None = None, referral: Referral | None = None,
             reason: str | None = None, note: str | None = None) -> None:
        self.lines.append({
            "case_id": self.case.id, "at": self.now, "actor": self.actor.subject, "actor_role": self.actor.role.value,
            "what": what, "need_id": need.id if need else (referral.need_id if referral else None),
            "referral_id": referral.id if referral else None,
            "organization_id": referral.organization_id if referral else None, "reason": reason, "note": note})

    def referral_changed(self, referral: Referral, *, reason: str | None = None, note: str | None = None) -> None:
        self.note(referral.status, referral=referral, reason=reason, note=note)
        self.announce(referral)

    def announce(self, referral: Referral) -> None:
        """The referral's state as an event (also when only its child changed: a merge)."""
        self.events.append(ReferralStatusChanged(
            referral_id=referral.id, child_id=referral.child_id, case_id=referral.case_id, need_id=referral.need_id,
            village_code=referral.village_code, need=referral.category, organization_id=referral.organization_id,
            service_id=referral.offering_id, backbone=referral.backbone, status=referral.status,
            reason=referral.reason, outcome=referral.outcome, sessions=referral.sessions,
            on=happened_on(referral, self.now),
            respond_by=referral.deadline if referral.status == "offered" else None))

    async def finish(self, *, needs: list[Need] | None = None) -> None:
        """Settle the case if no need waits any more, then emit the events in order. `needs`: all
        of the case's needs, when the caller holds them (a case just opened), to save reading them."""
        settled = await _settle(self, needs)
        self.case.updated_at = self.now
        self.keep(self.case)
        made: list[Part | None] = []
        if self.fresh:
            if self.opened_before is None:
                # The case first, alone: it says whether its flag opened one before (then nothing is written).
                if not await _OPENED.run(self.session, [_columns(self.case)]):
                    log.info("flag already opened a case", case_flag_event=str(self.case.flag_event_id))
                    return
            else:  # known not opened before: with the rest
                made.append(_CASE.part([_columns(self.case)]))
            made += [inserting.part([_columns(row) for row in self.made.values() if isinstance(row, model)])
                     for model, inserting in _MADE]
        elif self.lines:
            await self.session.flush()  # the rows the lines name (needs, offers) before them
        events = list(self.events)
        if settled and events and isinstance(events[-1], ReferralStatusChanged):
            events[-1] = events[-1].model_copy(update={"all_needs_settled": True})
        # A fresh case's needs, offers and gaps, the lines and the events: one round trip (db.together).
        await emit_all(self.session, events, at=self.now, along=[*made, _TIMELINE.part(self.lines)])


# Each table's rows in one statement on the driver connection: no ORM object per line (the lines,
# and a fresh case's rows, are never read back in the transaction).
_TIMELINE = Inserting(TimelineEntry.__table__, ["case_id", "at", "actor", "actor_role", "what", "need_id",
                                                "referral_id", "organization_id", "reason", "note"])
_OPENED = Inserting(Case.__table__, skip_existing=True)
_CASE = Inserting(Case.__table__)
_MADE = [(model, Inserting(model.__table__)) for model in (Need, Referral, Gap)]


def _columns(row: SQLModel) -> dict:
    """A new row's values, read from the row itself (a row made in this step holds every one)."""
    values = row.__dict__
    return {column.name: values.get(column.name) for column in row.__table__.columns}


async def _settle(step: Step, needs: list[Need] | None) -> bool:
    case, now = step.case, step.now
    if case.status in ("refused", "closed"):
        return False
    if needs is not None:
        statuses = [need.status for need in needs]
    else:
        statuses = (await step.session.exec(select(Need.status).where(Need.case_id == case.id))).all()
    settled = bool(statuses) and all(status in NeedStatus.SETTLED for status in statuses)
    if settled and case.status != "settled":
        case.status, case.settled_at = "settled", now
        step.keep(case)
        return True
    if not settled and case.status == "settled":
        case.status, case.settled_at = "open", None  # re-referred by the district
        step.keep(case)
    return False


def happened_on(referral: Referral, now: datetime) -> date:
    """The date the referral's current status stands for: the one its provider gave, if any."""
    given = {Status.ACCEPTED: referral.accepted_on, Status.IN_SERVICE: referral.started_on}.get(
        Status(referral.status), referral.ended_on if referral.status in ENDED else None)
    return given or now.date()


def refusal(consent_id: uuid.UUID | None, scope: list[str]) -> str | None:
    """Why a flagged case may not be shared with providers; None when it may."""
    if consent_id is None:
        return "no_consent"
    if CONSENT_TO_SHARE not in scope:
        return "consent_scope"
    return None


async def refuse(step: Step, reason: str) -> None:
    case = step.case
    case.status, case.refused_reason = "refused", reason
    step.keep(case)
    step.note("refused", reason=reason)
    step.events.append(CaseRefused(case_id=case.id, child_id=case.child_id, village_code=case.village_code,
                                   reason=reason))


async def referrals_of(session: AsyncSession, need: Need) -> list[Referral]:
    query = select(Referral).where(Referral.need_id == need.id).order_by(col(Referral.offered_at), col(Referral.id))
    return list((await session.exec(query.with_for_update())).all())


async def fill(step: Step, need: Need, rules: KabupatenRules, *, new: bool = False,
               found: list[Candidate] | None = None) -> None:
    """Bring the need's offers up to `parallel_offers`; backbone or unmet when nobody is left.

    `new`: the need was just made and has no referral yet; `found`: the kabupaten's candidate
    offerings in the need's category, when the caller read them for several needs at once."""
    # What the need went through in another kabupaten (before the child's case moved here) does not
    # count here: those organisations and that backbone served the old kabupaten's MOUs.
    referrals = [] if new else [r for r in await referrals_of(step.session, need)
                                if r.regency_code == step.case.regency_code]
    if any(r.status in HOLDS_CAPACITY for r in referrals):
        return
    out = [r for r in referrals if r.status == Status.OFFERED]
    if any(r.backbone for r in referrals):
        if not out:
            set_status(step, need, NeedStatus.UNMET)
        return
    missing = rules.parallel_offers - len(out)
    if missing > 0:
        tried = {r.organization_id for r in referrals}
        chosen, preferred = await _next_candidates(step, need, tried, missing, found)
        if chosen and not preferred:
            if out and not await _has_gap(step, need, "preference_unmet"):
                chosen = []  # offers that meet the child's preferences are still out: wait for their answers
            else:
                await record_gap(step, need, reason="preference_unmet", backbone=None)
        for match_ in chosen:
            out.append(offer(step, need, rules, organization_id=match_.candidate.organization_id,
                             offering_id=match_.candidate.offering_id, area=match_.area))
    if out:
        set_status(step, need, NeedStatus.MATCHING)
        return
    await _to_backbone(step, need, rules, reason="exhausted" if referrals else "no_candidates")


async def _next_candidates(step: Step, need: Need, tried: set[uuid.UUID], wanted: int,
                           found: list[Candidate] | None) -> tuple[list[Match], bool]:
    """(the next offerings to offer, one per organisation not tried yet; whether they meet the
    child's preferences for the need)."""
    case = step.case
    if found is None:
        found = await repository.candidates(step.session, regency_code=case.regency_code, category=need.category)
    eligible, _ = match(ChildNeed(category=need.category, village_code=case.village_code, age=case.age, sex=case.sex),
                        found, step.now.date())
    untried = [m for m in eligible if m.candidate.organization_id not in tried]
    ordered, preferred = honour(untried, preferences_of(need))
    chosen: list[Match] = []
    for candidate in ordered:  # one offer per organisation: its best offering for the child
        if candidate.candidate.organization_id not in tried:
            tried.add(candidate.candidate.organization_id)
            chosen.append(candidate)
            if len(chosen) == wanted:
                break
    return chosen, preferred


def preferences_of(need: Need) -> NeedPreferences | None:
    return NeedPreferences.model_validate(need.preferences) if need.preferences else None


def offer(step: Step, need: Need, rules: KabupatenRules, *, organization_id: uuid.UUID, offering_id: uuid.UUID | None,
          area: str | None = None, backbone: bool = False, referral_id: uuid.UUID | None = None) -> Referral:
    case = step.case
    referral = new_row(
        Referral, id=referral_id or new_id(), need_id=need.id, case_id=case.id, child_id=case.child_id,
        village_code=case.village_code,
        regency_code=case.regency_code, category=need.category, organization_id=organization_id,
        offering_id=offering_id, backbone=backbone, area=area, status=Status.OFFERED, offered_at=step.now,
        updated_at=step.now,
        deadline=sla.deadline(step.now, rules.sla_hours, weekends_count=rules.weekends_count,
                              place_code=case.village_code),
    )
    step.keep(referral)
    step.referral_changed(referral)
    if metrics := step.session.info.get("metrics"):
        metrics.counter("sprpa_referral_offers", "Offers made to organisations (backbone included)",
                        ("backbone",)).labels(str(backbone).lower()).inc()
    return referral


async def _to_backbone(step: Step, need: Need, rules: KabupatenRules, *, reason: str) -> None:
    case = step.case
    backbone, offering_id = await repository.backbone_of(step.session, regency_code=case.regency_code,
                                                         category=need.category, day=step.now.date())
    await record_gap(step, need, reason=reason, backbone=backbone)
    if backbone is None:
        set_status(step, need, NeedStatus.UNMET)
        return
    offer(step, need, rules, organization_id=backbone, offering_id=offering_id, backbone=True)
    set_status(step, need, NeedStatus.MATCHING)


async def _has_gap(step: Step, need: Need, reason: str) -> bool:
    if step.fresh:
        return any(gap.reason == reason for gap in step.made_gaps(need))
    query = select(Gap.id).where(Gap.need_id == need.id, Gap.reason == reason,
                                 Gap.regency_code == step.case.regency_code)
    return (await step.session.exec(query)).first() is not None


async def record_gap(step: Step, need: Need, *, reason: str, backbone: uuid.UUID | None) -> None:
    """A gap of the need, in the timeline and evented: the first time only. A need has one gap for
    want of providers (`no_candidates` or `exhausted`) and one for a preference nobody met."""
    case = step.case
    kind = (Gap.reason == reason) if reason == "preference_unmet" else (Gap.reason != "preference_unmet")
    here = Gap.regency_code == case.regency_code  # a kabupaten the case moved from had its own gaps
    if step.fresh:
        if any((gap.reason == "preference_unmet") == (reason == "preference_unmet") for gap in step.made_gaps(need)):
            return
    elif (await step.session.exec(select(Gap.id).where(Gap.need_id == need.id, kind, here))).first() is not None:
        return
    gap = new_row(Gap, id=new_id(), need_id=need.id, case_id=case.id, child_id=case.child_id,
                  village_code=case.village_code, regency_code=case.regency_code, category=need.category,
                  reason=reason, backbone_organization_id=backbone, recorded_at=step.now)
    step.keep(gap)
    step.note("gap", need=need, reason=reason)
    step.events.append(GapRecorded(gap_id=gap.id, case_id=case.id, need_id=need.id, child_id=case.child_id,
                                   village_code=case.village_code, need=need.category, reason=reason,
                                   backbone_organization_id=backbone, on=step.now.date()))


def move(referral: Referral, status: Status, now: datetime, *, on: date | None = None) -> None:
    """Change a referral's status (the caller checked the move) and stamp the moment it was entered
    and the date it happened (`on`, as the provider gave it; today when not given)."""
    referral.status = status
    referral.version += 1
    referral.updated_at = now
    day = on or now.date()
    if status in (Status.ACCEPTED, Status.DECLINED):
        referral.answered_at = now
    if status is Status.ACCEPTED:
        referral.accepted_on = day
    if status is Status.IN_SERVICE:
        referral.started_at, referral.started_on = now, day
    if status in ENDED:
        referral.ended_at, referral.ended_on = now, day


async def cancel_live(step: Step, need: Need, reason: str) -> bool:
    """Every live referral of the need cancelled with `reason` (its provider is told by the event);
    whether there was any."""
    live = [r for r in await referrals_of(step.session, need) if r.status in LIVE]
    for referral in live:
        move(referral, Status.CANCELLED, step.now)
        referral.reason = reason
        step.keep(referral)
        step.referral_changed(referral, reason=reason)
    return bool(live)


def set_status(step: Step, need: Need, status: str) -> None:
    if need.status != status:
        need.status = status
        step.keep(need)


async def withdraw_others(step: Step, need: Need, keep: uuid.UUID | None) -> None:
    """The other open offers of the need are withdrawn (someone accepted, or the district re-referred)."""
    for other in await referrals_of(step.session, need):
        if other.id != keep and other.status == Status.OFFERED:
            move(other, Status.WITHDRAWN, step.now)
            step.keep(other)
            step.referral_changed(other)
