"""The chaos suite (`make chaos`): while a driver flags cases at a steady rate through the real
stack, kill NATS with SIGKILL and start it again, SIGKILL the referral engine mid-processing (the
supervised stack starts it again, as an orchestrator would), restart PostgreSQL, and pause the
engine past its consumers' AckWait. Then, once healed, check what must hold:

- every flag the registry holds has exactly the offers its needs call for: none lost, none twice;
- every flag the driver saw acknowledged is among them;
- every outbox row of every service was published;
- the reports count the registry's flags and the engine's offers;

and print how long the system took to converge. Exit 1 if anything does not hold.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time

import asyncpg
import httpx
import psutil

from bench.flag_bench import CONSENT, NEEDS, OFFERS_PER_FLAG, _children, _directory
from bench.stack import BenchStack, dated_folder, run_until_stopped
from sprpa_shared.ops.embedded import EmbeddedPostgres, _postgres_bin, poll_until, port_is_free
from sprpa_shared.testing import wait_until

ACK_WAIT = 10  # seconds: the engine's consumers' AckWait in this run, so a pause can outlast it
VILLAGES = ["35.09.11.2007", "35.09.11.2006", "35.09.11.2001", "35.09.04.2001", "35.09.04.2002"]


class Faults:
    """What the suite does to the running stack, each step printed with its moment."""

    def __init__(self, stack: BenchStack, started: float) -> None:
        self.stack = stack
        self.started = started
        self.nats: subprocess.Popen | None = None  # the NATS started again, ours to stop
        self.postgres_restarted = False
        self.log: list[str] = []

    def say(self, what: str) -> None:
        line = f"t={time.monotonic() - self.started:6.1f}s  {what}"
        self.log.append(line)
        print(line, flush=True)

    def _stack_child(self, name: str) -> psutil.Process:
        for child in psutil.Process(self.stack.process.pid).children(recursive=True):
            try:
                if child.name() == name and child.status() != psutil.STATUS_ZOMBIE:
                    return child
            except psutil.Error:
                continue
        raise RuntimeError(f"no {name} process under the stack")

    async def kill_nats(self) -> None:
        process = self.nats and psutil.Process(self.nats.pid) or self._stack_child("nats-server")
        command = process.cmdline()
        process.send_signal(signal.SIGKILL)  # a zombie until the stack reaps it: watch the port instead
        if not await asyncio.to_thread(poll_until, lambda: port_is_free(self.stack.nats_port), timeout=10):
            raise RuntimeError("NATS did not die")
        self.say("NATS killed (SIGKILL)")
        self.nats = subprocess.Popen(  # noqa: ASYNC220 - a quick fork
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        if not await asyncio.to_thread(poll_until, lambda: not port_is_free(self.stack.nats_port), timeout=15):
            raise RuntimeError("NATS did not come back")
        self.say("NATS started again (same store)")

    async def kill_engine(self) -> None:
        self.stack.service_process("referral").send_signal(signal.SIGKILL)
        self.say("referral engine killed (SIGKILL); the supervisor starts it again")

    async def restart_postgres(self) -> None:
        data = (self.stack.data / "postgres").resolve()
        kwargs = EmbeddedPostgres(data, self.stack.pg_port)._user_kwargs()
        command = [str(_postgres_bin() / "pg_ctl"), "restart", "-D", str(data), "-m", "fast", "-w", "-t", "60",
                   "-l", str(data / "after-restart.log")]  # the server's own file: the stack opened server.log
        self.say("PostgreSQL restarting (fast: every session cut)")
        result = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, **kwargs)
        if result.returncode != 0:
            raise RuntimeError(f"pg_ctl restart failed: {result.stderr[-500:]}")
        self.postgres_restarted = True
        self.say("PostgreSQL is back")

    async def pause_engine(self, seconds: float) -> None:
        process = self.stack.service_process("referral")
        process.suspend()
        self.say(f"referral engine paused (SIGSTOP) for {seconds:.0f}s, past its {ACK_WAIT}s AckWait")
        await asyncio.sleep(seconds)  # the fault itself: a process frozen this long
        process.resume()
        self.say("referral engine resumed (SIGCONT)")

    def cleanup(self) -> None:
        if self.postgres_restarted:  # the restarted server is pg_ctl's child, not the stack's
            data = (self.stack.data / "postgres").resolve()
            subprocess.run([str(_postgres_bin() / "pg_ctl"), "stop", "-D", str(data), "-m", "fast", "-w"],
                           capture_output=True, **EmbeddedPostgres(data, self.stack.pg_port)._user_kwargs())
        if self.nats is not None and self.nats.poll() is None:
            self.nats.terminate()
            self.nats.wait(15)


async def _drive(client: httpx.AsyncClient, headers: dict, children: list[str], rate: float,
                 tasks: list[asyncio.Future]) -> dict:
    """Flag each child at `rate` per second (open loop); a flag that fails is retried once later,
    as a district operator would, so every child is flagged at most once."""
    acknowledged: list[str] = []
    failed: list[str] = []

    async def flag(child_id: str) -> None:
        for attempt in range(2):
            try:
                response = await client.post(f"/api/v1/children/{child_id}/flag", headers=headers,
                                             json={"root_causes": [], "extra_needs": NEEDS, "consent": CONSENT})
            except httpx.HTTPError:
                response = None
            if response is not None and response.status_code == 201:
                acknowledged.append(child_id)
                return
            if response is not None and response.status_code == 409:  # the first try did commit
                acknowledged.append(child_id)
                return
            if attempt == 0:
                await asyncio.sleep(5)  # the operator tries again a little later
        failed.append(child_id)

    loop = asyncio.get_running_loop()
    begin = loop.time() + 0.1
    for index, child_id in enumerate(children):
        loop.call_at(begin + index / rate, lambda c=child_id: tasks.append(asyncio.ensure_future(flag(c))))
    await wait_until(lambda: len(tasks) == len(children) and all(t.done() for t in tasks),
                     timeout=len(children) / rate + 180, what="every flag answered")
    return {"acknowledged": acknowledged, "failed": failed}


async def _invariants(stack: BenchStack, acknowledged: list[str]) -> dict:
    """What must hold once healed; each value is a count that must be zero, bar the totals."""
    connections = {name: await asyncpg.connect(stack.database_url(name))
                   for name in ("registry", "providers", "referral", "reports", "web")}
    try:
        registry, engine, reports = connections["registry"], connections["referral"], connections["reports"]
        flagged = {row["child_id"] for row in await registry.fetch("SELECT DISTINCT child_id FROM flags")}
        offers = {row["child_id"]: (row["n"], row["pairs"]) for row in await engine.fetch(
            "SELECT child_id, count(*) AS n, count(DISTINCT (need_id, organization_id)) AS pairs "
            "FROM referrals GROUP BY child_id")}
        unpublished = {name: await connection.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
                       for name, connection in connections.items()}
        return {
            "flags_in_registry": len(flagged),
            "flags_acknowledged": len(acknowledged),
            "offers_in_engine": sum(n for n, _ in offers.values()),
            "acknowledged_but_not_in_registry": len({str(c) for c in acknowledged} - {str(c) for c in flagged}),
            "flags_without_all_their_offers": sum(1 for child in flagged
                                                  if offers.get(child, (0, 0))[0] < OFFERS_PER_FLAG),
            "flags_with_too_many_offers": sum(1 for child in flagged if offers.get(child, (0, 0))[0] > OFFERS_PER_FLAG),
            "duplicated_offers": sum(n - pairs for n, pairs in offers.values()),
            "offers_for_no_flag": len(set(offers) - flagged),
            "outbox_rows_unpublished": sum(unpublished.values()),
            "reports_flags_differ": abs(await reports.fetchval("SELECT count(DISTINCT child_id) FROM rm_flags")
                                        - len(flagged)),
            "reports_offers_differ": abs(await reports.fetchval("SELECT count(*) FROM rm_referrals")
                                         - sum(n for n, _ in offers.values())),
        }
    finally:
        for connection in connections.values():
            await connection.close()


TOTALS = ("flags_in_registry", "flags_acknowledged", "offers_in_engine")


def _healthy(state: dict) -> bool:
    return all(value == 0 for key, value in state.items() if key not in TOTALS)


async def main(args: argparse.Namespace) -> int:
    data = dated_folder(args.results, "chaos")
    print(f"chaos: starting the supervised embedded stack in {data}", flush=True)
    stack = BenchStack.start(data, supervise=True,
                             env={"SPRPA_REFERRAL_CONSUMER_ACK_WAIT_SECONDS": str(ACK_WAIT)})
    faults = None
    try:
        operator = {"Authorization": f"Bearer {stack.token('--role', 'national_admin')}"}
        timeout = httpx.Timeout(30.0)
        async with httpx.AsyncClient(base_url="http://127.0.0.1:8102", timeout=timeout) as providers, \
                httpx.AsyncClient(base_url="http://127.0.0.1:8101", timeout=timeout,
                                  limits=httpx.Limits(max_connections=64)) as registry:
            await _directory(providers, operator, stack)
            children = await _children(registry, operator, args.flags, VILLAGES)
            print(f"chaos: {len(children)} children ready; flagging {args.rate:g}/s for "
                  f"{args.flags / args.rate:.0f}s while the faults happen", flush=True)
            started = time.monotonic()
            faults = Faults(stack, started)
            span = args.flags / args.rate

            async def schedule() -> None:
                steps = [(0.15, faults.kill_nats), (0.35, faults.kill_engine), (0.55, faults.restart_postgres),
                         (0.75, lambda: faults.pause_engine(ACK_WAIT + 5))]
                for share, step in steps:  # each fault once that share of the flags has gone out
                    await wait_until(lambda share=share: len(sent) >= share * len(children), timeout=span + 60,
                                     interval=0.1, what=f"{share:.0%} of the flags sent")
                    await step()

            sent: list[asyncio.Future] = []
            driven, _ = await asyncio.gather(_drive(registry, operator, children, args.rate, sent), schedule())
        faults.say(f"driver done: {len(driven['acknowledged'])} flags acknowledged, "
                   f"{len(driven['failed'])} refused twice")
        healing = time.monotonic()
        state: dict = {}

        async def healed() -> bool:
            nonlocal state
            state = await _invariants(stack, driven["acknowledged"])
            return _healthy(state)

        try:
            await wait_until(healed, timeout=args.heal_timeout, interval=1.0, what="the invariants")
            converged = time.monotonic() - healing
        except AssertionError:
            converged = None
        print("\nchaos: after healing")
        for key, value in state.items():
            mark = "" if key in TOTALS else ("  ok" if value == 0 else "  VIOLATED")
            print(f"  {key:<36} {value}{mark}")
        restarts = [line for line in stack.said if "restarted" in line]
        print(f"  {'engine restarts by the supervisor':<36} {len(restarts)}")
        if converged is None:
            print(f"chaos: FAILED: not converged within {args.heal_timeout:.0f}s after the last fault")
            return 1
        print(f"chaos: passed; converged {converged:.1f}s after the driver finished "
              f"({time.monotonic() - started:.0f}s in all)")
        return 0
    finally:
        stack.stop()
        if faults is not None:
            faults.cleanup()


def cli() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.chaos", description=__doc__.split("\n\n")[0])
    parser.add_argument("--flags", type=int, default=int(os.environ.get("CHAOS_FLAGS", 900)))
    parser.add_argument("--rate", type=float, default=float(os.environ.get("CHAOS_RATE", 10)))
    parser.add_argument("--heal-timeout", type=float, default=300)
    parser.add_argument("--results", default="bench-results")
    sys.exit(run_until_stopped(main(parser.parse_args())))


if __name__ == "__main__":
    cli()
