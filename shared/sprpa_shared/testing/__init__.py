"""Test support: real PostgreSQL and NATS per test session, real tokens, waiting on conditions."""

from sprpa_shared.testing.issuer import TestIssuer
from sprpa_shared.testing.waiting import wait_until

__all__ = ["TestIssuer", "wait_until"]
