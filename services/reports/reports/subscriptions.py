"""What the reports consume: every registry and referral event (the read models), and the
providers' directory; each fetch also advances its consumer's progress row."""

from __future__ import annotations

from reports.readmodels import handlers
from reports.settings import ReportsSettings
from sprpa_shared.clock import Clock
from sprpa_shared.events.bus import Subscription, subscribe
from sprpa_shared.events.consumer import driver_only
from sprpa_shared.events.streams import ConsumerSpec

STREAMS = (("registry", "REGISTRY", handlers.REGISTRY, ["sprpa.registry.>"]),
           ("referral", "REFERRAL", handlers.REFERRAL, ["sprpa.referral.>"]),
           ("providers", "PROVIDERS", handlers.PROVIDERS, None))


def subscriptions(settings: ReportsSettings, clock: Clock | None = None) -> list[Subscription]:
    made = [subscribe(settings, name=name, stream=stream, handlers=by_model, subjects=subjects)
            for name, stream, by_model, subjects in STREAMS]
    # Every read-model statement runs on the driver connection (handlers._run): no session needed.
    return [Subscription(spec=one.spec, handlers={event_type: driver_only(handler)
                                                  for event_type, handler in one.handlers.items()},
                         before=handlers.progress(one.spec.durable))
            for one in made]


def consumers(settings: ReportsSettings) -> list[ConsumerSpec]:
    """The consumers a rebuild replays."""
    return [subscription.spec for subscription in subscriptions(settings)]
