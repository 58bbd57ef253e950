"""The continuous pull every consumer fetches with (events/pull.py), against a real NATS server."""

from __future__ import annotations

import asyncio

import pytest
from nats.js.api import AckPolicy, ConsumerConfig

from sprpa_shared.events.pull import ConsumerGone, ContinuousPull
from sprpa_shared.testing import wait_until

STREAM, DURABLE = "PULLTEST", "pulled"
REQUESTS = f"$JS.API.CONSUMER.MSG.NEXT.{STREAM}.{DURABLE}"


@pytest.fixture
async def js(nats_admin):
    await nats_admin.add_stream(name=STREAM, subjects=["pulltest.>"])
    await nats_admin.add_consumer(STREAM, ConsumerConfig(durable_name=DURABLE, ack_policy=AckPolicy.EXPLICIT))
    return nats_admin


@pytest.fixture
async def requests(js):
    """Every pull request sent for the durable consumer, as the server receives them."""
    seen: list[bytes] = []

    async def note(message) -> None:
        seen.append(message.data)

    subscription = await js._nc.subscribe(REQUESTS, cb=note)
    await js._nc.flush()
    yield seen
    await subscription.unsubscribe()


async def publish(js, count: int) -> None:
    for n in range(count):
        await js.publish(f"pulltest.{n}", str(n).encode())


async def arrived(pull: ContinuousPull, count: int) -> bool:
    return pull._sub is not None and pull._sub.pending_msgs >= count


async def test_what_has_arrived_is_handed_out_at_once_and_one_request_brings_a_batch(js, requests):
    pull = ContinuousPull(js._nc, stream=STREAM, durable=DURABLE, batch=8, expires=30)
    await pull.start()
    await wait_until(lambda: _count(requests, 1), what="the first request")

    await publish(js, 3)
    await wait_until(lambda: arrived(pull, 3), what="three messages in the client")
    burst = await pull.next_burst(64, timeout=1)

    assert [message.data for message in burst] == [b"0", b"1", b"2"]
    assert len(requests) == 1, "the open request brought them: none was sent per burst"
    assert pull.owed == 5

    await publish(js, 1)
    assert [message.data for message in await pull.next_burst(64, timeout=5)] == [b"0"]
    await wait_until(lambda: _count(requests, 2), what="a second batch asked for once half of 8 were owed")
    assert pull.owed == 4 + 8
    for message in burst:
        await message.ack()
    await pull.release()


async def test_an_idle_pull_asks_again_only_when_its_request_expires(js, requests):
    waiting = ContinuousPull(js._nc, stream=STREAM, durable=DURABLE, batch=8, expires=30)
    await waiting.start()
    for _ in range(20):
        assert await waiting.next_burst(64, timeout=0.01) == []
    assert len(requests) == 1, "waiting again is not asking again"
    await waiting.release()

    expiring = ContinuousPull(js._nc, stream=STREAM, durable=DURABLE, batch=8, expires=0.2)
    await expiring.start()

    async def asked_again() -> bool:
        await expiring.next_burst(64, timeout=0.05)
        return len(requests) >= 4

    await wait_until(asked_again, timeout=10, what="a new request after each expired one")
    await publish(js, 1)
    burst = await wait_until(lambda: expiring.next_burst(64, timeout=0.05), timeout=10, what="the message")
    assert [message.data for message in burst] == [b"0"]
    await expiring.release()


async def test_messages_held_when_it_stops_are_given_back_at_once(js):
    first = ContinuousPull(js._nc, stream=STREAM, durable=DURABLE, batch=8, expires=30)
    await first.start()
    await publish(js, 3)
    await wait_until(lambda: arrived(first, 3), what="three messages in the client")
    (taken,) = await first.next_burst(1, timeout=1)
    await taken.ack()
    await first.release()

    second = ContinuousPull(js._nc, stream=STREAM, durable=DURABLE, batch=8, expires=30)
    await second.start()
    given_back: list = []

    async def both() -> bool:
        given_back.extend(await second.next_burst(64, timeout=0.1))
        return len(given_back) == 2

    # Without the NAK they would come back only after the consumer's ack wait (30 s by default).
    await wait_until(both, timeout=5, what="the two held messages delivered again")
    # Both, in either order: JetStream does not promise the order of messages given back.
    assert sorted(message.data for message in given_back) == [b"1", b"2"]
    assert [message.metadata.num_delivered for message in given_back] == [2, 2]
    await second.release()


async def test_a_deleted_consumer_is_reported(js):
    pull = ContinuousPull(js._nc, stream=STREAM, durable=DURABLE, batch=8, expires=30)
    await pull.start()
    await wait_until(lambda: _waiting(js, 1), what="the request open on the server")
    await js.delete_consumer(STREAM, DURABLE)

    with pytest.raises(ConsumerGone):
        await pull.next_burst(64, timeout=5)
    await pull.release()


async def test_a_pull_interrupted_while_it_waits_raises_cancelled(js):
    pull = ContinuousPull(js._nc, stream=STREAM, durable=DURABLE, batch=8, expires=30)
    await pull.start()
    waiting = asyncio.create_task(pull.next_burst(64, timeout=30))
    await wait_until(lambda: _is_waiting(pull), what="the pull waiting")
    pull.interrupt()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(waiting, timeout=5)
    await pull.release()


async def _count(seen: list, n: int) -> bool:
    return len(seen) >= n


async def _waiting(js, n: int) -> bool:
    return (await js.consumer_info(STREAM, DURABLE)).num_waiting >= n


async def _is_waiting(pull: ContinuousPull) -> bool:
    return pull._waiter is not None
