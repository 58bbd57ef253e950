"""Which offerings can take a need, best first, and why the others cannot (pure).

Eligibility is the shared contract (`sprpa_contracts.eligibility`): an MOU active that day for
the child's kabupaten and the category, age, sex, service area, free capacity. The eligible
are ranked by how close their service area is to the child (desa, then kecamatan, then the
whole kabupaten), then by lower load, then by faster past responses (mean hours to answer) and higher acceptance.

What the child asked for within a need (a course, a provider, a language) is a filter first and
a rank second: when some eligible offering fits every preference, only those are offered; when
none does, the others are, those fitting more preferences first, and the preference is unmet.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sprpa_contracts.catalogue import NeedPreferences
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
    course_type: str | None = None
    languages: frozenset[str] = frozenset()


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


def _fitting(candidate: Candidate, preferences: NeedPreferences) -> int:
    """How many of the stated preferences the offering meets."""
    return sum((
        preferences.course_type is not None and candidate.course_type == preferences.course_type,
        preferences.organization_id is not None and candidate.organization_id == preferences.organization_id,
        preferences.language is not None and preferences.language in candidate.languages,
    ))


def _stated(preferences: NeedPreferences) -> int:
    return sum(value is not None for value in (preferences.course_type, preferences.organization_id,
                                               preferences.language))


def honour(eligible: list[Match], preferences: NeedPreferences | None) -> tuple[list[Match], bool]:
    """(the matches to offer, best first; whether they meet the child's preferences).

    `eligible` is ranked already (and holds only those not yet tried); the order among equals stays."""
    if preferences is None or preferences.is_empty():
        return eligible, True
    wanted = _stated(preferences)
    fitting = [m for m in eligible if _fitting(m.candidate, preferences) == wanted]
    if fitting:
        return fitting, True
    return sorted(eligible, key=lambda m: -_fitting(m.candidate, preferences)), False
