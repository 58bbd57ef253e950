"""Which notices a referral's change calls for, after which statuses (`rules.referral_notices_after`):
notify writes them in the statement that learns the status the change replaces."""

from __future__ import annotations

import uuid

from notify.rules import NO_STATUS, referral_notices, referral_notices_after
from notify.testing import BACKBONE, offer
from sprpa_contracts.vocabulary import ReferralStatus


def _after(change) -> dict[str, tuple[str, ...]]:
    return {notice.kind: after for notice, after in referral_notices_after(change)}


def test_each_notice_comes_with_the_statuses_after_which_the_change_calls_for_it():
    referral = uuid.uuid4()
    assert _after(offer(referral)) == {"offer.new": (NO_STATUS,)}
    assert _after(offer(organization=BACKBONE, backbone=True)) == {
        "offer.new": (NO_STATUS,), "escalation.backbone": (NO_STATUS,)}
    assert _after(offer(referral, status="expired")) == {"offer.expired": ("offered",)}
    assert _after(offer(referral, status="withdrawn")) == {"offer.withdrawn": ("offered", "accepted", "in_service")}
    assert _after(offer(referral, status="completed")) == {
        "referral.completed": (NO_STATUS, *(status for status in ReferralStatus if status != "completed"))}
    assert _after(offer(referral, status="accepted")) == {}


def test_the_notices_are_those_referral_notices_makes_for_each_status_before():
    change = offer(organization=BACKBONE, backbone=True)
    for notice, after in referral_notices_after(change):
        for previous in (None, *ReferralStatus):
            made = referral_notices(change, previous_status=previous)
            assert (notice in made) == ((previous or NO_STATUS) in after)
