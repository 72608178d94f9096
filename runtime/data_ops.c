/* data_ops.c - dataset kernels; see data_ops.h. */
#include "data_ops.h"

#include <string.h>

#include "tensor.h"

void ebm_data_quantize(const uint8_t *src, uint8_t *dst, int64_t n, int levels) {
    unsigned k = (unsigned)levels;
#pragma omp parallel for schedule(static) if (n > (1 << 20))
    for (int64_t i = 0; i < n; i++) dst[i] = (uint8_t)((src[i] * k) >> 8);
}

void ebm_data_binarize(const uint8_t *src, uint8_t *dst, int64_t nimg, int64_t npix, const int32_t *ids, int32_t base, uint64_t seed) {
#pragma omp parallel for schedule(static) if (nimg * npix > (1 << 18))
    for (int64_t j = 0; j < nimg; j++) {
        uint64_t id = ids ? (uint64_t)((int64_t)ids[j] - base) : (uint64_t)j;
        const uint8_t *s = src + j * npix;
        uint8_t *d = dst + j * npix;
        for (int64_t p = 0; p < npix; p += 4) {
            int64_t m = npix - p < 4 ? npix - p : 4;
            int sure = 1; /* 0 and 255 need no random word: skip Philox for such blocks */
            for (int64_t q = 0; q < m; q++) sure &= s[p + q] == 0 || s[p + q] == 255;
            if (sure) {
                for (int64_t q = 0; q < m; q++) d[p + q] = s[p + q] == 255;
                continue;
            }
            ebm_philox_ctr w = ebm_rng_block(seed, id, (uint64_t)p >> 2);
            for (int64_t q = 0; q < m; q++)
                d[p + q] = (uint64_t)(w.v[q] >> 8) * 255u < (uint64_t)s[p + q] << 24;
        }
    }
}

int64_t ebm_data_filter(const uint8_t *labels, int64_t n, const uint8_t mask[256], int64_t limit, int32_t *out, int32_t base) {
    int64_t k = 0;
    for (int64_t i = 0; i < n && (limit < 0 || k < limit); i++)
        if (mask[labels[i]]) out[k++] = (int32_t)(i + base);
    return k;
}

int64_t ebm_data_gather(const void *src, int64_t nrows, size_t row_bytes, const int32_t *idx, int64_t nidx,
                        int32_t base, void *dst) {
    for (int64_t k = 0; k < nidx; k++) {
        int64_t i = (int64_t)idx[k] - base;
        if (i < 0 || i >= nrows) return k + 1;
        memcpy((char *)dst + k * row_bytes, (const char *)src + i * row_bytes, row_bytes);
    }
    return 0;
}

void ebm_data_randperm(int64_t n, ebm_rng *r, int32_t *out, int32_t base) {
    for (int64_t i = 0; i < n; i++) out[i] = (int32_t)i;
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)ebm_rng_below(r, (uint64_t)i + 1);
        int32_t t = out[i];
        out[i] = out[j], out[j] = t;
    }
    for (int64_t i = 0; i < n; i++) out[i] += base;
}

int ebm_data_split_index(int64_t n, int64_t nvalid, ebm_rng *r, int32_t *train, int32_t *valid, int32_t base) {
    int32_t *perm = EBM_MALLOC((size_t)(n ? n : 1) * sizeof *perm);
    uint8_t *chosen = EBM_CALLOC((size_t)(n ? n : 1), 1);
    if (!perm || !chosen) {
        EBM_FREE(perm), EBM_FREE(chosen);
        return -1;
    }
    for (int64_t i = 0; i < n; i++) perm[i] = (int32_t)i;
    for (int64_t i = 0; i < nvalid; i++) { /* partial Fisher-Yates: perm[0..nvalid) is the sample */
        int64_t j = i + (int64_t)ebm_rng_below(r, (uint64_t)(n - i));
        int32_t t = perm[i];
        perm[i] = perm[j], perm[j] = t;
        chosen[perm[i]] = 1;
    }
    int64_t a = 0, b = 0;
    for (int64_t i = 0; i < n; i++) {
        if (chosen[i]) valid[b++] = (int32_t)(i + base);
        else train[a++] = (int32_t)(i + base);
    }
    EBM_FREE(perm), EBM_FREE(chosen);
    return 0;
}

void ebm_data_histogram(const uint8_t *src, int64_t n, int64_t counts[256]) {
    memset(counts, 0, 256 * sizeof *counts);
    for (int64_t i = 0; i < n; i++) counts[src[i]]++;
}
