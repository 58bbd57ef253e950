"""What the notify service consumes: every event of the three streams (webhooks may ask for any
type of the catalogue; some events also make notices)."""

from __future__ import annotations

from notify import handlers
from notify.settings import NotifySettings
from notify.webhooks.fanout import Wanted
from sprpa_shared.clock import Clock
from sprpa_shared.events.bus import Subscription, subscribe

STREAMS = (("registry", "REGISTRY"), ("referral", "REFERRAL"), ("providers", "PROVIDERS"))


def subscriptions(settings: NotifySettings, clock: Clock | None = None, wanted: Wanted | None = None
                  ) -> list[Subscription]:
    """`wanted`: the app's memory of which events webhooks want (a fresh one, unheard: every event
    asks the database)."""
    wanted = wanted or Wanted()
    # Every statement of the handlers runs on the driver connection: no session needed.
    return [subscribe(settings, name=service, stream=stream, handlers=handlers.of(service, wanted),
                      subjects=[f"sprpa.{service}.>"], driver_only=True) for service, stream in STREAMS]
