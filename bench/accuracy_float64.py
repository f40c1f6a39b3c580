"""float64 accuracy against a 50-digit mpmath reference: every elementwise activation
(prelu excepted; 'gelu(tanh)' is gelu with approximate="tanh") and its derivative, on a
dense sample of float64 inputs, in ULPs of the float64 rounding of the exact value.

    python bench/accuracy_float64.py                           # every activation, fwd + der
    python bench/accuracy_float64.py --backend numba --functions gelu,silu --directions der
    python bench/accuracy_float64.py --points 2000 --json out.json

The sample (deterministic, --points in all): |x| log-spaced from 1e-300 to 1e3 and on to
DBL_MAX, both signs; a dense linear grid on [-40, 40] and a coarser one over the range
of exp, [-750, 750]; and special points with their float64 neighbours (±0, subnormals,
the kinks, the zeros of f', the branch points of the kernels' exp/expm1/erfc/tanh).

The reference is written from the formulas alone (nothing from fastact's kernels or its
NumPy twin) and evaluated at 50 digits, at the activation's default parameters (as the
float64 values fastact receives them).  Derivatives at a kink take PyTorch's value
(relu'(0) = 0, hardswish'(3) = 1.5, ...); softplus follows PyTorch (x itself where
beta*x > threshold).  Errors are measured against the exact value (kept as its float64
rounding plus the rest in ULPs), so a correctly rounded result is within 0.5 ULP.

Bound (the 4-ULP float64 target; the README itself states 1e-13 relative to the NumPy
twin): forward <= 4 ULP; derivatives <= 4 ULP where |f'| >= 1/16 and, elsewhere (the
cancellation at the zeros of f', the tails), an absolute error <= 4*2^-52.  The Markdown table gives the largest error, where it
occurs, and how many inputs exceed the bound; a non-finite result where the reference
is finite (or a wrong ±inf) is counted separately.  The default run (100000 points,
every function, both directions) takes about a minute on one core, nearly all of it
in mpmath.  tests/test_float64_accuracy.py runs a smaller sample through both backends.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

import mpmath as mp
import numpy as np

DPS = 50
FWD_ULP, DER_ULP, DER_ABS, DER_ULP_FLOOR = 4.0, 4.0, 4 * 2.0 ** -52, 1.0 / 16
DBL_MAX = float(np.finfo(np.float64).max)

# ---------------------------------------------------------------- the reference
# x, p0, p1 are mpf; p0/p1 are the activation's numeric parameters in registry order.
# Identities are chosen so that no exp() of a huge positive argument is taken (mpmath
# needs ~15 ms for exp(1e300)): _exp cuts arguments below -1e4 to 0, which changes no
# value by more than exp(-1e4) < 1e-4342 -- far below the float64 subnormals even
# after a multiplication by DBL_MAX.

SELU_SCALE = "1.0507009873554804934193349852946"   # Klambauer et al. (2017)
SELU_ALPHA = "1.6732632423543772848170429916717"
GELU_TANH_C = "0.044715"                           # the decimal of the paper's formula
ZERO, ONE = mp.mpf(0), mp.mpf(1)


def _exp(t):
    return ZERO if t < -10_000 else mp.exp(t)


def _sig(x):
    """1/(1 + exp(-x))."""
    if x >= 0:
        return 1 / (1 + _exp(-x))
    e = _exp(x)
    return e / (1 + e)


def _log1pexp(z):
    """log(1 + exp(z))."""
    return (z if z > 0 else ZERO) + mp.log1p(_exp(-abs(z)))


def _sech2(y):
    """1/cosh(y)^2 = 4 e/(1 + e)^2, e = exp(-2|y|)."""
    e = _exp(-2 * abs(y))
    return 4 * e / (1 + e) ** 2


def _erfc(z):
    # beyond |z| = 1e4 erfc is 0 or 2 within exp(-1e8) (mpmath's erfc overflows a
    # Python float on its own for |z| ~ 1e20)
    if abs(z) > 10_000:
        return ZERO if z > 0 else mp.mpf(2)
    return mp.erfc(z)


def _step(cond):
    return ONE if cond else ZERO


def _gelu_tanh_v(x):
    """2u, gelu_tanh = x/2 (1 + tanh(u)) = x sigmoid(2u), u = sqrt(2/pi)(x + c x^3)."""
    return 2 * mp.sqrt(2 / mp.pi) * (x + mp.mpf(GELU_TANH_C) * x ** 3)


def _gelu_tanh_der(x):
    v = _gelu_tanh_v(x)
    dv = 2 * mp.sqrt(2 / mp.pi) * (1 + 3 * mp.mpf(GELU_TANH_C) * x ** 2)
    return _sig(v) + x * _sig(v) * _sig(-v) * dv


def _mish_der(x):
    sp = _log1pexp(x)
    return mp.tanh(sp) + x * _sig(x) * _sech2(sp)


def _selu(x, der):
    s, a = mp.mpf(SELU_SCALE), mp.mpf(SELU_ALPHA)
    if x > 0:
        return s if der else s * x
    return s * a * (mp.exp(x) if der else mp.expm1(x))


def _hardswish_der(x):
    if x < -3:
        return ZERO
    return x / 3 + mp.mpf(1) / 2 if x <= 3 else ONE


MP_REFERENCE = {
    # name: (f(x, p0, p1), f'(x, p0, p1))
    "relu": (lambda x, a, b: max(x, ZERO), lambda x, a, b: _step(x > 0)),
    "relu6": (lambda x, a, b: min(max(x, ZERO), 6), lambda x, a, b: _step(0 < x < 6)),
    "leaky_relu": (lambda x, al, b: x if x > 0 else al * x,
                   lambda x, al, b: ONE if x > 0 else al),
    "elu": (lambda x, al, b: x if x > 0 else al * mp.expm1(x),
            lambda x, al, b: ONE if x > 0 else al * mp.exp(x)),
    "selu": (lambda x, a, b: _selu(x, False), lambda x, a, b: _selu(x, True)),
    "celu": (lambda x, al, b: x if x > 0 else al * mp.expm1(x / al),
             lambda x, al, b: ONE if x > 0 else mp.exp(x / al)),
    "gelu": (lambda x, a, b: x / 2 * _erfc(-x / mp.sqrt(2)),
             lambda x, a, b: _erfc(-x / mp.sqrt(2)) / 2
             + x * _exp(-x * x / 2) / mp.sqrt(2 * mp.pi)),
    "gelu(tanh)": (lambda x, a, b: x * _sig(_gelu_tanh_v(x)), lambda x, a, b: _gelu_tanh_der(x)),
    "silu": (lambda x, a, b: x * _sig(x), lambda x, a, b: _sig(x) * (1 + x * _sig(-x))),
    "mish": (lambda x, a, b: x * mp.tanh(_log1pexp(x)), lambda x, a, b: _mish_der(x)),
    "softplus": (lambda x, beta, thr: x if beta * x > thr else _log1pexp(beta * x) / beta,
                 lambda x, beta, thr: ONE if beta * x > thr else _sig(beta * x)),
    "softsign": (lambda x, a, b: x / (1 + abs(x)), lambda x, a, b: 1 / (1 + abs(x)) ** 2),
    "hardtanh": (lambda x, lo, hi: min(max(x, lo), hi), lambda x, lo, hi: _step(lo < x < hi)),
    "hardsigmoid": (lambda x, a, b: min(max(x + 3, ZERO), 6) / 6,
                    lambda x, a, b: _step(-3 < x < 3) / 6),
    "hardswish": (lambda x, a, b: x * min(max(x + 3, ZERO), 6) / 6,
                  lambda x, a, b: _hardswish_der(x)),
    "sigmoid": (lambda x, a, b: _sig(x), lambda x, a, b: _sig(x) * _sig(-x)),
    "logsigmoid": (lambda x, a, b: -_log1pexp(-x), lambda x, a, b: _sig(-x)),
    "tanh": (lambda x, a, b: mp.tanh(x), lambda x, a, b: _sech2(x)),
    "identity": (lambda x, a, b: x, lambda x, a, b: ONE),
}


def functions():
    """Every elementwise activation but prelu, in registry order, then 'gelu(tanh)'."""
    from fastact import _registry as reg

    return [s.name for s in reg.ELEMENTWISE if s.name not in reg.PER_ELEMENT_WEIGHT] + ["gelu(tanh)"]


def _spec_and_params(name):
    """(registry spec, keyword params of the call, numeric parameters p0, p1)."""
    from fastact import _registry as reg

    spec = reg.SPECS["gelu" if name == "gelu(tanh)" else name]
    call = {"approximate": "tanh"} if name == "gelu(tanh)" else {}
    defaults = {p.name: p.default for p in spec.params}
    nums = [float(defaults[p.name]) for p in spec.numeric_params] + [0.0, 0.0]
    return spec, call, nums[0], nums[1]


def reference(name, direction, x):
    """The exact f(x) (direction "fwd") or f'(x) ("der") at the float64 points x as two
    arrays: hi, its float64 rounding, and frac = (exact - hi) / ulp(hi), the rest in ULPs
    of hi (within ±0.5; exact where a double-double's low part would be lost to
    underflow)."""
    _, _, p0, p1 = _spec_and_params(name)
    fn = MP_REFERENCE[name][0 if direction == "fwd" else 1]
    hi = np.empty(len(x))
    frac = np.empty(len(x))
    with mp.workdps(DPS):
        a, b = mp.mpf(p0), mp.mpf(p1)
        for i, v in enumerate(np.asarray(x, dtype=np.float64).tolist()):
            r = mp.mpf(fn(mp.mpf(v), a, b))
            h = float(r)
            f = float((r - h) / math.ulp(h)) if math.isfinite(h) else 0.0
            if abs(f) > 0.5:        # float() rounds twice into the subnormals
                h = math.nextafter(h, math.copysign(math.inf, f))
                f = float((r - h) / math.ulp(h))
            hi[i], frac[i] = h, f
    return hi, frac


def evaluate(name, direction, x, backend="cython"):
    """fastact's float64 f(x) or f'(x) with the given backend."""
    import fastact

    spec, call, _, _ = _spec_and_params(name)
    f = fastact.get(spec.name)
    x = np.ascontiguousarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        out = f(x, backend=backend, **call) if direction == "fwd" else \
            f.derivative(x, backend=backend, **call)
    assert out.dtype == np.float64
    return out


# ---------------------------------------------------------------- the sample

def _special_points():
    from fastact import _registry as reg

    pts = [0.0, 5e-324, 1e-310, 2.2250738585072014e-308, 1e-200, 1e-16, 1e-8, 1e-4,
           0.5, 1.0, 1.5, 2.0, 3.0, 6.0, 20.0,
           0.625, 0.6931471805599453, 17.0, 18.0, 27.5, 37.0, 38.0, 40.0,  # kernels' branches
           38.890872965260115,                       # erfc's cut-off, 27.5 sqrt(2)
           0.7517915241, 1.1923834, 1.2784645427610738,  # zeros of gelu', mish', silu'
           0.75179, 1.5,                             # gelu(tanh)' and hardswish' zeros (~)
           0.75, 2.3, 1e4,                           # float64 gelu' pieces, silu'/mish' clamp
           708.0, 709.0, 709.782712893384, 744.44, 745.1332191019411, 746.0,
           1e15, 1e100, 1e154, 1e300, DBL_MAX]
    for spec in reg.ELEMENTWISE:                    # kinks, and parameters named as kinks
        defaults = {p.name: p.default for p in spec.params}
        pts += [float(defaults.get(k, k)) for k in spec.kinks]
    pts = np.array(pts, dtype=np.float64)
    pts = np.concatenate([pts, -pts])
    with np.errstate(over="ignore"):  # the neighbours of ±DBL_MAX: ±inf, dropped
        up1, dn1 = np.nextafter(pts, np.inf), np.nextafter(pts, -np.inf)
        pts = np.concatenate([pts, up1, np.nextafter(up1, np.inf), dn1, np.nextafter(dn1, -np.inf)])
    return pts[np.isfinite(pts)]


def sample(points=100_000):
    """The deterministic float64 input sample (about ``points`` distinct finite values)."""
    specials = _special_points()
    n = max(points - specials.size, 40)
    n_small = int(0.40 * n) // 2          # 1e-300 .. 1e3, each sign
    n_big = int(0.10 * n) // 2            # 1e3 .. DBL_MAX, each sign
    n_exp = int(0.15 * n)                 # [-750, 750]
    n_lin = n - 2 * n_small - 2 * n_big - n_exp   # [-40, 40]
    small = np.geomspace(1e-300, 1e3, n_small)
    big = np.geomspace(1e3, DBL_MAX / 2, n_big + 1)[1:]   # (the specials hold DBL_MAX)
    parts = [small, -small, big, -big, np.linspace(-750.0, 750.0, n_exp),
             np.linspace(-40.0, 40.0, n_lin), specials]
    x = np.unique(np.concatenate(parts))
    return x[np.isfinite(x)]


# ---------------------------------------------------------------- the statistics

def _ulp64(hi):
    """The float64 ULP at the float64 reference, as math.ulp: 2^-1074 at zero and for
    subnormals, 2^971 at ±DBL_MAX, inf at ±inf."""
    a = np.abs(hi)
    with np.errstate(over="ignore"):
        sp = np.spacing(np.where(a == DBL_MAX, np.nextafter(DBL_MAX, 0.0), a))
    sp[np.isinf(a)] = np.inf
    return np.maximum(sp, 5e-324)


def errors(got, hi, frac):
    """|got - exact| and that in ULPs of the reference (inf where got is non-finite and
    the reference is finite, or got is not the reference's ±inf)."""
    ulp = _ulp64(hi)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = got - hi                      # exact near hi (Sterbenz)
        err_ulp = np.abs(diff / ulp - frac)
        abs_err = np.abs(diff - frac * ulp)
    bad = ~np.isfinite(got) | ~np.isfinite(hi) | ~np.isfinite(err_ulp)
    same_inf = np.isinf(hi) & (got == hi)
    abs_err[bad] = np.inf
    err_ulp[bad] = np.inf
    abs_err[same_inf] = 0.0
    err_ulp[same_inf] = 0.0
    return abs_err, err_ulp


def stats(name, direction, x, got, hi, frac):
    """The row of the table: max error, where, how many inputs exceed the bound."""
    abs_err, ulp = errors(got, hi, frac)
    nonfinite = int(np.sum(np.isinf(ulp)))
    if direction == "fwd":
        in_ulp = np.ones(x.size, bool)
        over = ulp > FWD_ULP
    else:  # ULPs where |f'| >= 1/16, an absolute floor at the zeros of f' and the tails
        in_ulp = np.abs(hi) >= DER_ULP_FLOOR
        over = np.where(in_ulp, ulp > DER_ULP, abs_err > DER_ABS)
    row = {"function": name, "direction": direction, "points": int(x.size),
           "max_ulp": 0.0, "at_x": None, "max_abs_small": None, "at_x_abs": None,
           "over_bound": int(np.sum(over)), "nonfinite_mismatch": nonfinite}
    u = np.where(in_ulp, ulp, -1.0)
    if in_ulp.any():
        i = int(np.argmax(u))
        row["max_ulp"], row["at_x"] = float(u[i]), float(x[i])
    if direction != "fwd" and (~in_ulp).any():
        a = np.where(in_ulp, -1.0, abs_err)
        i = int(np.argmax(a))
        row["max_abs_small"], row["at_x_abs"] = float(a[i]), float(x[i])
    return row


def check(name, direction, x, backend="cython"):
    hi, frac = reference(name, direction, x)
    return stats(name, direction, x, evaluate(name, direction, x, backend), hi, frac)


def _fmt_row(r, backend):
    label = "f" if r["direction"] == "fwd" else "f′"
    where = f"{r['at_x']:.17g}" if r["at_x"] is not None and r["max_ulp"] > 0 else "–"
    if r["max_abs_small"] is None:
        small = "–"
    else:
        small = (f"{r['max_abs_small'] / 2.0 ** -52:.2f}·2⁻⁵² at {r['at_x_abs']:.17g}"
                 if r["max_abs_small"] > 0 else "0")
    return (f"| {r['function']} | {label} | {backend} | {r['points']} | {r['max_ulp']:.2f} | "
            f"{where} | {small} | {r['over_bound']} | {r['nonfinite_mismatch']} |")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--functions", help="comma-separated (default: every activation; 'gelu(tanh)')")
    p.add_argument("--directions", default="fwd,der")
    p.add_argument("--backend", choices=("cython", "numba"), default="cython")
    p.add_argument("--points", type=int, default=100_000, help="sample size (default 100000)")
    p.add_argument("--json", metavar="FILE")
    args = p.parse_args(argv)
    names = args.functions.split(",") if args.functions else functions()
    unknown = [n for n in names if n not in MP_REFERENCE]
    if unknown:
        p.error(f"unknown function(s): {', '.join(unknown)}")
    directions = args.directions.split(",")
    if set(directions) - {"fwd", "der"}:
        p.error("--directions: fwd and/or der")
    x = sample(args.points)
    rows = []
    print(f"| function | f | backend | points | max error (ulp{', |f′| ≥ 1/16' if 'der' in directions else ''}) "
          "| at x | max abs error, |f′| < 1/16 | over the bound | non-finite mismatches |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in names:
        for d in directions:
            t0 = time.time()
            r = check(name, d, x, args.backend)
            r["backend"], r["seconds"] = args.backend, time.time() - t0
            rows.append(r)
            print(_fmt_row(r, args.backend), flush=True)
    failing = [f"{r['function']} {r['direction']}" for r in rows
               if r["over_bound"] or r["nonfinite_mismatch"]]
    print(f"\nbound: f ≤ {FWD_ULP:g} ulp; f′ ≤ {DER_ULP:g} ulp where |f′| ≥ 1/16, else ≤ 4·2⁻⁵² absolute; "
          f"over it: {', '.join(failing) if failing else 'none'}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
