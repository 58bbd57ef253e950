"""Reading the replica: the candidate offerings for a need in a kabupaten, with their load and record.

Load is the referrals each offering holds (accepted or in service) against its capacity; the
record is the organisation's mean hours to answer an offer and its share of offers accepted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from referral.kabupaten import service as kabupaten
from referral.kabupaten.service import KabupatenRules
from referral.rules.matching import Candidate
from referral.settings import ReferralSettings
from sprpa_contracts.eligibility import MouStatus, MouTerms, OfferingTerms, status_on
from sprpa_shared.db import fetch

_COLUMNS = """
SELECT o.id, o.organization_id, o.regency_code, o.category, o.service_area, o.min_age, o.max_age, o.sexes,
       o.capacity, o.course_type, o.languages,
       (SELECT count(*) FROM referrals r WHERE r.offering_id = o.id AND r.status IN ('accepted', 'in_service'))
           AS held,
       s.responded, s.accepted, s.expired, s.response_seconds,
       (SELECT array_agg((m.regency_code, m.signed_date, m.valid_from, m.valid_until, m.terminated_on,
                          m.service_categories))
        FROM replica_mous m WHERE m.organization_id = o.organization_id) AS mous
FROM replica_offerings o LEFT JOIN organization_stats s ON s.organization_id = o.organization_id
"""
_OFFERINGS = text(_COLUMNS + "WHERE o.regency_code = :regency AND o.category = :category AND NOT o.removed")
_OFFERING = text(_COLUMNS + "WHERE o.id = :id AND NOT o.removed")
# A flag's read: the candidates of its needs, its kabupaten's rules and whether it opened a case before.
_FLAG_READ = text(_COLUMNS.replace(
    "SELECT ", f"SELECT {kabupaten.RULES_COLUMN}, "
               "EXISTS (SELECT FROM cases WHERE flag_event_id = :flag_event OR flag_id = :flag) AS opened_before, ", 1)
    + "WHERE o.regency_code = :regency AND o.category = ANY(:categories) AND NOT o.removed")
_MOUS = text("""
SELECT organization_id, regency_code, signed_date, valid_from, valid_until, terminated_on, service_categories
FROM replica_mous WHERE organization_id = ANY(:orgs)
""")
_BACKBONE = text("""
SELECT id FROM replica_organizations WHERE :regency = ANY(backbone_for) ORDER BY version DESC, id LIMIT 1
""")
_BACKBONE_OFFERING = text("""
SELECT id FROM replica_offerings
WHERE organization_id = :org AND regency_code = :regency AND category = :category AND NOT removed
ORDER BY cardinality(service_area), id LIMIT 1
""")
_LOCK_OFFERING = text("SELECT capacity FROM replica_offerings WHERE id = :id FOR UPDATE")
_HELD = text("SELECT count(*) FROM referrals WHERE offering_id = :id AND status IN ('accepted', 'in_service')")


async def candidates(session: AsyncSession, *, regency_code: str, category: str) -> list[Candidate]:
    rows = await fetch(session, _OFFERINGS, {"regency": regency_code, "category": category})
    return _candidates(rows)


@dataclass(frozen=True)
class FlagRead:
    """What a flag's fan-out reads before it decides (`for_a_flag`)."""

    found: dict[str, list[Candidate]]  # the candidate offerings, by category
    rules: KabupatenRules
    opened_before: bool | None  # whether the flag opened its case before; None: not read


async def for_a_flag(session: AsyncSession, *, regency_code: str, categories: list[str],
                     settings: ReferralSettings, flag_event_id: uuid.UUID, flag_id: uuid.UUID | None) -> FlagRead:
    """`candidates` of several categories, by category, the kabupaten's rules
    (`kabupaten.rules_for`) and whether the flag's case exists (by its event, or by the flag
    for one published again in another envelope), in one read (a flag's critical
    path: two round trips fewer), the rest riding on the offering rows. It locks nothing, so a new
    case's transaction needs no block until its write (`db.DriverTransaction`). Without an offering, the
    rules are read alone and whether the case exists is left to the case's insert."""
    rows = await fetch(session, _FLAG_READ, {"regency": regency_code, "categories": categories,
                                             "flag_event": flag_event_id, "flag": flag_id}, unlocked=True)
    if not rows:
        return FlagRead({}, await kabupaten.rules_for(session, settings, regency_code), None)
    return FlagRead(_by_category(_candidates(rows)), kabupaten.rules_in(rows[0]["kabupaten_rules"], settings),
                    rows[0]["opened_before"])


def _by_category(found: list[Candidate]) -> dict[str, list[Candidate]]:
    by_category: dict[str, list[Candidate]] = {}
    for candidate in found:
        by_category.setdefault(candidate.terms.category, []).append(candidate)
    return by_category


async def candidate(session: AsyncSession, offering_id: uuid.UUID) -> Candidate | None:
    rows = await fetch(session, _OFFERING, {"id": offering_id})
    found = _candidates(rows)
    return found[0] if found else None


def _terms(row) -> MouTerms:
    return MouTerms(regency_code=row["regency_code"], signed_date=row["signed_date"], valid_from=row["valid_from"],
                    valid_until=row["valid_until"], service_categories=frozenset(row["service_categories"]),
                    terminated_on=row["terminated_on"])


def _mou_terms(mou: tuple) -> MouTerms:
    """An MOU as the offering rows carry it: (regency, signed, from, until, terminated, categories)."""
    regency, signed, valid_from, valid_until, terminated, categories = mou
    return MouTerms(regency_code=regency, signed_date=signed, valid_from=valid_from, valid_until=valid_until,
                    service_categories=frozenset(categories), terminated_on=terminated)


def _candidates(rows) -> list[Candidate]:
    """Candidates of offering rows (read on the driver connection: records, by key), with their
    organisations' MOUs, which the same statement reads (a round trip fewer on a flag's path)."""
    mous = {row["organization_id"]: tuple(_mou_terms(mou) for mou in row["mous"] or ()) for row in rows}
    return [
        Candidate(
            offering_id=row["id"],
            organization_id=row["organization_id"],
            terms=OfferingTerms(category=row["category"], regency_code=row["regency_code"],
                                service_area=frozenset(row["service_area"]), min_age=row["min_age"],
                                max_age=row["max_age"], sexes=frozenset(row["sexes"]), capacity=row["capacity"],
                                open_referrals=row["held"]),
            mous=mous[row["organization_id"]],
            response_hours=row["response_seconds"] / row["responded"] / 3600 if row["responded"] else None,
            acceptance_rate=(row["accepted"] / (row["responded"] + row["expired"])
                             if row["responded"] or row["expired"] else None),
            course_type=row["course_type"], languages=frozenset(row["languages"]),
        )
        for row in rows
    ]


async def backbone_of(session: AsyncSession, *, regency_code: str, category: str, day: date
                      ) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """(the kabupaten's backbone organisation, its offering in the category if it has one).

    None when the kabupaten names none, or its backbone has no MOU with the kabupaten in force on
    `day`: the backbone takes what no MOU provider covers, but it too serves under an MOU."""
    backbone = await fetch(session, _BACKBONE, {"regency": regency_code})
    organization_id = backbone[0][0] if backbone else None
    if organization_id is None:
        return None, None
    mous = await fetch(session, _MOUS, {"orgs": [organization_id]})
    if not any(row["regency_code"] == regency_code and status_on(_terms(row), day) is MouStatus.ACTIVE
               for row in mous):
        return None, None
    offering = await fetch(session, _BACKBONE_OFFERING,
                           {"org": organization_id, "regency": regency_code, "category": category})
    return organization_id, offering[0][0] if offering else None


async def free_places(session: AsyncSession, offering_id: uuid.UUID) -> int | None:
    """Capacity left, with the offering row locked so two acceptances cannot both take the last place.

    None when the offering is gone from the replica (removed or never known): nothing to hold."""
    connection = await session.connection()
    capacity = (await connection.execute(_LOCK_OFFERING, {"id": offering_id})).scalar()
    if capacity is None:
        return None
    return capacity - (await connection.execute(_HELD, {"id": offering_id})).scalar_one()
