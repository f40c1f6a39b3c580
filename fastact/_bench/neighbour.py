"""A CPU-burning neighbour process for ``python -m fastact bench --neighbour``: one
core's worth of busy work from another process, as when a shared machine or cloud VM
loses a core.  It stops when the benchmark ends (or after ``limit_s``)."""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import time


def _burn(stop, limit_s):
    end = time.monotonic() + limit_s
    x = 0
    while not stop.is_set() and time.monotonic() < end:
        for _ in range(100_000):
            x = (x * 1103515245 + 12345) & 0xFFFFFFFF


@contextlib.contextmanager
def burning(enabled: bool, limit_s: float = 3600.0):
    if not enabled:
        yield None
        return
    ctx = mp.get_context("spawn")  # never fork a process that may hold OpenMP threads
    stop = ctx.Event()
    proc = ctx.Process(target=_burn, args=(stop, limit_s), daemon=True)
    proc.start()
    try:
        time.sleep(0.2)  # let it get going
        yield proc
    finally:
        stop.set()
        proc.join(5)
        if proc.is_alive():
            proc.kill()
