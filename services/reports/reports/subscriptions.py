"""What the reports consume: every registry and referral event (the read models), and the
providers' directory; each fetch also advances its consumer's progress row."""

from __future__ import annotations

from dataclasses import replace

from reports.readmodels import handlers
from reports.settings import ReportsSettings
from sprpa_shared.clock import Clock
from sprpa_shared.events.bus import Subscription, subscribe
from sprpa_shared.events.streams import ConsumerSpec

STREAMS = (("registry", "REGISTRY", handlers.REGISTRY, ["sprpa.registry.>"]),
           ("referral", "REFERRAL", handlers.REFERRAL, ["sprpa.referral.>"]),
           ("providers", "PROVIDERS", handlers.PROVIDERS, None))


def subscriptions(settings: ReportsSettings, clock: Clock | None = None) -> list[Subscription]:
    # Every read-model statement runs on the driver connection (handlers._run): no session needed.
    made = [subscribe(settings, name=name, stream=stream, handlers=by_model, subjects=subjects, driver_only=True)
            for name, stream, by_model, subjects in STREAMS]
    return [replace(one, before=handlers.progress(one.spec.durable)) for one in made]


def consumers(settings: ReportsSettings) -> list[ConsumerSpec]:
    """The consumers a rebuild replays."""
    return [subscription.spec for subscription in subscriptions(settings)]
