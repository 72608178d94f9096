/* diag.h - MCMC convergence diagnostics over many chains at once: autocorrelation,
 * integrated autocorrelation time, effective sample size (ESS), rank-normalised split R-hat
 * and bulk/tail ESS (Vehtari, Gelman, Simpson, Carpenter & Buerkner 2021, "Rank-normalization,
 * folding, and localization: an improved R-hat", Bayesian Analysis 16(2)).
 *
 * Traces: one scalar per chain per draw, stored draws-major with chains innermost:
 *     x[t*m + j] is draw t (0..n-1) of chain j (0..m-1)
 * (the layout an observer builds by appending one row of m chain values per sweep). Values are
 * double; non-finite values make results NaN. Nothing here allocates from the caller's arrays;
 * work buffers are malloc'd and freed inside each call (EBM_ENOMEM when that fails).
 *
 * Autocovariances are the biased estimator (divide by n, each chain centred by its own mean;
 * Geyer 1992 recommends it: the sequence is positive definite). They are computed either by
 * direct sums, O(n * maxlag) per chain, or by FFTW (real-to-complex transform of the centred
 * trace zero-padded to >= 2n, squared modulus, inverse transform), O(n log n) per chain.
 * EBM_ACF_AUTO picks direct sums when maxlag is small (see diag.c for the measured rule).
 */
#ifndef EBM_DIAG_H
#define EBM_DIAG_H

#include <stdint.h>

#include "tensor.h" /* EBM_OK and the error codes */

enum { EBM_ACF_AUTO = 0, EBM_ACF_DIRECT = 1, EBM_ACF_FFT = 2 };

/* Autocovariance of each of the m chains at lags 0..maxlag (maxlag < n) into
 * out[l*m + j] (biased: sum_{t<n-l} (x_t - mean)(x_{t+l} - mean) / n). method: EBM_ACF_*.
 * Returns EBM_OK, EBM_ERANGE (n < 1, m < 1, maxlag outside 0..n-1, unknown method) or
 * EBM_ENOMEM. */
int ebm_diag_autocov(const double *x, int64_t n, int64_t m, int64_t maxlag, int method, double *out);

/* Autocorrelation: the autocovariance divided by its lag-0 value, per chain (a constant chain
 * gets 1 at lag 0 and 0 elsewhere). Same arguments and returns as ebm_diag_autocov. */
int ebm_diag_acf(const double *x, int64_t n, int64_t m, int64_t maxlag, int method, double *out);

/* Sokal's automatic window for ONE autocorrelation sequence rho[0..maxlag] (rho[0] = 1):
 * tau(W) = 1 + 2 sum_{t=1..W} rho[t], W the smallest lag with W >= c * tau(W) (c = 5 is usual;
 * Sokal 1997 suggests 4..10). Returns tau(W) and the window in *window; when no W <= maxlag
 * qualifies it returns tau(maxlag) with *window = -1 (the window was too short: more draws
 * are needed). Suited to positively correlated traces (for antithetic ones use the Geyer
 * estimator below). */
double ebm_diag_tau_sokal(const double *rho, int64_t maxlag, double c, int64_t *window);

/* Multi-chain ESS of m chains of n draws (n >= 4), as in Vehtari et al. (2021), eq. (10)-(11)
 * and their reference code: rho_t = 1 - (W - mean_j acov_j(t)) / var_plus with
 * W = mean_j acov_j(0) n/(n-1) and var_plus = W (n-1)/n + (variance of the chain means, m > 1);
 * Geyer's initial positive sequence truncates at the first pair sum rho_{2k} + rho_{2k+1}
 * that is negative, Geyer's initial monotone sequence makes the pair sums non-increasing, and
 * tau = -1 + 2 sum_{t<=T} rho_t + rho_{T+1} (the paper's improvement for antithetic chains),
 * bounded below by 1/log10(n m). Returns ESS = n m / tau; *tau and *window (the last lag T
 * summed) are written when non-NULL. A constant trace gives ESS = n m, tau = 1. Returns NaN for
 * non-finite input or n < 4. */
double ebm_diag_ess(const double *x, int64_t n, int64_t m, double *tau, int64_t *window);

/* Classic R-hat of m chains of n draws (no splitting, no ranks):
 * sqrt(((n-1)/n W + B/n) / W), B/n the variance of the chain means, W the mean of the chain
 * variances. A constant trace gives 1; NaN for non-finite input, n < 2 or m < 2. */
double ebm_diag_rhat_basic(const double *x, int64_t n, int64_t m);

/* The Vehtari et al. (2021) summary of one quantity over m chains of n draws (n >= 4):
 *   rhat_bulk  split R-hat of the rank-normalised draws (each chain split into halves, the
 *              middle draw dropped when n is odd; ranks over all draws, ties averaged;
 *              z = Phi^-1((r - 3/8) / (S + 1/4)), S the number of draws kept)
 *   rhat_tail  the same for the folded draws |x - median(x)|
 *   rhat       max(rhat_bulk, rhat_tail)
 *   ess_bulk   ESS of the rank-normalised split chains
 *   ess_tail   min of the ESS of the split indicators I(x <= q05) and I(x <= q95)
 *              (q: the quantiles of all draws, linear interpolation as R's type 7)
 *   ess_mean   ESS of the split chains of the raw draws; tau = S / ess_mean
 * Returns EBM_OK, EBM_ERANGE (n < 4 or m < 1) or EBM_ENOMEM. */
typedef struct ebm_diag_summary {
    double rhat, rhat_bulk, rhat_tail, ess_bulk, ess_tail, ess_mean, tau;
} ebm_diag_summary;
int ebm_diag_summarise(const double *x, int64_t n, int64_t m, ebm_diag_summary *out);

/* Phi^-1(p) for 0 < p < 1 (Acklam's rational approximation refined by one Halley step with
 * erfc: relative error below 1e-13); -inf/+inf at 0/1, NaN outside [0, 1]. */
double ebm_diag_probit(double p);

/* Exchange chains between two chain states of the same shape u8 [nodes, C] (chains
 * innermost): for every chain c with swap[c] != 0, column c of a and column c of b trade
 * places. Used by replica exchange (one state tensor per temperature). */
void ebm_diag_swap_chains(uint8_t *a, uint8_t *b, int64_t nodes, int64_t C, const uint8_t *swap);

#endif
