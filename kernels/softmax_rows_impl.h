/* Row kernels of the contiguous, unmasked softmax: included by softmax_rows.h once per
 * dtype with FA_T (the type), FA_SFX (name suffix), FA_EXP, FA_EXP_NONPOS (e^t for
 * t <= 0: the terms) and FA_LOG defined.
 *
 * The max is an integer reduction the compiler vectorizes; the sums are double OpenMP
 * SIMD reductions (FA_SIMD_REDUCTION: vector partial sums in registers).  Every loop that writes has a variant for the
 * output being one of the inputs (in place): with two pointer names the compiler would
 * guard the vector loop by an overlap check that in-place calls always fail.
 */

#define FA_CAT_(a, b) a##_##b
#define FA_CAT(a, b) FA_CAT_(a, b)
#define FA_NAME(n) FA_CAT(n, FA_SFX)

/* Max over the row (fa_row_max_nan: 1 when the row holds a NaN; fa_row_max: 1 when it
   holds a NaN or +inf, or nothing above -inf -- the general kernel then handles it).  Computed on integer keys -- the float's bits with the
   magnitude bits flipped for negative numbers, which orders them like the floats --
   because an integer max reduction vectorizes where a float one (without -ffast-math)
   does not. */
FA_INLINE int FA_NAME(fa_row_max_nan)(const FA_T *x, long n, FA_T *max_out) {
    FA_I key_max = FA_I_MIN;
    FA_I nan = 0;
    long j;
    for (j = 0; j < n; j++) {
        FA_I b;
        memcpy(&b, &x[j], sizeof b);
        FA_I key = b ^ ((b >> FA_SHIFT) & FA_ABS_MASK);
        key_max = key > key_max ? key : key_max;
        nan |= (FA_I)((b & FA_ABS_MASK) > FA_INF_BITS);
    }
    FA_I b = key_max ^ ((key_max >> FA_SHIFT) & FA_ABS_MASK);
    FA_T mx;
    memcpy(&mx, &b, sizeof mx);
    *max_out = mx;
    return nan != 0;
}

FA_INLINE int FA_NAME(fa_row_max)(const FA_T *x, long n, FA_T *max_out) {
    int nan = FA_NAME(fa_row_max_nan)(x, n, max_out);
    return nan | (*max_out == INFINITY) | (*max_out == -INFINITY);
}

/* s = sum of exp((src - mx) * inv_t), storing each term in dst when store is set.  An
   OpenMP SIMD reduction: the partial sums stay in vector registers (a lanes array
   written by hand is kept in memory by gcc, a store-to-load chain per iteration). */
#define FA_SUM_EXP_LOOP(SRC, DST, STORE)                                        \
    FA_SIMD_REDUCTION                                                           \
    for (j = 0; j < n; j++) {                                                   \
        FA_T e = FA_EXP_NONPOS((SRC[j] - mx) * inv_t);                          \
        s += e;                                                                 \
        if (STORE) DST[j] = e;                                                  \
    }

FA_INLINE int FA_NAME(fa_softmax_row)(const FA_T *x, FA_T *o, long n, FA_T inv_t) {
    FA_T mx;
    if (FA_NAME(fa_row_max)(x, n, &mx)) return 1;
    double s = 0;
    long j;
    if ((const void *)o == (const void *)x) { FA_SUM_EXP_LOOP(o, o, 1) }
    else { FA_SUM_EXP_LOOP(x, o, 1) }
    FA_T inv_s = (FA_T)(1.0 / s);
    for (j = 0; j < n; j++) o[j] = o[j] * inv_s;
    return 0;
}

FA_INLINE int FA_NAME(fa_log_softmax_row)(const FA_T *x, FA_T *o, long n, FA_T inv_t) {
    FA_T mx;
    if (FA_NAME(fa_row_max)(x, n, &mx)) return 1;
    double s = 0;
    long j;
    FA_SUM_EXP_LOOP(x, o, 0)
    FA_T lse = (FA_T)FA_LOG(s);
    if ((const void *)o == (const void *)x) { for (j = 0; j < n; j++) o[j] = (o[j] - mx) * inv_t - lse; }
    else { for (j = 0; j < n; j++) o[j] = (x[j] - mx) * inv_t - lse; }
    return 0;
}

/* backward: a reduction over the row, then an elementwise pass (three aliasing cases) */
#define FA_BWD_PASS(EXPR_DY, EXPR_Y)                                            \
    if ((const void *)o == (const void *)dy) {                                  \
        for (j = 0; j < n; j++) { FA_T d_ = o[j], y_ = y[j]; o[j] = FA_BWD(d_, y_); } \
    } else if ((const void *)o == (const void *)y) {                            \
        for (j = 0; j < n; j++) { FA_T d_ = dy[j], y_ = o[j]; o[j] = FA_BWD(d_, y_); } \
    } else {                                                                    \
        for (j = 0; j < n; j++) { FA_T d_ = dy[j], y_ = y[j]; o[j] = FA_BWD(d_, y_); } \
    }

/* sum of dy*y (softmax) or of dy (log_softmax) over n elements, in double (an OpenMP
   SIMD reduction, as FA_SUM_EXP_LOOP) */
FA_INLINE double FA_NAME(fa_softmax_bwd_total)(const FA_T *dy, const FA_T *y, long n) {
    double s = 0;
    long j;
    FA_SIMD_REDUCTION
    for (j = 0; j < n; j++) s += dy[j] * y[j];
    return s;
}

FA_INLINE double FA_NAME(fa_log_softmax_bwd_total)(const FA_T *dy, long n) {
    double s = 0;
    long j;
    FA_SIMD_REDUCTION
    for (j = 0; j < n; j++) s += dy[j];
    return s;
}

/* the elementwise pass of the backward given the row's total */
FA_INLINE void FA_NAME(fa_softmax_bwd_pass)(const FA_T *dy, const FA_T *y, FA_T *o, long n,
                                            FA_T total, FA_T inv_t) {
    long j;
#define FA_BWD(d, yy) ((yy) * ((d) - total) * inv_t)
    FA_BWD_PASS(dy, y)
#undef FA_BWD
}

FA_INLINE void FA_NAME(fa_log_softmax_bwd_pass)(const FA_T *dy, const FA_T *y, FA_T *o, long n,
                                                FA_T total, FA_T inv_t) {
    long j;
#define FA_BWD(d, yy) (((d) - FA_EXP(yy) * total) * inv_t)
    FA_BWD_PASS(dy, y)
#undef FA_BWD
}

FA_INLINE void FA_NAME(fa_softmax_row_bwd)(const FA_T *dy, const FA_T *y, FA_T *o, long n, FA_T inv_t) {
    FA_NAME(fa_softmax_bwd_pass)(dy, y, o, n, (FA_T)FA_NAME(fa_softmax_bwd_total)(dy, y, n), inv_t);
}

FA_INLINE void FA_NAME(fa_log_softmax_row_bwd)(const FA_T *dy, const FA_T *y, FA_T *o, long n, FA_T inv_t) {
    FA_NAME(fa_log_softmax_bwd_pass)(dy, y, o, n, (FA_T)FA_NAME(fa_log_softmax_bwd_total)(dy, n), inv_t);
}

/* Long rows split into segments that threads share (the forward's three steps):
   fa_segment_stats: the segment's max m and sum of exp((x - m) inv_t), the terms stored
   in o when store is set (softmax; 1 when the segment holds a NaN or +inf: the row is
   then special; nothing above -inf gives m = -inf, sum 0, zeros stored); after the merge,
   fa_segment_scale (softmax: o *= exp((m - max) inv_t) / sum) or fa_segment_log_softmax
   writes the segment. */
FA_INLINE int FA_NAME(fa_segment_stats)(const FA_T *x, FA_T *o, int store, long n, FA_T inv_t,
                                        FA_T *m_out, double *s_out) {
    FA_T mx;
    double s = 0;
    long j;
    int nan = FA_NAME(fa_row_max_nan)(x, n, &mx);
    *m_out = mx;
    *s_out = 0;
    if (nan | (mx == INFINITY)) return 1;
    if (mx == -INFINITY) {                         /* every term 0 */
        if (store) for (j = 0; j < n; j++) o[j] = 0;
        return 0;
    }
    if (!store) { FA_SUM_EXP_LOOP(x, o, 0) }
    else if ((const void *)o == (const void *)x) { FA_SUM_EXP_LOOP(o, o, 1) }
    else { FA_SUM_EXP_LOOP(x, o, 1) }
    *s_out = s;
    return 0;
}

FA_INLINE void FA_NAME(fa_segment_scale)(FA_T *o, long n, FA_T scale) {
    long j;
    for (j = 0; j < n; j++) o[j] = o[j] * scale;
}

FA_INLINE void FA_NAME(fa_segment_log_softmax)(const FA_T *x, FA_T *o, long n, FA_T mx, FA_T inv_t,
                                               FA_T lse) {
    long j;
    if ((const void *)o == (const void *)x) { for (j = 0; j < n; j++) o[j] = (o[j] - mx) * inv_t - lse; }
    else { for (j = 0; j < n; j++) o[j] = (x[j] - mx) * inv_t - lse; }
}

#undef FA_SUM_EXP_LOOP
#undef FA_BWD_PASS
#undef FA_NAME
#undef FA_CAT
#undef FA_CAT_
