"""Every activation x direction x implementation x dtype x size."""

import pytest
from _bench_support import PEERS, SIZES, THREADS, make_inputs

from fastact._bench import suite

OPS = [op for op in suite.op_names() if op not in ("softmax", "log_softmax")]
# (op, direction, implementation): only the implementations that exist
CASES = [(op, d, impl) for op in OPS for d in ("fwd", "der", "bwd")
         for impl in suite.implementations(op, d, list(PEERS))]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("op,direction,impl", CASES)
def test_elementwise(benchmark, op, direction, impl, dtype, size):
    src, dy = make_inputs((size,), dtype)
    cases = {c.impl: c for c in suite.elementwise_cases(op, direction, src, dy, THREADS,
                                                        ["cython"], PEERS)}
    if impl not in cases:  # the peer's build has no kernel for this op and dtype
        pytest.skip(f"{impl} cannot run this case with {dtype}")
    case = cases[impl]
    benchmark.group = f"{op}|{direction}|{size}|{dtype}"
    benchmark.extra_info.update(bytes=case.nbytes, note=case.note, threads=THREADS)
    benchmark.pedantic(case.call, setup=case.restore, rounds=20, iterations=1, warmup_rounds=1)
