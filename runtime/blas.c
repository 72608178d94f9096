/* blas.c - matrix products split over the OpenMP threads (blas.h). */
#include "blas.h"

#include <stddef.h>

#include "pool.h"

extern void openblas_set_num_threads(int);

void ebm_blas_init(void) { openblas_set_num_threads(1); }

/* The blocks of one product: rows of C (split = 0) or columns (split = 1; when N > M, so a
 * block re-packs the smaller operand), nb blocks of len (a multiple of 16 but the last).
 * Returns nb; 1 means do not split. The blocks depend only on the shape, never on the
 * thread count, so results are the same for any count. */
static int plan_split(enum CBLAS_ORDER order, int M, int N, int K, int *split, int *len) {
    if (order != CblasRowMajor || (double)M * N * K < EBM_GEMM_SPLIT_MIN) return 1;
    *split = N > M;
    int n = *split ? N : M, nb = n / EBM_GEMM_BLOCK_MIN;
    if (nb > EBM_GEMM_BLOCKS) nb = EBM_GEMM_BLOCKS;
    if (nb < 2) return 1;
    *len = ((n + nb - 1) / nb + 15) / 16 * 16;
    return (n + *len - 1) / *len;
}

/* One product (CALL = cblas_sgemm or cblas_dgemm): whole, or its nb blocks [i0, i0 + len) of rows
 * or columns on the pool, each with its own offsets into A or B (row-major, op as given) and C. */
#define EBM_GEMM_RUN(CALL)                                                                                  \
    ebm_pool_refresh();                                                                                        \
    int split = 0, len = 0, nb = plan_split(order, M, N, K, &split, &len);                                     \
    if (nb <= 1) {                                                                                             \
        CALL(order, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);                                     \
        return;                                                                                                \
    }                                                                                                          \
    _Pragma("omp parallel for schedule(static)")                                                               \
    for (int q = 0; q < nb; q++) {                                                                             \
        int i0 = q * len, n = (split ? N : M) - i0 < len ? (split ? N : M) - i0 : len;                         \
        if (split)                                                                                             \
            CALL(order, ta, tb, M, n, K, alpha, A, lda, tb == CblasNoTrans ? B + i0 : B + (size_t)i0 * ldb,    \
                 ldb, beta, C + i0, ldc);                                                                      \
        else                                                                                                   \
            CALL(order, ta, tb, n, N, K, alpha, ta == CblasNoTrans ? A + (size_t)i0 * lda : A + i0, lda, B,    \
                 ldb, beta, C + (size_t)i0 * ldc, ldc);                                                        \
    }

void ebm_sgemm(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb, int M, int N, int K,
               float alpha, const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc) {
    EBM_GEMM_RUN(cblas_sgemm)
}

void ebm_dgemm(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb, int M, int N, int K,
               double alpha, const double *A, int lda, const double *B, int ldb, double beta, double *C, int ldc) {
    EBM_GEMM_RUN(cblas_dgemm)
}
