// SPDX-License-Identifier: MIT
// Fused CPU kernels for the relaxed logic layer (see host/layers.py):
//   y[s,j] = c0[j] + c1[j]*a + c2[j]*b + c3[j]*a*b,  a = x[s,ia[j]], b = x[s,ib[j]]
// One pass forward, one pass backward: no [batch, out] temporaries for a, b, ab.
// No threads in here: host/fused.py calls these on disjoint row ranges from a thread pool
// (ctypes drops the GIL). An OpenMP runtime of our own would fight torch's bundled one.
#include <stdint.h>
#include <string.h>

// rows [s0, s1) of y
void mix4_forward(const float *x, int64_t s0, int64_t s1, int64_t in_dim, const float *coef,
                  const int64_t *ia, const int64_t *ib, int64_t out_dim, float *y) {
    for (int64_t s = s0; s < s1; s++) {
        const float *xs = x + s * in_dim;
        float *ys = y + s * out_dim;
        for (int64_t j = 0; j < out_dim; j++) {
            const float a = xs[ia[j]], b = xs[ib[j]];
            const float *c = coef + 4 * j;
            ys[j] = c[0] + c[1] * a + (c[2] + c[3] * a) * b;
        }
    }
}

// Rows [s0, s1): adds their input gradients into gx (may be NULL; rows s0..s1 owned by the
// caller) and their coefficient gradients into acc ([out_dim][4], owned by the caller).
// The caller cuts the batch into a fixed number of row blocks and sums the blocks' acc in
// block order, so the result does not depend on the number of threads.
void mix4_backward(const float *x, const float *gy, int64_t s0, int64_t s1, int64_t in_dim,
                   const float *coef, const int64_t *ia, const int64_t *ib, int64_t out_dim,
                   float *gx, float *acc) {
    for (int64_t s = s0; s < s1; s++) {
        const float *xs = x + s * in_dim;
        const float *gs = gy + s * out_dim;
        float *gxs = gx ? gx + s * in_dim : 0;
        for (int64_t j = 0; j < out_dim; j++) {
            const float g = gs[j], a = xs[ia[j]], b = xs[ib[j]];
            const float *c = coef + 4 * j;
            float *d = acc + 4 * j;
            d[0] += g; d[1] += g * a; d[2] += g * b; d[3] += g * a * b;
            if (gxs) {
                gxs[ia[j]] += g * (c[1] + c[3] * b);
                gxs[ib[j]] += g * (c[2] + c[3] * a);
            }
        }
    }
}
