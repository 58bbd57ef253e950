"""`/api/v1/gaps`: needs no provider took, by kabupaten, category and date, newest first."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import and_, or_
from sqlmodel import col, select

from referral import access
from referral.cases.schemas import GapPage, GapPublic
from referral.models import Gap
from sprpa_shared import audit, days
from sprpa_shared.auth.principal import Role
from sprpa_shared.dependencies import ClockDep, PrincipalDep, SessionDep, needs
from sprpa_shared.errors import Forbidden
from sprpa_shared.pagination import Cursor, Limit, decode_cursor, encode_cursor

router = APIRouter(prefix="/api/v1/gaps", tags=["gaps"])


@router.get("", dependencies=[needs("referral:read")],
            response_model=GapPage, summary="Needs no MOU provider took, in your kabupaten (newest first)")
async def gaps(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    clock: ClockDep,
    regency_code: Annotated[str | None, Query(pattern=r"^\d{2}\.\d{2}$")] = None,
    category: str | None = None,
    recorded_from: Annotated[date | None, Query(**days.BOUNDS)] = None,
    recorded_to: Annotated[date | None, Query(**days.BOUNDS)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> GapPage:
    if regency_code:
        access.require_district(principal, regency_code)
    elif principal.role not in access.DISTRICT_ROLES:
        raise Forbidden(f"the {principal.role.value} role may not list gaps")
    query = select(Gap)
    if principal.role is not Role.NATIONAL_ADMIN:
        query = query.where(col(Gap.regency_code).in_(principal.regency_codes))
    if regency_code:
        query = query.where(Gap.regency_code == regency_code)
    if category:
        query = query.where(Gap.category == category)
    if recorded_from:
        query = query.where(col(Gap.recorded_at) >= datetime.combine(recorded_from, time(), UTC))
    if recorded_to:
        query = query.where(col(Gap.recorded_at) < datetime.combine(recorded_to + timedelta(days=1), time(), UTC))
    if cursor:
        at, id_ = decode_cursor(cursor)
        query = query.where(or_(col(Gap.recorded_at) < at, and_(col(Gap.recorded_at) == at, col(Gap.id) < id_)))
    rows = (await session.exec(query.order_by(col(Gap.recorded_at).desc(), col(Gap.id).desc()).limit(limit + 1))).all()
    page = rows[:limit]
    await audit.record(session, principal=principal, request=request, at=clock.now(),
                       child_ids=list({gap.child_id for gap in page}))
    last = page[-1] if len(rows) > limit else None
    return GapPage(items=[GapPublic(**gap.model_dump()) for gap in page],
                   next_cursor=encode_cursor(last.recorded_at, last.id) if last else None)
