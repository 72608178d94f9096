/* icm.h - zero-temperature block updates (iterated conditional modes) and the PCA the energy
 * landscape uses.
 *
 * Plain C; no Lua. Chain state as in gibbs.h: u8 [n, C], chains innermost.
 */
#ifndef EBM_ICM_H
#define EBM_ICM_H

#include <stdint.h>

#include "graph.h"

/* Block-wise iterated conditional modes: each sweep visits the blocks of b in order and sets
 * every unclamped node of the block, in every chain, to the level of largest conditional
 * log-probability, b_i[k] + sum_e T[k][x_nbr] (the beta -> infinity limit of the Gibbs update;
 * no random numbers). Ties: the current level is kept when it is among the best, otherwise the
 * lowest best level is taken, so the energy E never increases and a state stops changing once
 * it is a local minimum under single-node changes. Sweeps run until one changes nothing (then
 * every chain is such a minimum) or max_sweeps have run. Nodes of one block do not interact, so
 * the result does not depend on the order within a block. clamp: u8 [n] (nonzero = fixed) or
 * NULL. Returns the number of sweeps run; *changes (if not NULL) gets the node changes of the
 * last sweep (0 = converged). */
int32_t ebm_icm_sweeps(const ebm_model *m, const ebm_blocks *b, uint8_t *x, int64_t C, int32_t max_sweeps,
                       const uint8_t *clamp, int64_t *changes);

/* Principal components of the rows of X (n x d, row-major doubles, n >= 2): mean[d], the k
 * leading eigenvectors of the covariance (divisor n - 1) as rows of comp[k x d] (sign fixed so
 * the largest-magnitude entry is positive), their variances var[k], and the total variance
 * (trace) in *total. Covariance by cblas_dsyrk, eigenvectors by LAPACKE_dsyevr (only the k
 * largest). Returns EBM_OK, EBM_ESHAPE (bad sizes) or EBM_ENOMEM, or EBM_ERANGE when LAPACK
 * fails. */
int ebm_pca(const double *X, int64_t n, int64_t d, int32_t k, double *mean, double *comp, double *var, double *total);

#endif
