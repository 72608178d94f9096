/* stats.c - energies, conditionals, pseudo-likelihood, sufficient statistics, enumeration. */
#include "stats.h"

#include <math.h>
#include <string.h>

/* Element (node i, state c) of a state batch in either layout. */
static inline uint8_t at(const uint8_t *x, int64_t C, int32_t n, int layout, int32_t i, int64_t c) {
    return layout == EBM_CHAINS ? x[(int64_t)i * C + c] : x[c * n + i];
}

int ebm_states_check(const ebm_model *m, const uint8_t *x, int64_t C, int layout, int32_t *node, int *level) {
    int32_t kmin = 256;
    for (int32_t i = 0; i < m->n; i++) kmin = m->K[i] < kmin ? m->K[i] : kmin;
    int64_t numel = C * m->n;
    uint8_t gmax = 0;
    for (int64_t q = 0; q < numel; q++) gmax = x[q] > gmax ? x[q] : gmax;
    if (gmax < kmin) return EBM_OK;
    for (int32_t i = 0; i < m->n; i++)
        for (int64_t c = 0; c < C; c++) {
            uint8_t v = at(x, C, m->n, layout, i, c);
            if (v >= m->K[i]) {
                if (node) *node = i;
                if (level) *level = v;
                return EBM_ERANGE;
            }
        }
    return EBM_OK;
}

void ebm_energy(const ebm_model *m, const uint8_t *x, int64_t C, int layout, double *out) {
    const float *b = ebm_tensor_data(&m->bias), *tab = ebm_tensor_data(&m->tables);
#pragma omp parallel for schedule(static) if (C * (m->n + m->nedges) >= 65536)
    for (int64_t c = 0; c < C; c++) {
        double e = 0.0;
        for (int32_t i = 0; i < m->n; i++) e -= b[m->boff[i] + at(x, C, m->n, layout, i, c)];
        for (int64_t k = 0; k < m->nedges; k++) {
            int32_t s = m->es[k];
            e -= tab[m->toff[s] + at(x, C, m->n, layout, m->ei[k], c) * m->skb[s] + at(x, C, m->n, layout, m->ej[k], c)];
        }
        out[c] = e;
    }
}

/* Unnormalised log conditional (without beta) of node i in state c into lp[K[i]]. */
static void local_logits(const ebm_model *m, const uint8_t *x, int64_t C, int layout, int64_t c, int32_t i,
                         double *lp) {
    const float *b = ebm_tensor_data(&m->bias), *tab = ebm_tensor_data(&m->tables);
    int K = m->K[i];
    for (int k = 0; k < K; k++) lp[k] = b[m->boff[i] + k];
    for (int64_t p = m->adj_start[i]; p < m->adj_start[i + 1]; p++) {
        int32_t e = m->adj_edge[p], s = m->es[e], kb = m->skb[s];
        const float *T = tab + m->toff[s];
        if (m->adj_dir[p] == 0) {
            int xj = at(x, C, m->n, layout, m->ej[e], c);
            for (int k = 0; k < K; k++) lp[k] += T[k * kb + xj];
        } else {
            int xi = at(x, C, m->n, layout, m->ei[e], c);
            for (int k = 0; k < K; k++) lp[k] += T[xi * kb + k];
        }
    }
}

void ebm_conditional(const ebm_model *m, const uint8_t *x, int64_t C, int layout, int64_t c, int32_t i,
                     double beta, double *out) {
    int K = m->K[i];
    local_logits(m, x, C, layout, c, i, out);
    double mx = out[0], tot = 0.0;
    for (int k = 1; k < K; k++) mx = out[k] > mx ? out[k] : mx;
    for (int k = 0; k < K; k++) { out[k] = exp(beta * (out[k] - mx)); tot += out[k]; }
    for (int k = 0; k < K; k++) out[k] /= tot;
}

void ebm_pseudo_loglik(const ebm_model *m, const uint8_t *x, int64_t C, int layout, double beta,
                       const uint8_t *mask, double *out) {
#pragma omp parallel for schedule(static) if (C * (m->n + m->nedges) >= 65536)
    for (int64_t c = 0; c < C; c++) {
        double lp[256], acc = 0.0;
        for (int32_t i = 0; i < m->n; i++) {
            if (mask && mask[i]) continue;
            int K = m->K[i];
            local_logits(m, x, C, layout, c, i, lp);
            double mx = lp[0], tot = 0.0;
            for (int k = 1; k < K; k++) mx = lp[k] > mx ? lp[k] : mx;
            for (int k = 0; k < K; k++) tot += exp(beta * (lp[k] - mx));
            acc += beta * (lp[at(x, C, m->n, layout, i, c)] - mx) - log(tot);
        }
        out[c] = acc;
    }
}

void ebm_suff_stats(const ebm_model *m, const uint8_t *x, int64_t C, int layout, double *hist, double *cooc) {
    memset(hist, 0, sizeof(double) * (size_t)m->boff[m->n]);
    memset(cooc, 0, sizeof(double) * (size_t)m->toff[m->nslots]);
    if (layout == EBM_CHAINS) {
#pragma omp parallel for schedule(static) if (C * m->n >= 65536)
        for (int32_t i = 0; i < m->n; i++) {
            const uint8_t *xi = x + (int64_t)i * C;
            double *h = hist + m->boff[i];
            for (int64_t c = 0; c < C; c++) h[xi[c]] += 1.0;
        }
        for (int64_t e = 0; e < m->nedges; e++) {
            const uint8_t *xa = x + (int64_t)m->ei[e] * C, *xb = x + (int64_t)m->ej[e] * C;
            int32_t s = m->es[e], kb = m->skb[s];
            double *t = cooc + m->toff[s];
            for (int64_t c = 0; c < C; c++) t[xa[c] * kb + xb[c]] += 1.0;
        }
    } else {
        for (int64_t c = 0; c < C; c++) {
            const uint8_t *xc = x + c * m->n;
            for (int32_t i = 0; i < m->n; i++) hist[m->boff[i] + xc[i]] += 1.0;
            for (int64_t e = 0; e < m->nedges; e++) {
                int32_t s = m->es[e];
                cooc[m->toff[s] + xc[m->ei[e]] * m->skb[s] + xc[m->ej[e]]] += 1.0;
            }
        }
    }
}

void ebm_stats_contract(const ebm_model *m, int32_t slot0, int32_t ns, const double *cooc, const float *pattern,
                        double *out) {
    for (int32_t s = slot0; s < slot0 + ns; s++) {
        int64_t kk = (int64_t)m->ska[s] * m->skb[s];
        const double *t = cooc + m->toff[s];
        double acc = 0.0;
        for (int64_t q = 0; q < kk; q++) acc += t[q] * pattern[q];
        out[s - slot0] = acc;
    }
}

int64_t ebm_exact_nstates(const ebm_model *m, const uint8_t *clamp, int64_t maxstates) {
    int64_t M = 1;
    for (int32_t i = 0; i < m->n; i++) {
        if (clamp && clamp[i]) continue;
        M *= m->K[i];
        if (M > maxstates) return -1;
    }
    return M;
}

int ebm_exact(const ebm_model *m, double beta, const uint8_t *clamp, const uint8_t *x0, int64_t maxstates,
              double *logp, double *marg, double *logz) {
    int64_t M = ebm_exact_nstates(m, clamp, maxstates);
    if (M < 0) return EBM_ERANGE;
    uint8_t *x = EBM_CALLOC((size_t)(uint32_t)m->n + 1, 1);
    double *lw = EBM_MALLOC(sizeof(double) * (size_t)M);
    if (!x || !lw) { EBM_FREE(x); EBM_FREE(lw); return EBM_ENOMEM; }
    for (int32_t i = 0; i < m->n; i++) x[i] = (clamp && clamp[i]) ? x0[i] : 0;
    double mx = -INFINITY;
    for (int64_t q = 0; q < M; q++) {
        double e;
        ebm_energy(m, x, 1, EBM_ROWS, &e);
        lw[q] = -beta * e;
        if (lw[q] > mx) mx = lw[q];
        for (int32_t i = 0; i < m->n; i++) { /* increment the mixed-radix counter */
            if (clamp && clamp[i]) continue;
            if (++x[i] < m->K[i]) break;
            x[i] = 0;
        }
    }
    double tot = 0.0;
    for (int64_t q = 0; q < M; q++) tot += exp(lw[q] - mx);
    double lz = mx + log(tot);
    if (logz) *logz = lz;
    if (marg) {
        memset(marg, 0, sizeof(double) * (size_t)m->boff[m->n]);
        for (int32_t i = 0; i < m->n; i++) x[i] = (clamp && clamp[i]) ? x0[i] : 0;
        for (int64_t q = 0; q < M; q++) {
            double p = exp(lw[q] - lz);
            for (int32_t i = 0; i < m->n; i++) marg[m->boff[i] + x[i]] += p;
            for (int32_t i = 0; i < m->n; i++) {
                if (clamp && clamp[i]) continue;
                if (++x[i] < m->K[i]) break;
                x[i] = 0;
            }
        }
    }
    if (logp)
        for (int64_t q = 0; q < M; q++) logp[q] = lw[q] - lz;
    EBM_FREE(x); EBM_FREE(lw);
    return EBM_OK;
}
