"""When the next visit is due, and what a follow-up visit proves (pure).

DOMAIN.md: monitoring continues after remediation starts, at 3, 6 and 12 months. A child is
counted withdrawn only when a follow-up visit confirms no child labour and attendance at
school or training for at least 3 months; prevented when an at-risk child received a service
(any: school support, a cash transfer, parenting support, a prevention activity) or took part in
enough sessions of community prevention activities (the kabupaten's rule, `registry.prevention`),
and the follow-up finds no work beyond permitted light work and the child in school or training.
An assessed at-risk child with no referral can be prevented by activities alone. A relapse reopens
the case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

FOLLOW_UP_MONTHS = (3, 6, 12)
ROUTINE_MONTHS = 3
MIN_ATTENDANCE_MONTHS = 3
LABOUR_RESULTS = frozenset({"worst_form", "child_labour"})


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate_day in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate_day))
        except ValueError:
            continue
    raise ValueError(day)


def next_visit_due(*, last_visit: date, remediation_started: date | None) -> date | None:
    """The next follow-up milestone after the last visit, or routine monitoring every 3 months.

    None once the 12-month follow-up is done: the case can be closed.
    """
    if remediation_started is None:
        return add_months(last_visit, ROUTINE_MONTHS)
    for months in FOLLOW_UP_MONTHS:
        milestone = add_months(remediation_started, months)
        if milestone > last_visit:
            return milestone
    return None


CLOSING_FOLLOW_UP_MONTHS = FOLLOW_UP_MONTHS[-1]


def confirms_closure(*, status: str, classification: str, remediation_started: date | None, visited_on: date) -> bool:
    """The 12-month follow-up (or a later visit) finds a withdrawn or prevented child still out of
    child labour: the outcome is confirmed and the case closes."""
    return (status in ("withdrawn", "prevented") and classification not in LABOUR_RESULTS
            and remediation_started is not None
            and visited_on >= add_months(remediation_started, CLOSING_FOLLOW_UP_MONTHS))


class Outcome(StrEnum):
    WITHDRAWN = "withdrawn"
    PREVENTED = "prevented"
    RELAPSE = "relapse"
    NO_CHANGE = "no_change"


@dataclass(frozen=True)
class FollowUp:
    status: str
    classification: str  # the result of this visit's classification
    flagged_as: str | None  # the classification when the case was flagged
    attending_since: date | None  # continuous school or training attendance since
    visited_on: date
    attending: bool  # at school or training at this visit
    service_delivered: bool  # at least one service of the child's case was delivered
    assessed_as: str | None = None  # the classification before this visit
    prevention_sessions: int = 0  # sessions of prevention activities in the rule's window
    min_sessions: int | None = None  # the rule's threshold; None: activities do not count here


class PreventionBasis(StrEnum):
    SERVICE = "service"
    ACTIVITIES = "activities"


def at_risk(visit: FollowUp) -> bool:
    """A case about a child at risk, not in labour: flagged so, or assessed so and not flagged."""
    if visit.status == "in_remediation":
        return visit.flagged_as not in LABOUR_RESULTS
    return visit.status == "assessed" and visit.assessed_as == "at_risk"


def prevention_basis(visit: FollowUp) -> PreventionBasis | None:
    """What keeps an at-risk child, now not working and in school or training, counted as prevented:
    a service of the case delivered, or enough sessions of prevention activities; None if neither."""
    if not visit.attending or visit.classification in LABOUR_RESULTS or not at_risk(visit):
        return None
    if visit.status == "in_remediation" and visit.service_delivered:
        return PreventionBasis.SERVICE
    if visit.min_sessions is not None and visit.prevention_sessions >= visit.min_sessions:
        return PreventionBasis.ACTIVITIES
    return None


def outcome(visit: FollowUp) -> Outcome:
    working_in_labour = visit.classification in LABOUR_RESULTS
    if visit.status in ("withdrawn", "prevented", "closed"):
        return Outcome.RELAPSE if working_in_labour else Outcome.NO_CHANGE
    if working_in_labour:
        return Outcome.NO_CHANGE
    if visit.status == "in_remediation" and visit.flagged_as in LABOUR_RESULTS:
        attending_long_enough = (
            visit.attending_since is not None
            and add_months(visit.attending_since, MIN_ATTENDANCE_MONTHS) <= visit.visited_on
        )
        return Outcome.WITHDRAWN if attending_long_enough else Outcome.NO_CHANGE
    # At risk: kept out of work by what was delivered or taken part in (light work a child may do is no work).
    return Outcome.PREVENTED if prevention_basis(visit) else Outcome.NO_CHANGE
