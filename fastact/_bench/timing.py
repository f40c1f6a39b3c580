"""Timing: warm-up, then repeated single calls, each on a freshly restored input (the
restore is not timed); median and minimum of the samples."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    median_s: float
    min_s: float
    samples: int


def measure(run, restore=None, *, budget_s: float = 0.25, min_samples: int = 7,
            max_samples: int = 2000, warmup: int = 2) -> Timing:
    """Time ``run()``; ``restore()`` (untimed) puts the input back before every call.

    At least ``min_samples`` samples, more while the budget lasts; a call that alone
    takes longer than the budget (slow baselines at large sizes) gets 3 samples and
    one warm-up."""
    if restore is not None:
        restore()
    t0 = time.perf_counter()
    run()
    first = time.perf_counter() - t0
    if first > budget_s:
        min_samples, warmup = 3, 1
    for _ in range(warmup - 1):
        if restore is not None:
            restore()
        run()
    samples = []
    deadline = time.perf_counter() + budget_s
    while len(samples) < min_samples or (len(samples) < max_samples
                                         and time.perf_counter() < deadline):
        if restore is not None:
            restore()
        t0 = time.perf_counter_ns()
        run()
        samples.append(time.perf_counter_ns() - t0)
    return Timing(statistics.median(samples) * 1e-9, min(samples) * 1e-9, len(samples))
