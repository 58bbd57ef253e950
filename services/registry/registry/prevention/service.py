"""A kabupaten's prevention rule: its versions, the one in force on a day, and a child's sessions."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from registry.prevention.rules import PreventionRule, in_force
from registry.prevention.schemas import PreventionRuleIn
from sprpa_contracts.events import PreventionRuleSet
from sprpa_shared.events.outbox import emit

_VERSIONS = text("SELECT regency_code, version, min_sessions, window_months, kinds, effective_from "
                 "FROM prevention_rules WHERE regency_code = :regency ORDER BY version")
_NEXT = text("SELECT COALESCE(max(version), 0) + 1 FROM prevention_rules WHERE regency_code = :regency")
_SET = text("INSERT INTO prevention_rules (regency_code, version, min_sessions, window_months, kinds, "
            "effective_from, set_at, set_by) VALUES (:regency, :version, :min_sessions, :window_months, :kinds, "
            ":effective_from, :at, :by)")
_SESSIONS = text("SELECT count(*) AS sessions, min(held_on) AS first FROM session_children WHERE child_id = :child "
                 "AND held_on > :start AND held_on <= :end AND kind = ANY(:kinds)")


async def versions(session: AsyncSession, regency_code: str) -> list[PreventionRule]:
    rows = (await (await session.connection()).execute(_VERSIONS, {"regency": regency_code})).all()
    return [PreventionRule(r.regency_code, r.version, r.min_sessions, r.window_months, tuple(r.kinds),
                           r.effective_from) for r in rows]


async def rule_on(session: AsyncSession, regency_code: str, on: date) -> PreventionRule:
    return in_force(await versions(session, regency_code), regency_code, on)


async def set_rule(session: AsyncSession, regency_code: str, data: PreventionRuleIn, *, by: str,
                   now: datetime) -> PreventionRule:
    """A new version; earlier versions stay, and each visit is judged by the one in force on its day."""
    connection = await session.connection()
    await connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('prevention_rules:' || :regency))"),
                             {"regency": regency_code})
    version = (await connection.execute(_NEXT, {"regency": regency_code})).scalar_one()
    kinds = list(dict.fromkeys(data.kinds))
    await connection.execute(_SET, {"regency": regency_code, "version": version, "min_sessions": data.min_sessions,
                                    "window_months": data.window_months, "kinds": kinds,
                                    "effective_from": data.effective_from, "at": now, "by": by})
    await emit(session, PreventionRuleSet(regency_code=regency_code, version=version, min_sessions=data.min_sessions,
                                          window_months=data.window_months, kinds=kinds,
                                          effective_from=data.effective_from), at=now)
    return PreventionRule(regency_code, version, data.min_sessions, data.window_months, tuple(kinds),
                          data.effective_from)


async def sessions_counted(session: AsyncSession, rule: PreventionRule, child_id: uuid.UUID,
                           visited_on: date) -> tuple[int, date | None]:
    """How many sessions of the rule's kinds the child took part in within its window before the
    visit, and the first of them."""
    start, end = rule.window(visited_on)
    counted = (await (await session.connection()).execute(_SESSIONS, {
        "child": child_id, "start": start, "end": end, "kinds": list(rule.kinds)})).one()
    return counted.sessions, counted.first
