"""What the district does to a case after the flag: add a need, withdraw one.

Both lock the case first, then the need (the engine's order: need, case, referrals, for a
single need, and here the need is new or read under the case's lock), record the step in the
timeline and announce it through the outbox in the same transaction.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from referral import access
from referral.cases.schemas import NeedAdd, NeedWithdrawal
from referral.fanout import engine
from referral.kabupaten.service import rules_for
from referral.models import Case, Need
from referral.rules.lifecycle import CancelReason
from referral.settings import ReferralSettings
from sprpa_contracts.events import NeedChanged
from sprpa_shared.auth.principal import Principal
from sprpa_shared.errors import Conflict, NotFound, OutOfScope
from sprpa_shared.ids import new_id

OPEN = ("open", "settled")  # a settled case reopens when a need is added


async def _case_to_change(session: AsyncSession, child_id: uuid.UUID, principal: Principal) -> Case:
    """The child's latest case, locked, if the caller may change it."""
    case = (await session.exec(select(Case).where(Case.child_id == child_id)
                               .order_by(col(Case.flagged_at).desc(), col(Case.id).desc())
                               .limit(1).with_for_update())).first()
    if case is None:
        raise NotFound("no case for this child")
    if not access.can_read_case(principal, case.village_code):
        raise OutOfScope("no case for this child", child_id=child_id)
    access.require_district_writer(principal, case.village_code)
    if case.status == "refused":
        raise Conflict(f"the case was refused ({case.refused_reason}): record consent and flag it again",
                       current_status=case.status)
    if case.status == "closed":
        raise Conflict("the case is closed: a child who needs services again is assessed and flagged anew",
                       current_status=case.status)
    return case


def _announce(step: engine.Step, need: Need, change: str, reason: str | None = None) -> None:
    case = step.case
    step.events.append(NeedChanged(need_id=need.id, case_id=case.id, child_id=case.child_id,
                                   village_code=case.village_code, need=need.category, change=change, reason=reason,
                                   on=step.now.date()))


async def add_need(session: AsyncSession, *, child_id: uuid.UUID, data: NeedAdd, principal: Principal,
                   settings: ReferralSettings, now: datetime, need_id: uuid.UUID | None = None) -> Need:
    """The need joins the open case and is fanned out like the flag's own."""
    case = await _case_to_change(session, child_id, principal)
    same = (await session.exec(select(Need).where(Need.case_id == case.id, Need.category == data.category))).first()
    if same is not None:
        raise Conflict(f"the case already has this need ({same.status}): re-refer it or withdraw it instead",
                       current_status=same.status, need_id=str(same.id))
    preferences = data.preferences
    need = Need(id=need_id or new_id(), case_id=case.id, category=data.category, status=engine.NeedStatus.MATCHING,
                preferences=preferences.model_dump(mode="json", exclude_none=True)
                if preferences and not preferences.is_empty() else None,
                added_at=now, added_by=principal.subject)
    session.add(need)
    await session.flush()  # the need before its referrals
    step = engine.Step(session=session, case=case, actor=principal, now=now)
    step.note("need_added", need=need)
    _announce(step, need, "added")
    await engine.fill(step, need, await rules_for(session, settings, case.regency_code), new=True)
    await step.finish()
    return need


async def withdraw_need(session: AsyncSession, *, child_id: uuid.UUID, need_id: uuid.UUID, data: NeedWithdrawal,
                        principal: Principal, now: datetime) -> Need:
    """The district takes a need back with a reason: what is live for it is cancelled."""
    case = await _case_to_change(session, child_id, principal)
    need = await session.get(Need, need_id, with_for_update=True, populate_existing=True)
    if need is None or need.case_id != case.id:
        raise NotFound("no such need in the child's case")
    if need.status == engine.NeedStatus.WITHDRAWN:
        raise Conflict("the need was already withdrawn", current_status=need.status)
    if need.status == engine.NeedStatus.COMPLETED:
        raise Conflict("the need was already served to completion; nothing is left to withdraw",
                       current_status=need.status)
    step = engine.Step(session=session, case=case, actor=principal, now=now)
    await engine.cancel_live(step, need, CancelReason.NEED_WITHDRAWN.value)
    need.status, need.withdrawn_reason, need.withdrawn_at = engine.NeedStatus.WITHDRAWN, data.reason.value, now
    session.add(need)
    step.note("need_withdrawn", need=need, reason=data.reason.value, note=data.text)
    _announce(step, need, "withdrawn", data.reason.value)
    await step.finish()
    return need
