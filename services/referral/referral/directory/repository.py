"""Reading the replica: the candidate offerings for a need in a kabupaten."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from referral.matching.rules import Candidate
from sprpa_contracts.eligibility import MouTerms, OfferingTerms

_OFFERINGS = text("""
SELECT id, organization_id, regency_code, category, service_area, min_age, max_age, sexes, capacity
FROM replica_offerings WHERE regency_code = :regency AND category = :category AND NOT removed
""")
_MOUS = text("""
SELECT organization_id, regency_code, signed_date, valid_from, valid_until, terminated_on, service_categories
FROM replica_mous WHERE organization_id = ANY(:orgs)
""")


async def candidates(session: AsyncSession, *, regency_code: str, category: str) -> list[Candidate]:
    connection = await session.connection()
    offerings = (await connection.execute(_OFFERINGS, {"regency": regency_code, "category": category})).all()
    mous: dict = {}
    organization_ids = list({row.organization_id for row in offerings})
    for row in await connection.execute(_MOUS, {"orgs": organization_ids}):
        mous.setdefault(row.organization_id, []).append(MouTerms(
            regency_code=row.regency_code, signed_date=row.signed_date, valid_from=row.valid_from,
            valid_until=row.valid_until, service_categories=frozenset(row.service_categories),
            terminated_on=row.terminated_on))
    return [
        Candidate(
            offering_id=row.id,
            organization_id=row.organization_id,
            terms=OfferingTerms(category=row.category, regency_code=row.regency_code,
                                service_area=frozenset(row.service_area), min_age=row.min_age, max_age=row.max_age,
                                sexes=frozenset(row.sexes), capacity=row.capacity),
            mous=tuple(mous.get(row.organization_id, ())),
        )
        for row in offerings
    ]
