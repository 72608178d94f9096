/* stats.h - energies, conditionals, pseudo-likelihood, sufficient statistics and exact
 * enumeration for ebm_model (see graph.h for the energy).
 *
 * States come as u8 either in chain layout [n, C] (x[i*C + c], the sampler's) or in data
 * layout [C, n] (x[c*n + i], one image per row): `layout` is EBM_CHAINS or EBM_ROWS.
 * Levels >= K[i] are the caller's error; functions that read states check and return
 * EBM_ERANGE for them.
 */
#ifndef EBM_STATS_H
#define EBM_STATS_H

#include <stdint.h>

#include "graph.h"

enum { EBM_CHAINS = 0, EBM_ROWS = 1 };

/* EBM_OK when every level is below its node's K; else EBM_ERANGE and, for the first bad
 * entry in node order, *node (0-based) and *level (either pointer may be NULL). One pass
 * over the batch when all levels are below the smallest K (the common case). */
int ebm_states_check(const ebm_model *m, const uint8_t *x, int64_t C, int layout, int32_t *node, int *level);

/* E(x) for each of C states into out[C] (accumulated in double). */
void ebm_energy(const ebm_model *m, const uint8_t *x, int64_t C, int layout, double *out);

/* p(x_i = k | rest) at inverse temperature beta for state c: out[K[i]] (libm, double). */
void ebm_conditional(const ebm_model *m, const uint8_t *x, int64_t C, int layout, int64_t c, int32_t i,
                     double beta, double *out);

/* Pseudo-log-likelihood sum_i log p(x_i | x_-i) (beta) of each state into out[C]; nodes with
 * mask[i] != 0 are skipped when mask is non-NULL. */
void ebm_pseudo_loglik(const ebm_model *m, const uint8_t *x, int64_t C, int layout, double beta,
                       const uint8_t *mask, double *out);

/* Sufficient statistics summed over the C states: hist[boff[i] + k] += [x_i = k] (same layout
 * as the flat biases) and cooc[toff[s] + a*K_b + b] += number of edges of slot s with
 * (x_i, x_j) = (a, b) (same layout as the flat tables). Both are zeroed first. */
void ebm_suff_stats(const ebm_model *m, const uint8_t *x, int64_t C, int layout, double *hist, double *cooc);

/* out[s] = sum_ab cooc[s][a][b] * pattern[a][b] for slots slot0 .. slot0+ns-1 (one shape). */
void ebm_stats_contract(const ebm_model *m, int32_t slot0, int32_t ns, const double *cooc, const float *pattern,
                        double *out);

/* Exact enumeration of a tiny model at inverse temperature beta. Nodes with clamp[i] != 0 are
 * fixed at x0[i] (x0 may be NULL when nothing is clamped). States of the free nodes are
 * indexed in mixed radix with the lowest free node as the least significant digit.
 * Writes logp[M] (log-probabilities, M = prod of K over free nodes; may be NULL), marg[boff[n]]
 * (exact marginals of every node; clamped nodes get a point mass; may be NULL), and *logz
 * (log of the sum over free states of exp(-beta E)). Returns EBM_OK, or EBM_ERANGE when M
 * exceeds `maxstates`, or EBM_ENOMEM. */
int ebm_exact(const ebm_model *m, double beta, const uint8_t *clamp, const uint8_t *x0, int64_t maxstates,
              double *logp, double *marg, double *logz);

/* Number of free states of ebm_exact, or -1 if it exceeds maxstates. */
int64_t ebm_exact_nstates(const ebm_model *m, const uint8_t *clamp, int64_t maxstates);

#endif
