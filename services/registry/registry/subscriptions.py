"""What the registry consumes: the referral engine's referral changes (case progress, provider access)."""

from __future__ import annotations

from registry.provider_access.handlers import on_referral_changed
from registry.settings import RegistrySettings
from sprpa_contracts.events import ReferralStatusChanged
from sprpa_shared.clock import Clock
from sprpa_shared.events.bus import Subscription, subscribe


def subscriptions(settings: RegistrySettings, clock: Clock | None = None) -> list[Subscription]:
    return [subscribe(settings, name="referrals", stream="REFERRAL",
                      handlers={ReferralStatusChanged: on_referral_changed})]
