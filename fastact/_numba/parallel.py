"""Threads for the Numba CPU kernels: the threading layer, the thread count of a call,
and no oversubscription when several Python threads call at once.

Threading layer: ``"threadsafe"`` (Numba's name for "TBB if it can be loaded, else
OpenMP"): both accept parallel calls from several Python threads at once, which
Numba's default fallback, ``workqueue``, does not (it aborts the process).  A layer
named by the user (``NUMBA_THREADING_LAYER`` or ``numba.config.THREADING_LAYER``) is
respected; when that, or an earlier parallel call in the process, leaves Numba on
``workqueue`` -- or where neither TBB nor OpenMP loads: fastact then falls back to
it --, fastact's parallel calls are serialized by a lock instead.

Oversubscription: each call asks for ``n`` threads (``fastact.set_num_threads`` /
``config`` / ``n_threads=``, never more than Numba's pool) and gets what is left of the
usable CPUs after the calls already running, but at least one: concurrent calls never
run more threads than CPUs, plus one per extra caller.  (With TBB the worker pool is
shared anyway; with OpenMP every calling thread would otherwise start its own team.)

``numba.set_num_threads`` and ``numba.set_parallel_chunksize`` are per calling thread
in Numba, so setting them for a call does not disturb other threads; both are
restored after the call, so the caller's own Numba code keeps its settings.
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


_layer_checked = False


def _ensure_layer() -> None:
    """Start Numba's threading layer once, falling back to ``workqueue`` (whose calls
    are then serialized) where neither TBB nor OpenMP loads."""
    global _layer_checked
    if _layer_checked:
        return
    with _serial_lock:
        if not _layer_checked:
            try:
                numba.np.ufunc.parallel._launch_threads()
            except ValueError:  # "No threading layer could be loaded"
                numba.config.THREADING_LAYER = "workqueue"
                numba.np.ufunc.parallel._launch_threads()
            _layer_checked = True


def _serialize() -> bool:
    return layer() == "workqueue"


@contextlib.contextmanager
def threads(n: int, chunk: int):
    """Run the body (one kernel call) on at most ``n`` threads, handing out ``chunk``
    iterations at a time (dynamic scheduling); the calling thread's Numba settings are
    restored afterwards."""
    global _in_use
    _ensure_layer()
    prev_n = numba.get_num_threads()
    if n <= 1:
        numba.set_num_threads(1)
        try:
            yield
        finally:
            numba.set_num_threads(prev_n)
        return
    with _lock:
        share = max(1, min(n, max_threads(), _config.usable_cpus() - _in_use))
        _in_use += share
    numba.set_num_threads(share)
    prev_chunk = numba.set_parallel_chunksize(chunk)
    try:
        if _serialize():
            with _serial_lock:
                yield
        else:
            yield
    finally:
        numba.set_parallel_chunksize(prev_chunk)
        numba.set_num_threads(prev_n)
        with _lock:
            _in_use -= share
