/* knn.c - nearest-neighbour distances in tiles of one sgemm each (knn.h). */
#include "knn.h"

#include "blas.h"
#include <stdlib.h>
#include <string.h>

#include "tensor.h"

enum { TA = 256, TB = 1024, KMAX = 64 };

/* Squared norms of n rows of X[., d] (accumulated in double). */
static void row_norms(const float *X, int64_t n, int64_t d, double *out) {
    for (int64_t i = 0; i < n; i++) {
        const float *x = X + i * d;
        double s = 0;
        for (int64_t j = 0; j < d; j++) s += (double)x[j] * x[j];
        out[i] = s;
    }
}

/* The work of all three entry points: walk A in tiles of TA rows and B in tiles of TB rows;
 * for every tile G = A_t B_t^T and visit(ctx, i, j, squared distance) in row order. */
typedef void (*visit_fn)(void *ctx, int64_t i, int64_t j, float d2);

static int walk(const float *A, int64_t na, const float *B, int64_t nb, int64_t d, visit_fn visit, void *ctx) {
    float *G = malloc(sizeof(float) * TA * TB);
    double *an = malloc(sizeof(double) * (size_t)(na > 0 ? na : 1));
    double *bn = malloc(sizeof(double) * (size_t)(nb > 0 ? nb : 1));
    if (!G || !an || !bn) { free(G); free(an); free(bn); return EBM_ENOMEM; }
    row_norms(A, na, d, an);
    row_norms(B, nb, d, bn);
    for (int64_t i0 = 0; i0 < na; i0 += TA) {
        int64_t ta = na - i0 < TA ? na - i0 : TA;
        for (int64_t j0 = 0; j0 < nb; j0 += TB) {
            int64_t tb = nb - j0 < TB ? nb - j0 : TB;
            ebm_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)ta, (int)tb, (int)d, 1.0f, A + i0 * d, (int)d,
                        B + j0 * d, (int)d, 0.0f, G, (int)tb);
            for (int64_t r = 0; r < ta; r++) {
                const float *g = G + r * tb;
                double a2 = an[i0 + r];
                for (int64_t c = 0; c < tb; c++) {
                    double v = a2 + bn[j0 + c] - 2.0 * (double)g[c];
                    visit(ctx, i0 + r, j0 + c, v > 0 ? (float)v : 0.0f);
                }
            }
        }
    }
    free(G); free(an); free(bn);
    return EBM_OK;
}

/* k smallest values per row, kept sorted ascending in best[i*k .. i*k+k-1]. */
struct kth_ctx { float *best; int64_t *count; int k; int self; };

static void kth_visit(void *p, int64_t i, int64_t j, float v) {
    struct kth_ctx *c = p;
    if (c->self && i == j) return;
    float *b = c->best + i * c->k;
    int64_t n = c->count[i] < c->k ? c->count[i] : c->k;
    if (n == c->k && v >= b[n - 1]) { c->count[i]++; return; }
    int64_t pos = n == c->k ? n - 1 : n;
    while (pos > 0 && b[pos - 1] > v) { b[pos] = b[pos - 1]; pos--; }
    b[pos] = v;
    c->count[i]++;
}

int ebm_knn_kth(const float *A, int64_t na, const float *B, int64_t nb, int64_t d, int k, int self, float *out) {
    if (k < 1 || k > KMAX || nb - (self ? 1 : 0) < k) return EBM_ERANGE;
    struct kth_ctx c = {malloc(sizeof(float) * (size_t)(na > 0 ? na : 1) * k),
                        calloc((size_t)(na > 0 ? na : 1), sizeof(int64_t)), k, self};
    if (!c.best || !c.count) { free(c.best); free(c.count); return EBM_ENOMEM; }
    int rc = walk(A, na, B, nb, d, kth_visit, &c);
    if (rc == EBM_OK)
        for (int64_t i = 0; i < na; i++) out[i] = c.best[i * k + k - 1];
    free(c.best); free(c.count);
    return rc;
}

struct cov_ctx { const float *r2; uint8_t *out; };

static void cov_visit(void *p, int64_t i, int64_t j, float v) {
    struct cov_ctx *c = p;
    if (v <= c->r2[j]) c->out[i] = 1;
}

int ebm_knn_covered(const float *A, int64_t na, const float *B, int64_t nb, int64_t d, const float *r2,
                    uint8_t *out) {
    memset(out, 0, (size_t)na);
    struct cov_ctx c = {r2, out};
    return walk(A, na, B, nb, d, cov_visit, &c);
}

struct near_ctx { int64_t *idx; float *dist; };

static void near_visit(void *p, int64_t i, int64_t j, float v) {
    struct near_ctx *c = p;
    if (j == 0 || v < c->dist[i]) { c->dist[i] = v; c->idx[i] = j; }
}

int ebm_knn_nearest(const float *A, int64_t na, const float *B, int64_t nb, int64_t d, int64_t *idx, float *dist) {
    if (nb < 1) return EBM_ERANGE;
    struct near_ctx c = {idx, dist};
    return walk(A, na, B, nb, d, near_visit, &c);
}
