"""The import worker in a process of its own (issue 27).

Parsing and validating survey rows is Python CPU work. On a thread of the service's process it
shares one interpreter lock with the API: while a 50,000-row import ran, GET child's p99 at 50
clients went from 83 to 762 ms (docs/performance.md). In a process of its own it has its own lock
and, on two cores, a core of its own; the API keeps its answers.

The service starts it (`python -m registry import-worker`) with its own settings, sent on the
child's stdin (never in its environment or arguments, which other processes may read), and starts
it again if it dies. The worker is the same `ImportWorker` the thread mode runs; `SPRPA_REGISTRY_
IMPORT_WORKER=thread` keeps it in the service's process (the tests that move the service's clock).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import sys
import threading

from fastapi import FastAPI

from registry.imports.service import ImportWorker
from registry.settings import RegistrySettings
from sprpa_shared import protect
from sprpa_shared.clock import SystemClock
from sprpa_shared.observability import configure_logging, get_logger

log = get_logger(__name__)
RESTART_SECONDS = 2.0
STOP_SECONDS = 30.0  # the worker stops after the batch it is writing; the import resumes on the next start


async def import_worker_process(app: FastAPI) -> None:
    """The app job: the worker process, started again whenever it exits, stopped with the app."""
    settings: RegistrySettings = app.state.settings
    while True:
        worker = await asyncio.create_subprocess_exec(sys.executable, "-m", "registry", "import-worker",
                                                      stdin=asyncio.subprocess.PIPE)
        assert worker.stdin is not None
        worker.stdin.write(settings.model_dump_json().encode())
        await worker.stdin.drain()
        worker.stdin.close()
        try:
            code = await worker.wait()
        except asyncio.CancelledError:
            await _stop(worker)
            raise
        log.warning("import worker exited; starting it again", code=code)
        await asyncio.sleep(RESTART_SECONDS)


async def _stop(worker: asyncio.subprocess.Process) -> None:
    if worker.returncode is not None:
        return
    worker.terminate()
    try:
        await asyncio.wait_for(worker.wait(), STOP_SECONDS)
    except TimeoutError:
        worker.kill()
        with contextlib.suppress(ProcessLookupError):
            await worker.wait()


def main() -> int:
    """`python -m registry import-worker`: the settings come as JSON on stdin."""
    settings = RegistrySettings.model_validate_json(sys.stdin.read())
    configure_logging(settings.service, settings.log_level)
    protect.configure(settings.protector())  # names and NIK are sealed as the service seals them
    # The thread staging the next batch hands the interpreter over every 0.5 ms, not 5: the batch
    # being written waits for it at each round trip to PostgreSQL (issue 27: 6,195 -> 6,573 rows/s).
    sys.setswitchinterval(0.0005)
    os.nice(settings.import_worker_niceness)  # batch work: the scheduler favours the API when both want a core
    worker = ImportWorker(settings, SystemClock())
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: worker.stop())
    threading.Thread(target=_stop_with_the_service, args=(worker, os.getppid()), daemon=True).start()
    log.info("import worker started")
    # What the start made (the modules, the settings) lives as long as the process: out of the
    # collector's sight, a collection of the oldest generation looks at what an import makes only.
    gc.freeze()
    worker.run_forever()
    return 0


def _stop_with_the_service(worker: ImportWorker, service: int) -> None:
    """A service killed outright (SIGKILL) cannot stop its worker: the worker sees it gone and stops,
    instead of living on beside the worker the service's next start makes."""
    while not worker.stopping.wait(1.0):
        if os.getppid() != service:
            log.warning("the service is gone; the import worker stops")
            worker.stop()
