"""A service's periodic jobs stop when the app stops, whatever the pass was doing."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from sprpa_shared.jobs import periodic


async def test_a_job_stops_even_when_its_pass_swallowed_the_cancel():
    """A pass cancelled inside a library that swallows the cancel (seen once in a run of the
    registry tests: the audit sealer ran on after the app's stop, and the app never finished
    stopping) must not keep the job alive: the job sees that it was asked to stop."""
    started = asyncio.Event()

    async def one_pass(app) -> None:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            pass  # what a misbehaving library does

    app = SimpleNamespace(state=SimpleNamespace(settings=SimpleNamespace(every=0.01)))
    task = asyncio.create_task(periodic(one_pass, every="every", what="a test job")(app))
    await asyncio.wait_for(started.wait(), timeout=5)
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=5)
    assert done, "the job ran on after it was cancelled"
    assert task.cancelled()
