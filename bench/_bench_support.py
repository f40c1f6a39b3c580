"""Shared data of the pytest-benchmark suite: fastact against the NumPy baselines and
the installed peers, derived from the registry (the same cases as
``python -m fastact bench``).

    pytest bench/ -n 0 --benchmark-enable --benchmark-only          # time (small sizes)
    FASTACT_BENCH_SIZES=1e6,16e6 pytest bench/ -n 0 --benchmark-enable --benchmark-only \
        --benchmark-json=run.json

In the test run (``pytest``) every case runs once with ``--benchmark-disable``: a
smoke test that each benchmark still works; no timing can fail it.
"""

import os

import numpy as np

from fastact._bench import peers as P

SIZES = [int(float(v)) for v in os.environ.get("FASTACT_BENCH_SIZES", "1e3,1e5").split(",")]
SOFTMAX_SHAPES = [tuple(int(float(s)) for s in v.split("x")) for v in
                  os.environ.get("FASTACT_BENCH_SHAPES", "64x1024,16x4096").split(",")]
DTYPES = os.environ.get("FASTACT_BENCH_DTYPES", "float32,float64").split(",")
THREADS = int(os.environ.get("FASTACT_BENCH_THREADS", "1"))
# peers that are installed here (absent ones are simply not parametrized)
PEERS = {name: mod for name, mod in P.load(P.PEERS).items() if mod is not None}


def make_inputs(shape, dtype):
    rng = np.random.default_rng(0)
    src = (rng.standard_normal(shape) * 3).astype(dtype)
    dy = rng.standard_normal(shape).astype(dtype)
    return src, dy
