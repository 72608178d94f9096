/* icm.c - iterated conditional modes over blocks, and PCA through LAPACK; see icm.h. */
#include "icm.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

#include "tensor.h"

/* The best level of node i in chain c (ties: keep the current level, else the lowest). */
static int icm_best(const ebm_model *m, int32_t i, const uint8_t *x, int64_t C, int64_t c) {
    int K = m->K[i];
    float s[256];
    const float *bias = (const float *)ebm_tensor_data(&m->bias) + m->boff[i];
    for (int k = 0; k < K; k++) s[k] = bias[k];
    for (int64_t e = m->adj_start[i]; e < m->adj_start[i + 1]; e++) {
        const float *row = m->otab + m->adj_row[e] + (int64_t)x[(int64_t)m->adj_nbr[e] * C + c] * K;
        for (int k = 0; k < K; k++) s[k] += row[k];
    }
    int cur = x[(int64_t)i * C + c];
    if (cur >= K) cur = 0; /* cannot happen for checked states; keeps s[cur] defined */
    int best = cur;
    for (int k = 0; k < K; k++)
        if (s[k] > s[best]) best = k;
    if (s[best] == s[cur]) return cur;
    for (int k = 0; k < best; k++)
        if (s[k] == s[best]) return k;
    return best;
}

int32_t ebm_icm_sweeps(const ebm_model *m, const ebm_blocks *b, uint8_t *x, int64_t C, int32_t max_sweeps,
                       const uint8_t *clamp, int64_t *changes) {
    int64_t ch = 0;
    int32_t s;
    for (s = 0; s < max_sweeps; s++) {
        ch = 0;
        for (int32_t blk = 0; blk < b->nblocks; blk++) {
            int64_t lo = b->start[blk], hi = b->start[blk + 1];
#pragma omp parallel for schedule(static) reduction(+ : ch)
            for (int64_t c = 0; c < C; c++)
                for (int64_t j = lo; j < hi; j++) {
                    int32_t i = b->nodes[j];
                    if (clamp && clamp[i]) continue;
                    int v = icm_best(m, i, x, C, c);
                    if (v != x[(int64_t)i * C + c]) x[(int64_t)i * C + c] = (uint8_t)v, ch++;
                }
        }
        if (ch == 0) { s++; break; }
    }
    if (changes) *changes = ch;
    return s;
}

int ebm_pca(const double *X, int64_t n, int64_t d, int32_t k, double *mean, double *comp, double *var, double *total) {
    if (n < 2 || d < 1 || k < 1 || k > d || d > 1 << 15) return EBM_ESHAPE;
    double *Y = EBM_MALLOC((size_t)(n * d) * sizeof(double));
    double *S = EBM_MALLOC((size_t)(d * d) * sizeof(double));
    double *w = EBM_MALLOC((size_t)d * sizeof(double));
    double *Z = EBM_MALLOC((size_t)(d * k) * sizeof(double));
    lapack_int *supp = EBM_MALLOC((size_t)(2 * k) * sizeof(lapack_int));
    int rc = EBM_OK;
    if (!Y || !S || !w || !Z || !supp) { rc = EBM_ENOMEM; goto done; }
    for (int64_t j = 0; j < d; j++) mean[j] = 0;
    for (int64_t r = 0; r < n; r++)
        for (int64_t j = 0; j < d; j++) mean[j] += X[r * d + j];
    for (int64_t j = 0; j < d; j++) mean[j] /= (double)n;
    for (int64_t r = 0; r < n; r++)
        for (int64_t j = 0; j < d; j++) Y[r * d + j] = X[r * d + j] - mean[j];
    /* S = Y^T Y / (n - 1), upper triangle */
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d, (int)n, 1.0 / (double)(n - 1), Y, (int)d, 0.0, S, (int)d);
    *total = 0;
    for (int64_t j = 0; j < d; j++) *total += S[j * d + j];
    lapack_int found = 0;
    lapack_int info = LAPACKE_dsyevr(LAPACK_ROW_MAJOR, 'V', 'I', 'U', (lapack_int)d, S, (lapack_int)d, 0, 0,
                                     (lapack_int)(d - k + 1), (lapack_int)d, 0.0, &found, w, Z, (lapack_int)k, supp);
    if (info != 0 || found != k) { rc = EBM_ERANGE; goto done; }
    /* eigenvalues come ascending: component 0 is the last column */
    for (int32_t c = 0; c < k; c++) {
        int32_t col = k - 1 - c;
        var[c] = w[col];
        int64_t arg = 0;
        for (int64_t j = 0; j < d; j++)
            if (fabs(Z[j * k + col]) > fabs(Z[arg * k + col])) arg = j;
        double sign = Z[arg * k + col] < 0 ? -1.0 : 1.0;
        for (int64_t j = 0; j < d; j++) comp[c * d + j] = sign * Z[j * k + col];
    }
done:
    EBM_FREE(Y), EBM_FREE(S), EBM_FREE(w), EBM_FREE(Z), EBM_FREE(supp);
    return rc;
}
