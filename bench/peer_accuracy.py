"""float32 accuracy of fastact and of the peers the benchmark races, on one sample.

    python bench/peer_accuracy.py                        # the default ops, 2^22 inputs
    python bench/peer_accuracy.py --ops sigmoid,tanh --sample 20

Every implementation (fastact, the NumPy baseline the benchmark times, PyTorch, ONNX
Runtime, numexpr, SciPy: whichever is installed and has the op) computes the same
float32 inputs on 1 thread, exactly as ``python -m fastact bench`` calls it, and is
compared with the float64 twin (the reference of ``bench/accuracy_sweep.py``, checked
against mpmath) in ULPs of the float32 result.  Two input sets:

* ``range`` -- 2^LOG2 random float32 bit patterns (every exponent equally likely: the
  tails, tiny and huge inputs), as the sweep's sample;
* ``[-10, 10]`` -- 2^LOG2 uniform inputs where network activations live.

For each it prints the largest error (ULP), where it occurs, and how many inputs are
over fastact's bound in the README (2 or 4 ULP); NaN/inf mismatches (a NaN where the
reference is a number, or a wrong infinity) are counted apart.  The point: the speed
table compares fastact with kernels that do not keep this contract.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from accuracy_sweep import _call, _ulp32  # noqa: E402  (the sweep's reference and ULP)

from fastact._bench import baselines, peers as P  # noqa: E402

OPS = ["sigmoid", "silu", "tanh", "gelu", "gelu(tanh)", "logsigmoid", "softplus", "elu", "mish"]
BOUND = {"gelu": 4.0, "gelu(tanh)": 4.0, "mish": 4.0}  # the README's; 2 ULP for the others


def _inputs(kind, log2):
    rng = np.random.default_rng(20261123)
    if kind == "range":
        bits = rng.integers(0, 1 << 32, size=1 << log2, dtype=np.uint64).astype(np.uint32)
        x = bits.view(np.float32)
        return x[np.isfinite(x)]
    return rng.uniform(-10, 10, 1 << log2).astype(np.float32)


def _on_copy(make_call, result=lambda y, r: y):
    """f(x) for one implementation: its call built on a copy y of x as the benchmark
    builds it (most write their result into y), run once; result(y, what the call
    returned) is the output.  None where the implementation lacks the op."""
    def run(x):
        y = x.copy()
        call = make_call(y)
        return None if call is None else result(y, call())
    return run


def _implementations(op, found):
    """name -> f(x) returning float32 results, each as the benchmark calls it."""
    import fastact

    impls = {}
    spec_name = "gelu" if op == "gelu(tanh)" else op
    params = {"approximate": "tanh"} if op == "gelu(tanh)" else {}
    f = fastact.get(spec_name)
    impls["fastact"] = lambda x: f(x, n_threads=1, **params)
    full = {p.name: p.default for p in f.spec.params} | params
    kernel = f.spec.kernel_for(full)
    nums = [full[q.name] for q in f.spec.numeric_params] + [0.0, 0.0]
    base, how = baselines.forward(op, kernel, nums[0], nums[1])
    if how == "idiom":  # (a twin baseline is the float64 reference's own formula in float32)
        impls["numpy"] = _on_copy(lambda y: (lambda: base(y, np.empty_like(y))))
    torch, ort = found.get("torch"), found.get("onnxruntime")
    ne, sp = found.get("numexpr"), found.get("scipy")
    if torch is not None:
        impls["torch"] = _on_copy(lambda y: P.torch_forward(torch, op, y, 1),
                                  lambda y, r: r.numpy() if r is not None else y)
    if ort is not None:
        def ort_call(y):
            out = np.empty_like(y)
            call = P.ort_run(ort, op, y, out, 1)
            return None if call is None else (lambda: (call(), out)[1])
        impls["onnxruntime"] = _on_copy(ort_call, lambda y, r: r)
    if ne is not None:
        impls["numexpr"] = _on_copy(lambda y: P.numexpr_forward(ne, op, y, 1))
    if sp is not None:
        impls["scipy"] = _on_copy(lambda y: P.scipy_forward(sp, op, y, np.empty_like(y)))
    return impls


def _errors(got, x, ref):
    """(max ULP, x there, inputs over the bound, NaN/inf mismatches) of float32 results."""
    g = np.asarray(got, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        r32 = ref.astype(np.float32)
    nonfinite = int(np.sum(np.isnan(g) != np.isnan(ref)) + np.sum(np.isinf(r32) & (g != r32))
                    + np.sum(np.isinf(g) & np.isfinite(r32)))
    fin = np.isfinite(r32) & np.isfinite(g)
    err = np.abs(g[fin] - ref[fin]) / _ulp32(ref[fin])
    i = int(np.argmax(err)) if err.size else 0
    return (float(err[i]) if err.size else 0.0, float(x[fin][i]) if err.size else 0.0,
            err, nonfinite)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ops", default=",".join(OPS))
    ap.add_argument("--sample", type=int, default=22, metavar="LOG2")
    ap.add_argument("--peers", default="torch,onnxruntime,numexpr,scipy")
    args = ap.parse_args(argv)
    found = P.load([p for p in args.peers.split(",") if p])
    print(f"float32, 1 thread, 2^{args.sample} inputs per set; reference: the float64 twin; "
          f"peers: " + ", ".join(f"{k} {P.version(m)}" for k, m in found.items() if m is not None))
    print("\n| op | inputs | implementation | max error (ulp) | at x | over fastact's bound | "
          "NaN/inf mismatches |")
    print("|---|---|---|---|---|---|---|")
    for op in args.ops.split(","):
        bound = BOUND.get(op, 2.0)
        impls = _implementations(op, found)
        for kind in ("range", "[-10, 10]"):
            x = _inputs(kind, args.sample)
            _, ref = _call(op, "fwd", x)
            for name, call in impls.items():
                with np.errstate(all="ignore"):
                    got = call(x)
                if got is None:
                    continue
                worst, at, err, nonfinite = _errors(got, x, ref)
                over = int(np.sum(err > bound))
                print(f"| {op} | {kind} | {name} | {worst:.3g} | {at:.7g} | "
                      f"{over} ({over / x.size:.2%}) | {nonfinite} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
