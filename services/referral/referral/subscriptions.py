"""What the referral engine consumes: the providers' directory (its replica) and the registry's
case events (open, follow, close)."""

from __future__ import annotations

from referral.directory.handlers import HANDLERS as DIRECTORY
from referral.fanout import handlers as cases
from referral.settings import ReferralSettings
from sprpa_shared.clock import Clock, SystemClock
from sprpa_shared.events.bus import Subscription, subscribe


def subscriptions(settings: ReferralSettings, clock: Clock | None = None) -> list[Subscription]:
    return [subscribe(settings, name="directory", stream="PROVIDERS", handlers=DIRECTORY),
            subscribe(settings, name="cases", stream="REGISTRY",
                      handlers=cases.handlers(settings, clock or SystemClock()))]
