/* rbm.c - RBM kernels against brute force on tiny models: log Z over all (x,h), free
 * energies, Gibbs samples vs the exact distribution (TV bound from the sample count),
 * thread invariance, gradients vs finite differences of the exact log-likelihood, PCD
 * statistics vs exact expectations, AIS vs exact log Z. */
#include "rbm.h"
#include "rng.h"
#include "tap.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static char nb_[256];
#define NAME(...) (snprintf(nb_, sizeof nb_, __VA_ARGS__), nb_)

typedef struct {
    ebm_rbm m;
    float *W, *b, *c;
} model;

static void model_init(model *mo, int nv, int K, int nl, int nh, double scale, uint64_t seed) {
    memset(mo, 0, sizeof *mo);
    mo->m.nv = nv, mo->m.K = K, mo->m.nl = nl, mo->m.nh = nh;
    ebm_rbm_setup(&mo->m);
    int D = mo->m.D;
    mo->W = calloc((size_t)nh * D, sizeof(float));
    mo->b = calloc(D, sizeof(float));
    mo->c = calloc(nh, sizeof(float));
    ebm_rng r;
    ebm_rng_init(&r, seed);
    for (int i = 0; i < nh * D; i++) mo->W[i] = (float)(scale * ebm_rng_normal(&r));
    for (int i = 0; i < D; i++) mo->b[i] = (float)(scale * ebm_rng_normal(&r));
    for (int i = 0; i < nh; i++) mo->c[i] = (float)(scale * ebm_rng_normal(&r));
    mo->m.W = mo->W, mo->m.b = mo->b, mo->m.c = mo->c;
}

static void model_free(model *mo) { free(mo->W), free(mo->b), free(mo->c); }

/* Number of visible configurations and the one-hot vector of configuration `idx`. */
static long nconfigs(const ebm_rbm *m) {
    long n = 1;
    for (int i = 0; i < m->nv; i++) n *= m->K;
    return m->nl ? n * m->nl : n;
}
static void config_x(const ebm_rbm *m, long idx, float *x) {
    memset(x, 0, sizeof(float) * m->D);
    int K1 = m->K - 1;
    for (int i = 0; i < m->nv; i++) {
        int v = (int)(idx % m->K);
        idx /= m->K;
        if (v > 0) x[i * K1 + v - 1] = 1.0f;
    }
    if (m->nl) x[m->nv * K1 + idx] = 1.0f;
}
/* Index of a one-hot vector (inverse of config_x). */
static long config_index(const ebm_rbm *m, const float *x) {
    int K1 = m->K - 1;
    long idx = 0, mul = 1;
    for (int i = 0; i < m->nv; i++) {
        int v = 0;
        for (int k = 0; k < K1; k++)
            if (x[i * K1 + k] > 0.5f) v = k + 1;
        idx += v * mul;
        mul *= m->K;
    }
    if (m->nl)
        for (int k = 0; k < m->nl; k++)
            if (x[m->nv * K1 + k] > 0.5f) idx += k * mul;
    return idx;
}
/* -E(x,h) for hidden configuration bits hb. */
static double negE(const ebm_rbm *m, const float *x, long hb) {
    double s = 0;
    for (int j = 0; j < m->D; j++) s += (double)m->b[j] * x[j];
    for (int h = 0; h < m->nh; h++)
        if (hb >> h & 1) {
            s += m->c[h];
            for (int j = 0; j < m->D; j++) s += (double)m->W[h * m->D + j] * x[j];
        }
    return s;
}
/* Brute force: log Z, log p(x) for every configuration, and model expectations of
 * <h x> [nh*D], <x> [D], <h> [nh]. */
static double brute(const ebm_rbm *m, double *logp, double *EhX, double *Ex, double *Eh) {
    long N = nconfigs(m);
    float *x = malloc(sizeof(float) * m->D);
    double mx = -INFINITY;
    double *ln = malloc(sizeof(double) * N);
    for (long i = 0; i < N; i++) {
        config_x(m, i, x);
        double a = -INFINITY, s = 0;
        for (long hb = 0; hb < (1L << m->nh); hb++) {
            double e = negE(m, x, hb);
            if (e > a) { s = s * exp(a - e) + 1; a = e; } else s += exp(e - a);
        }
        ln[i] = a + log(s);
        if (ln[i] > mx) mx = ln[i];
    }
    double z = 0;
    for (long i = 0; i < N; i++) z += exp(ln[i] - mx);
    double logZ = mx + log(z);
    if (EhX) {
        memset(EhX, 0, sizeof(double) * m->nh * m->D);
        memset(Ex, 0, sizeof(double) * m->D);
        memset(Eh, 0, sizeof(double) * m->nh);
    }
    for (long i = 0; i < N; i++) {
        if (logp) logp[i] = ln[i] - logZ;
        if (!EhX) continue;
        config_x(m, i, x);
        double p = exp(ln[i] - logZ);
        for (int j = 0; j < m->D; j++) Ex[j] += p * x[j];
        for (int h = 0; h < m->nh; h++) {
            double a = m->c[h];
            for (int j = 0; j < m->D; j++) a += (double)m->W[h * m->D + j] * x[j];
            double ph = 1 / (1 + exp(-a));
            Eh[h] += p * ph;
            for (int j = 0; j < m->D; j++) EhX[h * m->D + j] += p * ph * x[j];
        }
    }
    free(x), free(ln);
    return logZ;
}

/* Exact mean log-likelihood of n rows of data (through the kernels under test). */
static double exact_ll(const ebm_rbm *m, const float *data, int n) {
    double *F = malloc(sizeof(double) * n), s = 0;
    ebm_rbm_free_energy(m, data, n, F);
    for (int i = 0; i < n; i++) s -= F[i];
    free(F);
    return s / n - ebm_rbm_exact_logz(m);
}

/* Run `chains` Gibbs chains for `steps` steps from the base (uniform) distribution; fills x. */
static void gibbs(const ebm_rbm *m, float *x, int chains, int steps, uint64_t seed) {
    float *p = malloc(sizeof(float) * (size_t)chains * m->D);
    float *h = calloc((size_t)chains * m->nh, sizeof(float));
    ebm_rbm_visible_probs(m, h, chains, 0.0f, NULL, 0, p);
    ebm_rbm_sample_visible(m, p, x, chains, seed, 0, 0, 0);
    for (int t = 1; t <= steps; t++) {
        ebm_rbm_hidden_probs(m, x, chains, 1.0f, h);
        ebm_rbm_sample_hidden(h, h, chains, m->nh, seed, t, 0);
        ebm_rbm_visible_probs(m, h, chains, 1.0f, NULL, 0, p);
        ebm_rbm_sample_visible(m, p, x, chains, seed, t, 0, 0);
    }
    free(p), free(h);
}

static void check_model(int nv, int K, int nl, int nh, const char *name) {
    model mo;
    model_init(&mo, nv, K, nl, nh, 0.7, 11 + nv + K + nl + nh);
    ebm_rbm *m = &mo.m;
    long N = nconfigs(m);
    double *logp = malloc(sizeof(double) * N);
    double lz = brute(m, logp, NULL, NULL, NULL);
    is_dbl(ebm_rbm_exact_logz(m), lz, 1e-9 * fabs(lz) + 1e-9, NAME("%s: exact log Z (hidden enumeration) = brute force over (x,h)", name));

    /* Free energy of each configuration: -F(x) - log Z = log p(x). */
    float *X = malloc(sizeof(float) * N * m->D);
    for (long i = 0; i < N; i++) config_x(m, i, X + i * m->D);
    double *F = malloc(sizeof(double) * N), maxerr = 0;
    ebm_rbm_free_energy(m, X, (int)N, F);
    for (long i = 0; i < N; i++) {
        double e = fabs(-F[i] - lz - logp[i]);
        if (e > maxerr) maxerr = e;
    }
    cmp_ok(maxerr, <, 1e-5, NAME("%s: free energy matches brute force for all %ld configurations", name, N));

    /* Gibbs: chains independent, one sample each. E[TV] <= 0.5 sqrt(N/chains); allow 3x. */
    int chains = 50000, steps = 40;
    float *x = malloc(sizeof(float) * (size_t)chains * m->D);
    gibbs(m, x, chains, steps, 1234);
    double *hist = calloc(N, sizeof(double));
    for (int r = 0; r < chains; r++) hist[config_index(m, x + (size_t)r * m->D)] += 1.0 / chains;
    double tv = 0;
    for (long i = 0; i < N; i++) tv += 0.5 * fabs(hist[i] - exp(logp[i]));
    double bound = 3 * 0.5 * sqrt((double)N / chains);
    cmp_ok(tv, <, bound, NAME("%s: Gibbs samples TV distance to exact p(x) = %.4f < %.4f (seed 1234)", name, tv, bound));

    /* Same draws for one thread and two. */
    float *x1 = malloc(sizeof(float) * (size_t)2000 * m->D), *x2 = malloc(sizeof(float) * (size_t)2000 * m->D);
    ebm_rbm_par_min = 0; /* threaded loops even for this small problem */
    omp_set_num_threads(1);
    gibbs(m, x1, 2000, 5, 99);
    omp_set_num_threads(2);
    gibbs(m, x2, 2000, 5, 99);
    ebm_rbm_par_min = 1 << 19;
    ok(memcmp(x1, x2, sizeof(float) * 2000 * m->D) == 0, "%s: samples identical for 1 and 2 threads", name);

    free(logp), free(X), free(F), free(x), free(hist), free(x1), free(x2);
    model_free(&mo);
}

int main(void) {
    check_model(5, 2, 0, 4, "binary 5x4");
    check_model(3, 3, 0, 3, "3-level 3x3");
    check_model(3, 2, 3, 4, "binary+labels 3+3x4");

    /* Gradient: exact (brute force) statistics vs central finite differences of the exact
     * log-likelihood computed by the kernels (free energy + enumeration log Z). */
    {
        model mo;
        model_init(&mo, 4, 3, 2, 3, 0.5, 5);
        ebm_rbm *m = &mo.m;
        int n = 6, D = m->D, nh = m->nh;
        float *data = malloc(sizeof(float) * n * D);
        for (int i = 0; i < n; i++) config_x(m, (i * 37 + 5) % nconfigs(m), data + i * D);
        double *EhX = malloc(sizeof(double) * nh * D), *Ex = malloc(sizeof(double) * D), *Eh = malloc(sizeof(double) * nh);
        brute(m, NULL, EhX, Ex, Eh);
        /* Data term through the CD kernel with k = 0 and no negative chains: g = data - data = 0;
         * so use PCD with one negative chain equal to a zero vector and subtract its term. */
        float *gW = malloc(sizeof(float) * nh * D), *gb = malloc(sizeof(float) * D), *gc = malloc(sizeof(float) * nh);
        int chains = 20000;
        float *neg = malloc(sizeof(float) * (size_t)chains * D);
        gibbs(m, neg, chains, 30, 77);
        ebm_rbm_cd(m, data, n, 5, neg, chains, 77, 1, gW, gb, gc, NULL);
        /* exact gradient = data term - model term; data term by hand */
        double maxfd = 0, maxcd = 0;
        float eps = 1e-2f;
        for (int h = 0; h < nh; h++)
            for (int j = 0; j < D; j++) {
                double dat = 0;
                for (int i = 0; i < n; i++) {
                    double a = m->c[h];
                    for (int q = 0; q < D; q++) a += (double)m->W[h * D + q] * data[i * D + q];
                    dat += data[i * D + j] / (1 + exp(-a)) / n;
                }
                double g = dat - EhX[h * D + j];
                float w0 = m->W[h * D + j];
                m->W[h * D + j] = w0 + eps;
                double lp = exact_ll(m, data, n);
                m->W[h * D + j] = w0 - eps;
                double lm = exact_ll(m, data, n);
                m->W[h * D + j] = w0;
                double fd = (lp - lm) / (2 * eps);
                if (fabs(fd - g) > maxfd) maxfd = fabs(fd - g);
                if (fabs(gW[h * D + j] - g) > maxcd) maxcd = fabs(gW[h * D + j] - g);
            }
        cmp_ok(maxfd, <, 1e-3, NAME("exact dlogL/dW = finite differences of the exact log-likelihood (max err %.2g)", maxfd));
        double maxb = 0;
        for (int j = 0; j < D; j++) {
            double dat = 0;
            for (int i = 0; i < n; i++) dat += data[i * D + j] / n;
            float b0 = m->b[j];
            m->b[j] = b0 + eps;
            double lp = exact_ll(m, data, n);
            m->b[j] = b0 - eps;
            double lm = exact_ll(m, data, n);
            m->b[j] = b0;
            double e = fabs((lp - lm) / (2 * eps) - (dat - Ex[j]));
            if (e > maxb) maxb = e;
        }
        cmp_ok(maxb, <, 1e-3, NAME("exact dlogL/db = finite differences (max err %.2g)", maxb));
        /* PCD statistics with 20000 equilibrated chains: per-entry sd <= 0.5/sqrt(20000) = 0.0035. */
        cmp_ok(maxcd, <, 0.02, NAME("PCD-5 gradient with 20000 chains = exact gradient within 0.02 (max err %.3g)", maxcd));
        free(data), free(EhX), free(Ex), free(Eh), free(gW), free(gb), free(gc), free(neg);
        model_free(&mo);
    }

    /* AIS on a model with 12 hidden units and 30 binary pixels (+ labels): agrees with the
     * exact log Z within 3 standard errors of log mean w (delta method). */
    {
        model mo;
        model_init(&mo, 30, 2, 4, 12, 0.3, 3);
        ebm_rbm *m = &mo.m;
        double exact = ebm_rbm_exact_logz(m);
        int nb = 2001, runs = 200;
        double *betas = malloc(sizeof(double) * nb), *logw = malloc(sizeof(double) * runs);
        for (int k = 0; k < nb; k++) betas[k] = (double)k / (nb - 1);
        float *base = calloc(m->D, sizeof(float));
        for (int j = 0; j < m->D; j++) base[j] = m->b[j];
        double lza = ebm_rbm_ais(m, base, betas, nb, runs, 42, logw);
        double mx = -INFINITY, s = 0, s2 = 0;
        for (int r = 0; r < runs; r++) mx = logw[r] > mx ? logw[r] : mx;
        for (int r = 0; r < runs; r++) {
            double w = exp(logw[r] - mx);
            s += w, s2 += w * w;
        }
        double mean = s / runs, var = s2 / runs - mean * mean;
        double est = lza + mx + log(mean), se = sqrt(var / runs) / mean;
        diag("AIS log Z %.4f +- %.4f (1 se), exact %.4f", est, se, exact);
        cmp_ok(fabs(est - exact), <, 3 * se + 1e-3, NAME("AIS log Z within 3 standard errors of exact (seed 42)"));
        free(betas), free(logw), free(base);
        model_free(&mo);
    }
    done_testing();
}
