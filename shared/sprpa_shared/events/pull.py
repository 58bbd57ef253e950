"""A continuous pull from a durable JetStream consumer: pull requests kept open for many messages.

nats-py's `fetch` sends a pull request for every burst (a no-wait probe, then a waiting request
when the probe found nothing), waits for the server's "no messages" answer after each burst, and
makes two tasks per message it hands out. A flag's events then cost every consumer a request, a
status message and their round trips, and an idle consumer a request a second.

`ContinuousPull` does what nats.go's `Consume` does instead: it keeps pull requests for `batch`
messages open on one inbox, each for `expires` seconds, and asks for another batch when fewer
than half a batch are still owed. The messages come as they are published; `next_burst` hands out
everything that has arrived (up to a maximum) at once, so the events of one commit are handled in
one transaction. An idle consumer sends one request per `expires`.

What the server may still send is counted from the requests made, the messages received and the
status messages that close a request (408 when it expires, 409 when the server drops it). A
request whose end never came (the server restarted, the connection was lost) is forgotten once its
expiry has passed by `grace`, and after every reconnection all of them are.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from dataclasses import dataclass

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js.api import Header

_STATUS = "Status"


class ConsumerGone(Exception):
    """The server says the consumer was deleted, or nothing answers its requests: bind it again."""


@dataclass
class _Request:
    owed: int
    ends: float  # monotonic time after which the server no longer answers it


class ContinuousPull:
    def __init__(self, nc: NATS, *, stream: str, durable: str, batch: int = 64, expires: float = 10.0,
                 grace: float = 2.0) -> None:
        self._nc = nc
        self._subject = f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}"
        self._batch = batch
        self._expires = expires
        self._grace = grace
        self._requests: deque[_Request] = deque()
        self._sub: Subscription | None = None
        self._inbox = ""
        self._reconnects = 0
        self._waiter: asyncio.Task | None = None

    async def start(self) -> None:
        self._inbox = self._nc.new_inbox()
        self._sub = await self._nc.subscribe(self._inbox)
        self._reconnects = self._nc.stats["reconnects"]
        await self._top_up()

    @property
    def owed(self) -> int:
        """Messages the open requests may still bring."""
        return sum(request.owed for request in self._requests)

    async def next_burst(self, most: int, timeout: float) -> list[Msg]:
        """Every message that has arrived, up to `most`, waiting up to `timeout` for the first;
        [] if none came. Raises ConsumerGone if the server deleted the consumer, and
        asyncio.CancelledError if `interrupt` was called while it waited."""
        assert self._sub is not None, "start() first"
        queue = self._sub._pending_queue
        messages: list[Msg] = []
        deadline = time.monotonic() + timeout
        while not messages:
            await self._top_up()
            if queue.empty():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return messages
                self._waiter = asyncio.ensure_future(queue.get())
                try:
                    first = await asyncio.wait_for(self._waiter, timeout=min(remaining, self._grace))
                except TimeoutError:
                    continue  # look at the requests again, then wait for the rest of the timeout
                finally:
                    self._waiter = None
                self._take(first, messages)
            while len(messages) < most and not queue.empty():
                self._take(queue.get_nowait(), messages)
        await self._top_up()
        return messages

    def interrupt(self) -> None:
        """Wakes a `next_burst` that waits for its first message (it raises CancelledError)."""
        if self._waiter is not None:
            self._waiter.cancel()

    async def release(self) -> None:
        """Gives back the messages that arrived but were not handed out (a NAK without delay, so the
        server delivers them again at once, to this service's next consumer), and unsubscribes."""
        if self._sub is None:
            return
        queue = self._sub._pending_queue
        held: list[Msg] = []
        while not queue.empty():
            self._take(queue.get_nowait(), held)
        for message in held:
            await message.nak()
        await self._sub.unsubscribe()
        self._sub = None

    def _take(self, message: Msg, into: list[Msg]) -> None:
        assert self._sub is not None
        self._sub._pending_size -= len(message.data)
        headers = message.headers or {}
        status = headers.get(_STATUS)
        if status is None:
            if self._requests:
                self._requests[0].owed -= 1
                if self._requests[0].owed <= 0:
                    self._requests.popleft()
            into.append(message)
        elif status == "100":
            return  # a heartbeat: none are asked for
        elif status == "503" or "deleted" in str(headers.get(Header.DESCRIPTION, "")).lower():
            raise ConsumerGone(self._subject)  # 503: no responders, nothing serves the consumer
        elif status in ("404", "408", "409"):
            if self._requests:
                self._requests.popleft()  # the server answers its requests in the order they came

    async def _top_up(self) -> None:
        """Forgets the requests the server can no longer answer, and asks for a batch when fewer
        than half a batch are owed."""
        now = time.monotonic()
        reconnects = self._nc.stats["reconnects"]
        if reconnects != self._reconnects:
            self._reconnects = reconnects
            self._requests.clear()
        while self._requests and self._requests[0].ends + self._grace < now:
            self._requests.popleft()
        if self.owed * 2 > self._batch:
            return
        expires_ns = int(self._expires * 1_000_000_000)
        await self._nc.publish(self._subject, json.dumps({"batch": self._batch, "expires": expires_ns}).encode(),
                               reply=self._inbox)
        self._requests.append(_Request(owed=self._batch, ends=now + self._expires))
