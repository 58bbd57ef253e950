"""The raw baseline printed beside a flag's CPU (bench/raw_event.py): bare events published,
pulled and acknowledged by two processes of their own, against a real NATS server."""

from __future__ import annotations

import psutil
import pytest
from nats.js.errors import NotFoundError

from bench import raw_event


async def test_every_bare_event_is_received_once_and_each_side_counts_its_own_cpu(clean) -> None:
    server = psutil.Process(clean.nats.process.pid) if clean.nats and clean.nats.process else None

    def nats_cpu() -> float:
        return sum(server.cpu_times()[:2]) if server else 0.0

    client = await clean.connect_nats()
    try:
        figures = await raw_event.run(client, clean.nats_url, clean.nats_seed_file("admin"), count=40, rate=200.0,
                                      nats_cpu=nats_cpu)
        with pytest.raises(NotFoundError):
            await client.jetstream().stream_info(raw_event.STREAM)  # made for the run, deleted after it
    finally:
        await client.close()

    assert figures["received"] == 40, "each event delivered once, none lost, none twice"
    assert figures["cpu_ms"]["publisher"] > 0 and figures["cpu_ms"]["consumer"] > 0
