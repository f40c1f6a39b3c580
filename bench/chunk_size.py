"""How the parallel loops' chunk size changes the speed of large in-place calls.

    python bench/chunk_size.py [--threads 2] [--sizes 1e6,16e6] [--repeat 15]

Calls the compiled kernels directly with fixed chunk sizes (elementwise ops on float32
vectors, softmax on float32 rows), in place with the input restored before each timed
call, and prints the median ns per element for each power-of-two chunk size and, last,
for the size that ``fastact._engine.chunk_elements`` picks (evened out into whole
rounds of equal chunks, one per thread).  The bounds there
(CHUNK_MIN, CHUNK_MAX) come from this script: on our 2-core machine, arrays that stream
from DRAM ran up to 20% slower on 2 threads with 32 Ki-element chunks than with
128 Ki-512 Ki, while in-cache sizes did not care.  Smaller chunks spread the work better
when another process takes a core; rerun it on a new machine.
"""

import argparse
import statistics
import time

import numpy as np

from fastact import _kernels
from fastact._engine import chunk_elements

CHUNKS = [2 ** k for k in range(12, 21)]
ELEMENTWISE = ["relu_fwd", "sigmoid_fwd", "silu_fwd", "gelu_fwd"]
SOFTMAX_SHAPES = [(64, 32000), (8192, 1024)]


def median_ns(call, x, src, repeat):
    times = []
    for _ in range(repeat):
        np.copyto(x, src)
        t = time.perf_counter()
        call()
        times.append(time.perf_counter() - t)
    return statistics.median(times) / x.size * 1e9


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--sizes", default="1e6,16e6")
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    ew = _kernels.load("elementwise").run
    sm = _kernels.load("softmax").run
    print(f"{args.threads} threads, float32 in place, median ns/elem of {args.repeat} calls; "
          "picked = chunk_elements()")
    print(f"{'case':<26}" + "".join(f"{c:>10}" for c in CHUNKS) + f"{'picked':>16}")
    cases = []
    for size in (int(float(s)) for s in args.sizes.split(",")):
        src = (rng.standard_normal(size) * 4).astype(np.float32)
        for op in ELEMENTWISE:
            cases.append((f"{op} {size}", src, lambda x, c, op=op: ew(op, x, (x,), 0.0, 0.0, args.threads, c)))
    for shape in SOFTMAX_SHAPES:
        src = (rng.standard_normal(shape) * 4).astype(np.float32)
        cases.append((f"softmax {shape}", src,
                      lambda x, c: sm("softmax", False, x[:, :, None], x[:, :, None], None, None,
                                      1.0, args.threads, c)))
    for label, src, run in cases:
        x = src.copy()
        pick = chunk_elements(x.size, args.threads)
        cells = []
        for c in CHUNKS + [pick]:
            ns = median_ns(lambda: run(x, c), x, src, args.repeat)
            cells.append(f"{ns:>10.3f}")
        cells[-1] = f"{pick:>8} {cells[-1].strip():>7}"
        print(f"{label:<26}" + "".join(cells), flush=True)


if __name__ == "__main__":
    main()
