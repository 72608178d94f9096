/* blas.h - matrix products on the runtime's one thread pool.
 *
 * OpenBLAS runs single-threaded (ebm_blas_init; core.threads keeps it so): its own threaded
 * level-3 driver waits for its helper threads by spinning on sched_yield, which on a machine
 * whose cores are busy with other work made 2-thread training several times slower than one
 * thread (RESULTS.md, "Threads on a busy machine"). Instead ebm_sgemm / ebm_dgemm split a
 * product into row (or column) blocks of C and run the blocks on the OpenMP threads, whose
 * idle waits sleep (OMP_WAIT_POLICY=passive, main.c). Each block is an ordinary
 * single-threaded OpenBLAS call over the full inner dimension. The blocks depend only on the
 * shape (at most EBM_GEMM_BLOCKS blocks of at least EBM_GEMM_BLOCK_MIN rows or columns), never
 * on the thread count, so results do not depend on it.
 * Same arguments as cblas_sgemm / cblas_dgemm. Small products, column-major calls and calls
 * from inside a parallel region go straight to OpenBLAS. */
#ifndef EBM_BLAS_H
#define EBM_BLAS_H

#include <cblas.h>

/* Products with fewer than this many multiply-adds (M*N*K) run on one thread. */
#define EBM_GEMM_SPLIT_MIN 8388608.0
#define EBM_GEMM_BLOCKS 8
#define EBM_GEMM_BLOCK_MIN 48

/* Sets OpenBLAS to one thread; call once at start-up. */
void ebm_blas_init(void);

void ebm_sgemm(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb, int M, int N, int K,
               float alpha, const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc);
void ebm_dgemm(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb, int M, int N, int K,
               double alpha, const double *A, int lda, const double *B, int ldb, double beta, double *C, int ldc);

#endif
