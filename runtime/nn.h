/* nn.h - small dense network kernels for the sample-quality classifier: linear layers,
 * ReLU, softmax cross-entropy (forward and backward), feature moments and the Frechet
 * distance between two Gaussians.
 *
 * Plain C11, no Lua. Row-major contiguous f32 buffers; products are cblas_sgemm; the
 * symmetric eigen-decompositions of the Frechet distance are LAPACK dsyev (in OpenBLAS).
 */
#ifndef EBM_NN_H
#define EBM_NN_H

#include <stdint.h>

/* Y[B,out] = X[B,in] W^T + b, with W [out,in] and b [out]. */
void ebm_nn_linear(const float *X, int B, int in, const float *W, const float *b, int out, float *Y);

/* Backward of ebm_nn_linear for upstream dY[B,out]:
 *   dW[out,in] = dY^T X (accumulated: dW += ...),  db[out] += colsum(dY),
 *   dX[B,in] = dY W (overwritten; skipped when dX == NULL). */
void ebm_nn_linear_backward(const float *X, int B, int in, const float *W, int out, const float *dY,
                            float *dW, float *db, float *dX);

/* In place y = max(y, 0) over n values; backward: dy[i] = 0 where y[i] <= 0 (y = output). */
void ebm_nn_relu(float *y, int64_t n);
void ebm_nn_relu_backward(const float *y, float *dy, int64_t n);

/* Mean cross-entropy of softmax(logits[B,C]) against labels y[B] (0..C-1). When dlogits is
 * not NULL it receives (softmax - onehot)/B. *correct (if not NULL) counts argmax == y;
 * pred (if not NULL) receives the argmax per row. Returns the mean loss in nats, or -1 if a
 * label is out of range. */
double ebm_nn_softmax_xent(const float *logits, const int32_t *y, int B, int C, float *dlogits, int64_t *correct,
                           int32_t *pred);

/* Mean mu[d] and unbiased covariance cov[d,d] of the rows of F[n,d] (f64 results; n >= 2).
 * Returns 0, or EBM_ENOMEM. */
int ebm_nn_moments(const float *F, int64_t n, int d, double *mu, double *cov);

/* Frechet distance between N(mu1,C1) and N(mu2,C2):
 *   |mu1-mu2|^2 + tr C1 + tr C2 - 2 tr sqrt(C1^1/2 C2 C1^1/2),
 * the matrix square roots from symmetric eigen-decompositions (negative eigenvalues from
 * rounding are clipped to 0). Returns NAN if LAPACK fails or memory runs out. */
double ebm_nn_frechet(const double *mu1, const double *C1, const double *mu2, const double *C2, int d);

/* out[i] = v[i] * scale for n bytes (pixels to network inputs). */
void ebm_nn_u8_scale(const uint8_t *v, int64_t n, float scale, float *out);

#endif
