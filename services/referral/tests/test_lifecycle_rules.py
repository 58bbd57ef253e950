"""Every move between referral states, allowed or refused (pure), and SLA deadlines by time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from referral.rules import sla
from referral.rules.lifecycle import MOVES, Outcome, Status, can_move, require_move
from sprpa_shared import zones
from sprpa_shared.errors import Conflict

ALLOWED = {
    (Status.OFFERED, Status.ACCEPTED), (Status.OFFERED, Status.DECLINED), (Status.OFFERED, Status.EXPIRED),
    (Status.OFFERED, Status.WITHDRAWN), (Status.OFFERED, Status.CANCELLED),
    (Status.ACCEPTED, Status.IN_SERVICE), (Status.ACCEPTED, Status.COMPLETED), (Status.ACCEPTED, Status.CANCELLED),
    (Status.IN_SERVICE, Status.COMPLETED), (Status.IN_SERVICE, Status.CANCELLED),
}


@pytest.mark.parametrize("current", list(Status))
@pytest.mark.parametrize("target", list(Status))
def test_exactly_the_documented_moves_are_allowed(current, target):
    assert can_move(current, target) is ((current, target) in ALLOWED)
    if (current, target) not in ALLOWED:
        with pytest.raises(Conflict) as refused:
            require_move(current.value, target)
        assert refused.value.extensions["current_status"] == current.value


def test_ended_states_have_no_way_out():
    assert set(MOVES) == {Status.OFFERED, Status.ACCEPTED, Status.IN_SERVICE}


def test_a_service_is_delivered_only_after_it_started():
    with pytest.raises(Conflict, match="start it first"):
        require_move("accepted", Status.COMPLETED, outcome=Outcome.SERVICE_DELIVERED)
    require_move("accepted", Status.COMPLETED, outcome=Outcome.MOVED_AWAY)
    require_move("in_service", Status.COMPLETED, outcome=Outcome.SERVICE_DELIVERED)


MONDAY_10_WIB = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(("start", "hours", "weekends", "place", "due"), [
    (MONDAY_10_WIB, 48, False, "35.09", MONDAY_10_WIB + timedelta(hours=48)),
    (MONDAY_10_WIB, 48, True, "35.09", MONDAY_10_WIB + timedelta(hours=48)),
    # Friday 20:00 WIB + 48 working hours: 4 h of Friday, the weekend skipped, 44 h: Tuesday 20:00 WIB
    (datetime(2026, 11, 27, 13, 0, tzinfo=UTC), 48, False, "35.09", datetime(2026, 12, 1, 13, 0, tzinfo=UTC)),
    (datetime(2026, 11, 27, 13, 0, tzinfo=UTC), 48, True, "35.09", datetime(2026, 11, 29, 13, 0, tzinfo=UTC)),
    # Saturday 09:00 WITA (Lombok Timur): the clock starts on Monday 00:00 WITA
    (datetime(2026, 11, 28, 1, 0, tzinfo=UTC), 24, False, "52.03", datetime(2026, 11, 30, 16, 0, tzinfo=UTC)),
    # Friday 15:00 UTC is already Saturday 00:00 in Papua (WIT): Monday 00:00 WIT + 1 h
    (datetime(2026, 11, 27, 15, 0, tzinfo=UTC), 1, False, "91.01", datetime(2026, 11, 29, 16, 0, tzinfo=UTC)),
    # the same instant is still Friday 22:00 in Jember (WIB): 1 h later
    (datetime(2026, 11, 27, 15, 0, tzinfo=UTC), 1, False, "35.09", datetime(2026, 11, 27, 16, 0, tzinfo=UTC)),
    # two working weeks
    (MONDAY_10_WIB, 240, False, "35.09", MONDAY_10_WIB + timedelta(days=14)),
])
def test_the_deadline_counts_working_hours_in_the_kabupatens_time_zone(start, hours, weekends, place, due):
    assert sla.deadline(start, hours, weekends_count=weekends, place_code=place) == due


def test_time_zones_of_the_three_regions():
    assert [zones.zone_of(code).tzname(None) for code in ("35.09", "52.03.20.2006", "91.01", "64.01", "11.01")] == [
        "WIB", "WITA", "WIT", "WITA", "WIB"]
