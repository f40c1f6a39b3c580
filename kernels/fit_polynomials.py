"""Fit the polynomial coefficients of kernels/vecmath.h (rerun to regenerate them).

    python kernels/fit_polynomials.py > kernels/vecmath_coeffs.h
    python kernels/fit_polynomials.py --python > fastact/_numba/_coeffs.py

(the second form writes the double-precision sets for the Numba backend, which computes
in double; ``tests/test_numba.py`` checks that both files hold the same numbers)

Near-minimax fits by interpolation at Chebyshev nodes, in 60-digit mpmath, of

* exp:   e^r = 1 + r + r^2 q(r),  |r| <= ln2/2,  q(r) = sum r^k/(k+2)!
* expm1: e^x - 1 = x + x^2 q(x) on the wider |x| <= ln2 (no reduction there)
* tanh:  tanh(x) = x + x^3 P(x^2) for |x| <= 0.625
* erfc:  erfc(z) = t exp(Q(s) - z^2) for 0 <= z <= 27.5, t = 1/(1+z/2),
         s = (t - (1+tmin)/2) / ((1-tmin)/2) in [-1, 1]; error of Q = relative error
* GELU (float): x/2 erfc(|x|/sqrt2) = x/2 Ku e^(-x^2/2) / (|x| + g(|x|)), Ku = e^lnK with
         lnK = ln sqrt(2/pi) rounded to float (the kernel adds it to exp's argument), g a
         rational N/D (degrees 4, 5) on [0, 15], fitted by Lawson-weighted linearised least
         squares to the relative error of the quotient (g's own error is damped by
         g/(|x| + g)), evaluated as D/(|x| D + N); near 0 x (1/2 + x R(x^2)), R fitted to
         (Phi(x) - 1/2)/x; GELU' (float) where its terms cancel: (x - x0) g(x) on [-1.3, -0.25]
         (g as for the double GELU', one piece of degree 8), and 1/2 + x S(x^2) on
         (-0.25, 0.5) (the quotient's roundings add up near 0, as in the forward); the
         tanh form's float derivative likewise
* erf (double GELU near 0): erf(z) = z P(z^2) for z <= 0.75/sqrt2 (there erfc's Q cancels
         near z = 0 and costs a few ulp)
* GELU' (double, where its two terms cancel): Phi(x) + x phi(x) = (x - x0) g(x) on
         [-2.3, 0], x0 = -0.7518 its zero; g fitted on three pieces, each in s = x - c
         about the piece's centre c (relative error)
* log1p: log(1+f) = 2 atanh(s) = 2s + s z R(z),  s = f/(2+f), z = s^2 <= ((sqrt2-1)/(sqrt2+1))^2,
         R(z) = sum 2 z^k/(2k+3)

The degree per dtype is the smallest whose relative error is far below the dtype's
epsilon (printed as a comment next to each set).  The polynomial fits are exact
mpmath; the float GELU's rational fit solves its least squares in NumPy (LAPACK), whose
last bits may differ on another machine: the checked-in vecmath_coeffs.h holds the
coefficients the exhaustive sweeps verified (README), so regenerate only with a sweep.
"""

import mpmath as mp

mp.mp.dps = 60


def chebyshev_fit(f, a, b, deg):
    n = deg + 1
    nodes = [(a + b) / 2 + (b - a) / 2 * mp.cos(mp.pi * (2 * k + 1) / (2 * n)) for k in range(n)]
    coeffs = mp.lu_solve(mp.matrix([[x ** j for j in range(n)] for x in nodes]),
                         mp.matrix([f(x) for x in nodes]))
    grid = [a + (b - a) * mp.mpf(i) / 2000 for i in range(2001)]
    if f is q_erfc:  # Q enters an exponent: its absolute error is what matters
        err = max(abs(sum(coeffs[j] * x ** j for j in range(n)) - f(x)) for x in grid)
    else:
        err = max(abs(sum(coeffs[j] * x ** j for j in range(n)) / f(x) - 1) for x in grid)
    return [coeffs[j] for j in range(n)], err


def q_exp(r):
    return mp.nsum(lambda k: r ** k / mp.factorial(k + 2), [0, mp.inf])


def p_tanh(u):
    # (tanh(x) - x) / x^3 as a function of u = x^2
    x = mp.sqrt(u)
    return (mp.tanh(x) - x) / x ** 3 if u > mp.mpf(10) ** -20 else -mp.mpf(1) / 3 + 2 * u / 15


ERFC_ZMAX = mp.mpf("27.5")  # erfc(27.5) < 2^-1074: the result is 0 beyond
ERFC_TMIN = 1 / (1 + ERFC_ZMAX / 2)


def q_erfc(s):
    # erfc(z) = t exp(Q - z^2), t = 1/(1 + z/2) mapped to s in [-1, 1]
    t = (ERFC_TMIN + 1) / 2 + (1 - ERFC_TMIN) / 2 * s
    z = 2 * (1 - t) / t
    return mp.log(mp.erfc(z) / t) + z * z


def f32(v):
    """v rounded to float32 (as a C float literal is)."""
    import struct
    return mp.mpf(struct.unpack("f", struct.pack("f", float(v)))[0])


GELUF_AMAX = mp.mpf(15)  # float GELU clamps |x| here: gelu(-15) rounds to -0.0
GELUF_LNK = f32(mp.log(mp.sqrt(2 / mp.pi)))
GELUF_NEAR = mp.mpf("0.5")  # |x| below: the odd polynomial (the quotient's roundings add up at 0)


def g_gelu_f(a):
    # Ku / (erfc(a/sqrt2) e^(a^2/2)) - a, Ku = e^GELUF_LNK: the quotient Ku/(a + g) times
    # Ku e^(-a^2/2) is erfc(a/sqrt2)
    return mp.exp(GELUF_LNK) / (mp.erfc(a / mp.sqrt(2)) * mp.exp(a * a / 2)) - a


def rational_fit(f, b, n, m, iters=120):
    """N/D (degrees n, m, D(0) = 1) ~ f on [0, b], minimising the relative error of
    1/(a + N/D) (the error of f weighted by f/(a + f)): linearised least squares
    N - f D = 0 on a dense grid, its weights updated by Lawson's rule."""
    import numpy as np

    bf = float(b)
    grid = np.unique(np.concatenate([bf / 2 - bf / 2 * np.cos(np.linspace(0, np.pi, 3001)),
                                     np.linspace(0, bf, 3001)]))
    fv = np.array([float(f(mp.mpf(a))) for a in grid])
    damp = fv / (grid + fv)
    u = grid / (bf / 2)                      # scaled for conditioning, undone below
    w = np.full(len(u), 1.0 / len(u))
    den = np.ones_like(u)
    best = None
    for it in range(iters):
        cols = [u ** k for k in range(n + 1)] + [-fv * u ** k for k in range(1, m + 1)]
        scale = damp / (fv * den)
        mat = np.stack(cols, 1) * (scale * np.sqrt(w))[:, None]
        c = np.linalg.lstsq(mat, fv * scale * np.sqrt(w), rcond=None)[0]
        p, q = c[:n + 1], np.concatenate([[1.0], c[n + 1:]])
        err = (np.polyval(p[::-1], u) / np.polyval(q[::-1], u) / fv - 1) * damp
        e = float(np.max(np.abs(err)))
        if best is None or e < best[0]:
            sc = (bf / 2) ** np.arange(max(n, m) + 1)
            best = (e, [mp.mpf(float(v)) for v in p / sc[:n + 1]], [mp.mpf(float(v)) for v in q / sc[:m + 1]])
        if it < 5:
            den = np.polyval(q[::-1], u)
        w = w * np.abs(err) ** 0.5
        w /= w.sum()
    return best


def p_phi_near(u):
    # (Phi(x) - 1/2) / x as a function of u = x^2
    x = mp.sqrt(u)
    return (mp.ncdf(x) - mp.mpf(1) / 2) / x if u > mp.mpf(10) ** -30 else 1 / mp.sqrt(2 * mp.pi) * (1 - u / 6)


ERF_XMAX = mp.mpf("0.75")  # the double GELU takes erf below |x| = 0.75, erfc above


def p_erf(u):
    # erf(z) / z as a function of u = z^2
    z = mp.sqrt(u)
    return mp.erf(z) / z if u > mp.mpf(10) ** -30 else 2 / mp.sqrt(mp.pi) * (1 - u / 3)


def gelu_der(x):
    return mp.ncdf(x) + x * mp.npdf(x)


GELU_DER_X0 = mp.findroot(gelu_der, mp.mpf("-0.75"))  # the zero of GELU'
# Phi and x phi cancel on [-2.3, 0] (|GELU'| < 0.14 on [-2.3, -0.5]; its zero at x0):
# ~10 ulp there when rounded apart; below -2.3 |f'| < 1/16 (an absolute bound applies)
# and above 0 the terms add
GELU_DER_PIECES = (("A", mp.mpf("-2.3"), mp.mpf("-1.5")), ("B", mp.mpf("-1.5"), mp.mpf("-0.75")),
                   ("C", mp.mpf("-0.75"), mp.mpf(0)))


def piece_centre(a, b):
    """The double nearest (a + b)/2: the kernels form s = x - c with that double."""
    return mp.mpf(float((a + b) / 2))


def quotient_by_zero(f, x0, slope, c):
    """s -> f(c + s) / (c + s - x0), f's zero x0 divided out; at x0 itself slope(x0),
    f's derivative there."""
    def g(s):
        x = c + s
        if abs(x - x0) < mp.mpf(10) ** -40:
            return slope(x)
        return f(x) / (x - x0)
    return g


def g_gelu_der_about(c):
    return quotient_by_zero(gelu_der, GELU_DER_X0, lambda x: mp.npdf(x) * (2 - x * x), c)


# float GELU' and gelu(tanh)': where their terms cancel (|x| in [0.25, 1.3]) (x - x0) g(x),
# one piece, g fitted in s = x - c about the float c nearest the middle (for gelu(tanh)',
# [-2, -0.25] at degree 11 was worse: the float Horner sum cost more than the
# cancellation it spared, 3.55 ulp at -1.975)
GELUF_DER_PIECE = (mp.mpf("-1.3"), mp.mpf("-0.25"))
GELUF_DER_MID = f32(sum(GELUF_DER_PIECE) / 2)


def gelu_tanh_der(x):
    # d/dx x sigmoid(v), v = 2 sqrt(2/pi) (x + 0.044715 x^3)
    k, c = 2 * mp.sqrt(2 / mp.pi), mp.mpf("0.044715")
    sg = 1 / (1 + mp.exp(-k * x * (1 + c * x * x)))
    return sg + x * sg * (1 - sg) * k * (1 + 3 * c * x * x)


GELU_TANH_DER_X0 = mp.findroot(gelu_tanh_der, mp.mpf("-0.75"))  # the zero of gelu(tanh)'


def g_gelu_tanh_der_about(c):
    return quotient_by_zero(gelu_tanh_der, GELU_TANH_DER_X0, lambda x: mp.diff(gelu_tanh_der, x), c)


def s_gelu_der_near(u):
    # (GELU'(x) - 1/2) / x as a function of u = x^2 (the float GELU' near 0)
    x = mp.sqrt(u)
    return (gelu_der(x) - mp.mpf(1) / 2) / x if u > mp.mpf(10) ** -30 else 2 / mp.sqrt(2 * mp.pi)


def r_log(z):
    return mp.nsum(lambda k: 2 * z ** k / (2 * k + 3), [0, mp.inf])


FITS = [
    # (macro prefix, function, interval, degree, C suffix for the literal)
    ("FA_EXPF_Q", q_exp, (-mp.log(2) / 2, mp.log(2) / 2), 4, "f"),
    ("FA_EXP_Q", q_exp, (-mp.log(2) / 2, mp.log(2) / 2), 10, ""),
    ("FA_EXPM1F_Q", q_exp, (-mp.log(2), mp.log(2)), 6, "f"),
    ("FA_EXPM1_Q", q_exp, (-mp.log(2), mp.log(2)), 13, ""),
    ("FA_TANHF_P", p_tanh, (0, mp.mpf(0.625) ** 2), 5, "f"),
    ("FA_TANH_P", p_tanh, (0, mp.mpf(0.625) ** 2), 11, ""),
    ("FA_ERFC_Q", q_erfc, (-1, 1), 24, ""),
    ("FA_GELUF_R", p_phi_near, (0, GELUF_NEAR ** 2), 3, "f"),
    ("FA_GELUF_DER_G", g_gelu_der_about(GELUF_DER_MID),
     (GELUF_DER_PIECE[0] - GELUF_DER_MID, GELUF_DER_PIECE[1] - GELUF_DER_MID), 8, "f"),
    ("FA_GELUF_DER_S", s_gelu_der_near, (0, GELUF_NEAR ** 2), 4, "f"),
    ("FA_GELUF_TANH_DER_G", g_gelu_tanh_der_about(GELUF_DER_MID),
     (GELUF_DER_PIECE[0] - GELUF_DER_MID, GELUF_DER_PIECE[1] - GELUF_DER_MID), 8, "f"),
    ("FA_ERF_P", p_erf, (0, ERF_XMAX ** 2 / 2), 9, ""),
    *((f"FA_GELU_DER_G{piece}", g_gelu_der_about(piece_centre(a, b)),
       (a - piece_centre(a, b), b - piece_centre(a, b)), 15, "") for piece, a, b in GELU_DER_PIECES),
    ("FA_LOGF_R", r_log, (0, ((mp.sqrt(2) - 1) / (mp.sqrt(2) + 1)) ** 2), 3, "f"),
    ("FA_LOG_R", r_log, (0, ((mp.sqrt(2) - 1) / (mp.sqrt(2) + 1)) ** 2), 7, ""),
]


def fits():
    """(macro prefix, coefficients, interval, degree, error, C literal suffix) per set."""
    out = []
    for name, f, (a, b), deg, suffix in FITS:
        coeffs, err = chebyshev_fit(f, a, b, deg)
        out.append((name, coeffs, (a, b), deg, err, suffix))
    return out


def header(name, a, b, deg, err):
    return f"degree {deg} on [{mp.nstr(a, 6)}, {mp.nstr(b, 6)}], max relative error {mp.nstr(err, 3)}"


def main_c():
    print("/* GENERATED by kernels/fit_polynomials.py: polynomial coefficients of vecmath.h. */")
    print("#ifndef FASTACT_VECMATH_COEFFS_H\n#define FASTACT_VECMATH_COEFFS_H")
    for name, coeffs, (a, b), deg, err, suffix in fits():
        print(f"\n/* {header(name, a, b, deg, err)} */")
        for j, c in enumerate(coeffs):
            print(f"#define {name}{j} {mp.nstr(c, 21, strip_zeros=False)}{suffix}")
    print(f"\n#define FA_ERFC_ZMAX {mp.nstr(ERFC_ZMAX, 17)}")
    print(f"#define FA_ERFC_TMIN {mp.nstr(ERFC_TMIN, 21, strip_zeros=False)}")
    print(f"#define FA_ERF_XMAX {mp.nstr(ERF_XMAX, 17)}")
    err, num, den = rational_fit(g_gelu_f, GELUF_AMAX, 4, 5)
    print(f"\n/* float GELU: g = N/D on [0, {mp.nstr(GELUF_AMAX, 6)}], degrees 4, 5, max relative "
          f"error of 1/(a + g) {mp.nstr(mp.mpf(err), 3)} */")
    for j, c in enumerate(num):
        print(f"#define FA_GELUF_N{j} {mp.nstr(c, 17, strip_zeros=False)}f")
    for j, c in enumerate(den):
        print(f"#define FA_GELUF_D{j} {mp.nstr(c, 17, strip_zeros=False)}f")
    print(f"#define FA_GELUF_LNK {mp.nstr(GELUF_LNK, 17)}f")
    print(f"#define FA_GELUF_AMAX {mp.nstr(GELUF_AMAX, 6)}f")
    print(f"#define FA_GELUF_NEAR {mp.nstr(GELUF_NEAR, 6)}f")
    print(f"#define FA_GELUF_DER_LO {mp.nstr(GELUF_DER_PIECE[0], 6)}f")
    print(f"#define FA_GELUF_DER_HI {mp.nstr(GELUF_DER_PIECE[1], 6)}f")
    print(f"#define FA_GELUF_DER_MID {mp.nstr(GELUF_DER_MID, 17)}f")
    x0f_hi = f32(GELU_DER_X0)
    print(f"#define FA_GELUF_DER_X0_HI {mp.nstr(x0f_hi, 17)}f")
    print(f"#define FA_GELUF_DER_X0_LO {mp.nstr(f32(GELU_DER_X0 - x0f_hi), 17)}f")
    x0t_hi = f32(GELU_TANH_DER_X0)
    print(f"#define FA_GELUF_TANH_DER_X0_HI {mp.nstr(x0t_hi, 17)}f")
    print(f"#define FA_GELUF_TANH_DER_X0_LO {mp.nstr(f32(GELU_TANH_DER_X0 - x0t_hi), 17)}f\n")
    x0_hi = mp.mpf(float(GELU_DER_X0))
    print(f"#define FA_GELU_DER_X0_HI {mp.nstr(x0_hi, 17)}")
    print(f"#define FA_GELU_DER_X0_LO {mp.nstr(GELU_DER_X0 - x0_hi, 17)}")
    for piece, a, b in GELU_DER_PIECES:
        print(f"#define FA_GELU_DER_{piece}_LO {mp.nstr(a, 17)}")
        print(f"#define FA_GELU_DER_{piece}_MID {mp.nstr(piece_centre(a, b), 17)}")
    print("#define FA_GELU_DER_G_TABLE { \\")
    for piece, _, _ in GELU_DER_PIECES:
        names = ", ".join(f"FA_GELU_DER_G{piece}{j}" for j in range(16))
        print(f"    {{{names}}}, \\")
    print("}")
    print("\n#endif")


def main_python():
    print('"""GENERATED by kernels/fit_polynomials.py --python: the double-precision')
    print('polynomial coefficients of kernels/vecmath.h, for the Numba backend."""\n')
    for name, coeffs, (a, b), deg, err, suffix in fits():
        if suffix:  # the float sets: the Numba backend computes in double
            continue
        print(f"# {header(name, a, b, deg, err)}")
        print(f"{name[3:]} = (")
        for c in coeffs:
            print(f"    {mp.nstr(c, 21, strip_zeros=False)},")
        print(")\n")
    print(f"ERFC_ZMAX = {mp.nstr(ERFC_ZMAX, 17)}")
    print(f"ERFC_TMIN = {mp.nstr(ERFC_TMIN, 21, strip_zeros=False)}")
    print(f"ERF_XMAX = {mp.nstr(ERF_XMAX, 17)}")
    x0_hi = mp.mpf(float(GELU_DER_X0))
    print(f"GELU_DER_X0_HI = {mp.nstr(x0_hi, 17)}")
    print(f"GELU_DER_X0_LO = {mp.nstr(GELU_DER_X0 - x0_hi, 17)}")
    print("GELU_DER_LO = (" + ", ".join(mp.nstr(a, 17) for _, a, _ in GELU_DER_PIECES) + ")")
    print("GELU_DER_MID = (" + ", ".join(mp.nstr(piece_centre(a, b), 17)
                                         for _, a, b in GELU_DER_PIECES) + ")")
    print("GELU_DER_G = (" + ", ".join(f"GELU_DER_G{p}" for p, _, _ in GELU_DER_PIECES) + ")")


def main():
    import sys

    if sys.argv[1:] == ["--python"]:
        main_python()
    elif sys.argv[1:]:
        raise SystemExit("usage: fit_polynomials.py [--python]")
    else:
        main_c()


if __name__ == "__main__":
    main()
