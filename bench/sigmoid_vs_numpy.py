"""First speed ratio: fastact vs NumPy on an in-place float32 sigmoid.

    python bench/sigmoid_vs_numpy.py [--size 16777216] [--repeat 15]

Times in-place sigmoid on a float32 array (default 16M elements = 64 MiB, larger than
the caches): fastact with 1 and N threads against NumPy in place: the fastest idiom
(``1/(1+exp(-x))`` as four in-place ufuncs, the ratio's baseline) and the stable
two-sided form.  The input is restored
before every run, outside the timed region; the median of ``--repeat`` runs is
reported, all in one process so the ratios are comparable on a noisy machine.  The
full benchmark suite (all ops, peers, bandwidth limit) is ``python -m fastact bench``
(a later issue).
"""

import argparse
import statistics
import time

import numpy as np

import fastact


def numpy_sigmoid_chain(x, tmp):
    # the fastest NumPy idiom: 1/(1 + exp(-x)) as four in-place ufuncs (overflows to
    # inf for x < -88, which still gives the right 0)
    with np.errstate(over="ignore"):
        np.negative(x, out=x)
        np.exp(x, out=x)
        np.add(x, 1, out=x)
        np.reciprocal(x, out=x)


def numpy_sigmoid_stable(x, tmp):
    # stable sigmoid in place with one scratch buffer: e = exp(-|x|)
    np.abs(x, out=tmp)
    np.negative(tmp, out=tmp)
    np.exp(tmp, out=tmp)                      # tmp = e
    pos = x >= 0
    np.add(tmp, 1, out=x)                     # x = 1 + e
    np.divide(1, x, out=x, where=pos)         # x >= 0: 1/(1+e)
    np.divide(tmp, x, out=x, where=~pos)      # x < 0:  e/(1+e)


def median_time(fn, x, src, repeat):
    times = []
    for _ in range(repeat + 1):
        x[...] = src
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times[1:])  # first run is a warm-up


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=16 * 1024 * 1024)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    src = rng.standard_normal(args.size).astype(np.float32) * 4
    x = src.copy()
    tmp = np.empty_like(x)
    n = fastact._config.usable_cpus()
    t_stable = median_time(lambda: numpy_sigmoid_stable(x, tmp), x, src, args.repeat)
    t_np = median_time(lambda: numpy_sigmoid_chain(x, tmp), x, src, args.repeat)
    ref = x.copy()
    rows = [("numpy chain (fastest)", t_np), ("numpy stable two-sided", t_stable)]
    for threads in sorted({1, n}):
        t = median_time(lambda: fastact.sigmoid(x, out=x, n_threads=threads), x, src, args.repeat)
        np.testing.assert_allclose(x, ref, rtol=1e-5)
        rows.append((f"fastact n_threads={threads}", t))
    print(f"sigmoid, float32, {args.size} elements, in place, median of {args.repeat}")
    print(f"{'':28}{'ns/element':>12}{'vs numpy chain':>16}")
    for name, t in rows:
        print(f"{name:28}{t / args.size * 1e9:>12.3f}{t_np / t:>15.2f}x")


if __name__ == "__main__":
    main()
