/* nn.c - dense layers, softmax cross-entropy, moments and the Frechet distance (nn.h). */
#include "nn.h"

#include "blas.h"
#include <math.h>
#include <string.h>

#include "tensor.h"

/* LAPACK symmetric eigen-decomposition (Fortran interface, shipped inside libopenblas). */
extern void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
                   double *work, const int *lwork, int *info);

void ebm_nn_linear(const float *X, int B, int in, const float *W, const float *b, int out, float *Y) {
    for (int r = 0; r < B; r++) {
        if (b) memcpy(Y + (size_t)r * out, b, sizeof(float) * out);
        else memset(Y + (size_t)r * out, 0, sizeof(float) * out);
    }
    ebm_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, out, in, 1.0f, X, in, W, in, 1.0f, Y, out);
}

void ebm_nn_linear_backward(const float *X, int B, int in, const float *W, int out, const float *dY,
                            float *dW, float *db, float *dX) {
    ebm_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, B, 1.0f, dY, out, X, in, 1.0f, dW, in);
    if (db)
        for (int r = 0; r < B; r++)
            for (int j = 0; j < out; j++) db[j] += dY[(size_t)r * out + j];
    if (dX) ebm_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, in, out, 1.0f, dY, out, W, in, 0.0f, dX, in);
}

void ebm_nn_relu(float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = y[i] > 0.0f ? y[i] : 0.0f;
}

void ebm_nn_relu_backward(const float *y, float *dy, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (y[i] <= 0.0f) dy[i] = 0.0f;
}

double ebm_nn_softmax_xent(const float *logits, const int32_t *y, int B, int C, float *dlogits, int64_t *correct,
                           int32_t *pred) {
    double loss = 0.0;
    int64_t ok = 0;
    for (int r = 0; r < B; r++) {
        const float *l = logits + (size_t)r * C;
        if (y && (y[r] < 0 || y[r] >= C)) return -1.0;
        int am = 0;
        float mx = l[0];
        for (int k = 1; k < C; k++)
            if (l[k] > mx) mx = l[k], am = k;
        double s = 0.0;
        for (int k = 0; k < C; k++) s += exp((double)l[k] - mx);
        double lse = mx + log(s);
        if (pred) pred[r] = am;
        if (!y) continue;
        loss += lse - l[y[r]];
        ok += am == y[r];
        if (dlogits) {
            float *d = dlogits + (size_t)r * C;
            for (int k = 0; k < C; k++) d[k] = (float)((exp((double)l[k] - lse) - (k == y[r])) / B);
        }
    }
    if (correct) *correct = ok;
    return y ? loss / B : 0.0;
}

int ebm_nn_moments(const float *F, int64_t n, int d, double *mu, double *cov) {
    double *X = EBM_MALLOC(sizeof(double) * (size_t)n * d);
    if (!X) return EBM_ENOMEM;
    for (int j = 0; j < d; j++) mu[j] = 0.0;
    for (int64_t r = 0; r < n; r++)
        for (int j = 0; j < d; j++) mu[j] += F[(size_t)r * d + j];
    for (int j = 0; j < d; j++) mu[j] /= (double)n;
    for (int64_t r = 0; r < n; r++)
        for (int j = 0; j < d; j++) X[(size_t)r * d + j] = F[(size_t)r * d + j] - mu[j];
    ebm_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, d, (int)n, 1.0 / (double)(n - 1), X, d, X, d, 0.0, cov,
                d);
    EBM_FREE(X);
    return EBM_OK;
}

/* In place: A (symmetric d x d) -> A^(1/2), eigenvalues clipped at 0. Returns 0 or -1. If
 * tr is not NULL it receives sum sqrt(max(eig, 0)) (the trace of the root). */
static int sym_sqrt(double *A, int d, double *tr) {
    double *w = EBM_MALLOC(sizeof(double) * d), *V = EBM_MALLOC(sizeof(double) * (size_t)d * d), q;
    int info = 0, lwork = -1;
    if (!w || !V) { EBM_FREE(w), EBM_FREE(V); return -1; }
    memcpy(V, A, sizeof(double) * (size_t)d * d);
    dsyev_("V", "U", &d, V, &d, w, &q, &lwork, &info);
    lwork = (int)q;
    double *work = EBM_MALLOC(sizeof(double) * (size_t)(lwork > 1 ? lwork : 1));
    if (!work || info) { EBM_FREE(w), EBM_FREE(V), EBM_FREE(work); return -1; }
    dsyev_("V", "U", &d, V, &d, w, work, &lwork, &info);
    EBM_FREE(work);
    if (info) { EBM_FREE(w), EBM_FREE(V); return -1; }
    /* Column-major view: V's column k (eigenvector k) is V[k*d .. k*d+d-1] (symmetric input,
     * so the row/column-major distinction only transposes V). A = V diag(sqrt w) V^T. */
    double t = 0.0;
    for (int k = 0; k < d; k++) w[k] = w[k] > 0 ? sqrt(w[k]) : 0.0, t += w[k];
    double *S = EBM_MALLOC(sizeof(double) * (size_t)d * d);
    if (!S) { EBM_FREE(w), EBM_FREE(V); return -1; }
    for (int k = 0; k < d; k++)
        for (int i = 0; i < d; i++) S[(size_t)k * d + i] = V[(size_t)k * d + i] * w[k];
    /* A[i][j] = sum_k V[k][i] * w_k * V[k][j]: A = S^T V with S, V stored as [k][i]. */
    ebm_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, d, d, 1.0, S, d, V, d, 0.0, A, d);
    if (tr) *tr = t;
    EBM_FREE(S), EBM_FREE(w), EBM_FREE(V);
    return 0;
}

double ebm_nn_frechet(const double *mu1, const double *C1, const double *mu2, const double *C2, int d) {
    size_t dd = (size_t)d * d;
    double *R = EBM_MALLOC(sizeof(double) * dd), *T = EBM_MALLOC(sizeof(double) * dd),
           *M = EBM_MALLOC(sizeof(double) * dd);
    double res = NAN;
    if (!R || !T || !M) goto done;
    memcpy(R, C1, sizeof(double) * dd);
    if (sym_sqrt(R, d, NULL)) goto done;
    /* M = R C2 R (symmetric up to rounding; symmetrise). */
    ebm_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d, d, d, 1.0, R, d, C2, d, 0.0, T, d);
    ebm_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d, d, d, 1.0, T, d, R, d, 0.0, M, d);
    for (int i = 0; i < d; i++)
        for (int j = 0; j < i; j++) {
            double a = 0.5 * (M[(size_t)i * d + j] + M[(size_t)j * d + i]);
            M[(size_t)i * d + j] = M[(size_t)j * d + i] = a;
        }
    double trroot;
    if (sym_sqrt(M, d, &trroot)) goto done;
    double diff = 0.0, tr = 0.0;
    for (int i = 0; i < d; i++) {
        double e = mu1[i] - mu2[i];
        diff += e * e;
        tr += C1[(size_t)i * d + i] + C2[(size_t)i * d + i];
    }
    res = diff + tr - 2.0 * trroot;
done:
    EBM_FREE(R), EBM_FREE(T), EBM_FREE(M);
    return res;
}

void ebm_nn_u8_scale(const uint8_t *v, int64_t n, float scale, float *out) {
    for (int64_t i = 0; i < n; i++) out[i] = v[i] * scale;
}
