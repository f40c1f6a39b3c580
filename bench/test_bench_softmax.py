"""softmax / log_softmax, forward and backward, over rows of several lengths."""

import pytest
from _bench_support import PEERS, SOFTMAX_SHAPES, THREADS, make_inputs

from fastact._bench import suite

CASES = [(log, d, impl) for log in (False, True) for d in ("fwd", "bwd")
         for impl in suite.implementations("log_softmax" if log else "softmax", d, list(PEERS))]


@pytest.mark.parametrize("shape", SOFTMAX_SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("log,direction,impl", CASES)
def test_softmax(benchmark, log, direction, impl, dtype, shape):
    src, dy = make_inputs(shape, dtype)
    cases = {c.impl: c for c in suite.softmax_cases(log, direction, src, dy, THREADS,
                                                    ["cython"], PEERS)}
    if impl not in cases:  # the peer's build has no kernel for this op and dtype
        pytest.skip(f"{impl} cannot run this case with {dtype}")
    case = cases[impl]
    name = "log_softmax" if log else "softmax"
    benchmark.group = f"{name}|{direction}|{'x'.join(map(str, shape))}|{dtype}"
    benchmark.extra_info.update(bytes=case.nbytes, note=case.note, threads=THREADS)
    benchmark.pedantic(case.call, setup=case.restore, rounds=20, iterations=1, warmup_rounds=1)
