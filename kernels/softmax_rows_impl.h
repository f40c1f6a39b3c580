/* Row kernels of the contiguous, unmasked softmax: included by softmax_rows.h once per
 * dtype with FA_T (the type), FA_SFX (name suffix), FA_EXP_NONPOS (e^t for t <= 0: the
 * terms of a segment, exp(y) in the backward), FA_EXP_OVERFLOW (above it exp is inf),
 * FA_EXP_NONPOS_SCALED (2^FA_TERM_SCALE e^t for t <= 0: the terms of a whole row),
 * FA_LOG, FA_TINY_ROW (rows this short take the transposed block), FA_TINY_SIMD
 * (with FA_V*: its in-register transposes, AVX-512 and AVX2 builds) and
 * FA_LOG_TERMS_BUFFERED (fa_log_softmax_row's terms stored, then summed) defined; it
 * #undefs them at its end.
 *
 * The max and the sums are OpenMP SIMD reductions (FA_SIMD_MAX, FA_SIMD_REDUCTION: vector
 * partial results in registers); the sums are in double.  Every loop that writes has a variant for the
 * output being one of the inputs (in place): with two pointer names the compiler would
 * guard the vector loop by an overlap check that in-place calls always fail.
 */

#define FA_CAT_(a, b) a##_##b
#define FA_CAT(a, b) FA_CAT_(a, b)
#define FA_NAME(n) FA_CAT(n, FA_SFX)

/* The loops that write, and the max, take the elements before p's next 64-byte
   boundary apart (fa_elements_to_line, vecmath.h), rows of 256 or more (shorter rows:
   not worth a scalar part); not the sums, whose association would then depend on the
   address. */
FA_INLINE long FA_NAME(fa_peel)(const void *p, long n) {
    return n < 256 ? 0 : fa_elements_to_line(p, (long)sizeof(FA_T), n);
}

/* the statement for j in [0, n), the first PEEL of them in a loop of their own */
#define FA_PEELED(PEEL, STMT)                                                   \
    for (j = 0; j < (PEEL); j++) { STMT; }                                      \
    for (j = (PEEL); j < n; j++) { STMT; }

/* Max over the row (fa_row_max_nan: 1 when the row holds a NaN; fa_row_max: 1 when it
   holds a NaN or +inf, or nothing above -inf -- the general kernel then handles it).  An
   OpenMP SIMD max reduction (vmaxps): a NaN is reported by its own flag, so the max's
   NaN rule does not matter, and of +0 and -0 either may win (x - max is the same).  The
   integer-key max used before (a float max does not vectorize without the pragma) ran
   30-50% slower on rows that do not start on a cache line, as NumPy's large arrays don't. */
FA_INLINE int FA_NAME(fa_row_max_nan)(const FA_T *x, long n, FA_T *max_out) {
    FA_T mx = -INFINITY;
    int nan = 0;
    long j, peel = FA_NAME(fa_peel)(x, n);
    for (j = 0; j < peel; j++) {
        FA_T v = x[j];
        mx = v > mx ? v : mx;
        nan |= v != v;
    }
    FA_SIMD_MAX
    for (j = peel; j < n; j++) {
        FA_T v = x[j];
        mx = v > mx ? v : mx;
        nan |= v != v;
    }
    *max_out = mx;
    return nan;
}

FA_INLINE int FA_NAME(fa_row_max)(const FA_T *x, long n, FA_T *max_out) {
    int nan = FA_NAME(fa_row_max_nan)(x, n, max_out);
    return nan | (*max_out == INFINITY) | (*max_out == -INFINITY);
}

/* Ask for the next row (n elements at next; NULL: none) to be brought into L1 while this
   one is computed on: a row starts on a new page, where the hardware prefetchers start
   cold, so its max pass otherwise waits on memory with nothing to overlap (a third of
   the (8192, 1024) softmax's time).  Only for rows that fit in L1 with the current one
   (the caller's FA_PF_MAX_BYTES). */
FA_INLINE void FA_NAME(fa_prefetch)(const FA_T *next, long n) {
    if (next) {
        const char *p = (const char *)next;
        long b, bytes = n * (long)sizeof(FA_T);
        for (b = 0; b < bytes; b += 64) FA_PREFETCH(p + b);
    }
}

/* s = sum of EXPF((x - mx) * inv_t), nothing stored.  An OpenMP SIMD reduction: the
   partial sums stay in vector registers (a lanes array written by hand is kept in memory
   by gcc, a store-to-load chain per iteration). */
#define FA_SUM_EXP_LOOP(EXPF)                                                   \
    FA_SIMD_REDUCTION                                                           \
    for (j = 0; j < n; j++) s += EXPF((x[j] - mx) * inv_t);

/* s += the sum of A[0, M) (cached terms >= 0), its two halves added pairwise first:
   half the conversions to double (the float-to-double sum of a (64, 32000) softmax row
   took a fifth of its time, bound by the conversions; 8% less time in all), for one
   more rounding of each pair -- at most one unit of the type's epsilon relative in the
   sum, all terms being of one sign. */
#define FA_PAIR_SUM(A, M)                                                       \
    {                                                                           \
        long h_ = (M) / 2, k_;                                                  \
        FA_SIMD_REDUCTION                                                       \
        for (k_ = 0; k_ < h_; k_++) s += (double)((A)[k_] + (A)[k_ + h_]);      \
        if ((M) & 1) s += (A)[(M) - 1];                                         \
    }

/* o = EXPF((x - mx) * inv_t), then s = their sum by a second loop over the cached terms:
   the term loop is a plain elementwise loop (as fast as an activation) and the reduction
   a load and an add per vector; one fused loop with the float-to-double sum in it was
   ~15% slower. */
#define FA_TERMS_THEN_SUM(EXPF)                                                 \
    if ((const void *)o == (const void *)x) {                                   \
        FA_PEELED(FA_NAME(fa_peel)(o, n), o[j] = EXPF((o[j] - mx) * inv_t))     \
    } else {                                                                    \
        FA_PEELED(FA_NAME(fa_peel)(o, n), o[j] = EXPF((x[j] - mx) * inv_t))     \
    }                                                                           \
    FA_PAIR_SUM(o, n)

/* the outputs: softmax o *= F; log_softmax o = (x - mx) inv_t - F (F: log of the sum) */
#define FA_SCALE(F) FA_PEELED(FA_NAME(fa_peel)(o, n), o[j] = o[j] * (F))
#define FA_LOG_WRITE(F)                                                         \
    if ((const void *)o == (const void *)x) {                                   \
        FA_PEELED(FA_NAME(fa_peel)(o, n), o[j] = (o[j] - mx) * inv_t - (F))     \
    } else {                                                                    \
        FA_PEELED(FA_NAME(fa_peel)(o, n), o[j] = (x[j] - mx) * inv_t - (F))     \
    }

/* A whole row's terms are 2^FA_TERM_SCALE e^t: normal numbers down to where the output
   rounds to 0, so that a tiny output is rounded once (a subnormal term would be rounded,
   then scaled), and one power of two builds each. */
FA_INLINE int FA_NAME(fa_softmax_row_at)(const FA_T *x, FA_T *o, long n, FA_T inv_t,
                                          const FA_T *next) {
    FA_T mx;
    if (FA_NAME(fa_row_max)(x, n, &mx)) return 1;
    double s = 0;
    long j;
    FA_NAME(fa_prefetch)(next, n);
    FA_TERMS_THEN_SUM(FA_EXP_NONPOS_SCALED)
    FA_T inv_s = (FA_T)(1.0 / s);                 /* s >= 2^FA_TERM_SCALE: normal */
    FA_SCALE(inv_s)
    return 0;
}

#define FA_LOG_CHUNK 1024
/* the sum of a log_softmax row's terms 2^FA_TERM_SCALE e^((x - mx) inv_t) */
FA_INLINE double FA_NAME(fa_log_softmax_sum_at)(const FA_T *x, long n, FA_T mx, FA_T inv_t) {
    double s = 0;
#if FA_LOG_TERMS_BUFFERED
    {   /* the terms a chunk at a time through a buffer, then summed: as for softmax, the
           term loop and the float-to-double sum each run faster alone (the output may be
           the input: it cannot hold them).  Raw kernels, 1 thread, float: (8192, 1024)
           0.338 -> 0.300 ns per element, (64, 32000) 0.291 -> 0.250, (16, 1M) 0.431 ->
           0.392; for double it measured 5% slower on long rows, so double sums fused. */
        FA_T buf[FA_LOG_CHUNK];
        long c0, k;
        for (c0 = 0; c0 < n; c0 += FA_LOG_CHUNK) {
            long m = n - c0 < FA_LOG_CHUNK ? n - c0 : FA_LOG_CHUNK;
            const FA_T *xc = x + c0;
            for (k = 0; k < m; k++) buf[k] = FA_EXP_NONPOS_SCALED((xc[k] - mx) * inv_t);
            FA_PAIR_SUM(buf, m)
        }
    }
#else
    long j;
    FA_SUM_EXP_LOOP(FA_EXP_NONPOS_SCALED)
#endif
    return s;
}

#define FA_SHORT_ROW 32
#define FA_ROW_BLOCK 64

#if FA_TINY_SIMD
/* The tiny-row block's transposes in AVX-512 and AVX2 builds (FA_V*: softmax_rows.h):
   square tiles of FA_VW rows by FA_VW columns, loaded (masked where a tile is cut by the
   row's end), transposed in registers, stored. */

/* rows [0, rows) of the block (row stride xs) into the columns t[j * block + r], j < n;
   rows past `rows` become 0 */
FA_INLINE void FA_NAME(fa_tiny_to_columns)(const FA_T *xb, long xs, long rows, long n, FA_T *t,
                                           long block) {
    FA_V v[FA_VW];
    long r0, c0, i, j;
    for (c0 = 0; c0 < n; c0 += FA_VW) {
        long w = n - c0 < FA_VW ? n - c0 : FA_VW;
        FA_VMASK m = FA_V_MASK(w);
        for (r0 = 0; r0 < block; r0 += FA_VW) {
            for (i = 0; i < FA_VW; i++)
                v[i] = r0 + i >= rows ? FA_V_ZERO()
                     : w == FA_VW ? FA_V_LOAD(xb + (r0 + i) * xs + c0)
                     : FA_V_LOAD_MASKED(m, xb + (r0 + i) * xs + c0);
            FA_V_TRANSPOSE(v);
            for (j = 0; j < w; j++) FA_V_STORE(t + (c0 + j) * block + r0, v[j]);
        }
    }
}

/* back: row r = columns t[j * block + r], j < n, to ob + r os, for r < rows not skipped */
FA_INLINE void FA_NAME(fa_tiny_to_rows)(const FA_T *t, long block, FA_T *ob, long os, long rows,
                                        long n, const unsigned char *skip) {
    FA_V v[FA_VW];
    long r0, c0, i, j;
    for (c0 = 0; c0 < n; c0 += FA_VW) {
        long w = n - c0 < FA_VW ? n - c0 : FA_VW;
        FA_VMASK m = FA_V_MASK(w);
        for (r0 = 0; r0 < rows; r0 += FA_VW) {
            for (j = 0; j < FA_VW; j++)
                v[j] = j < w ? FA_V_LOAD(t + (c0 + j) * block + r0) : FA_V_ZERO();
            FA_V_TRANSPOSE(v);
            for (i = 0; i < FA_VW && r0 + i < rows; i++) {
                if (skip[r0 + i]) continue;
                if (w == FA_VW) FA_V_STORE(ob + (r0 + i) * os + c0, v[i]);
                else FA_V_STORE_MASKED(ob + (r0 + i) * os + c0, m, v[i]);
            }
        }
    }
}
#endif

/* Very short rows (n <= FA_TINY_ROW): a block of them is transposed into
   columns t[j][r] (one row per lane) and every step runs across the FA_ROW_BLOCK rows --
   max, terms, the double sum (j in order: each row's sum is sequential), 1/sum (log sum),
   the outputs -- then transposed back.  Within a row, a loop of fewer elements than a
   vector holds is scalar code (7 ns per element at n = 4, 3 at n = 12 -- every row an
   epilogue); here every loop is whole vectors.  Rows past `rows` are padded with 0 and
   never written; special rows (as fa_softmax_block) are marked and not written.
   FA_TINY_ROW (softmax_rows.h): 32 in AVX-512 builds, 31 (float) and 20 (double) in AVX2
   builds, else 16 (float) and 12 (double; with scalar transposes, double n = 16 was
   slower than the row-wise block).  Softmax at (1M, n), 1 thread, raw kernels,
   row-wise block -> this (AVX-512 transposes), ns per element: float n = 1 21.9 ->
   1.9, 4 7.5 -> 0.74, 8 3.6 -> 0.51, 12 3.2 -> 0.44, 16 0.80 -> 0.41, 20 1.9 -> 0.47,
   32 0.67 -> 0.48; double 4 6.0 -> 1.0, 8 3.1 -> 0.97, 12 2.8 -> 0.95, 16 1.12 ->
   0.95, 20 2.4 -> 1.4 (AVX2 builds: softmax_rows.h). */
FA_INLINE long FA_NAME(fa_softmax_block_tiny)(const FA_T *xb, long xs, FA_T *ob, long os, long rows,
                                              long n, FA_T inv_t, int is_log,
                                              unsigned char *special) {
    FA_T t[FA_TINY_ROW * FA_ROW_BLOCK], mxs[FA_ROW_BLOCK], fin[FA_ROW_BLOCK];
    double sums[FA_ROW_BLOCK];
    unsigned char bad[FA_ROW_BLOCK];
    long r, j, n_special = 0;
#if FA_TINY_SIMD
    FA_NAME(fa_tiny_to_columns)(xb, xs, rows, n, t, FA_ROW_BLOCK);
#else
    for (j = 0; j < n; j++) {
        FA_T *c = t + j * FA_ROW_BLOCK;
        for (r = 0; r < rows; r++) c[r] = xb[r * xs + j];
        for (r = rows; r < FA_ROW_BLOCK; r++) c[r] = 0;
    }
#endif
    for (r = 0; r < FA_ROW_BLOCK; r++) { mxs[r] = -INFINITY; bad[r] = 0; sums[r] = 0; }
    for (j = 0; j < n; j++) {
        const FA_T *c = t + j * FA_ROW_BLOCK;
        for (r = 0; r < FA_ROW_BLOCK; r++) {
            FA_T v = c[r];
            mxs[r] = v > mxs[r] ? v : mxs[r];
            bad[r] |= v != v;
        }
    }
    for (r = 0; r < FA_ROW_BLOCK; r++)
        bad[r] |= (mxs[r] == INFINITY) | (mxs[r] == -INFINITY);
    for (r = 0; r < rows; r++) {
        special[r] = bad[r];
        n_special += bad[r];
    }
    for (j = 0; j < n; j++) {        /* a special row's lanes compute junk, never written */
        FA_T *c = t + j * FA_ROW_BLOCK;
        if (is_log) {
            for (r = 0; r < FA_ROW_BLOCK; r++)
                sums[r] += FA_EXP_NONPOS_SCALED((c[r] - mxs[r]) * inv_t);
        } else {
            for (r = 0; r < FA_ROW_BLOCK; r++) {
                c[r] = FA_EXP_NONPOS_SCALED((c[r] - mxs[r]) * inv_t);
                sums[r] += c[r];
            }
        }
    }
    for (r = 0; r < FA_ROW_BLOCK; r++)
        fin[r] = (FA_T)(is_log ? fa_log1p(sums[r] * FA_TERM_UNSCALE - 1.0) : 1.0 / sums[r]);
    for (j = 0; j < n; j++) {
        FA_T *c = t + j * FA_ROW_BLOCK;
        if (is_log) {
            for (r = 0; r < FA_ROW_BLOCK; r++) c[r] = (c[r] - mxs[r]) * inv_t - fin[r];
        } else {
            for (r = 0; r < FA_ROW_BLOCK; r++) c[r] = c[r] * fin[r];
        }
    }
#if FA_TINY_SIMD
    FA_NAME(fa_tiny_to_rows)(t, FA_ROW_BLOCK, ob, os, rows, n, bad);
#else
    for (r = 0; r < rows; r++) {
        if (bad[r]) continue;
        for (j = 0; j < n; j++) ob[r * os + j] = t[j * FA_ROW_BLOCK + r];
    }
#endif
    return n_special;
}

/* Short rows (n <= FA_SHORT_ROW), FA_ROW_BLOCK rows at a time, each step done for the
   whole block before the next.  One row at a time, the chain max -> terms -> sum -> 1/sum
   -> scale is ~120 cycles of latency (gcc adds an OpenMP SIMD sum's lanes one by one at
   the end) that the out-of-order core cannot hide behind a 16-element row; over a block
   the rows' chains overlap, and 1/sum (log_softmax: log sum, as log1p(sum - 1), exact
   argument) vectorizes across rows.  xs/os: row strides; next: the next block's first
   next_elems elements, prefetched (NULL: none).  special[r] = 1 marks a row the
   general kernel must do (a NaN or +inf, or nothing above -inf), left untouched here;
   returns their number.  Rows of at most FA_TINY_ROW elements go to the transposed block
   above -- in AVX-512 builds every short row does, and the passes below serve the other
   builds' longer short rows (AVX2: 32 floats, 21 to 32 doubles; baseline: 17 floats /
   13 doubles to 32). */
FA_INLINE long FA_NAME(fa_softmax_block_at)(const FA_T *xb, long xs, FA_T *ob, long os, long rows,
                                            long n, FA_T inv_t, int is_log, unsigned char *special,
                                            const FA_T *next, long next_elems) {
    FA_T mxs[FA_ROW_BLOCK], fin[FA_ROW_BLOCK];
    double sums[FA_ROW_BLOCK];
    long r, j, n_special = 0;
    if (n <= FA_TINY_ROW) {
        FA_NAME(fa_prefetch)(next, next_elems);
        return FA_NAME(fa_softmax_block_tiny)(xb, xs, ob, os, rows, n, inv_t, is_log, special);
    }
    for (r = 0; r < rows; r++) {
        special[r] = (unsigned char)FA_NAME(fa_row_max)(xb + r * xs, n, &mxs[r]);
        n_special += special[r];
        sums[r] = 0x1p64;
    }
    FA_NAME(fa_prefetch)(next, next_elems);
    for (r = 0; r < rows; r++) {
        const FA_T *x = xb + r * xs;
        FA_T *o = ob + r * os;
        FA_T mx = mxs[r];
        double s = 0;
        if (special[r]) continue;
        if (is_log) { FA_SUM_EXP_LOOP(FA_EXP_NONPOS_SCALED) }
        else { FA_TERMS_THEN_SUM(FA_EXP_NONPOS_SCALED) }
        sums[r] = s;
    }
    for (r = 0; r < rows; r++)
        fin[r] = (FA_T)(is_log ? fa_log1p(sums[r] * FA_TERM_UNSCALE - 1.0) : 1.0 / sums[r]);
    for (r = 0; r < rows; r++) {
        const FA_T *x = xb + r * xs;
        FA_T *o = ob + r * os;
        FA_T mx = mxs[r], f = fin[r];
        if (special[r]) continue;
        if (is_log) { FA_LOG_WRITE(f) }
        else { FA_SCALE(f) }
    }
    return n_special;
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
/* exp(y) of a log-probability y <= 0 by the lean exp; y above FA_EXP_OVERFLOW (where exp
   is inf anyway) is clamped there, so any y gives what the full exp gives (NaN too) */
#define FA_BWD(d, yy) (((d) - FA_EXP_NONPOS((yy) > FA_EXP_OVERFLOW ? FA_EXP_OVERFLOW : (yy)) * total) * inv_t)
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
   writes the segment.  These terms are not scaled: a segment far below the row's max
   would get a factor that underflows. */
FA_INLINE int FA_NAME(fa_segment_stats_at)(const FA_T *x, FA_T *o, int store, long n, FA_T inv_t,
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
    if (store) { FA_TERMS_THEN_SUM(FA_EXP_NONPOS) }
    else { FA_SUM_EXP_LOOP(FA_EXP_NONPOS) }
    *s_out = s;
    return 0;
}

FA_INLINE void FA_NAME(fa_segment_scale)(FA_T *o, long n, FA_T scale) {
    long j;
    FA_SCALE(scale)
}

FA_INLINE void FA_NAME(fa_segment_log_softmax_at)(const FA_T *x, FA_T *o, long n, FA_T mx, FA_T inv_t,
                                                  FA_T lse) {
    long j;
    FA_LOG_WRITE(lse)
}

/* The forward's entry points: temperature 1 (the common call) runs the body with inv_t a
   literal 1, which the compiler folds away -- x * 1 = x exactly, so the results are the
   same, with one multiply fewer per element (the terms loop of a float row 10% faster;
   FA_INLINE inlines the body). */
#define FA_AT_T1(CALL_T1, CALL) return inv_t == (FA_T)1 ? CALL_T1 : CALL

FA_INLINE int FA_NAME(fa_softmax_row)(const FA_T *x, FA_T *o, long n, FA_T inv_t,
                                       const FA_T *next) {
    FA_AT_T1(FA_NAME(fa_softmax_row_at)(x, o, n, (FA_T)1, next),
             FA_NAME(fa_softmax_row_at)(x, o, n, inv_t, next));
}

/* (only the sum: the output pass with inv_t folded ran (8192, 1024) out of place 10%
   slower) */
FA_INLINE int FA_NAME(fa_log_softmax_row)(const FA_T *x, FA_T *o, long n, FA_T inv_t,
                                           const FA_T *next) {
    FA_T mx;
    double s;
    long j;
    if (FA_NAME(fa_row_max)(x, n, &mx)) return 1;
    FA_NAME(fa_prefetch)(next, n);
    s = inv_t == (FA_T)1 ? FA_NAME(fa_log_softmax_sum_at)(x, n, mx, (FA_T)1)
                         : FA_NAME(fa_log_softmax_sum_at)(x, n, mx, inv_t);
    FA_T lse = (FA_T)FA_LOG(s * FA_TERM_UNSCALE);  /* exact: s >= 2^FA_TERM_SCALE */
    FA_LOG_WRITE(lse)
    return 0;
}

FA_INLINE long FA_NAME(fa_softmax_block)(const FA_T *xb, long xs, FA_T *ob, long os, long rows,
                                         long n, FA_T inv_t, int is_log, unsigned char *special,
                                         const FA_T *next, long next_elems) {
    FA_AT_T1(FA_NAME(fa_softmax_block_at)(xb, xs, ob, os, rows, n, (FA_T)1, is_log, special,
                                          next, next_elems),
             FA_NAME(fa_softmax_block_at)(xb, xs, ob, os, rows, n, inv_t, is_log, special,
                                          next, next_elems));
}

FA_INLINE int FA_NAME(fa_segment_stats)(const FA_T *x, FA_T *o, int store, long n, FA_T inv_t,
                                        FA_T *m_out, double *s_out) {
    FA_AT_T1(FA_NAME(fa_segment_stats_at)(x, o, store, n, (FA_T)1, m_out, s_out),
             FA_NAME(fa_segment_stats_at)(x, o, store, n, inv_t, m_out, s_out));
}

FA_INLINE void FA_NAME(fa_segment_log_softmax)(const FA_T *x, FA_T *o, long n, FA_T mx, FA_T inv_t,
                                               FA_T lse) {
    if (inv_t == (FA_T)1) FA_NAME(fa_segment_log_softmax_at)(x, o, n, mx, (FA_T)1, lse);
    else FA_NAME(fa_segment_log_softmax_at)(x, o, n, mx, inv_t, lse);
}

#undef FA_SUM_EXP_LOOP
#undef FA_TERMS_THEN_SUM
#undef FA_PAIR_SUM
#undef FA_SCALE
#undef FA_LOG_WRITE
#undef FA_PEELED
#undef FA_BWD_PASS
#undef FA_AT_T1
#undef FA_NAME
#undef FA_CAT
#undef FA_CAT_
/* the parameters of this inclusion (softmax_rows.h) */
#undef FA_T
#undef FA_SFX
#undef FA_EXP_NONPOS
#undef FA_EXP_OVERFLOW
#undef FA_EXP_NONPOS_SCALED
#undef FA_LOG
#undef FA_TINY_ROW
#undef FA_TINY_SIMD
#undef FA_LOG_TERMS_BUFFERED
#undef FA_V
#undef FA_VW
#undef FA_VMASK
#undef FA_V_MASK
#undef FA_V_ZERO
#undef FA_V_LOAD
#undef FA_V_LOAD_MASKED
#undef FA_V_STORE
#undef FA_V_STORE_MASKED
#undef FA_V_TRANSPOSE
