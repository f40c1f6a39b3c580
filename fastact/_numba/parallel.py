"""Threads for the Numba CPU kernels: the threading layer, the thread count of a call,
and no oversubscription when several Python threads call at once.

Threading layer: ``"threadsafe"`` (Numba's name for "TBB if it can be loaded, else
OpenMP"): both accept parallel calls from several Python threads at once, which
Numba's default fallback, ``workqueue``, does not (it aborts the process).  A layer
named by the user (``NUMBA_THREADING_LAYER`` or ``numba.config.THREADING_LAYER``) is
respected; when that, or an earlier parallel call in the process, leaves Numba on
``workqueue``, fastact's parallel calls are serialized by a lock instead.

Oversubscription: each call asks for ``n`` threads (``fastact.set_num_threads`` /
``config`` / ``n_threads=``, never more than Numba's pool) and gets what is left of the
usable CPUs after the calls already running, but at least one: concurrent calls never
run more threads than CPUs, plus one per extra caller.  (With TBB the worker pool is
shared anyway; with OpenMP every calling thread would otherwise start its own team.)

``numba.set_num_threads`` and ``numba.set_parallel_chunksize`` are per calling thread
in Numba, so setting them for a call does not disturb other threads.
"""

from __future__ import annotations

import contextlib
import os
import threading

import numba

from .. import _config

if "NUMBA_THREADING_LAYER" not in os.environ and numba.config.THREADING_LAYER == "default":
    numba.config.THREADING_LAYER = "threadsafe"

_lock = threading.Lock()
_in_use = 0  # threads held by the parallel calls running now
_serial_lock = threading.Lock()


def layer() -> str | None:
    """The threading layer in use (None before the first parallel call)."""
    try:
        return numba.threading_layer()
    except ValueError:  # no parallel region has run yet
        return None


def max_threads() -> int:
    return numba.config.NUMBA_NUM_THREADS


@contextlib.contextmanager
def threads(n: int, chunk: int):
    """Run the body (one kernel call) on at most ``n`` threads, handing out ``chunk``
    iterations at a time (dynamic scheduling)."""
    global _in_use
    if n <= 1:
        numba.set_num_threads(1)
        yield
        return
    with _lock:
        share = max(1, min(n, max_threads(), _config.usable_cpus() - _in_use))
        _in_use += share
    try:
        numba.set_num_threads(share)
        numba.set_parallel_chunksize(chunk)
        if layer() == "workqueue" or numba.config.THREADING_LAYER == "workqueue":
            with _serial_lock:
                yield
        else:
            yield
    finally:
        numba.set_parallel_chunksize(0)
        with _lock:
            _in_use -= share
