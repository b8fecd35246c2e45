// SPDX-License-Identifier: MIT
// Word-parallel evaluation of one netlist layer for host/softmodel.py.
// x: [in_rows][nw] uint64 words (64 samples per word); y: [width][nw].
// Each gate is its algebraic normal form over GF(2) (host/gates.py):
//   y = k0 ^ (k1 & a) ^ (k2 & b) ^ (k3 & a & b), the k's all-ones or zero masks,
// so the inner loop over words is branch-free and vectorises.
#include <stdint.h>

void eval_layer(const uint64_t *x, uint64_t *y, int64_t nw, int64_t width,
                const int32_t *ia, const int32_t *ib, const uint64_t *k /* [width][4] */) {
    for (int64_t g = 0; g < width; g++) {
        const uint64_t *pa = x + (int64_t)ia[g] * nw, *pb = x + (int64_t)ib[g] * nw;
        const uint64_t k0 = k[4 * g], k1 = k[4 * g + 1], k2 = k[4 * g + 2], k3 = k[4 * g + 3];
        uint64_t *py = y + g * nw;
        for (int64_t w = 0; w < nw; w++) {
            const uint64_t a = pa[w], b = pb[w];
            py[w] = k0 ^ (k1 & a) ^ (k2 & b) ^ (k3 & a & b);
        }
    }
}

// bits: [n][m] uint8 0/1 (row-major, one sample a row) -> x: [m][nw] words, nw = ceil(n/64),
// sample s at bit s%64 of word s/64; missing samples of the last word are 0.
void pack_bits(const uint8_t *bits, int64_t n, int64_t m, uint64_t *x, uint64_t *tmp /* [m] */) {
    const int64_t nw = (n + 63) / 64;
    for (int64_t w = 0; w < nw; w++) {
        for (int64_t f = 0; f < m; f++) tmp[f] = 0;
        const int64_t s1 = (w + 1) * 64 < n ? (w + 1) * 64 : n;
        for (int64_t s = w * 64; s < s1; s++) {
            const uint8_t *row = bits + s * m;
            const int sh = (int)(s & 63);
            for (int64_t f = 0; f < m; f++) tmp[f] |= (uint64_t)(row[f] & 1) << sh;
        }
        for (int64_t f = 0; f < m; f++) x[f * nw + w] = tmp[f];
    }
}

// GroupSum: y: [classes*gsize][nw] last-layer words -> scores [n][classes] (int32), the
// popcount of each class group per sample. A per-word counter held as bit-planes: adding
// one output word ripples a carry through the planes, which stops early on average.
void group_scores(const uint64_t *y, int64_t nw, int64_t n, int64_t classes, int64_t gsize,
                  int32_t *scores) {
    uint64_t plane[32];
    int planes = 1;
    while ((1LL << planes) <= gsize) planes++;
    for (int64_t c = 0; c < classes; c++) {
        for (int64_t w = 0; w < nw; w++) {
            for (int p = 0; p < planes; p++) plane[p] = 0;
            for (int64_t j = 0; j < gsize; j++) {
                uint64_t carry = y[(c * gsize + j) * nw + w];
                for (int p = 0; carry && p < planes; p++) {
                    const uint64_t t = plane[p] & carry;
                    plane[p] ^= carry;
                    carry = t;
                }
            }
            const int64_t s1 = (w + 1) * 64 < n ? (w + 1) * 64 : n;
            for (int64_t s = w * 64; s < s1; s++) {
                const int sh = (int)(s & 63);
                int32_t v = 0;
                for (int p = 0; p < planes; p++) v |= (int32_t)((plane[p] >> sh) & 1) << p;
                scores[s * classes + c] = v;
            }
        }
    }
}

// The whole netlist on n samples, `chunk_words` words (64 samples each) at a time: each
// chunk is packed, run through every layer and popcounted while it sits in cache.
// layer l: width[l] gates, inputs ia[l]/ib[l], ANF masks k[l] ([width][4]).
// scratch: 2 * max_rows * chunk_words + max_rows words, max_rows the largest of inputs and
// all widths. Writes scores [n][classes]. No threads here: host/softmodel.py runs disjoint
// sample ranges on a thread pool (ctypes drops the GIL).
void eval_net(const uint8_t *bits, int64_t n, int64_t inputs, int64_t layers,
              const int64_t *width, const int32_t *const *ia, const int32_t *const *ib,
              const uint64_t *const *k, int64_t classes, int64_t chunk_words,
              uint64_t *scratch, int64_t max_rows, int32_t *scores) {
    const int64_t chunk = chunk_words * 64;
    uint64_t *buf[2] = {scratch, scratch + max_rows * chunk_words};
    uint64_t *tmp = scratch + 2 * max_rows * chunk_words;
    for (int64_t s0 = 0; s0 < n; s0 += chunk) {
        const int64_t cn = s0 + chunk < n ? chunk : n - s0;
        const int64_t nw = (cn + 63) / 64;
        pack_bits(bits + s0 * inputs, cn, inputs, buf[0], tmp);
        int cur = 0;
        for (int64_t l = 0; l < layers; l++) {
            eval_layer(buf[cur], buf[cur ^ 1], nw, width[l], ia[l], ib[l], k[l]);
            cur ^= 1;
        }
        group_scores(buf[cur], nw, cn, classes, width[layers - 1] / classes, scores + s0 * classes);
    }
}
