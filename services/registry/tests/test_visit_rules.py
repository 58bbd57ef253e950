"""Follow-up schedule and what a follow-up visit proves."""

from datetime import date

import pytest

from registry.visits.rules import FollowUp, Outcome, add_months, next_visit_due, outcome

START = date(2026, 1, 31)


def test_months_are_added_with_month_ends_clamped():
    assert add_months(START, 1) == date(2026, 2, 28)
    assert add_months(START, 3) == date(2026, 4, 30)
    assert add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)


@pytest.mark.parametrize(
    ("last_visit", "expected"),
    [
        (date(2026, 1, 31), date(2026, 4, 30)),
        (date(2026, 4, 30), date(2026, 7, 31)),
        (date(2026, 5, 2), date(2026, 7, 31)),
        (date(2026, 8, 1), date(2027, 1, 31)),
        (date(2027, 1, 31), None),
    ],
)
def test_follow_ups_at_3_6_and_12_months_after_remediation_starts(last_visit, expected):
    assert next_visit_due(last_visit=last_visit, remediation_started=START) == expected


def test_routine_monitoring_every_3_months_before_remediation():
    assert next_visit_due(last_visit=date(2026, 11, 23), remediation_started=None) == date(2027, 2, 23)


def visit(**overrides) -> FollowUp:
    base = dict(status="in_remediation", classification="not_at_risk", flagged_as="worst_form",
                attending_since=date(2026, 8, 1), visited_on=date(2026, 11, 1), prevention_service_received=False)
    return FollowUp(**{**base, **overrides})


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, Outcome.WITHDRAWN),
        ({"attending_since": date(2026, 8, 2)}, Outcome.NO_CHANGE),  # one day short of 3 months
        ({"attending_since": None}, Outcome.NO_CHANGE),
        ({"classification": "child_labour"}, Outcome.NO_CHANGE),
        ({"classification": "permitted_light_work"}, Outcome.WITHDRAWN),  # legal light work, in school
        ({"flagged_as": "at_risk", "prevention_service_received": True}, Outcome.PREVENTED),
        ({"flagged_as": "at_risk", "prevention_service_received": False}, Outcome.NO_CHANGE),
        ({"flagged_as": "at_risk", "prevention_service_received": True, "classification": "permitted_light_work"},
         Outcome.NO_CHANGE),
        ({"status": "withdrawn", "classification": "worst_form"}, Outcome.RELAPSE),
        ({"status": "closed", "classification": "child_labour"}, Outcome.RELAPSE),
        ({"status": "closed"}, Outcome.NO_CHANGE),
        ({"status": "flagged"}, Outcome.NO_CHANGE),
    ],
)
def test_what_a_follow_up_visit_proves(overrides, expected):
    assert outcome(visit(**overrides)) is expected
