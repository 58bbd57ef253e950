"""What the registry consumes: the referral engine's referral changes (case progress, provider access),
and the web service's account changes (who may be a case's facilitator)."""

from __future__ import annotations

from registry.facilitators.service import on_account_changed
from registry.provider_access.handlers import on_referral_changed
from registry.settings import RegistrySettings
from sprpa_contracts.events import AccountChanged, ReferralStatusChanged
from sprpa_shared.clock import Clock
from sprpa_shared.events.bus import Subscription, subscribe


def subscriptions(settings: RegistrySettings, clock: Clock | None = None) -> list[Subscription]:
    return [subscribe(settings, name="referrals", stream="REFERRAL",
                      handlers={ReferralStatusChanged: on_referral_changed}),
            subscribe(settings, name="accounts", stream="WEB", handlers={AccountChanged: on_account_changed})]
