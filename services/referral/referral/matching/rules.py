"""Which offerings can take a need, best first, and why the others cannot (pure).

Eligibility is the shared contract (`sprpa_contracts.eligibility`): an MOU active that day for
the child's kabupaten and the category, age, sex, service area, free capacity. The eligible
are ranked by how close their service area is to the child (desa, then kecamatan, then the
whole kabupaten), then by lower load, then by faster past responses (mean hours to answer) and higher acceptance.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sprpa_contracts.eligibility import ChildNeed, MouTerms, OfferingTerms, exclusion_reasons

AREA_DESA, AREA_KECAMATAN, AREA_KABUPATEN = "desa", "kecamatan", "kabupaten"
_AREA_ORDER = {AREA_DESA: 0, AREA_KECAMATAN: 1, AREA_KABUPATEN: 2}
UNKNOWN_RESPONSE_HOURS = 24.0 * 365  # no history yet: after those that have answered


@dataclass(frozen=True)
class Candidate:
    offering_id: uuid.UUID
    organization_id: uuid.UUID
    terms: OfferingTerms
    mous: tuple[MouTerms, ...]
    response_hours: float | None = None
    acceptance_rate: float | None = None


@dataclass(frozen=True)
class Match:
    candidate: Candidate
    area: str


@dataclass(frozen=True)
class Excluded:
    candidate: Candidate
    reasons: tuple[str, ...]


def area_of(terms: OfferingTerms, village_code: str) -> str:
    if village_code in terms.service_area:
        return AREA_DESA
    if village_code[:8] in terms.service_area:
        return AREA_KECAMATAN
    return AREA_KABUPATEN


def _rank_key(match: Match) -> tuple:
    candidate = match.candidate
    terms = candidate.terms
    load = terms.open_referrals / terms.capacity if terms.capacity else 1.0
    hours = candidate.response_hours if candidate.response_hours is not None else UNKNOWN_RESPONSE_HOURS
    return (_AREA_ORDER[match.area], load, hours, -(candidate.acceptance_rate or 0.0), str(candidate.offering_id))


def match(need: ChildNeed, candidates: list[Candidate], day: date) -> tuple[list[Match], list[Excluded]]:
    """(eligible offerings best first, excluded offerings with every reason)."""
    eligible, excluded = [], []
    for candidate in candidates:
        reasons = exclusion_reasons(candidate.terms, list(candidate.mous), need, day)
        if reasons:
            excluded.append(Excluded(candidate, tuple(reasons)))
        else:
            eligible.append(Match(candidate, area_of(candidate.terms, need.village_code)))
    return sorted(eligible, key=_rank_key), excluded
