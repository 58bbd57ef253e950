from datetime import date

import pytest

from sprpa_contracts.eligibility import MouStatus, MouTerms, exclusion, status_on

MOU = MouTerms(regency_code="35.09", signed_date=date(2025, 1, 10), valid_from=date(2025, 2, 1),
               valid_until=date(2026, 1, 31), service_categories=frozenset({"education.equivalency", "legal.aid"}))


@pytest.mark.parametrize(
    ("day", "status"),
    [
        (date(2025, 1, 31), MouStatus.PENDING),
        (date(2025, 2, 1), MouStatus.ACTIVE),
        (date(2026, 1, 31), MouStatus.ACTIVE),  # valid through its last day
        (date(2026, 2, 1), MouStatus.EXPIRED),
    ],
)
def test_status_follows_the_dates(day, status):
    assert status_on(MOU, day) is status


def test_unsigned_and_terminated():
    assert status_on(MouTerms(**{**MOU.__dict__, "signed_date": None}), date(2025, 6, 1)) is MouStatus.DRAFT
    ended = MouTerms(**{**MOU.__dict__, "terminated_on": date(2025, 6, 1)})
    assert status_on(ended, date(2025, 5, 31)) is MouStatus.ACTIVE
    assert status_on(ended, date(2025, 6, 1)) is MouStatus.TERMINATED


@pytest.mark.parametrize(
    ("regency", "category", "day", "reason"),
    [
        ("35.09", "legal.aid", date(2025, 6, 1), None),
        ("52.03", "legal.aid", date(2025, 6, 1), "mou_other_kabupaten"),
        ("35.09", "health.sti_check", date(2025, 6, 1), "mou_category_not_covered"),
        ("35.09", "legal.aid", date(2026, 2, 1), "mou_expired"),
        ("35.09", "legal.aid", date(2025, 1, 15), "mou_not_yet_valid"),
    ],
)
def test_gating_says_why(regency, category, day, reason):
    assert exclusion(MOU, regency_code=regency, category=category, day=day) == reason
