/* tensor_math.h - arithmetic on ebm_tensor: elementwise ops, fills, reductions, GEMM.
 *
 * Plain C11, no Lua. The stable C-level API other runtime code (samplers, statistics,
 * optimisers) may call. Conventions:
 *   - Kernels write into tensors the caller supplies (`out`); `out` may be one of the inputs
 *     (in-place). Inputs that overlap `out` with a different layout are copied first.
 *   - Broadcasting (numpy rules): an input's dims are aligned to `out`'s from the right, and
 *     an input dim of size 1 (or a missing leading dim) repeats along out's dim.
 *   - All four dtypes work everywhere; mixed dtypes compute in double and store with the
 *     saturating conversion of ebm_store_raw. f32/f64 with equal dtypes take typed loops
 *     the compiler vectorises when innermost strides are 1.
 *   - Random fills take an explicit generator; element i (row-major linear index) is a pure
 *     function of (rng state, i), so results do not depend on the number of threads.
 *   - Reductions over all elements use a fixed chunking, so sums are identical for any
 *     thread count.
 *   - Return EBM_OK or an error code (EBM_ESHAPE, EBM_ETYPE, EBM_ENOMEM, EBM_ERANGE).
 */
#ifndef EBM_TENSOR_MATH_H
#define EBM_TENSOR_MATH_H

#include "rng.h"
#include "tensor.h"

typedef enum {
    EBM_OP_ADD,  /* a + alpha*b */
    EBM_OP_SUB,  /* a - alpha*b */
    EBM_OP_MUL,  /* a * b */
    EBM_OP_DIV,  /* a / b */
    EBM_OP_MAX,  /* max(a, b) */
    EBM_OP_MIN,  /* min(a, b) */
    EBM_OP_POW,  /* a ^ b */
    EBM_OP_RSUB, /* b - a   (scalar forms: s - a) */
    EBM_OP_RDIV, /* b / a */
} ebm_binop;

typedef enum {
    EBM_UN_NEG, EBM_UN_EXP, EBM_UN_LOG, EBM_UN_SIGMOID, EBM_UN_ABS, EBM_UN_SQRT, EBM_UN_TANH,
    EBM_UN_SQUARE,
    EBM_UN_CLAMP, /* min(max(x, p1), p2) */
    EBM_UN_SCALE, /* p1*x + p2 */
} ebm_unop;

/* Shape that a and b broadcast to; EBM_ESHAPE if they do not. */
int ebm_broadcast_shape(const ebm_tensor *a, const ebm_tensor *b, int *ndim, int64_t *size);

/* out = a <op> b elementwise, a and b broadcast to out's shape. `alpha` scales b for
 * ADD/SUB and is ignored otherwise. */
int ebm_tensor_binary(ebm_tensor *out, const ebm_tensor *a, const ebm_tensor *b, ebm_binop op, double alpha);
/* out = a <op> s (RSUB/RDIV: s - a, s / a); a broadcasts to out's shape. */
int ebm_tensor_binary_scalar(ebm_tensor *out, const ebm_tensor *a, double s, ebm_binop op);
/* y += alpha * x (x broadcasts to y). */
int ebm_tensor_axpy(ebm_tensor *y, double alpha, const ebm_tensor *x);
/* out = f(a) elementwise; p1, p2 are the parameters of CLAMP and SCALE. */
int ebm_tensor_unary(ebm_tensor *out, const ebm_tensor *a, ebm_unop op, double p1, double p2);

/* t[i] = start + i*step, i the row-major linear index. */
int ebm_tensor_arange(ebm_tensor *t, double start, double step);
/* t[i] = a + (b - a) * i / (n - 1) (t[0] = a when n == 1). */
int ebm_tensor_linspace(ebm_tensor *t, double a, double b);

/* Random fills; each advances r->pos past the counter blocks it used.
 * uniform: lo + (hi-lo)*u, u in [0,1) (24-bit for f32, 53-bit otherwise; integer dtypes
 * store the truncated value). normal: Box-Muller, mean + sd*z. bernoulli: 1 with
 * probability p (u < p with a 24-bit u), else 0. All return EBM_ENOMEM when a
 * strided t needs a temporary that cannot be allocated. */
int ebm_tensor_uniform(ebm_tensor *t, ebm_rng *r, double lo, double hi);
int ebm_tensor_normal(ebm_tensor *t, ebm_rng *r, double mean, double sd);
int ebm_tensor_bernoulli(ebm_tensor *t, ebm_rng *r, double p);
/* t[i] = 1 with probability p[i] (p broadcasts to t). */
int ebm_tensor_bernoulli_t(ebm_tensor *t, ebm_rng *r, const ebm_tensor *p);

/* Reductions over all elements (double accumulation). max/min return the value and set
 * *index to its row-major linear position (first one on ties); numel must be > 0. */
double ebm_tensor_sumall(const ebm_tensor *t);
double ebm_tensor_sumsq(const ebm_tensor *t);
double ebm_tensor_maxall(const ebm_tensor *t, int64_t *index);
double ebm_tensor_minall(const ebm_tensor *t, int64_t *index);
/* sum_i a[i]*b[i] over row-major order; EBM_ESHAPE when numel differs. */
int ebm_tensor_dot(const ebm_tensor *a, const ebm_tensor *b, double *result);

typedef enum { EBM_RED_SUM, EBM_RED_MEAN, EBM_RED_MAX, EBM_RED_MIN } ebm_redop;
/* Reduce a over dimension `dim` (0-based). `out` has a's shape with `dim` removed (or
 * kept with size 1: only numel and order matter). For MAX/MIN `idx` (may be NULL) gets the
 * 0-based position along `dim` of the first extreme value; idx numel as out's. */
int ebm_tensor_reduce(ebm_tensor *out, ebm_tensor *idx, const ebm_tensor *a, int dim, ebm_redop op);

/* C = alpha * op(A) op(B) + beta * C through OpenBLAS, op(X) = X or X^T when trans* != 0.
 * All three 2-d, one dtype (f32 or f64); any strides (views are passed to BLAS with the
 * matching transpose flag when one stride is 1, else copied). C may not alias A or B in
 * a way BLAS cannot handle: such inputs are copied first. Beta == 0 ignores C's contents. */
int ebm_tensor_gemm(ebm_tensor *c, const ebm_tensor *a, const ebm_tensor *b, int transa, int transb,
                    double alpha, double beta);

#endif
