"""Ranking and exclusions of candidate offerings for a need (pure)."""

import uuid
from datetime import date

from referral.rules.matching import Candidate, match
from sprpa_contracts.eligibility import ChildNeed, MouTerms, OfferingTerms

DAY = date(2026, 11, 23)
MOU = MouTerms(regency_code="35.09", signed_date=date(2026, 1, 1), valid_from=date(2026, 1, 1),
               valid_until=date(2026, 12, 31), service_categories=frozenset({"psychosocial.counselling"}))
NEED = ChildNeed(category="psychosocial.counselling", village_code="35.09.11.2007", age=14, sex="female")


def candidate(name: str, *, area=(), capacity=10, open_referrals=0, hours=None, acceptance=None, mous=(MOU,)):
    return Candidate(
        offering_id=uuid.uuid5(uuid.NAMESPACE_DNS, name), organization_id=uuid.uuid5(uuid.NAMESPACE_URL, name),
        terms=OfferingTerms(category="psychosocial.counselling", regency_code="35.09", service_area=frozenset(area),
                            min_age=6, max_age=17, sexes=frozenset(), capacity=capacity,
                            open_referrals=open_referrals),
        mous=tuple(mous), response_hours=hours, acceptance_rate=acceptance)


def names(matches, pool):
    by_id = {c.offering_id: n for n, c in pool.items()}
    return [by_id[m.candidate.offering_id] for m in matches]


def test_closest_area_first_then_load_then_responsiveness():
    pool = {
        "kabupaten-wide": candidate("kabupaten-wide"),
        "same kecamatan": candidate("same kecamatan", area={"35.09.11"}),
        "same desa": candidate("same desa", area={"35.09.11.2007"}),
        "kecamatan, busy": candidate("kecamatan, busy", area={"35.09.11"}, open_referrals=8),
        "kabupaten, quick": candidate("kabupaten, quick", hours=2.0, acceptance=0.9),
        "kabupaten, slow": candidate("kabupaten, slow", hours=30.0, acceptance=0.9),
    }
    eligible, excluded = match(NEED, list(pool.values()), DAY)
    assert excluded == []
    assert names(eligible, pool) == ["same desa", "same kecamatan", "kecamatan, busy", "kabupaten, quick",
                                     "kabupaten, slow", "kabupaten-wide"]
    assert [m.area for m in eligible[:2]] == ["desa", "kecamatan"]


def test_excluded_candidates_carry_every_reason():
    pool = {"full": candidate("full", capacity=2, open_referrals=2),
            "no mou": candidate("no mou", mous=()),
            "elsewhere": candidate("elsewhere", area={"35.09.08"})}
    eligible, excluded = match(NEED, list(pool.values()), DAY)
    assert eligible == []
    reasons = {names([e], pool)[0]: e.reasons for e in excluded}
    assert reasons == {"full": ("no_capacity",), "no mou": ("no_mou",), "elsewhere": ("outside_service_area",)}
