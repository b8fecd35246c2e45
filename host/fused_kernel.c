// SPDX-License-Identifier: MIT
// Fused CPU kernels for the relaxed logic layer (see host/layers.py):
//   y[s,j] = c0[j] + c1[j]*a + c2[j]*b + c3[j]*a*b,  a = x[s,ia[j]], b = x[s,ib[j]]
// One pass forward, one pass backward: no [batch, out] temporaries for a, b, ab.
// Rows (samples) are split across threads, so no two threads write the same place.
#include <stdint.h>
#include <string.h>
#include <omp.h>

void mix4_forward(const float *x, int64_t batch, int64_t in_dim, const float *coef,
                  const int64_t *ia, const int64_t *ib, int64_t out_dim, float *y, int threads) {
    #pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t s = 0; s < batch; s++) {
        const float *xs = x + s * in_dim;
        float *ys = y + s * out_dim;
        for (int64_t j = 0; j < out_dim; j++) {
            const float a = xs[ia[j]], b = xs[ib[j]];
            const float *c = coef + 4 * j;
            ys[j] = c[0] + c[1] * a + (c[2] + c[3] * a) * b;
        }
    }
}

// gx (may be NULL) and gcoef must be zeroed; scratch holds MIX4_BLOCKS*out_dim*4 floats.
// Rows are cut into a fixed number of blocks, each with its own coefficient-gradient
// accumulator summed in block order, so the result does not depend on the thread count.
#define MIX4_BLOCKS 16
int mix4_blocks(void) { return MIX4_BLOCKS; }

void mix4_backward(const float *x, const float *gy, int64_t batch, int64_t in_dim,
                   const float *coef, const int64_t *ia, const int64_t *ib, int64_t out_dim,
                   float *gx, float *gcoef, float *scratch, int threads) {
    memset(scratch, 0, sizeof(float) * (size_t)MIX4_BLOCKS * (size_t)out_dim * 4);
    #pragma omp parallel for num_threads(threads) schedule(static)
    for (int blk = 0; blk < MIX4_BLOCKS; blk++) {
        float *acc = scratch + (size_t)blk * (size_t)out_dim * 4;
        const int64_t s0 = batch * blk / MIX4_BLOCKS, s1 = batch * (blk + 1) / MIX4_BLOCKS;
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
    for (int blk = 0; blk < MIX4_BLOCKS; blk++) {
        const float *acc = scratch + (size_t)blk * (size_t)out_dim * 4;
        for (int64_t k = 0; k < out_dim * 4; k++) gcoef[k] += acc[k];
    }
}
