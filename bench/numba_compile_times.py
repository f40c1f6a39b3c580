"""Start-up costs of the Numba CPU backend (the figures in the README):

* time to ``import fastact`` (never imports numba) and to import the Numba backend;
* first-call compile time of every forward kernel (float32, contiguous) and of the
  softmax kernels, with an empty on-disk cache;
* a second process with the cache warm: import + the first call of each kernel.

    python bench/numba_compile_times.py

Runs each measurement in a fresh subprocess with NUMBA_CACHE_DIR in a temporary
directory (so the machine's own cache is neither used nor touched).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile

PROBE = r"""
import json, sys, time
t0 = time.perf_counter()
import numpy as np
import fastact
t_import = time.perf_counter() - t0
t0 = time.perf_counter()
from fastact._numba import elementwise, softmax
t_backend = time.perf_counter() - t0
from fastact import _registry as reg
x = np.linspace(-3, 3, 1000, dtype=np.float32)
first = {}
for spec in reg.ELEMENTWISE:
    f = fastact.get(spec.name)
    t0 = time.perf_counter()
    if spec.name == "prelu":  # one slope per element: the prelu kernel itself
        f(x, np.full(x.shape, 0.25, np.float32), backend="numba")
    else:
        f(x, backend="numba")
    first[spec.name] = time.perf_counter() - t0
s = np.linspace(-3, 3, 4096, dtype=np.float32).reshape(4, 1024)
for name in ("softmax", "log_softmax"):
    f = fastact.get(name)
    t0 = time.perf_counter()
    y = f(s, backend="numba")
    first[name] = time.perf_counter() - t0
    t0 = time.perf_counter()
    f.backward(s, y=y, backend="numba")
    first[name + ".backward"] = time.perf_counter() - t0
print(json.dumps({"import_fastact": t_import, "import_numba_backend": t_backend, "first": first}))
"""


def probe(cache_dir):
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    run = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env,
                         check=True)
    return json.loads(run.stdout.strip().splitlines()[-1])


def main():
    with tempfile.TemporaryDirectory() as cache:
        cold = probe(cache)
        warm = probe(cache)
    print(f"import fastact: {cold['import_fastact'] * 1e3:.0f} ms (numba not imported); "
          f"import the Numba backend: {cold['import_numba_backend'] * 1e3:.0f} ms cold, "
          f"{warm['import_numba_backend'] * 1e3:.0f} ms warm\n")
    print("| kernel (float32, contiguous) | first call, empty cache | second process, cache warm |")
    print("|---|---|---|")
    for name in cold["first"]:
        print(f"| {name} | {cold['first'][name]:.2f} s | {warm['first'][name] * 1e3:.1f} ms |")
    ew = [v for k, v in cold["first"].items() if "softmax" not in k]
    print("\n(the first call of a process also starts Numba's thread pool)")
    print(f"forward kernels: median {statistics.median(ew):.2f} s, max {max(ew):.2f} s to "
          f"compile; total for all {len(cold['first'])} calls {sum(cold['first'].values()):.1f} s "
          f"cold vs {sum(warm['first'].values()) * 1e3:.0f} ms warm")


if __name__ == "__main__":
    main()
