"""What the notify service consumes: every event of the three streams (webhooks may ask for any
type of the catalogue; some events also make notices)."""

from __future__ import annotations

from notify import handlers
from notify.settings import NotifySettings
from sprpa_shared.clock import Clock
from sprpa_shared.events.bus import Subscription, subscribe

STREAMS = (("registry", "REGISTRY"), ("referral", "REFERRAL"), ("providers", "PROVIDERS"))


def subscriptions(settings: NotifySettings, clock: Clock | None = None) -> list[Subscription]:
    return [subscribe(settings, name=service, stream=stream, handlers=handlers.of(service),
                      subjects=[f"sprpa.{service}.>"]) for service, stream in STREAMS]
