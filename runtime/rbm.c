/* rbm.c - dense RBM kernels (see rbm.h for the encoding, the energy and the RNG layout). */
#include "rbm.h"

#include "blas.h"
#include <math.h>
#include <string.h>

#include "rng.h"
#include "tensor.h"

/* Elementwise loops go parallel (OpenMP) only above this many elements: below it the
 * fork/join costs more than it saves, and on a loaded machine a spinning team stalls the
 * BLAS threads. A training batch (100 x 784) stays serial; sampling thousands of chains
 * splits across threads. */
long ebm_rbm_par_min = 1 << 19;
#define EBM_RBM_PAR_MIN ebm_rbm_par_min

int ebm_rbm_setup(ebm_rbm *m) {
    if (m->nv < 1 || m->K < 2 || m->K > 256 || m->nl < 0 || m->nh < 1) return EBM_ESHAPE;
    int64_t D = (int64_t)m->nv * (m->K - 1) + m->nl;
    if (D > (1 << 30)) return EBM_ESHAPE;
    m->D = (int)D;
    return EBM_OK;
}

/* Number of categorical groups (pixels, plus one for the labels). */
static int ngroups(const ebm_rbm *m) { return m->nv + (m->nl > 0); }

static inline double softplus_d(double a) { return a > 0 ? a + log1p(exp(-a)) : log1p(exp(a)); }
static inline float softplus_f(float a) { return a > 0 ? a + log1pf(expf(-a)) : log1pf(expf(a)); }
static inline float sigmoid_f(float a) { return 1.0f / (1.0f + expf(-a)); }

void ebm_rbm_hidden_act(const ebm_rbm *m, const float *x, int B, float *act) {
    int nh = m->nh, D = m->D;
    for (int r = 0; r < B; r++) memcpy(act + (size_t)r * nh, m->c, sizeof(float) * nh);
    ebm_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, nh, D, 1.0f, x, D, m->W, D, 1.0f, act, nh);
}

void ebm_rbm_hidden_probs(const ebm_rbm *m, const float *x, int B, float beta, float *p) {
    ebm_rbm_hidden_act(m, x, B, p);
    int64_t n = (int64_t)B * m->nh;
#pragma omp parallel for schedule(static) if (n > EBM_RBM_PAR_MIN)
    for (int64_t i = 0; i < n; i++) p[i] = sigmoid_f(beta * p[i]);
}

/* In place: turn the activations of one row into group probabilities. */
static void groups_softmax_row(const ebm_rbm *m, float *a, int clamp_labels) {
    int K1 = m->K - 1;
    if (K1 == 1) {
        for (int i = 0; i < m->nv; i++) a[i] = sigmoid_f(a[i]);
    } else {
        for (int i = 0; i < m->nv; i++) {
            float *g = a + (size_t)i * K1, mx = 0.0f, s;
            for (int k = 0; k < K1; k++) mx = g[k] > mx ? g[k] : mx;
            s = expf(-mx);
            for (int k = 0; k < K1; k++) s += (g[k] = expf(g[k] - mx));
            float inv = 1.0f / s;
            for (int k = 0; k < K1; k++) g[k] *= inv;
        }
    }
    if (m->nl > 0 && !clamp_labels) {
        float *g = a + (size_t)m->nv * K1, mx = g[0], s = 0.0f;
        for (int k = 1; k < m->nl; k++) mx = g[k] > mx ? g[k] : mx;
        for (int k = 0; k < m->nl; k++) s += (g[k] = expf(g[k] - mx));
        for (int k = 0; k < m->nl; k++) g[k] /= s;
    }
}

void ebm_rbm_visible_probs(const ebm_rbm *m, const float *h, int B, float beta, const float *base,
                           int clamp_labels, float *p) {
    int nh = m->nh, D = m->D;
    for (int r = 0; r < B; r++) {
        float *row = p + (size_t)r * D;
        for (int j = 0; j < D; j++) row[j] = beta * m->b[j] + (base ? (1.0f - beta) * base[j] : 0.0f);
    }
    if (beta != 0.0f)
        ebm_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, D, nh, beta, h, nh, m->W, D, 1.0f, p, D);
#pragma omp parallel for schedule(static) if ((int64_t)B * D > EBM_RBM_PAR_MIN)
    for (int r = 0; r < B; r++) groups_softmax_row(m, p + (size_t)r * D, clamp_labels);
}

void ebm_rbm_sample_hidden(const float *p, float *out, int B, int n, uint64_t seed, uint64_t step,
                           int64_t chain0) {
    int64_t blocks = (n + 3) / 4;
#pragma omp parallel for schedule(static) if ((int64_t)B * n > EBM_RBM_PAR_MIN)
    for (int r = 0; r < B; r++) {
        const float *pr = p + (size_t)r * n;
        float *o = out + (size_t)r * n;
        uint64_t pos0 = (uint64_t)(chain0 + r) * (uint64_t)blocks;
        for (int j = 0; j < n; j += 4) {
            ebm_philox_ctr w = ebm_rng_block(seed, step * 4 + 0, pos0 + (uint64_t)(j / 4));
            int e = n - j < 4 ? n - j : 4;
            for (int q = 0; q < e; q++) o[j + q] = ebm_u01f(w.v[q]) < pr[j + q] ? 1.0f : 0.0f;
        }
    }
}

void ebm_rbm_sample_visible(const ebm_rbm *m, const float *p, float *x, int B, uint64_t seed,
                            uint64_t step, int64_t chain0, int clamp_labels) {
    int D = m->D, K1 = m->K - 1, G = ngroups(m);
    int64_t blocks = (G + 3) / 4;
#pragma omp parallel for schedule(static) if ((int64_t)B * D > EBM_RBM_PAR_MIN)
    for (int r = 0; r < B; r++) {
        const float *pr = p + (size_t)r * D;
        float *xr = x + (size_t)r * D;
        uint64_t pos0 = (uint64_t)(chain0 + r) * (uint64_t)blocks;
        ebm_philox_ctr w = {{0, 0, 0, 0}};
        for (int g = 0; g < G; g++) {
            if ((g & 3) == 0) w = ebm_rng_block(seed, step * 4 + 1, pos0 + (uint64_t)(g / 4));
            float u = ebm_u01f(w.v[g & 3]);
            if (g < m->nv) {
                const float *pg = pr + (size_t)g * K1;
                float *xg = xr + (size_t)g * K1;
                if (K1 == 1) { xg[0] = u < pg[0] ? 1.0f : 0.0f; continue; }
                float cum = 0.0f;
                int pick = -1;
                for (int k = 0; k < K1; k++) {
                    cum += pg[k];
                    xg[k] = 0.0f;
                    if (pick < 0 && u < cum) pick = k;
                }
                if (pick >= 0) xg[pick] = 1.0f;
            } else if (!clamp_labels) {
                const float *pg = pr + (size_t)m->nv * K1;
                float *xg = xr + (size_t)m->nv * K1;
                float cum = 0.0f;
                int pick = m->nl - 1; /* rounding: the last label takes the remainder */
                for (int k = 0; k < m->nl; k++) {
                    cum += pg[k];
                    xg[k] = 0.0f;
                    if (pick == m->nl - 1 && k < m->nl - 1 && u < cum) pick = k;
                }
                xg[pick] = 1.0f;
            }
        }
    }
}

void ebm_rbm_free_energy(const ebm_rbm *m, const float *x, int B, double *F) {
    int nh = m->nh, D = m->D;
    float *act = EBM_MALLOC(sizeof(float) * (size_t)B * nh);
    if (!act) { for (int r = 0; r < B; r++) F[r] = NAN; return; }
    ebm_rbm_hidden_act(m, x, B, act);
#pragma omp parallel for schedule(static) if ((int64_t)B * nh > EBM_RBM_PAR_MIN)
    for (int r = 0; r < B; r++) {
        const float *xr = x + (size_t)r * D, *ar = act + (size_t)r * nh;
        double f = 0.0;
        for (int j = 0; j < D; j++) f -= (double)m->b[j] * xr[j];
        for (int j = 0; j < nh; j++) f -= softplus_d(ar[j]);
        F[r] = f;
    }
    EBM_FREE(act);
}

/* Column means of a [B,n] matrix, times `scale`, added into out[n] (out += scale*mean). */
static void colmean_add(const float *a, int B, int n, float scale, float *out) {
    double s = scale / (double)B;
    for (int j = 0; j < n; j++) {
        double acc = 0.0;
        for (int r = 0; r < B; r++) acc += a[(size_t)r * n + j];
        out[j] += (float)(acc * s);
    }
}

double ebm_rbm_cd(const ebm_rbm *m, const float *x0, int B, int k, float *neg, int Bn,
                  uint64_t seed, uint64_t step, float *gW, float *gb, float *gc, float *hdata) {
    int nh = m->nh, D = m->D;
    if (!neg) Bn = B;
    int Bm = B > Bn ? B : Bn;
    float *hp = EBM_MALLOC(sizeof(float) * (size_t)Bm * nh);
    float *hs = EBM_MALLOC(sizeof(float) * (size_t)Bn * nh);
    float *vp = EBM_MALLOC(sizeof(float) * (size_t)Bn * D);
    float *xs = neg ? neg : EBM_MALLOC(sizeof(float) * (size_t)B * D);
    if (!hp || !hs || !vp || !xs) {
        EBM_FREE(hp), EBM_FREE(hs), EBM_FREE(vp);
        if (!neg) EBM_FREE(xs);
        return -EBM_ENOMEM;
    }
    /* Data term. */
    ebm_rbm_hidden_probs(m, x0, B, 1.0f, hp);
    ebm_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nh, D, B, 1.0f / B, hp, nh, x0, D, 0.0f, gW, D);
    memset(gb, 0, sizeof(float) * D);
    memset(gc, 0, sizeof(float) * nh);
    colmean_add(x0, B, D, 1.0f, gb);
    colmean_add(hp, B, nh, 1.0f, gc);
    if (hdata) memcpy(hdata, gc, sizeof(float) * nh);
    /* Negative chains. */
    if (neg) ebm_rbm_hidden_probs(m, xs, Bn, 1.0f, hp);
    double recon = 0.0;
    for (int t = 0; t < k; t++) {
        uint64_t s = step * (uint64_t)k + (uint64_t)t;
        ebm_rbm_sample_hidden(hp, hs, Bn, nh, seed, s, 0);
        ebm_rbm_visible_probs(m, hs, Bn, 1.0f, NULL, 0, vp);
        if (t == 0 && !neg) {
            double e = 0.0;
            for (int64_t i = 0; i < (int64_t)B * D; i++) {
                double d = x0[i] - vp[i];
                e += d * d;
            }
            recon = e / ((double)B * D);
        }
        ebm_rbm_sample_visible(m, vp, xs, Bn, seed, s, 0, 0);
        ebm_rbm_hidden_probs(m, xs, Bn, 1.0f, hp);
    }
    if (k == 0 && !neg) memcpy(xs, x0, sizeof(float) * (size_t)B * D);
    ebm_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nh, D, Bn, -1.0f / Bn, hp, nh, xs, D, 1.0f, gW, D);
    colmean_add(xs, Bn, D, -1.0f, gb);
    colmean_add(hp, Bn, nh, -1.0f, gc);
    EBM_FREE(hp), EBM_FREE(hs), EBM_FREE(vp);
    if (!neg) EBM_FREE(xs);
    return recon;
}

/* e^x for x <= 0 (clamped at -87, where it is ~1e-38): round-to-nearest range reduction and
 * a degree-6 Taylor polynomial on |f ln 2| <= 0.35, relative error < 3e-7. No libm call, so
 * the loops below vectorise. */
static inline float exp_nonpos(float x) {
    x = x < -87.0f ? -87.0f : x;
    float t = x * 1.44269504f, n = floorf(t + 0.5f), y = (t - n) * 0.693147181f;
    float p = 1.0f + y * (1.0f + y * (0.5f + y * (1.0f / 6 + y * (1.0f / 24 + y * (1.0f / 120 + y * (1.0f / 720))))));
    int32_t bits = ((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

/* For o_j = a[j] + w[j], j < n: returns sum_j softplus(o_j) and sets s[j] = sigmoid(o_j).
 * softplus(o) = max(o, 0) + log(1 + e), e = exp(-|o|); the logs are taken of products of
 * 32 factors (each in (1, 2]) to save a log per unit. */
static double softplus_sum_sigmoid(const float *a, const float *w, int n, float *s) {
    double tot = 0.0;
    for (int j0 = 0; j0 < n; j0 += 32) {
        int j1 = j0 + 32 < n ? j0 + 32 : n;
        float lin = 0.0f, prod = 1.0f;
#pragma omp simd reduction(+ : lin) reduction(* : prod)
        for (int j = j0; j < j1; j++) {
            float o = a[j] + w[j], e = exp_nonpos(-fabsf(o)), q = 1.0f + e;
            lin += o > 0.0f ? o : 0.0f;
            prod *= q;
            s[j] = (o >= 0.0f ? 1.0f : e) / q;
        }
        tot += (double)lin + (double)logf(prod);
    }
    return tot;
}

double ebm_rbm_disc_grad(const ebm_rbm *m, const float *x, int B, float alpha, float *gW, float *gb,
                         float *gc) {
    int nh = m->nh, D = m->D, nl = m->nl, off = m->D - m->nl;
    if (nl < 2 || B < 1) return NAN;
    float *act = EBM_MALLOC(sizeof(float) * (size_t)B * nh);
    float *G = EBM_MALLOC(sizeof(float) * (size_t)B * nh);
    float *S = EBM_MALLOC(sizeof(float) * (size_t)B * nl * nh);
    float *WL = EBM_MALLOC(sizeof(float) * (size_t)nl * nh); /* label weights, [nl, nh] */
    double *coef = EBM_MALLOC(sizeof(double) * (size_t)B * nl);
    if (!act || !G || !S || !WL || !coef) {
        EBM_FREE(act), EBM_FREE(G), EBM_FREE(S), EBM_FREE(WL), EBM_FREE(coef);
        return -EBM_ENOMEM;
    }
    for (int j = 0; j < nh; j++)
        for (int y = 0; y < nl; y++) WL[(size_t)y * nh + j] = m->W[(size_t)j * D + off + y];
    ebm_rbm_hidden_act(m, x, B, act);
    double ll = 0.0;
    int bad = 0;
#pragma omp parallel for schedule(static) reduction(+ : ll, bad) if ((int64_t)B * nl * nh > EBM_RBM_PAR_MIN)
    for (int r = 0; r < B; r++) {
        const float *xr = x + (size_t)r * D;
        float *ar = act + (size_t)r * nh, *gr = G + (size_t)r * nh;
        double *cr = coef + (size_t)r * nl;
        int yt = -1, ones = 0;
        for (int y = 0; y < nl; y++)
            if (xr[off + y] != 0.0f) yt = y, ones++;
        if (ones != 1 || xr[yt + off] != 1.0f) {
            bad++;
            continue;
        }
        /* pixel part of the activation: remove the true label's column */
        const float *wt = WL + (size_t)yt * nh;
        for (int j = 0; j < nh; j++) ar[j] -= wt[j];
        double mx = -INFINITY;
        for (int y = 0; y < nl; y++) {
            cr[y] = m->b[off + y] + softplus_sum_sigmoid(ar, WL + (size_t)y * nh, nh, S + ((size_t)r * nl + y) * nh);
            if (cr[y] > mx) mx = cr[y];
        }
        double z = 0.0;
        for (int y = 0; y < nl; y++) z += exp(cr[y] - mx);
        double lse = mx + log(z);
        ll += cr[yt] - lse;
        for (int y = 0; y < nl; y++) cr[y] = (y == yt) - exp(cr[y] - lse);
        /* G[r,j] = sum_y coef_y sigmoid(o_yj); S becomes coef_y sigmoid(o_yj) */
        memset(gr, 0, sizeof(float) * nh);
        for (int y = 0; y < nl; y++) {
            float *sy = S + ((size_t)r * nl + y) * nh, cy = (float)cr[y];
            for (int j = 0; j < nh; j++) {
                sy[j] *= cy;
                gr[j] += sy[j];
            }
        }
    }
    if (bad) {
        EBM_FREE(act), EBM_FREE(G), EBM_FREE(S), EBM_FREE(WL), EBM_FREE(coef);
        return NAN;
    }
    float s = alpha / (float)B;
    colmean_add(G, B, nh, alpha, gc);
    for (int y = 0; y < nl; y++) {
        double acc = 0.0;
        for (int r = 0; r < B; r++) acc += coef[(size_t)r * nl + y];
        gb[off + y] += (float)(acc * s);
    }
    /* label columns: sum over rows of S[r, y, :], accumulated in WL (reused) */
    memset(WL, 0, sizeof(float) * (size_t)nl * nh);
    for (int r = 0; r < B; r++)
        for (int i = 0; i < nl * nh; i++) WL[i] += S[(size_t)r * nl * nh + i];
    for (int j = 0; j < nh; j++)
        for (int y = 0; y < nl; y++) gW[(size_t)j * D + off + y] += WL[(size_t)y * nh + j] * s;
    if (off > 0)
        ebm_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nh, off, B, s, G, nh, x, D, 1.0f, gW, D);
    EBM_FREE(act), EBM_FREE(G), EBM_FREE(S), EBM_FREE(WL), EBM_FREE(coef);
    return ll / B;
}

void ebm_rbm_center_grad(const ebm_rbm *m, const float *mu, const float *lam, float *gW, float *gb, float *gc) {
    int nh = m->nh, D = m->D;
#pragma omp parallel for schedule(static) if ((int64_t)nh * D > EBM_RBM_PAR_MIN)
    for (int j = 0; j < nh; j++) {
        float *row = gW + (size_t)j * D, lj = lam[j], cj = gc[j];
        for (int i = 0; i < D; i++) row[i] -= lj * gb[i] + cj * mu[i];
    }
    cblas_sgemv(CblasRowMajor, CblasTrans, nh, D, -1.0f, gW, D, lam, 1, 1.0f, gb, 1);
    cblas_sgemv(CblasRowMajor, CblasNoTrans, nh, D, -1.0f, gW, D, mu, 1, 1.0f, gc, 1);
}

/* Sum over groups of the log of each group's partition sum, for activations a[D] (f64). */
static double groups_logsum(const ebm_rbm *m, const double *a) {
    int K1 = m->K - 1;
    double s = 0.0;
    if (K1 == 1) {
        for (int i = 0; i < m->nv; i++) s += softplus_d(a[i]);
    } else {
        for (int i = 0; i < m->nv; i++) {
            const double *g = a + (size_t)i * K1;
            double mx = 0.0, z;
            for (int k = 0; k < K1; k++) mx = g[k] > mx ? g[k] : mx;
            z = exp(-mx);
            for (int k = 0; k < K1; k++) z += exp(g[k] - mx);
            s += mx + log(z);
        }
    }
    if (m->nl > 0) {
        const double *g = a + (size_t)m->nv * K1;
        double mx = g[0], z = 0.0;
        for (int k = 1; k < m->nl; k++) mx = g[k] > mx ? g[k] : mx;
        for (int k = 0; k < m->nl; k++) z += exp(g[k] - mx);
        s += mx + log(z);
    }
    return s;
}

/* Online log-sum-exp accumulator. */
typedef struct { double mx, s; } lse_acc;
static inline void lse_add(lse_acc *a, double v) {
    if (v <= a->mx) a->s += exp(v - a->mx);
    else { a->s = a->s * exp(a->mx - v) + 1.0; a->mx = v; }
}

double ebm_rbm_exact_logz(const ebm_rbm *m) {
    int nh = m->nh, D = m->D;
    if (nh > 30) return NAN;
    int top = nh < 6 ? nh : 6;                  /* chunks over the top bits, for threads */
    int low = nh - top;
    int64_t nchunk = (int64_t)1 << top, nlow = (int64_t)1 << low;
    double *cmx = EBM_MALLOC(sizeof(double) * nchunk), *cs = EBM_MALLOC(sizeof(double) * nchunk);
    if (!cmx || !cs) { EBM_FREE(cmx), EBM_FREE(cs); return NAN; }
    int fail = 0;
#pragma omp parallel for schedule(dynamic) reduction(| : fail)
    for (int64_t ch = 0; ch < nchunk; ch++) {
        double *a = EBM_MALLOC(sizeof(double) * D);
        if (!a) { fail = 1; cmx[ch] = -INFINITY; cs[ch] = 0; continue; }
        /* h = (ch << low) | gray(i): start from the chunk's top bits, low bits zero. */
        double ch_dot = 0.0;
        for (int j = 0; j < D; j++) a[j] = m->b[j];
        for (int t = 0; t < top; t++)
            if (ch >> t & 1) {
                int jh = low + t;
                ch_dot += m->c[jh];
                const float *w = m->W + (size_t)jh * D;
                for (int j = 0; j < D; j++) a[j] += w[j];
            }
        lse_acc acc = {-INFINITY, 0.0};
        double cdot = ch_dot;
        uint64_t gray = 0;
        for (int64_t i = 0; i < nlow; i++) {
            if (i > 0) {
                int bit = __builtin_ctzll((unsigned long long)i);
                gray ^= (uint64_t)1 << bit;
                double sgn = (gray >> bit & 1) ? 1.0 : -1.0;
                cdot += sgn * m->c[bit];
                const float *w = m->W + (size_t)bit * D;
                for (int j = 0; j < D; j++) a[j] += sgn * w[j];
            }
            lse_add(&acc, cdot + groups_logsum(m, a));
        }
        cmx[ch] = acc.mx;
        cs[ch] = acc.s;
        EBM_FREE(a);
    }
    double r = NAN;
    if (!fail) {
        lse_acc tot = {-INFINITY, 0.0};
        for (int64_t ch = 0; ch < nchunk; ch++) {
            if (cs[ch] <= 0) continue;
            double v = cmx[ch] + log(cs[ch]);
            lse_add(&tot, v);
        }
        r = tot.mx + log(tot.s);
    }
    EBM_FREE(cmx), EBM_FREE(cs);
    return r;
}

double ebm_rbm_base_logz(const ebm_rbm *m, const float *base) {
    double *a = EBM_MALLOC(sizeof(double) * m->D);
    if (!a) return NAN;
    for (int j = 0; j < m->D; j++) a[j] = base[j];
    double r = groups_logsum(m, a);
    EBM_FREE(a);
    return r;
}

/* AIS weight increment between betas b0 and b1 at states x [runs, D] (act = x W + c, filled
 * here): logw[r] += sign * (log p*_b1(x_r) - log p*_b0(x_r)), with
 * log p*_beta(x) = (1-beta) base.x + beta b.x + sum_j softplus(beta act_j). */
static void ais_increment(const ebm_rbm *m, const float *base, const float *x, float *act, int runs,
                          double b1, double b0, double sign, double *logw) {
    int nh = m->nh, D = m->D;
    ebm_rbm_hidden_act(m, x, runs, act);
#pragma omp parallel for schedule(static) if ((int64_t)runs * nh > EBM_RBM_PAR_MIN / 8)
    for (int r = 0; r < runs; r++) {
        const float *xr = x + (size_t)r * D, *ar = act + (size_t)r * nh;
        double ax = 0.0, bx = 0.0, s1 = 0.0, s0 = 0.0;
        for (int j = 0; j < D; j++) {
            ax += (double)base[j] * xr[j];
            bx += (double)m->b[j] * xr[j];
        }
        for (int j = 0; j < nh; j++) {
            s1 += softplus_f((float)b1 * ar[j]);
            s0 += softplus_f((float)b0 * ar[j]);
        }
        logw[r] += sign * ((b1 - b0) * (bx - ax) + (s1 - s0));
    }
}

/* One block-Gibbs transition leaving p_beta invariant: h ~ p_beta(h|x), x ~ p_beta(x|h).
 * act holds x W + c on entry (from ais_increment); step selects the random stream. */
static void ais_transition(const ebm_rbm *m, const float *base, float *x, float *act, float *h, float *p,
                           int runs, double beta, uint64_t seed, uint64_t step) {
    int64_t n = (int64_t)runs * m->nh;
    for (int64_t i = 0; i < n; i++) act[i] = sigmoid_f((float)beta * act[i]);
    ebm_rbm_sample_hidden(act, h, runs, m->nh, seed, step, 0);
    ebm_rbm_visible_probs(m, h, runs, (float)beta, base, 0, p);
    ebm_rbm_sample_visible(m, p, x, runs, seed, step, 0, 0);
}

/* Shared body of forward (x0 == NULL: start from the base-rate model, betas ascending) and
 * reverse (start at x0 [runs, D] at beta = 1, betas walked downwards) AIS. */
static double ais_run(const ebm_rbm *m, const float *base, const double *betas, int nbetas, int runs,
                      const float *x0, uint64_t seed, double *logw) {
    int nh = m->nh, D = m->D;
    if (nbetas < 2 || runs < 1 || betas[0] != 0.0 || betas[nbetas - 1] != 1.0) return NAN;
    float *x = EBM_MALLOC(sizeof(float) * (size_t)runs * D);
    float *p = EBM_MALLOC(sizeof(float) * (size_t)runs * D);
    float *act = EBM_MALLOC(sizeof(float) * (size_t)runs * nh);
    float *h = EBM_MALLOC(sizeof(float) * (size_t)runs * nh);
    if (!x || !p || !act || !h) {
        EBM_FREE(x), EBM_FREE(p), EBM_FREE(act), EBM_FREE(h);
        return NAN;
    }
    memset(h, 0, sizeof(float) * (size_t)runs * nh);
    for (int r = 0; r < runs; r++) logw[r] = 0.0;
    if (!x0) {
        /* x_1 ~ p_0, the base-rate model; then p_0 -> p_1 -> ... -> p_{n-1} */
        ebm_rbm_visible_probs(m, h, runs, 0.0f, base, 0, p);
        ebm_rbm_sample_visible(m, p, x, runs, seed, 0, 0, 0);
        for (int k = 1; k < nbetas; k++) {
            ais_increment(m, base, x, act, runs, betas[k], betas[k - 1], 1.0, logw);
            if (k == nbetas - 1) break;
            ais_transition(m, base, x, act, h, p, runs, betas[k], seed, (uint64_t)k);
        }
    } else {
        /* x_{n-1} = x0 (~ p_{n-1} = the model); factor p*_{k-1}(x)/p*_k(x) at each level,
         * then a transition leaving p_{k-1} invariant (streams after the forward ones). */
        memcpy(x, x0, sizeof(float) * (size_t)runs * D);
        for (int k = nbetas - 1; k >= 1; k--) {
            ais_increment(m, base, x, act, runs, betas[k], betas[k - 1], -1.0, logw);
            if (k == 1) break;
            ais_transition(m, base, x, act, h, p, runs, betas[k - 1], seed, (uint64_t)(nbetas + k));
        }
    }
    EBM_FREE(x), EBM_FREE(p), EBM_FREE(act), EBM_FREE(h);
    /* At beta = 0 the hidden units are free: p*_0 = exp(base.x) 2^nh. */
    return ebm_rbm_base_logz(m, base) + nh * log(2.0);
}

double ebm_rbm_ais(const ebm_rbm *m, const float *base, const double *betas, int nbetas, int runs,
                   uint64_t seed, double *logw) {
    return ais_run(m, base, betas, nbetas, runs, NULL, seed, logw);
}

double ebm_rbm_ais_reverse(const ebm_rbm *m, const float *base, const double *betas, int nbetas, int runs,
                           const float *x0, uint64_t seed, double *logw) {
    if (!x0) return NAN;
    return ais_run(m, base, betas, nbetas, runs, x0, seed, logw);
}

int ebm_rbm_encode(const ebm_rbm *m, const uint8_t *v, const int32_t *y, int64_t n, float *x) {
    int D = m->D, K1 = m->K - 1;
    memset(x, 0, sizeof(float) * (size_t)n * D);
    for (int64_t r = 0; r < n; r++) {
        float *xr = x + (size_t)r * D;
        const uint8_t *vr = v + (size_t)r * m->nv;
        for (int i = 0; i < m->nv; i++) {
            int l = vr[i] > K1 ? K1 : vr[i];
            if (l > 0) xr[(size_t)i * K1 + l - 1] = 1.0f;
        }
        if (m->nl > 0 && y) {
            if (y[r] < 0 || y[r] >= m->nl) return EBM_ERANGE;
            xr[(size_t)m->nv * K1 + y[r]] = 1.0f;
        }
    }
    return EBM_OK;
}

void ebm_rbm_decode(const ebm_rbm *m, const float *x, int64_t n, uint8_t *out) {
    int D = m->D, K1 = m->K - 1;
    for (int64_t r = 0; r < n; r++) {
        const float *xr = x + (size_t)r * D;
        for (int i = 0; i < m->nv; i++) {
            float e = 0.0f;
            for (int k = 0; k < K1; k++) e += (k + 1) * xr[(size_t)i * K1 + k];
            float v = e * 255.0f / K1 + 0.5f;
            out[(size_t)r * m->nv + i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
}

void ebm_rbm_base_rate(const ebm_rbm *m, const float *x, int64_t n, double alpha, float *base) {
    int D = m->D, K1 = m->K - 1;
    double *cnt = EBM_CALLOC((size_t)D, sizeof(double));
    if (!cnt) { for (int j = 0; j < D; j++) base[j] = 0.0f; return; }
    for (int64_t r = 0; r < n; r++)
        for (int j = 0; j < D; j++) cnt[j] += x[(size_t)r * D + j];
    for (int i = 0; i < m->nv; i++) {
        double c0 = (double)n, den = n + alpha * m->K;
        for (int k = 0; k < K1; k++) c0 -= cnt[(size_t)i * K1 + k];
        double f0 = (c0 + alpha) / den;
        for (int k = 0; k < K1; k++) base[(size_t)i * K1 + k] = (float)log((cnt[(size_t)i * K1 + k] + alpha) / den / f0);
    }
    for (int k = 0; k < m->nl; k++) {
        size_t j = (size_t)m->nv * K1 + k;
        base[j] = (float)log((cnt[j] + alpha) / (n + alpha * m->nl));
    }
    EBM_FREE(cnt);
}
