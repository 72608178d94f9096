/* pool.c - the automatic thread count rule (pool.h) and the split matrix products (blas.h):
 * right against a naive product for every transpose combination and both split directions,
 * and bit-identical for any thread count. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "pool.h"
#include "tap.h"

static float urand(unsigned *s) {
    *s = *s * 1103515245u + 12345u;
    return (float)((*s >> 8) & 0xFFFF) / 65536.0f - 0.5f;
}

/* C = op(A) op(B) + 0.5 C0, row-major; A is M x K (or K x M when ta), B is K x N (or N x K). */
static double max_err(int ta, int tb, int M, int N, int K, int threads, float **out) {
    unsigned s = 7;
    float *A = malloc(sizeof(float) * (size_t)M * K), *B = malloc(sizeof(float) * (size_t)K * N);
    float *C = malloc(sizeof(float) * (size_t)M * N);
    for (int i = 0; i < M * K; i++) A[i] = urand(&s);
    for (int i = 0; i < K * N; i++) B[i] = urand(&s);
    for (int i = 0; i < M * N; i++) C[i] = urand(&s);
    float *C0 = malloc(sizeof(float) * (size_t)M * N);
    memcpy(C0, C, sizeof(float) * (size_t)M * N);
    int lda = ta ? M : K, ldb = tb ? K : N;
    omp_set_num_threads(threads);
    ebm_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, 1.0f, A, lda,
              B, ldb, 0.5f, C, N);
    double err = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double acc = 0.5 * C0[i * N + j];
            for (int k = 0; k < K; k++)
                acc += (double)(ta ? A[k * lda + i] : A[i * lda + k]) * (double)(tb ? B[j * ldb + k] : B[k * ldb + j]);
            double e = fabs(acc - C[i * N + j]);
            if (e > err) err = e;
        }
    free(A), free(B), free(C0);
    *out = C;
    return err;
}

int main(void) {
    ebm_blas_init();
    /* the rule: cores not taken by the other runnable tasks (the reader is one of them) */
    is_int(ebm_pool_auto_count(1, 2), 2, "idle 2-core machine: 2 threads");
    is_int(ebm_pool_auto_count(2, 2), 1, "one busy neighbour: 1 thread");
    is_int(ebm_pool_auto_count(5, 2), 1, "many neighbours: still 1");
    is_int(ebm_pool_auto_count(0, 2), 2, "a count of 0 (not counting the reader) is taken as idle");
    is_int(ebm_pool_auto_count(4, 16), 13, "16 cores, 3 neighbours: 13");
    /* fixed and automatic */
    ebm_pool_fix(3);
    ok(!ebm_pool_is_auto() && omp_get_max_threads() == 3, "ebm_pool_fix(3): fixed at 3");
    ebm_pool_refresh();
    is_int(omp_get_max_threads(), 3, "refresh leaves a fixed count alone");
    ebm_pool_fix(0);
    ok(ebm_pool_is_auto(), "ebm_pool_fix(0): automatic");
    ebm_pool_refresh();
    ok(omp_get_max_threads() >= 1 && omp_get_max_threads() <= omp_get_num_procs(), "automatic count in 1..cores (%d)",
       omp_get_max_threads());
    ebm_pool_fix(1);
    /* products: shapes that split by rows (M >= N) and by columns (N > M), above the split
     * threshold, and a small one that does not split. Tolerance: K products of values in
     * [-0.5, 0.5) in float, error well under 1e-4 for K <= 300. */
    const int shapes[][3] = {{300, 64, 500}, {100, 500, 200}, {7, 9, 11}};
    for (int sh = 0; sh < 3; sh++)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++) {
                int M = shapes[sh][0], N = shapes[sh][1], K = shapes[sh][2];
                float *c1, *c2;
                double e1 = max_err(ta, tb, M, N, K, 1, &c1), e2 = max_err(ta, tb, M, N, K, 2, &c2);
                ok(e1 < 1e-4, "%dx%dx%d ta=%d tb=%d: max error %.2g against the naive product", M, N, K, ta, tb, e1);
                ok(e2 == e1 && memcmp(c1, c2, sizeof(float) * (size_t)M * N) == 0,
                   "%dx%dx%d ta=%d tb=%d: 2 threads give the bits of 1", M, N, K, ta, tb);
                free(c1), free(c2);
            }
    return done_testing();
}
