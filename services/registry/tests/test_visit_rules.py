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
                attending_since=date(2026, 8, 1), visited_on=date(2026, 11, 1), attending=True,
                service_delivered=False)
    return FollowUp(**{**base, **overrides})


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, Outcome.WITHDRAWN),
        ({"attending_since": date(2026, 8, 2)}, Outcome.NO_CHANGE),  # one day short of 3 months
        ({"attending_since": None}, Outcome.NO_CHANGE),
        ({"classification": "child_labour"}, Outcome.NO_CHANGE),
        ({"classification": "permitted_light_work"}, Outcome.WITHDRAWN),  # legal light work, in school
        ({"status": "withdrawn", "classification": "worst_form"}, Outcome.RELAPSE),
        ({"status": "closed", "classification": "child_labour"}, Outcome.RELAPSE),
        ({"status": "closed"}, Outcome.NO_CHANGE),
        ({"status": "flagged"}, Outcome.NO_CHANGE),
    ],
)
def test_what_a_follow_up_visit_proves(overrides, expected):
    assert outcome(visit(**overrides)) is expected


AT_RISK = {"flagged_as": "at_risk", "attending_since": None}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        # Issue 20, point 6: any service delivered to an at-risk child (school support, a cash
        # transfer, parenting support), no work beyond permitted light work, in school or training.
        ({"service_delivered": True}, Outcome.PREVENTED),
        ({"service_delivered": True, "classification": "at_risk"}, Outcome.PREVENTED),
        ({"service_delivered": True, "classification": "permitted_light_work"}, Outcome.PREVENTED),
        ({"service_delivered": True, "classification": "child_labour"}, Outcome.NO_CHANGE),
        ({"service_delivered": True, "classification": "worst_form"}, Outcome.NO_CHANGE),
        ({"service_delivered": True, "attending": False}, Outcome.NO_CHANGE),  # out of school and training
        ({"service_delivered": False}, Outcome.NO_CHANGE),  # referred, nothing delivered yet
        ({"service_delivered": True, "status": "referred"}, Outcome.NO_CHANGE),
        ({"service_delivered": True, "status": "prevented"}, Outcome.NO_CHANGE),
        ({"service_delivered": True, "status": "prevented", "classification": "child_labour"}, Outcome.RELAPSE),
        ({"service_delivered": True, "flagged_as": "not_at_risk"}, Outcome.PREVENTED),
        # a child who was working is withdrawn, not prevented, however much was delivered
        ({"service_delivered": True, "flagged_as": "child_labour"}, Outcome.NO_CHANGE),
    ],
)
def test_when_an_at_risk_child_counts_as_prevented(overrides, expected):
    assert outcome(visit(**{**AT_RISK, **overrides})) is expected
