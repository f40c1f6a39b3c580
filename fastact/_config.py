"""Defaults for ``backend`` and ``n_threads``: a process-wide value set by
:func:`set_num_threads`, overridden inside a :func:`config` block (context-local, so
threads and asyncio tasks do not see each other's blocks), overridden by the per-call
argument."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import operator
import os
import threading
import time

# "auto": the Cython kernels for host arrays, CUDA for GPU arrays
BACKENDS = ("auto", "cython", "numba", "numpy", "cuda")

_process_n_threads: int | None = None
_context: contextvars.ContextVar[tuple[str | None, int | None]] = contextvars.ContextVar(
    "fastact_config", default=(None, None)
)


@functools.lru_cache(maxsize=1)
def usable_cpus() -> int:
    """CPUs this process may run on (CPU affinity / cgroup cpusets respected)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


@functools.lru_cache(maxsize=1)
def default_n_threads() -> int:
    """``OMP_NUM_THREADS`` when set (its first entry), else every usable CPU."""
    env = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return usable_cpus()


def _check_n_threads(n) -> int:
    if isinstance(n, bool):
        raise TypeError("n_threads must be an int, not bool")
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"n_threads must be an int or None, not {type(n).__name__}") from None
    if n == 0:
        raise ValueError("n_threads must be != 0 (a positive count, or negative to count back "
                         "from the number of usable CPUs: -1 = all)")
    return n


def _count(n: int) -> int:
    # scikit-learn's convention: -1 = all usable CPUs, -2 = all but one, ... (at least 1)
    return n if n > 0 else max(1, usable_cpus() + 1 + n)


def check_backend(backend) -> str:
    if backend in BACKENDS:
        return backend
    raise ValueError(f"unknown backend {backend!r}; valid backends: {', '.join(BACKENDS)}")


def resolve_backend(backend) -> str:
    """The backend of a call: the argument, else the config block's, else "auto"."""
    if backend == "auto" or backend is None:
        ctx = _context.get()[0]
        backend = ctx if ctx is not None else "auto"
    return check_backend(backend)


def resolve_n_threads(n_threads=None) -> int:
    """Thread count of a call: argument > config block > set_num_threads > default."""
    if n_threads is None:
        n_threads = _context.get()[1]
    if n_threads is None:
        n_threads = _process_n_threads
    if n_threads is None:
        return default_n_threads()
    return _count(_check_n_threads(n_threads))


def set_num_threads(n: int) -> None:
    """Set the process-wide default number of threads (negative counts back from the
    number of usable CPUs: -1 = all).  A ``config(n_threads=...)`` block and the
    per-call ``n_threads=`` take precedence."""
    global _process_n_threads
    _process_n_threads = _check_n_threads(n)


def get_num_threads() -> int:
    """The number of threads a call without ``n_threads=`` uses here and now."""
    return resolve_n_threads(None)


@contextlib.contextmanager
def config(backend: str | None = None, n_threads: int | None = None):
    """Context manager setting the default ``backend`` and/or ``n_threads`` for the
    calls made inside it (in this thread / task); ``None`` keeps the outer value.

    >>> with fastact.config(n_threads=1):
    ...     fastact.sigmoid(x, out=x)
    """
    old_backend, old_threads = _context.get()
    if backend is not None:
        check_backend(backend)
    if n_threads is not None:
        _check_n_threads(n_threads)
    token = _context.set((backend if backend is not None else old_backend,
                          n_threads if n_threads is not None else old_threads))
    try:
        yield
    finally:
        _context.reset(token)


# ---------------------------------------------------------------- busy machines
# A parallel kernel whose worker is preempted by another process stalls until that
# worker gets its core back (a scheduler time slice: milliseconds), so on a machine
# where other processes keep cores busy, fewer threads finish sooner.  Before a
# parallel run, fastact counts the runnable tasks of other processes (Linux: the
# system's running count in /proc/loadavg minus this process's running threads) and
# uses at most the CPUs they leave free (at least 1).  The count is sampled at most
# every LOAD_REFRESH_S, and only a load seen in LOAD_SAMPLES consecutive samples counts
# (a kernel thread waking for a moment must not halve a call); FASTACT_ADAPT_THREADS=0
# turns the check off.

LOAD_REFRESH_S = 0.02
LOAD_SAMPLES = 3
ADAPT_THREADS = os.environ.get("FASTACT_ADAPT_THREADS", "1").strip() != "0"
_load_sample = [-1.0, None]  # (monotonic time, free CPUs or None)
_recent_others = [0] * LOAD_SAMPLES  # other processes' runnable tasks, last samples
_sample_lock = threading.Lock()


def _system_running() -> int:
    with open("/proc/loadavg", "rb") as f:
        return int(f.read().split()[3].split(b"/")[0])


def _own_running() -> int:
    n = 0
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat", "rb") as f:
                stat = f.read()
        except OSError:  # the thread ended meanwhile
            continue
        n += stat[stat.rindex(b")") + 2:stat.rindex(b")") + 3] == b"R"
    return n


def free_cpus() -> int | None:
    """Of this process's usable CPUs, those not taken by other processes' runnable
    tasks right now (None where the system does not tell, e.g. not Linux).  The load
    is host-wide: the tasks that could run on the CPUs outside our affinity mask are
    assumed to run there first."""
    now = time.monotonic()
    if now - _load_sample[0] < LOAD_REFRESH_S or not _sample_lock.acquire(blocking=False):
        return _load_sample[1]  # fresh enough, or another thread is sampling
    free = None
    try:
        _recent_others.append(max(0, _system_running() - _own_running()))
        del _recent_others[0]
        elsewhere = max(0, (os.cpu_count() or 1) - usable_cpus())
        free = max(1, usable_cpus() - max(0, min(_recent_others) - elsewhere))
    except (OSError, ValueError, IndexError):
        pass
    finally:
        _load_sample[0], _load_sample[1] = now, free
        _sample_lock.release()
    return free


def threads_to_run(n: int) -> int:
    """The threads a parallel kernel gets: ``n``, or fewer while other processes keep
    CPUs busy (see above)."""
    if n <= 1 or not ADAPT_THREADS:
        return n
    free = free_cpus()
    return n if free is None else max(1, min(n, free))
