/* diag.c - MCMC diagnostics on processes with known answers.
 *
 * AR(1) traces x_t = rho x_{t-1} + sqrt(1 - rho^2) e_t (stationary start, e ~ N(0,1)) have
 * rho(t) = rho^|t| and tau_int = (1 + rho) / (1 - rho). Tolerances come from the estimators'
 * sampling variance, not from what passed:
 *  - tau_int by a window of W lags from N draws in all: Madras & Sokal (1988, eq. 2.21)
 *    var(tau_hat) ~= 2 (2W + 1) tau^2 / N (we use max(tau, 1)^2 so that antithetic chains,
 *    tau < 1, still get the noise of 2W + 1 estimated lags of variance ~1/N each). We allow
 *    5 standard deviations plus the truncation bias 2 rho^(W+1) / (1 - rho) (the lags the
 *    window leaves out). One test in 1.7 million fails by chance at 5 sigma (normal tails).
 *  - R-hat of iid draws, m' = 2m split chains of h draws: R^2 = (h-1)/h + B/W with
 *    B/W ~ chi2(m'-1) / ((m'-1) h), so R - 1 ~= (chi2/(m'-1) - 1) / (2h) - 1/(2h), whose
 *    standard deviation is sqrt(2/(m'-1)) / (2h). We allow 5 of those plus the 1/(2h) offset.
 *  - ESS of iid draws: ESS/N = 1/tau_hat with tau_hat from the same window formula (tau = 1).
 *  - Bulk-ESS of Gaussian AR(1) draws against the ESS of the same (split) draws: rank
 *    normalisation of Gaussian draws is nearly the identity map, so the two must agree within
 *    the relative standard deviation of either estimate (5 sd, as above).
 */
#include "diag.h"
#include "rng.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

/* m AR(1) chains of n draws, draws-major (x[t*m + j]). */
static void ar1(double *x, int64_t n, int64_t m, double rho, ebm_rng *r) {
    double s = sqrt(1 - rho * rho);
    for (int64_t j = 0; j < m; j++) {
        double v = ebm_rng_normal(r);
        for (int64_t t = 0; t < n; t++) {
            if (t > 0) v = rho * v + s * ebm_rng_normal(r);
            x[t * m + j] = v;
        }
    }
}

int main(void) {
    ebm_rng r;
    ebm_rng_init(&r, 20261202);

    /* probit against known quantiles of N(0,1) */
    is_dbl(ebm_diag_probit(0.5), 0.0, 1e-15, "probit(0.5) = 0");
    is_dbl(ebm_diag_probit(0.975), 1.959963984540054, 1e-12, "probit(0.975) = 1.959963984540054");
    is_dbl(ebm_diag_probit(0.001), -3.090232306167813, 1e-12, "probit(0.001) = -3.090232306167813");
    is_dbl(ebm_diag_probit(1e-10), -6.361340902404056, 1e-11, "probit(1e-10) = -6.361340902404056");
    ok(isnan(ebm_diag_probit(1.5)) && isinf(ebm_diag_probit(0.0)), "probit: NaN outside [0,1], -inf at 0");

    /* direct sums and FFT agree; the acf starts at 1 */
    {
        int64_t n = 1000, m = 5, L = 200;
        double *x = malloc(sizeof(double) * n * m), *a = malloc(sizeof(double) * (L + 1) * m),
               *b = malloc(sizeof(double) * (L + 1) * m);
        ar1(x, n, m, 0.7, &r);
        ebm_diag_autocov(x, n, m, L, EBM_ACF_DIRECT, a);
        ebm_diag_autocov(x, n, m, L, EBM_ACF_FFT, b);
        double worst = 0;
        for (int64_t q = 0; q < (L + 1) * m; q++) worst = fmax(worst, fabs(a[q] - b[q]));
        cmp_ok(worst, <, 1e-12, "autocovariance: FFT equals direct sums (max abs difference)");
        ebm_diag_acf(x, n, m, L, EBM_ACF_AUTO, a);
        ok(a[0] == 1.0 && a[m - 1] == 1.0, "acf is 1 at lag 0");
        is_int(ebm_diag_autocov(x, n, m, n, EBM_ACF_FFT, b), EBM_ERANGE, "maxlag >= n is refused");
        free(x), free(a), free(b);
    }

    /* AR(1): tau_int by Geyer (multi-chain ESS) and by Sokal's window */
    const double rhos[] = {0.0, 0.5, 0.9, -0.5};
    int64_t n = 50000, m = 16, N = n * m;
    double *x = malloc(sizeof(double) * N);
    for (int k = 0; k < 4; k++) {
        double rho = rhos[k], tau = (1 + rho) / (1 - rho);
        ar1(x, n, m, rho, &r);
        double tg;
        int64_t W;
        double ess = ebm_diag_ess(x, n, m, &tg, &W);
        double sd = sqrt(2.0 * (2 * W + 1) / (double)N) * fmax(tau, 1.0);
        double bias = rho > 0 ? 2 * pow(rho, (double)W + 1) / (1 - rho) : 0;
        char name[160];
        snprintf(name, sizeof name, "AR(1) rho=%.1f: Geyer tau %.4f vs %.4f +- %.4f (W=%lld)", rho, tg, tau,
                 5 * sd + bias, (long long)W);
        is_dbl(tg, tau, 5 * sd + bias, name);
        is_dbl(ess, (double)N / tg, 1e-6 * N, "ESS = N / tau");
        if (rho >= 0) {
            /* Sokal on the chain-averaged acf (c = 5) */
            int64_t L = 2000;
            double *acf = malloc(sizeof(double) * (L + 1) * m), *mean = calloc(L + 1, sizeof(double));
            ebm_diag_acf(x, n, m, L, EBM_ACF_AUTO, acf);
            for (int64_t l = 0; l <= L; l++) {
                for (int64_t j = 0; j < m; j++) mean[l] += acf[l * m + j];
                mean[l] /= (double)m;
            }
            int64_t Ws;
            double ts = ebm_diag_tau_sokal(mean, L, 5.0, &Ws);
            double sds = sqrt(2.0 * (2 * Ws + 1) / (double)N) * fmax(tau, 1.0);
            double bs = rho > 0 ? 2 * pow(rho, (double)Ws + 1) / (1 - rho) : 0;
            snprintf(name, sizeof name, "AR(1) rho=%.1f: Sokal tau %.4f vs %.4f +- %.4f (W=%lld)", rho, ts, tau,
                     5 * sds + bs, (long long)Ws);
            ok(Ws > 0, "Sokal window found");
            is_dbl(ts, tau, 5 * sds + bs, name);
            free(acf), free(mean);
        }
        /* the rank-normalised summary of a stationary Gaussian chain: bulk ESS ~ ESS */
        ebm_diag_summary s;
        ebm_diag_summarise(x, n, m, &s);
        snprintf(name, sizeof name, "AR(1) rho=%.1f: split tau %.4f, bulk-ESS %.0f, tail-ESS %.0f, R-hat %.5f", rho,
                 s.tau, s.ess_bulk, s.ess_tail, s.rhat);
        ok(fabs(s.tau - tau) <= 5 * sd + bias, "%s (tau within the same tolerance)", name);
        /* rank normalisation maps Gaussian draws almost onto themselves, so bulk-ESS and the
         * ESS of the raw split draws estimate the same thing on the same data: they must agree
         * within the relative sampling sd of either (a conservative bound for their difference) */
        snprintf(name, sizeof name, "AR(1) rho=%.1f: bulk-ESS %.0f vs split ESS %.0f within %.1f%%", rho, s.ess_bulk,
                 s.ess_mean, 100 * 5 * sd / tau);
        ok(fabs(s.ess_bulk / s.ess_mean - 1) <= 5 * sd / tau, "%s", name);
    }

    /* rank-based quantities do not change under a monotone map of the draws (exact) */
    {
        ebm_diag_summary s1, s2;
        ebm_diag_summarise(x, n, m, &s1);
        double *y = malloc(sizeof(double) * N);
        for (int64_t q = 0; q < N; q++) y[q] = exp(3 * x[q]) - 7;
        ebm_diag_summarise(y, n, m, &s2);
        ok(s1.ess_bulk == s2.ess_bulk && s1.rhat_bulk == s2.rhat_bulk && s1.ess_tail == s2.ess_tail,
           "bulk-ESS, bulk R-hat and tail-ESS are invariant under a monotone map");
        free(y);
    }

    /* iid: R-hat near 1 and ESS near N */
    {
        int64_t ni = 2000, mi = 16, h = ni / 2, m2 = 2 * mi;
        double *y = malloc(sizeof(double) * ni * mi);
        for (int rep = 0; rep < 3; rep++) {
            for (int64_t q = 0; q < ni * mi; q++) y[q] = rep == 2 ? ebm_rng_uniform(&r) : ebm_rng_normal(&r);
            if (rep == 1)
                for (int64_t q = 0; q < ni * mi; q++) y[q] = exp(2 * y[q]); /* heavy right tail */
            ebm_diag_summary s;
            ebm_diag_summarise(y, ni, mi, &s);
            double tol_r = 5 * sqrt(2.0 / (double)(m2 - 1)) / (2.0 * h) + 1.0 / (2.0 * h);
            char name[160];
            const char *what = rep == 0 ? "normal" : rep == 1 ? "lognormal" : "uniform";
            snprintf(name, sizeof name, "iid %s: R-hat bulk %.5f tail %.5f within 1 +- %.5f", what, s.rhat_bulk,
                     s.rhat_tail, tol_r);
            ok(fabs(s.rhat_bulk - 1) <= tol_r && fabs(s.rhat_tail - 1) <= tol_r, "%s", name);
            double tg;
            int64_t W;
            double ess = ebm_diag_ess(y, ni, mi, &tg, &W);
            double tol_e = 5 * sqrt(2.0 * (2 * W + 1) / (double)(ni * mi));
            snprintf(name, sizeof name, "iid %s: ESS/N %.4f within 1 +- %.4f (W=%lld); bulk %.4f", what,
                     ess / (ni * mi), tol_e, (long long)W, s.ess_bulk / (h * m2));
            ok(fabs(tg - 1) <= tol_e, "%s", name);
        }
        /* chains that never mix: half the chains centred at 0, half at 3 */
        for (int64_t t = 0; t < ni; t++)
            for (int64_t j = 0; j < mi; j++) y[t * mi + j] = ebm_rng_normal(&r) + (j < mi / 2 ? 0 : 3);
        ebm_diag_summary s;
        ebm_diag_summarise(y, ni, mi, &s);
        cmp_ok(s.rhat, >, 1.5, "two unmixed modes: R-hat far above 1.01");
        cmp_ok(ebm_diag_rhat_basic(y, ni, mi), >, 1.5, "two unmixed modes: classic R-hat far above 1.01");
        /* a constant trace */
        for (int64_t q = 0; q < ni * mi; q++) y[q] = 2.5;
        double tg;
        is_dbl(ebm_diag_ess(y, ni, mi, &tg, NULL), (double)(ni * mi), 0, "constant trace: ESS = N");
        ok(ebm_diag_rhat_basic(y, ni, mi) == 1.0, "constant trace: R-hat 1");
        y[7] = NAN;
        ok(isnan(ebm_diag_ess(y, ni, mi, NULL, NULL)), "NaN in a trace gives NaN ESS");
        free(y);
    }

    /* chain swaps */
    {
        uint8_t a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {11, 12, 13, 14, 15, 16}, sw[3] = {0, 1, 0};
        ebm_diag_swap_chains(a, b, 2, 3, sw);
        ok(a[1] == 12 && b[1] == 2 && a[4] == 15 && b[4] == 5 && a[0] == 1 && b[2] == 13, "swap_chains swaps columns");
    }
    free(x);
    return done_testing();
}
