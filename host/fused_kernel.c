// SPDX-License-Identifier: MIT
// Fused CPU kernels for the relaxed logic layer (see host/layers.py):
//   y[s,j] = c0[j] + c1[j]*a + c2[j]*b + c3[j]*a*b,  a = x[s,ia[j]], b = x[s,ib[j]]
// One pass forward, one pass backward: no [batch, out] temporaries for a, b, ab.
//
// Why "lanes": the gates read and (backward) scatter-add at random feature indices. In the
// row-major [batch][features] layout each of those is a scalar access into a 32 KB row that
// does not stay in L1, and that bounds the kernel. So each chunk of W rows is transposed into
// a [features][W] scratch first: every random access then moves W rows at once, one vector.
// Every float is still computed with the same operations in the same order as the plain
// row-by-row loop (the coefficient sums run over rows in row order, see sum_lanes), so the
// results are bit-identical to it, whatever W is.
//
// No threads in here: host/fused.py calls these on disjoint row ranges from a thread pool
// (ctypes drops the GIL). An OpenMP runtime of our own would fight torch's bundled one.
#include <stdint.h>
#include <string.h>

#define W 8  // rows per chunk: a [features][8] float scratch of the 8,000-wide layer is 256 KB (L2)
typedef float v8 __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
#if defined(__clang__)
#define SHUF(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
#else
#define SHUF(a, b, ...) __builtin_shuffle(a, b, (v8i){__VA_ARGS__})
#endif

static inline v8 load8(const float *p) { v8 v; memcpy(&v, p, sizeof v); return v; }
static inline void store8(float *p, v8 v) { memcpy(p, &v, sizeof v); }

// In place: r[i][k] becomes r[k][i].
static inline void transpose8(v8 r[8]) {
    v8 t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = SHUF(r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
        t[i + 1] = SHUF(r[i], r[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
    }
    for (int i = 0; i < 8; i += 4) {
        u[i] = SHUF(t[i], t[i + 2], 0, 1, 8, 9, 4, 5, 12, 13);
        u[i + 1] = SHUF(t[i], t[i + 2], 2, 3, 10, 11, 6, 7, 14, 15);
        u[i + 2] = SHUF(t[i + 1], t[i + 3], 0, 1, 8, 9, 4, 5, 12, 13);
        u[i + 3] = SHUF(t[i + 1], t[i + 3], 2, 3, 10, 11, 6, 7, 14, 15);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = SHUF(u[i], u[i + 4], 0, 1, 2, 3, 8, 9, 10, 11);
        r[i + 4] = SHUF(u[i], u[i + 4], 4, 5, 6, 7, 12, 13, 14, 15);
    }
}

// L <= W rows of m (row i at m + i*stride, stride 0 repeats one row) -> mt[n][W];
// lanes L..W-1 are zero.
static void to_lanes(const float *m, int64_t stride, int L, int64_t n, float *mt) {
    const v8 zero = {0};
    int64_t i0 = 0;
    for (; i0 + 8 <= n; i0 += 8) {
        v8 r[8];
        for (int l = 0; l < W; l++) r[l] = l < L ? load8(m + l * stride + i0) : zero;
        transpose8(r);
        for (int k = 0; k < 8; k++) store8(mt + (i0 + k) * W, r[k]);
    }
    for (; i0 < n; i0++)
        for (int l = 0; l < W; l++) mt[i0 * W + l] = l < L ? m[l * stride + i0] : 0.0f;
}

// mt[n][W] -> its first L lanes as rows of m (row i at m + i*n).
static void from_lanes(const float *mt, int L, int64_t n, float *m) {
    int64_t i0 = 0;
    for (; i0 + 8 <= n; i0 += 8) {
        v8 r[8];
        for (int k = 0; k < 8; k++) r[k] = load8(mt + (i0 + k) * W);
        transpose8(r);
        for (int l = 0; l < L; l++) store8(m + l * n + i0, r[l]);
    }
    for (; i0 < n; i0++)
        for (int l = 0; l < L; l++) m[l * n + i0] = mt[i0 * W + l];
}

// For host/fused.py: rows per chunk, and the scratch (floats) each call needs per thread.
int64_t mix4_lanes(void) { return W; }
int64_t mix4_forward_scratch(int64_t in_dim, int64_t out_dim) { return (in_dim + out_dim) * W; }
int64_t mix4_backward_scratch(int64_t in_dim, int64_t out_dim) { return (2 * in_dim + out_dim) * W; }

// Rows [s0, s1) of y. scratch: mix4_forward_scratch floats.
void mix4_forward(const float *x, int64_t s0, int64_t s1, int64_t in_dim, const float *coef,
                  const int64_t *ia, const int64_t *ib, int64_t out_dim, float *y, float *scratch) {
    float *xt = scratch, *yt = scratch + in_dim * W;
    for (int64_t c = s0; c < s1; c += W) {
        const int L = (int)(s1 - c < W ? s1 - c : W);
        to_lanes(x + c * in_dim, in_dim, L, in_dim, xt);
        for (int64_t j = 0; j < out_dim; j++) {
            const v8 a = load8(xt + ia[j] * W), b = load8(xt + ib[j] * W);
            const float *k = coef + 4 * j;
            store8(yt + j * W, k[0] + k[1] * a + (k[2] + k[3] * a) * b);
        }
        from_lanes(yt, L, out_dim, y + c * out_dim);
    }
}

// d[k][g] += t[g][l] for l = 0..L-1 in order (lane l is row l of the chunk), for the 8 gates
// g of one group: one 8x8 transpose instead of 8 serial scalar adds per gate.
static inline void sum_lanes(v8 t[8], int L, float *d, int ng) {
    transpose8(t);
    v8 s;
    if (ng == 8) s = load8(d);
    else { float tmp[8] = {0}; memcpy(tmp, d, sizeof(float) * ng); s = load8(tmp); }
    for (int l = 0; l < L; l++) s += t[l];
    if (ng == 8) store8(d, s);
    else { float tmp[8]; store8(tmp, s); memcpy(d, tmp, sizeof(float) * ng); }
}

// Rows [s0, s1): writes their input gradients into gx (may be NULL; rows s0..s1 owned by the
// caller) and their coefficient gradients into acc ([4][out_dim], owned by the caller,
// overwritten). gy rows are gy_stride apart (0 for a gradient broadcast over the batch).
// The caller cuts the batch into a fixed number of row blocks and sums the blocks' acc in
// block order (sum_blocks), so the result does not depend on the number of threads.
// scratch: mix4_backward_scratch floats.
void mix4_backward(const float *x, const float *gy, int64_t gy_stride, int64_t s0, int64_t s1,
                   int64_t in_dim, const float *coef, const int64_t *ia, const int64_t *ib,
                   int64_t out_dim, float *gx, float *acc, float *scratch) {
    float *xt = scratch, *gxt = scratch + in_dim * W, *gt = scratch + 2 * in_dim * W;
    memset(acc, 0, sizeof(float) * 4 * out_dim);
    for (int64_t c = s0; c < s1; c += W) {
        const int L = (int)(s1 - c < W ? s1 - c : W);
        to_lanes(x + c * in_dim, in_dim, L, in_dim, xt);
        to_lanes(gy + c * gy_stride, gy_stride, L, out_dim, gt);
        if (gx) memset(gxt, 0, sizeof(float) * in_dim * W);
        for (int64_t j0 = 0; j0 < out_dim; j0 += 8) {
            const int ng = (int)(out_dim - j0 < 8 ? out_dim - j0 : 8);
            v8 tg[8], ta[8], tb[8], tab[8];
            for (int q = 0; q < 8; q++) {
                if (q >= ng) { tg[q] = ta[q] = tb[q] = tab[q] = (v8){0}; continue; }
                const int64_t j = j0 + q;
                const v8 a = load8(xt + ia[j] * W), b = load8(xt + ib[j] * W), g = load8(gt + j * W);
                tg[q] = g; ta[q] = g * a; tb[q] = g * b; tab[q] = ta[q] * b;
                if (gx) {
                    const float *k = coef + 4 * j;
                    float *pa = gxt + ia[j] * W;
                    store8(pa, load8(pa) + g * (k[1] + k[3] * b));
                    float *pb = gxt + ib[j] * W;
                    store8(pb, load8(pb) + g * (k[2] + k[3] * a));
                }
            }
            sum_lanes(tg, L, acc + j0, ng);
            sum_lanes(ta, L, acc + out_dim + j0, ng);
            sum_lanes(tb, L, acc + 2 * out_dim + j0, ng);
            sum_lanes(tab, L, acc + 3 * out_dim + j0, ng);
        }
        if (gx) from_lanes(gxt, L, in_dim, gx + c * in_dim);
    }
}

// out[j][k] = acc[0][k][j] + acc[1][k][j] + ... + acc[blocks-1][k][j], added in block order.
void sum_blocks(const float *acc, int64_t blocks, int64_t out_dim, float *out) {
    for (int64_t k = 0; k < 4; k++)
        for (int64_t j = 0; j < out_dim; j++) {
            float s = acc[k * out_dim + j];
            for (int64_t b = 1; b < blocks; b++) s += acc[(b * 4 + k) * out_dim + j];
            out[4 * j + k] = s;
        }
}
