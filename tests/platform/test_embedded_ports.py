"""The embedded servers on a port another process takes between the check and the bind: a fresh
clone's `make test` lost a worker's 400 tests when two workers were given the same free port
(its PostgreSQL exited, and the start asked the other process for 30 s whether it was ready)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from sprpa_shared.ops import embedded
from sprpa_shared.ops.embedded import EmbeddedNats, EmbeddedPostgres, PortTakenError, free_port
from sprpa_shared.testing import servers
from sprpa_shared.testing.servers import TestServers


@contextmanager
def taken_after_the_check(monkeypatch) -> Iterator[int]:
    """A port some other program listens on, that the servers' own check found free (the race)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    monkeypatch.setattr(embedded, "require_free_port", lambda port, what: None)
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


@pytest.mark.parametrize("kind", [EmbeddedPostgres, EmbeddedNats])
def test_a_server_whose_port_was_taken_meanwhile_fails_at_once(kind, tmp_path, monkeypatch):
    with taken_after_the_check(monkeypatch) as port:
        server = kind(tmp_path / "server", port)
        started = time.monotonic()
        try:
            with pytest.raises(PortTakenError, match=f"port {port}"):
                server.start(timeout=30.0)
        finally:
            server.stop()
        assert time.monotonic() - started < 15, "not after the whole timeout of asking the other process"


def test_the_test_servers_take_another_port_when_the_one_picked_was_taken(tmp_path, monkeypatch):
    with taken_after_the_check(monkeypatch) as port:
        picks = iter([port, free_port(), port, free_port()])
        monkeypatch.setattr(servers, "free_port", lambda: next(picks))
        monkeypatch.delenv(servers.TEST_DATABASE_URL, raising=False)
        monkeypatch.delenv(servers.TEST_NATS_URL, raising=False)
        started = TestServers.start(tmp_path)
        try:
            assert started.postgres is not None and started.nats is not None
            assert port not in (started.postgres.port, started.nats.port)
        finally:
            started.stop()
