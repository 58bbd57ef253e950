"""Sustained load (`python -m bench.sustained --rate 30 --seconds 300`): flag at a steady rate for
minutes through the real stack and sample, every 10 s, what would show a leak or a backlog
building up: each service's RSS, the engine's consumer lag, the registry's and the engine's
outbox backlogs, and the flags still waiting for their offers. Prints the samples and the
first-to-last change, and whether every flag got exactly its offers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time

import asyncpg
import httpx

from bench.chaos import VILLAGES, _invariants
from bench.client import Pool
from bench.flag_bench import CONSENT, IN_FLIGHT, NEEDS, OFFERS_PER_FLAG, _children, prepared
from bench.stack import BenchStack, dated_folder, run_until_stopped
from sprpa_shared.ops.stack import SERVICES as STACK_SERVICES
from sprpa_shared.testing import wait_until

SERVICES = tuple(service.name for service in STACK_SERVICES)
SAMPLE_EVERY = 10.0


async def _sample(stack: BenchStack, js, started: float, flagged: int) -> dict:
    rss = {name: round(stack.service_process(name).memory_info().rss / 2**20, 1) for name in SERVICES}
    lag = (await js.consumer_info("REGISTRY", "referral-cases")).num_pending
    backlog, waiting = {}, 0
    for name in ("registry", "referral"):
        connection = await asyncpg.connect(stack.database_url(name))
        try:
            backlog[name] = await connection.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            if name == "referral":
                offered = await connection.fetchval("SELECT count(DISTINCT child_id) FROM referrals")
                waiting = flagged - offered
        finally:
            await connection.close()
    return {"t": round(time.monotonic() - started), "flagged": flagged, "rss_mb": rss, "engine_lag": lag,
            "outbox_backlog": backlog, "flags_waiting_for_offers": waiting}


async def main(args: argparse.Namespace) -> int:
    stack = BenchStack.start(dated_folder(args.results, "sustained"))
    try:
        admin = await prepared(stack)
        limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
        count = int(args.rate * args.seconds)
        async with httpx.AsyncClient(base_url="http://127.0.0.1:8101", timeout=120, limits=limits) as registry:
            children = await _children(registry, admin, count, VILLAGES)
            print(f"sustained: {count} children ready; flagging {args.rate:g}/s for {args.seconds:.0f}s", flush=True)
            nc = await stack.connect_nats()
            js = nc.jetstream()
            acknowledged: list[str] = []
            connections = Pool("127.0.0.1", 8101, admin["Authorization"], IN_FLIGHT)  # the bench's bare client
            body = {"root_causes": [], "extra_needs": NEEDS, "consent": CONSENT}

            async def flag(child_id: str) -> None:
                if await connections.post(f"/api/v1/children/{child_id}/flag", body) == 201:
                    acknowledged.append(child_id)

            loop = asyncio.get_running_loop()
            tasks: list[asyncio.Future] = []
            begin = loop.time() + 0.1
            for index, child_id in enumerate(children):
                loop.call_at(begin + index / args.rate, lambda c=child_id: tasks.append(asyncio.ensure_future(flag(c))))
            started, samples = time.monotonic(), []
            while len(tasks) < len(children) or not all(task.done() for task in tasks):
                samples.append(await _sample(stack, js, started, len(acknowledged)))
                print(f"  {samples[-1]}", flush=True)
                await asyncio.sleep(SAMPLE_EVERY)  # the sampling period, not a wait for something
            samples.append(await _sample(stack, js, started, len(acknowledged)))
            print(f"  {samples[-1]}", flush=True)
            await connections.close()
            await nc.drain()
        drained = time.monotonic()
        state: dict = {}

        async def all_offered() -> bool:
            nonlocal state
            state = await _invariants(stack, acknowledged)
            return state["flags_without_all_their_offers"] == 0

        with contextlib.suppress(AssertionError):  # counted below as missing
            await wait_until(all_offered, timeout=600, interval=2.0, what="every flag's offers")
        first, last = samples[1] if len(samples) > 2 else samples[0], samples[-1]
        print("\nsustained: first sample after warm-up -> last sample")
        for name in SERVICES:
            print(f"  RSS {name:<10} {first['rss_mb'][name]:>7.1f} -> {last['rss_mb'][name]:>7.1f} MB")
        print(f"  engine lag          {first['engine_lag']:>7} -> {last['engine_lag']:>7} messages")
        print(f"  flags waiting       {first['flags_waiting_for_offers']:>7} -> "
              f"{last['flags_waiting_for_offers']:>7}")
        print(f"  drained {time.monotonic() - drained:.1f}s after the last flag; "
              f"{state['flags_acknowledged']} flags, {state['offers_in_engine']} offers "
              f"(expected {state['flags_acknowledged'] * OFFERS_PER_FLAG}), "
              f"duplicated {state['duplicated_offers']}, missing {state['flags_without_all_their_offers']}")
        return 0 if state["flags_without_all_their_offers"] == 0 and state["duplicated_offers"] == 0 else 1
    finally:
        stack.stop()


def cli() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sustained", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=float(os.environ.get("SUSTAINED_RATE", 30)))
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--results", default="bench-results")
    sys.exit(run_until_stopped(main(parser.parse_args())))


if __name__ == "__main__":
    cli()
