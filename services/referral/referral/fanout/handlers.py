"""Consumer of `case.flagged`: opens the engine's case and fans each need out.

Runs in the inbox transaction, so a redelivered event has no second effect; the case is also
unique per flag event and per flag, so a replay through another consumer or a re-published
flag cannot open it twice either.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from referral.directory import repository
from referral.fanout import engine
from referral.kabupaten.service import rules_for
from referral.models import Case, Need
from referral.rules.lifecycle import LIVE, CancelReason, Status
from referral.settings import ReferralSettings
from sprpa_contracts.catalogue import NeedPreferences
from sprpa_contracts.events import (
    CaseFlagged,
    CaseStatusChanged,
    ChildErased,
    ChildMerged,
    ChildTransferred,
    ConsentWithdrawn,
)
from sprpa_shared.clock import Clock
from sprpa_shared.db import new_row
from sprpa_shared.events.consumer import driver_only, only_when
from sprpa_shared.events.envelope import Envelope, EventData
from sprpa_shared.ids import new_id
from sprpa_shared.observability import get_logger

log = get_logger(__name__)


async def open_case(session: AsyncSession, event: CaseFlagged, envelope: Envelope, *, settings: ReferralSettings,
                    clock: Clock) -> None:
    """The case of a flag, and its needs fanned out. Every row is new, so the step writes them
    at its end (`Step.fresh`), the case's first, the rest in one statement: a flag that opened its
    case before (replayed, or published again) writes nothing."""
    now = clock.now()
    case = new_row(Case, id=new_id(), child_id=event.child_id, flag_event_id=envelope.id, flag_id=event.flag_id,
                    consent_id=event.consent_id, village_code=event.village_code,
                    regency_code=event.village_code[:5], age=event.age, sex=event.sex,
                    classification=event.classification, status="open", flagged_at=envelope.time, updated_at=now)
    step = engine.Step(session=session, case=case, actor=engine.ENGINE, now=now, fresh=True)
    step.note("flag_received")
    refused = engine.refusal(event.consent_id, event.consent_scope)
    if refused:
        await engine.refuse(step, refused)
        await step.finish()
        return
    needs = [new_row(Need, id=new_id(), case_id=case.id, category=category, status=engine.NeedStatus.MATCHING,
                     preferences=_stored(event.preferences.get(category)))
             for category in dict.fromkeys(event.needs)]
    for need in needs:
        step.keep(need)
    read = await repository.for_a_flag(session, regency_code=case.regency_code,
                                       categories=[need.category for need in needs], settings=settings,
                                       flag_event_id=envelope.id, flag_id=event.flag_id)
    if read.opened_before:
        log.info("flag already opened a case", case_flag_event=str(envelope.id))
        return
    step.opened_before = read.opened_before
    for need in needs:
        await engine.fill(step, need, read.rules, new=True, found=read.found.get(need.category, []))
    await step.finish(needs=needs)


def _stored(preferences: NeedPreferences | None) -> dict | None:
    if preferences is None or preferences.is_empty():
        return None
    return preferences.model_dump(mode="json", exclude_none=True)


_CLEAR_REASONS = text("UPDATE referrals SET reason_text = NULL, updated_at = :now "
                      "WHERE child_id = :child AND reason_text IS NOT NULL")
_CLEAR_NOTES = text("UPDATE timeline SET note = NULL WHERE note IS NOT NULL "
                    "AND case_id IN (SELECT id FROM cases WHERE child_id = :child)")


async def _cancel_everything_live(session: AsyncSession, child_id, reason: CancelReason, now) -> None:
    """Every live referral of the child cancelled with `reason` (capacity released, providers told by
    the usual events), its need left unmet."""
    cases = (await session.exec(select(Case).where(Case.child_id == child_id)
                                .order_by(Case.id).with_for_update())).all()
    for case in cases:
        step = engine.Step(session=session, case=case, actor=engine.ENGINE, now=now)
        needs = (await session.exec(select(Need).where(Need.case_id == case.id)
                                    .order_by(Need.id).with_for_update())).all()
        for need in needs:
            if await engine.cancel_live(step, need, reason.value):
                engine.set_status(step, need, engine.NeedStatus.UNMET)
        await step.finish()


async def close_for_erased_child(session: AsyncSession, event: ChildErased, envelope: Envelope, *,
                                 clock: Clock) -> None:
    """The registry erased the child: no provider may go on serving a record that no longer
    exists. Every live referral is cancelled; the reason texts and timeline notes people typed
    about the child are cleared."""
    await _cancel_everything_live(session, event.child_id, CancelReason.CHILD_DATA_ERASED, clock.now())
    # What people typed about the child goes with the rest of the child's personal data.
    connection = await session.connection()
    await connection.execute(_CLEAR_REASONS, {"child": event.child_id, "now": clock.now()})
    await connection.execute(_CLEAR_NOTES, {"child": event.child_id})


_MOVE_TO_SURVIVOR = [text(f"UPDATE {table} SET child_id = :survivor{changed} WHERE child_id = :duplicate")
                     for table, changed in (("cases", ", updated_at = :now"), ("referrals", ", updated_at = :now"),
                                            ("gaps", ""))]


async def follow_merged_child(session: AsyncSession, event: ChildMerged, envelope: Envelope, *, clock: Clock) -> None:
    """The registry found two records of one child and kept `child_id`. The duplicate's cases, needs,
    referrals and gaps become the survivor's, and each live referral is announced again with the
    survivor's id (the registry moves the provider's access with it). If both had an open case, the
    duplicate's live referrals are cancelled (reason `child_merged`): one child, one open case."""
    now = clock.now()
    duplicates = (await session.exec(select(Case).where(Case.child_id == event.merged_id)
                                     .order_by(Case.id).with_for_update())).all()
    if not duplicates:
        return
    survivor_open = (await session.exec(select(Case.id).where(Case.child_id == event.child_id,
                                                              Case.status == "open"))).first() is not None
    connection = await session.connection()
    for statement in _MOVE_TO_SURVIVOR:
        await connection.execute(statement, {"survivor": event.child_id, "duplicate": event.merged_id, "now": now})
    for case in duplicates:
        await session.refresh(case)
        step = engine.Step(session=session, case=case, actor=engine.ENGINE, now=now)
        step.note("child_merged")
        needs = (await session.exec(select(Need).where(Need.case_id == case.id)
                                    .order_by(Need.id).with_for_update())).all()
        for need in needs:
            live = [r for r in await engine.referrals_of(session, need) if r.status in LIVE]
            for referral in live:
                await session.refresh(referral)
                if survivor_open and case.status == "open":
                    engine.move(referral, Status.CANCELLED, now)
                    referral.reason = CancelReason.CHILD_MERGED.value
                    session.add(referral)
                    step.referral_changed(referral, reason=referral.reason)
                else:
                    step.announce(referral)
            if live and survivor_open and case.status == "open":
                engine.set_status(step, need, engine.NeedStatus.UNMET)
        await step.finish()


async def follow_transferred_child(session: AsyncSession, event: ChildTransferred, envelope: Envelope, *,
                                   settings: ReferralSettings, clock: Clock) -> None:
    """The child's case moved to another kabupaten. What is live under the old kabupaten's MOUs is
    cancelled (reason `child_transferred`: its providers are told), and every need not yet served
    or withdrawn is offered afresh under the new kabupaten's MOUs and rules. Needs already served
    stay served; the old referrals keep their place, so the old kabupaten's reports stay right.
    A refused or closed case only follows the child to its new place. A redelivered event finds
    the case already moved and does nothing."""
    now = clock.now()
    cases = (await session.exec(select(Case).where(Case.child_id == event.child_id)
                                .order_by(Case.id).with_for_update())).all()
    for case in cases:
        if case.village_code == event.village_code:
            continue
        case.village_code, case.regency_code = event.village_code, event.village_code[:5]
        step = engine.Step(session=session, case=case, actor=engine.ENGINE, now=now)
        step.note("child_transferred")
        if case.status not in ("open", "settled"):
            await step.finish()
            continue
        rules = await rules_for(session, settings, case.regency_code)
        needs = (await session.exec(select(Need).where(Need.case_id == case.id)
                                    .order_by(Need.id).with_for_update())).all()
        for need in needs:
            await engine.cancel_live(step, need, CancelReason.CHILD_TRANSFERRED.value)
            if need.status not in (engine.NeedStatus.COMPLETED, engine.NeedStatus.WITHDRAWN):
                await engine.fill(step, need, rules)
        await step.finish()


# No need is added to or re-referred in a closed case; a relapse is a new flag and a new case.
_CLOSE_CASES = text("UPDATE cases SET status = 'closed', updated_at = :now "
                    "WHERE child_id = :child AND status IN ('open', 'settled')")


def _closes(envelope: Envelope) -> bool:
    return envelope.data.get("to_status") == "closed"


def handlers(settings: ReferralSettings, clock: Clock) -> dict[type[EventData], Callable[..., Awaitable[None]]]:
    @driver_only  # a new case is written on the driver connection, in two statements (Step.fresh)
    async def on_flagged(session: AsyncSession, event: CaseFlagged, envelope: Envelope) -> None:
        await open_case(session, event, envelope, settings=settings, clock=clock)

    async def on_erased(session: AsyncSession, event: ChildErased, envelope: Envelope) -> None:
        await close_for_erased_child(session, event, envelope, clock=clock)

    async def on_merged(session: AsyncSession, event: ChildMerged, envelope: Envelope) -> None:
        await follow_merged_child(session, event, envelope, clock=clock)

    async def on_transferred(session: AsyncSession, event: ChildTransferred, envelope: Envelope) -> None:
        await follow_transferred_child(session, event, envelope, settings=settings, clock=clock)

    async def on_consent_withdrawn(session: AsyncSession, event: ConsentWithdrawn, envelope: Envelope) -> None:
        """The guardian withdrew consent: everything live is cancelled, and the open cases are
        refused (no new offer, no re-referral) until the child is flagged again with consent."""
        open_cases = (await session.exec(select(Case).where(Case.child_id == event.child_id,
                                                            col(Case.status).in_(("open", "settled")))
                                         .with_for_update())).all()
        reason = CancelReason.CONSENT_EXPIRED if event.reason == "expired" else CancelReason.CONSENT_WITHDRAWN
        await _cancel_everything_live(session, event.child_id, reason, clock.now())
        for case in open_cases:
            case.status, case.refused_reason, case.updated_at = "refused", reason.value, clock.now()
            session.add(case)

    @only_when(_closes)
    async def on_status_changed(session: AsyncSession, event: CaseStatusChanged, envelope: Envelope) -> None:
        """The district closed the case (or the 12-month follow-up did): nothing stays live."""
        await _cancel_everything_live(session, event.child_id, CancelReason.CASE_CLOSED, clock.now())
        await session.flush()  # the cancellations (and a settled case) first: closed is the last word
        await (await session.connection()).execute(_CLOSE_CASES, {"child": event.child_id, "now": clock.now()})

    return {CaseFlagged: on_flagged, ChildErased: on_erased, ChildMerged: on_merged,
            CaseStatusChanged: on_status_changed, ConsentWithdrawn: on_consent_withdrawn,
            ChildTransferred: on_transferred}
