/* knn.h - nearest-neighbour distances between two sets of rows, for the sample-quality
 * measures (precision/recall with k-NN manifolds, the memorisation check; ebm.quality).
 *
 * Plain C11, no Lua. Sets are row-major contiguous f32 [n, d]. Squared Euclidean distances
 * are |a|^2 + |b|^2 - 2 a.b: the norms summed in double, the products one cblas_sgemm per
 * tile (TA rows of A by TB rows of B), so memory stays at one TA x TB tile whatever the set
 * sizes. Rounding can leave a distance of identical rows slightly above 0 (about 1e-5 of
 * |a|^2 in f32) or below it (clipped to 0); callers comparing with thresholds state this.
 */
#ifndef EBM_KNN_H
#define EBM_KNN_H

#include <stdint.h>

/* out[i] = the k-th smallest squared distance from row i of A[na,d] to the rows of
 * B[nb,d] (k >= 1; k = 1 is the nearest neighbour). With self != 0, A and B are the same
 * set (same pointer and size) and the pair (i, i) is left out (duplicates elsewhere count).
 * Returns EBM_OK, EBM_ERANGE (k < 1, or fewer than k candidates), or EBM_ENOMEM. */
int ebm_knn_kth(const float *A, int64_t na, const float *B, int64_t nb, int64_t d, int k, int self, float *out);

/* out[i] = 1 if some row j of B[nb,d] has |a_i - b_j|^2 <= r2[j] (row i of A inside the
 * union of the balls around B's rows), else 0. Returns EBM_OK or EBM_ENOMEM. */
int ebm_knn_covered(const float *A, int64_t na, const float *B, int64_t nb, int64_t d, const float *r2,
                    uint8_t *out);

/* Index (0-based) and squared distance of each row of A's nearest row of B (ties: the
 * lowest index). Returns EBM_OK or EBM_ENOMEM. */
int ebm_knn_nearest(const float *A, int64_t na, const float *B, int64_t nb, int64_t d, int64_t *idx, float *dist);

#endif
