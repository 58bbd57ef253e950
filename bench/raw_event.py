"""The raw baseline beside a flag's CPU: one bare event at the flags' rate, measured on the bench's
own NATS in the same run.

A publisher process publishes each event to JetStream and waits for its PubAck, as a service's
relay does; a consumer process takes them through the services' own continuous pull
(`sprpa_shared.events.pull`) and acknowledges each burst as a service's consumer does (the last ack
confirmed); both run on uvloop, as the services do. Nothing else happens: no database, no handler.
Each process counts its own CPU over its loop (not its start-up), NATS's comes from its counters
over the run. At 10 events a second each event finds the processes idle, as a flag's six events do
at 10 flags a second, so the figure says what the plumbing of one event costs on this machine before
any work is done (docs/performance.md, the twenty-fifth session).

`python -m bench.raw_event publish|consume ...` is one side; `measure` runs both.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import nats
import uvloop
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig

from bench.cpu_counters import cpu_seconds
from bench.stack import BenchStack
from sprpa_shared.events.access import ADMIN, Keys, connect_options
from sprpa_shared.events.pull import ContinuousPull

STREAM, DURABLE, SUBJECT = "BENCH_RAW", "bench-raw", "bench.raw"
BODY = b"x" * 900  # about a referral event's envelope
ROOT = Path(__file__).parents[1]


async def _connect(url: str, seed: str):
    return await nats.connect(url, **connect_options(ADMIN, seed_file=seed))


async def publish(url: str, seed: str, count: int, rate: float) -> dict:
    """`count` events, the n-th at start + n / rate, each waited for until JetStream has it."""
    nc = await _connect(url, seed)
    js = nc.jetstream()
    started, cpu = time.perf_counter(), time.process_time()
    for n in range(count):
        if (wait := started + n / rate - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        await js.publish(f"{SUBJECT}.{n % 7}", BODY, headers={"Nats-Msg-Id": f"raw-{n}"})
    spent = time.process_time() - cpu
    await nc.close()
    return {"cpu_seconds": spent}


async def consume(url: str, seed: str, count: int) -> dict:
    """Until `count` events came: each burst acknowledged, its last ack confirmed (the services'
    `EventConsumer._ack_all`). Prints `ready` once its pull requests are open."""
    nc = await _connect(url, seed)
    pull = ContinuousPull(nc, stream=STREAM, durable=DURABLE, batch=64)
    await pull.start()
    print("ready", flush=True)
    cpu, received, bursts = time.process_time(), 0, 0
    while received < count:
        messages = await pull.next_burst(64, timeout=30.0)
        if not messages:
            raise TimeoutError(f"{received} of {count} events came")
        for message in messages[:-1]:
            await message.ack()
        await messages[-1].ack_sync()
        received, bursts = received + len(messages), bursts + 1
    spent = time.process_time() - cpu
    await pull.release()
    await nc.close()
    return {"cpu_seconds": spent, "bursts": bursts, "received": received}


async def measure(stack: BenchStack, *, count: int = 100, rate: float = 10.0) -> dict:
    """One bare event's CPU on the bench stack's NATS, in ms, of the publisher, NATS and the consumer
    (and all three), at `rate` events a second. NATS's figure, like a flag's, holds its idle work."""
    nc = await stack.connect_nats()
    try:
        return await run(nc, f"nats://127.0.0.1:{stack.nats_port}",
                         str(Keys(stack.data / "nats" / "keys").seed_file(ADMIN)), count=count, rate=rate,
                         nats_cpu=lambda: cpu_seconds(stack)["nats"])
    finally:
        await nc.close()


async def run(nc, url: str, seed: str, *, count: int, rate: float, nats_cpu: Callable[[], float]) -> dict:
    """The two sides against the server `nc` is connected to (as its admin: `seed`, or "" for an
    open server), on a stream made for the run and deleted after it."""
    js = nc.jetstream()
    await js.add_stream(StreamConfig(name=STREAM, subjects=[f"{SUBJECT}.>"], storage=StorageType.FILE))
    await js.add_consumer(STREAM, ConsumerConfig(durable_name=DURABLE, ack_policy=AckPolicy.EXPLICIT,
                                                 deliver_policy=DeliverPolicy.ALL, max_ack_pending=1000))
    side = [sys.executable, "-m", "bench.raw_event", "--url", url, "--seed", seed, "--count", str(count)]
    consumer = await asyncio.create_subprocess_exec(*side, "consume", stdout=subprocess.PIPE, cwd=ROOT)
    assert consumer.stdout is not None
    try:
        if (await consumer.stdout.readline()).strip() != b"ready":
            raise RuntimeError("the raw event's consumer did not start")
        before = nats_cpu()
        publisher = await asyncio.create_subprocess_exec(*side, "--rate", str(rate), "publish",
                                                         stdout=subprocess.PIPE, cwd=ROOT)
        published = json.loads((await publisher.communicate())[0])
        consumed = json.loads(await consumer.stdout.read())
        nats_seconds = nats_cpu() - before
        await consumer.wait()
    finally:
        if consumer.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                consumer.kill()
        await consumer.wait()
        await js.delete_stream(STREAM)
    per_event = {"publisher": published["cpu_seconds"], "nats": nats_seconds, "consumer": consumed["cpu_seconds"]}
    figures = {name: round(seconds * 1000 / count, 2) for name, seconds in per_event.items()}
    return {"events": count, "rate": rate, "bursts": consumed["bursts"], "received": consumed["received"],
            "cpu_ms": figures, "cpu_ms_total": round(sum(figures.values()), 2)}


def described(raw: dict) -> str:
    parts = ", ".join(f"{name} {ms}" for name, ms in raw["cpu_ms"].items())
    return (f"a bare event at {raw['rate']:g}/s (JetStream publish and PubAck, pull, confirmed ack; nothing else) "
            f"{raw['cpu_ms_total']} ms of CPU ({parts})")


def cli() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.raw_event", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--seed", required=True, help="the NATS admin's seed file")
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("side", choices=["publish", "consume"])
    args = parser.parse_args()
    if args.side == "publish":
        result = uvloop.run(publish(args.url, args.seed, args.count, args.rate))
    else:
        result = uvloop.run(consume(args.url, args.seed, args.count))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    cli()
