/* diag.c - MCMC diagnostics (see diag.h for the definitions and the trace layout). */
#include "diag.h"

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* EBM_ACF_AUTO: direct sums cost about n * (maxlag + 1) multiply-adds per chain, the FFT route
 * two transforms of length >= 2n. Measured with `OMP_NUM_THREADS=1 ./ebmlua
 * scripts/bench_diag.lua` (16 chains, n = 1e3, 1e4, 1e5, load 2.4): direct sums are faster up
 * to maxlag 8-16 (2-3x at 8), FFTW from 32 on (3x at 64, 20x at 512), whatever n. */
#define ACF_DIRECT_MAXLAG 16

/* The smallest N >= n whose only prime factors are 2, 3 and 5 (fast FFTW sizes). */
static int64_t fft_good_size(int64_t n) {
    if (n <= 2) return 2;
    for (;; n++) {
        int64_t k = n;
        while (k % 2 == 0) k /= 2;
        while (k % 3 == 0) k /= 3;
        while (k % 5 == 0) k /= 5;
        if (k == 1) return n;
    }
}

/* Copy chain j of x (draws-major) into buf[n], centred by its mean. */
static void chain_centred(const double *x, int64_t n, int64_t m, int64_t j, double *buf) {
    double s = 0;
    for (int64_t t = 0; t < n; t++) s += (buf[t] = x[t * m + j]);
    double mu = s / (double)n;
    for (int64_t t = 0; t < n; t++) buf[t] -= mu;
}

static int autocov_direct(const double *x, int64_t n, int64_t m, int64_t maxlag, double *out) {
    int err = 0;
#pragma omp parallel
    {
        double *d = malloc(sizeof(double) * (size_t)n);
        if (!d) {
#pragma omp atomic write
            err = 1;
        }
#pragma omp for schedule(dynamic)
        for (int64_t j = 0; j < m; j++) {
            if (!d) continue;
            chain_centred(x, n, m, j, d);
            for (int64_t l = 0; l <= maxlag; l++) {
                double s = 0;
                for (int64_t t = 0; t + l < n; t++) s += d[t] * d[t + l];
                out[l * m + j] = s / (double)n;
            }
        }
        free(d);
    }
    return err ? EBM_ENOMEM : EBM_OK;
}

static int autocov_fft(const double *x, int64_t n, int64_t m, int64_t maxlag, double *out) {
    int64_t N = fft_good_size(2 * n), H = N / 2 + 1;
    double *in0 = fftw_malloc(sizeof(double) * (size_t)N);
    fftw_complex *sp0 = fftw_malloc(sizeof(fftw_complex) * (size_t)H);
    if (!in0 || !sp0) {
        fftw_free(in0);
        fftw_free(sp0);
        return EBM_ENOMEM;
    }
    fftw_plan fwd, inv;
    /* FFTW's planner is not thread-safe: plan once here, execute on per-thread arrays of the
     * same size and alignment (fftw_malloc) through the new-array interface. */
#pragma omp critical(ebm_fftw_planner)
    {
        fwd = fftw_plan_dft_r2c_1d((int)N, in0, sp0, FFTW_ESTIMATE);
        inv = fftw_plan_dft_c2r_1d((int)N, sp0, in0, FFTW_ESTIMATE);
    }
    int err = 0;
#pragma omp parallel
    {
        double *in = fftw_malloc(sizeof(double) * (size_t)N);
        fftw_complex *sp = fftw_malloc(sizeof(fftw_complex) * (size_t)H);
        if (!in || !sp) {
#pragma omp atomic write
            err = 1;
        }
#pragma omp for schedule(dynamic)
        for (int64_t j = 0; j < m; j++) {
            if (!in || !sp) continue;
            chain_centred(x, n, m, j, in);
            memset(in + n, 0, sizeof(double) * (size_t)(N - n));
            fftw_execute_dft_r2c(fwd, in, sp);
            for (int64_t k = 0; k < H; k++) {
                sp[k][0] = sp[k][0] * sp[k][0] + sp[k][1] * sp[k][1];
                sp[k][1] = 0;
            }
            fftw_execute_dft_c2r(inv, sp, in); /* unnormalised: N times the lag sums */
            for (int64_t l = 0; l <= maxlag; l++) out[l * m + j] = in[l] / ((double)N * (double)n);
        }
        fftw_free(in);
        fftw_free(sp);
    }
#pragma omp critical(ebm_fftw_planner)
    {
        fftw_destroy_plan(fwd);
        fftw_destroy_plan(inv);
    }
    fftw_free(in0);
    fftw_free(sp0);
    return err ? EBM_ENOMEM : EBM_OK;
}

int ebm_diag_autocov(const double *x, int64_t n, int64_t m, int64_t maxlag, int method, double *out) {
    if (n < 1 || m < 1 || maxlag < 0 || maxlag >= n || n > INT32_MAX / 3) return EBM_ERANGE;
    if (method == EBM_ACF_AUTO) method = maxlag <= ACF_DIRECT_MAXLAG ? EBM_ACF_DIRECT : EBM_ACF_FFT;
    if (method == EBM_ACF_DIRECT) return autocov_direct(x, n, m, maxlag, out);
    if (method == EBM_ACF_FFT) return autocov_fft(x, n, m, maxlag, out);
    return EBM_ERANGE;
}

int ebm_diag_acf(const double *x, int64_t n, int64_t m, int64_t maxlag, int method, double *out) {
    int rc = ebm_diag_autocov(x, n, m, maxlag, method, out);
    if (rc != EBM_OK) return rc;
    for (int64_t j = 0; j < m; j++) {
        double v = out[j];
        for (int64_t l = 0; l <= maxlag; l++) {
            double *o = &out[l * m + j];
            *o = v > 0 ? *o / v : (l == 0 ? 1.0 : 0.0);
        }
    }
    return EBM_OK;
}

double ebm_diag_tau_sokal(const double *rho, int64_t maxlag, double c, int64_t *window) {
    double tau = 1.0;
    for (int64_t w = 1; w <= maxlag; w++) {
        tau += 2.0 * rho[w];
        if ((double)w >= c * tau) {
            if (window) *window = w;
            return tau;
        }
    }
    if (window) *window = -1;
    return tau;
}

static int all_finite(const double *x, int64_t k) {
    for (int64_t q = 0; q < k; q++)
        if (!isfinite(x[q])) return 0;
    return 1;
}

double ebm_diag_ess(const double *x, int64_t n, int64_t m, double *tau_out, int64_t *window) {
    if (tau_out) *tau_out = NAN;
    if (window) *window = -1;
    if (n < 4 || m < 1 || !all_finite(x, n * m)) return NAN;
    double S = (double)n * (double)m;
    int constant = 1;
    for (int64_t q = 1; q < n * m && constant; q++) constant = x[q] == x[0];
    if (constant) {
        if (tau_out) *tau_out = 1.0;
        if (window) *window = 0;
        return S;
    }
    double *acov = malloc(sizeof(double) * (size_t)(n * m));
    double *acm = malloc(sizeof(double) * (size_t)n); /* mean over chains of acov at each lag */
    double *rho = calloc((size_t)n + 1, sizeof(double));
    if (!acov || !acm || !rho || ebm_diag_autocov(x, n, m, n - 1, n <= 64 ? EBM_ACF_DIRECT : EBM_ACF_FFT, acov)) {
        free(acov);
        free(acm);
        free(rho);
        return NAN;
    }
    for (int64_t l = 0; l < n; l++) {
        double s = 0;
        for (int64_t j = 0; j < m; j++) s += acov[l * m + j];
        acm[l] = s / (double)m;
    }
    /* chain means' variance (1/(m-1)) */
    double between = 0;
    if (m > 1) {
        double mm = 0;
        double *mu = acov; /* reuse: acov is no longer needed beyond acm */
        for (int64_t j = 0; j < m; j++) {
            double s = 0;
            for (int64_t t = 0; t < n; t++) s += x[t * m + j];
            mu[j] = s / (double)n;
            mm += mu[j];
        }
        mm /= (double)m;
        for (int64_t j = 0; j < m; j++) between += (mu[j] - mm) * (mu[j] - mm);
        between /= (double)(m - 1);
    }
    double W = acm[0] * (double)n / (double)(n - 1);
    double var_plus = W * (double)(n - 1) / (double)n + between;
#define RHO(t) (1.0 - (W - acm[t]) / var_plus)
    /* Geyer's initial positive sequence over pairs (rho_{2k}, rho_{2k+1}) */
    int64_t t = 0;
    double even = 1.0, odd = RHO(1);
    rho[0] = even;
    rho[1] = odd;
    while (t < n - 5 && even + odd > 0) {
        t += 2;
        even = RHO(t);
        odd = RHO(t + 1);
        if (even + odd >= 0) {
            rho[t] = even;
            rho[t + 1] = odd;
        }
    }
#undef RHO
    int64_t T = t;
    if (even > 0) rho[T] = even;
    /* Geyer's initial monotone sequence: pair sums never increase */
    for (t = 2; t <= T - 2; t += 2) {
        double prev = rho[t - 2] + rho[t - 1];
        if (rho[t] + rho[t + 1] > prev) rho[t] = rho[t + 1] = prev / 2;
    }
    double tau = -1.0;
    for (t = 0; t < T; t++) tau += 2.0 * rho[t];
    tau += rho[T];
    double floor_tau = 1.0 / log10(S);
    if (!(tau > floor_tau)) tau = floor_tau;
    free(acov);
    free(acm);
    free(rho);
    if (tau_out) *tau_out = tau;
    if (window) *window = T;
    return S / tau;
}

double ebm_diag_rhat_basic(const double *x, int64_t n, int64_t m) {
    if (n < 2 || m < 2 || !all_finite(x, n * m)) return NAN;
    double mm = 0, W = 0, B = 0;
    double *mu = malloc(sizeof(double) * (size_t)m);
    if (!mu) return NAN;
    for (int64_t j = 0; j < m; j++) {
        double s = 0;
        for (int64_t t = 0; t < n; t++) s += x[t * m + j];
        mu[j] = s / (double)n;
        mm += mu[j];
        double v = 0;
        for (int64_t t = 0; t < n; t++) v += (x[t * m + j] - mu[j]) * (x[t * m + j] - mu[j]);
        W += v / (double)(n - 1);
    }
    mm /= (double)m;
    W /= (double)m;
    for (int64_t j = 0; j < m; j++) B += (mu[j] - mm) * (mu[j] - mm);
    B /= (double)(m - 1); /* = B/n in Gelman's notation */
    free(mu);
    if (W <= 0) return B > 0 ? INFINITY : 1.0;
    return sqrt(((double)(n - 1) / (double)n * W + B) / W);
}

double ebm_diag_probit(double p) {
    static const double a[6] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                                1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[5] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                6.680131188771972e+01, -1.328068155288572e+01};
    static const double c[6] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[4] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                3.754408661907416e+00};
    if (!(p >= 0 && p <= 1)) return NAN;
    if (p == 0) return -INFINITY;
    if (p == 1) return INFINITY;
    const double plow = 0.02425;
    double q, r, z;
    if (p < plow) {
        q = sqrt(-2 * log(p));
        z = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else if (p <= 1 - plow) {
        q = p - 0.5;
        r = q * q;
        z = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    } else {
        q = sqrt(-2 * log(1 - p));
        z = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    /* one Halley step on Phi(z) - p */
    double e = 0.5 * erfc(-z / sqrt(2.0)) - p;
    double u = e * sqrt(2 * M_PI) * exp(z * z / 2);
    return z - u / (1 + z * u / 2);
}

typedef struct {
    double v;
    int64_t i;
} vi_pair;

static int vi_cmp(const void *pa, const void *pb) {
    const vi_pair *a = pa, *b = pb;
    return a->v < b->v ? -1 : a->v > b->v ? 1 : (a->i > b->i) - (a->i < b->i);
}

/* Split m chains of n draws into 2m chains of h = n/2 draws (the middle draw dropped when n
 * is odd), applying f to each value: y[t*2m + j] (j < m first halves, j >= m second). */
static void split(const double *x, int64_t n, int64_t m, double *y) {
    int64_t h = n / 2, off = n - h;
    for (int64_t t = 0; t < h; t++)
        for (int64_t j = 0; j < m; j++) {
            y[t * 2 * m + j] = x[t * m + j];
            y[t * 2 * m + m + j] = x[(off + t) * m + j];
        }
}

/* Replace y[0..S-1] by its rank-normalised values (average ranks for ties, Blom's offset). */
static void rank_normalise(double *y, int64_t S, vi_pair *pv) {
    for (int64_t q = 0; q < S; q++) pv[q].v = y[q], pv[q].i = q;
    qsort(pv, (size_t)S, sizeof *pv, vi_cmp);
    for (int64_t a = 0; a < S;) {
        int64_t b = a;
        while (b + 1 < S && pv[b + 1].v == pv[a].v) b++;
        double r = 0.5 * (double)(a + b) + 1.0; /* average 1-based rank of the tie group */
        double z = ebm_diag_probit((r - 0.375) / ((double)S + 0.25));
        for (int64_t q = a; q <= b; q++) y[pv[q].i] = z;
        a = b + 1;
    }
}

/* Type-7 quantile of sorted s[0..S-1]. */
static double quantile7(const double *s, int64_t S, double p) {
    double h = (double)(S - 1) * p;
    int64_t lo = (int64_t)floor(h);
    if (lo >= S - 1) return s[S - 1];
    return s[lo] + (h - (double)lo) * (s[lo + 1] - s[lo]);
}

int ebm_diag_summarise(const double *x, int64_t n, int64_t m, ebm_diag_summary *out) {
    if (n < 4 || m < 1) return EBM_ERANGE;
    int64_t h = n / 2, m2 = 2 * m, S = h * m2, N = n * m;
    double *y = malloc(sizeof(double) * (size_t)S);
    double *z = malloc(sizeof(double) * (size_t)S);
    double *srt = malloc(sizeof(double) * (size_t)N);
    vi_pair *pv = malloc(sizeof(vi_pair) * (size_t)(S > N ? S : N));
    if (!y || !z || !srt || !pv) {
        free(y);
        free(z);
        free(srt);
        free(pv);
        return EBM_ENOMEM;
    }
    if (!all_finite(x, N)) {
        out->rhat = out->rhat_bulk = out->rhat_tail = out->ess_bulk = out->ess_tail = out->ess_mean = out->tau = NAN;
        goto done;
    }
    memcpy(srt, x, sizeof(double) * (size_t)N);
    for (int64_t q = 0; q < N; q++) pv[q].v = srt[q], pv[q].i = q;
    qsort(pv, (size_t)N, sizeof *pv, vi_cmp);
    for (int64_t q = 0; q < N; q++) srt[q] = pv[q].v;
    double med = quantile7(srt, N, 0.5), q05 = quantile7(srt, N, 0.05), q95 = quantile7(srt, N, 0.95);

    split(x, n, m, y);
    out->ess_mean = ebm_diag_ess(y, h, m2, NULL, NULL);
    out->tau = (double)S / out->ess_mean;
    memcpy(z, y, sizeof(double) * (size_t)S);
    rank_normalise(z, S, pv);
    out->rhat_bulk = ebm_diag_rhat_basic(z, h, m2);
    out->ess_bulk = ebm_diag_ess(z, h, m2, NULL, NULL);
    for (int64_t q = 0; q < S; q++) z[q] = fabs(y[q] - med);
    rank_normalise(z, S, pv);
    out->rhat_tail = ebm_diag_rhat_basic(z, h, m2);
    out->rhat = out->rhat_bulk > out->rhat_tail ? out->rhat_bulk : out->rhat_tail;
    for (int64_t q = 0; q < S; q++) z[q] = y[q] <= q05;
    double e05 = ebm_diag_ess(z, h, m2, NULL, NULL);
    for (int64_t q = 0; q < S; q++) z[q] = y[q] <= q95;
    double e95 = ebm_diag_ess(z, h, m2, NULL, NULL);
    out->ess_tail = e05 < e95 ? e05 : e95;
done:
    free(y);
    free(z);
    free(srt);
    free(pv);
    return EBM_OK;
}

void ebm_diag_swap_chains(uint8_t *a, uint8_t *b, int64_t nodes, int64_t C, const uint8_t *swap) {
    for (int64_t i = 0; i < nodes; i++) {
        uint8_t *pa = a + i * C, *pb = b + i * C;
        for (int64_t c = 0; c < C; c++) {
            uint8_t s = (uint8_t)-(swap[c] != 0), va = pa[c], vb = pb[c];
            pa[c] = (uint8_t)((va & ~s) | (vb & s));
            pb[c] = (uint8_t)((vb & ~s) | (va & s));
        }
    }
}
