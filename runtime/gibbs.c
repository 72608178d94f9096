/* gibbs.c - block Gibbs kernels (batched, SIMD over chains, OpenMP) and the sequential
 * reference sampler. See gibbs.h for the random-number contract. */
#include "gibbs.h"

#include <math.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define TILE 128  /* chains per tile: the scratch of one tile stays in L1 */

/* Per-thread scratch for one tile. */
typedef struct scratch {
    uint32_t w[4][TILE / 4 + 2];  /* Philox words by word index, for the tile's chain quads */
    uint32_t rnd[TILE + 8];      /* rnd[c + lead]: the word of chain c */
    float h[TILE];               /* binary field */
    float *L;                    /* [kmax * TILE] logits, level-major: L[k*TILE + c] */
    float *cum;                  /* [TILE] */
    float *mx;                   /* [TILE] */
} scratch;

static const uint32_t PH_M0 = 0xD2511F53u, PH_M1 = 0xCD9E8D57u, PH_W0 = 0x9E3779B9u, PH_W1 = 0xBB67AE85u;

/* Words for chains g0 .. g0+len-1 of node i at step s into S->rnd[lead .. lead+len-1],
 * where lead = g0 & 3. Vectorised over chain quads. */
static inline int tile_random(scratch *S, uint64_t seed, uint32_t node, uint64_t step, int64_t g0, int len) {
    uint32_t q0 = (uint32_t)(g0 >> 2);
    int nq = (int)(((g0 + len - 1) >> 2) - (g0 >> 2) + 1);
    uint32_t k0i = (uint32_t)seed, k1i = (uint32_t)(seed >> 32), s0 = (uint32_t)step, s1 = (uint32_t)(step >> 32);
    uint32_t *w0 = S->w[0], *w1 = S->w[1], *w2 = S->w[2], *w3 = S->w[3];
#pragma omp simd
    for (int b = 0; b < nq; b++) {
        uint32_t c0 = q0 + (uint32_t)b, c1 = node, c2 = s0, c3 = s1, k0 = k0i, k1 = k1i;
        for (int r = 0; r < 10; r++) {
            uint64_t p0 = (uint64_t)PH_M0 * c0, p1 = (uint64_t)PH_M1 * c2;
            uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
            c1 = (uint32_t)p1; c3 = (uint32_t)p0; c0 = n0; c2 = n2;
            k0 += PH_W0; k1 += PH_W1;
        }
        w0[b] = c0; w1[b] = c1; w2[b] = c2; w3[b] = c3;
    }
    uint32_t *o = S->rnd;
    for (int b = 0; b < nq; b++) {
        o[4 * b] = w0[b]; o[4 * b + 1] = w1[b]; o[4 * b + 2] = w2[b]; o[4 * b + 3] = w3[b];
    }
    return (int)(g0 & 3);
}

/* Update node i for chains c0 .. c0+len-1 (len <= TILE). */
static void update_node(const ebm_model *m, int32_t i, uint8_t *x, int64_t C, int64_t c0, int len,
                        const ebm_gibbs_opts *o, uint64_t step, scratch *S) {
    const float beta = o->beta;
    int lead = tile_random(S, o->seed, (uint32_t)i, step, o->chain_off + c0, len);
    const uint32_t *rnd = S->rnd + lead;
    uint8_t *xi = x + (int64_t)i * C + c0;
    const uint8_t *cl = o->clamp_pc ? o->clamp_pc + (int64_t)i * C + c0 : NULL;
    int64_t a0 = m->adj_start[i], a1 = m->adj_start[i + 1];
    if (m->fast[i]) {
        float *h = S->h;
        const float base = m->bin_c[i];
        for (int c = 0; c < len; c++) h[c] = base;
        for (int64_t p = a0; p < a1; p++) {
            const uint8_t *xn = x + (int64_t)m->adj_nbr[p] * C + c0;
            const float s = m->adj_slope[p];
#pragma omp simd
            for (int c = 0; c < len; c++) h[c] += s * (float)xn[c];
        }
        if (cl) {
#pragma omp simd
            for (int c = 0; c < len; c++) {
                float e = ebm_expf(-beta * h[c]);
                float u = (float)(rnd[c] >> 8) * (1.0f / 16777216.0f);
                uint8_t v = u * (1.0f + e) < 1.0f;
                xi[c] = cl[c] ? xi[c] : v;
            }
        } else {
#pragma omp simd
            for (int c = 0; c < len; c++) {
                float e = ebm_expf(-beta * h[c]);
                float u = (float)(rnd[c] >> 8) * (1.0f / 16777216.0f);
                xi[c] = u * (1.0f + e) < 1.0f;
            }
        }
        return;
    }
    /* general K: logits level-major L[k*TILE + c] */
    const int K = m->K[i];
    const float *b = (const float *)ebm_tensor_data(&m->bias) + m->boff[i];
    float *L = S->L, *mx = S->mx, *cum = S->cum;
    for (int k = 0; k < K; k++) {
        float bk = b[k];
        for (int c = 0; c < len; c++) L[k * TILE + c] = bk;
    }
    for (int64_t p = a0; p < a1; p++) {
        const uint8_t *xn = x + (int64_t)m->adj_nbr[p] * C + c0;
        const float *row = m->otab + m->adj_row[p];
        if (K == 4) {
            for (int c = 0; c < len; c++) {
                const float *r = row + 4 * xn[c];
                L[c] += r[0]; L[TILE + c] += r[1]; L[2 * TILE + c] += r[2]; L[3 * TILE + c] += r[3];
            }
        } else {
            for (int c = 0; c < len; c++) {
                const float *r = row + K * xn[c];
                for (int k = 0; k < K; k++) L[k * TILE + c] += r[k];
            }
        }
    }
    for (int c = 0; c < len; c++) mx[c] = L[c];
    for (int k = 1; k < K; k++) {
#pragma omp simd
        for (int c = 0; c < len; c++) mx[c] = L[k * TILE + c] > mx[c] ? L[k * TILE + c] : mx[c];
    }
    for (int k = 0; k < K; k++) {
        float *Lk = L + k * TILE;
#pragma omp simd
        for (int c = 0; c < len; c++) Lk[c] = ebm_expf(beta * (Lk[c] - mx[c]));
    }
    /* total, then count the inclusive cumulative sums <= u * total */
    for (int c = 0; c < len; c++) cum[c] = 0.0f;
    for (int k = 0; k < K; k++) {
#pragma omp simd
        for (int c = 0; c < len; c++) cum[c] += L[k * TILE + c];
    }
    float *t = S->h;  /* threshold u * total */
#pragma omp simd
    for (int c = 0; c < len; c++) t[c] = (float)(rnd[c] >> 8) * (1.0f / 16777216.0f) * cum[c];
    uint8_t sel[TILE];
    for (int c = 0; c < len; c++) { cum[c] = 0.0f; sel[c] = 0; }
    for (int k = 0; k < K - 1; k++) {
#pragma omp simd
        for (int c = 0; c < len; c++) {
            cum[c] += L[k * TILE + c];
            sel[c] += cum[c] <= t[c];
        }
    }
    if (cl) {
        for (int c = 0; c < len; c++) xi[c] = cl[c] ? xi[c] : sel[c];
    } else {
        memcpy(xi, sel, (size_t)len);
    }
}

static int scratch_init(scratch *S, int kmax) {
    S->L = EBM_MALLOC(sizeof(float) * (size_t)kmax * TILE + 2 * sizeof(float) * TILE);
    if (!S->L) return EBM_ENOMEM;
    S->cum = S->L + (size_t)kmax * TILE;
    S->mx = S->cum + TILE;
    return EBM_OK;
}

/* Fisher-Yates permutation of 0..nb-1 for sweep `step`, from the counter {k, ~0, step}. */
static void random_order(int32_t *perm, int32_t nb, uint64_t seed, uint64_t step) {
    for (int32_t k = 0; k < nb; k++) perm[k] = k;
    for (int32_t k = nb - 1; k > 0; k--) {
        ebm_philox_ctr c = {{(uint32_t)k, 0xFFFFFFFFu, (uint32_t)step, (uint32_t)(step >> 32)}};
        ebm_philox_key key = {{(uint32_t)seed, (uint32_t)(seed >> 32)}};
        uint32_t r = ebm_philox4x32(c, key).v[0];
        int32_t j = (int32_t)(((uint64_t)r * (uint64_t)(k + 1)) >> 32);
        int32_t tmp = perm[k]; perm[k] = perm[j]; perm[j] = tmp;
    }
}

/* The sweep driver. Large batches: threads split chain tiles and each thread runs all sweeps
 * and blocks on its own tiles (no barriers). Small batches: threads split the nodes of each
 * block (a barrier after each block). Both give the same result: updates within a block are
 * independent and every random word is a pure function of (seed, node, chain, step). */
static void run(const ebm_model *m, const ebm_blocks *b, int32_t only, uint8_t *x, int64_t C, int32_t nsweeps,
                const ebm_gibbs_opts *o) {
    int32_t nb = only >= 0 ? 1 : (o->order ? o->norder : b->nblocks);
    int32_t *orders = EBM_MALLOC(sizeof(int32_t) * (size_t)(nb > 0 ? nb : 1) * (size_t)(nsweeps > 0 ? nsweeps : 1));
    if (!orders || nb == 0 || nsweeps <= 0 || C <= 0) { EBM_FREE(orders); return; }
    for (int32_t s = 0; s < nsweeps; s++) {
        int32_t *ord = orders + (size_t)s * nb;
        if (only >= 0) ord[0] = only;
        else if (o->random_order) random_order(ord, nb, o->seed, o->step + (uint64_t)s);
        else for (int32_t k = 0; k < nb; k++) ord[k] = o->order ? o->order[k] : k;
    }
    int64_t ntiles = (C + TILE - 1) / TILE;
    int64_t work = C * (int64_t)m->n;
    int nthr = 1;
#ifdef _OPENMP
    nthr = omp_get_max_threads();
#endif
    int by_tiles = ntiles >= nthr;
    int par = work >= 8192 && nthr > 1;
#pragma omp parallel if (par)
    {
        scratch S;
        int ok = scratch_init(&S, m->kmax) == EBM_OK;
        if (by_tiles) {
#pragma omp for schedule(static)
            for (int64_t t = 0; t < ntiles; t++) {
                if (!ok) continue;
                int64_t c0 = t * TILE;
                int len = (int)(C - c0 < TILE ? C - c0 : TILE);
                for (int32_t s = 0; s < nsweeps; s++) {
                    const int32_t *ord = orders + (size_t)s * nb;
                    for (int32_t k = 0; k < nb; k++) {
                        int32_t blk = ord[k];
                        for (int64_t p = b->start[blk]; p < b->start[blk + 1]; p++) {
                            int32_t i = b->nodes[p];
                            if (o->clamp && o->clamp[i]) continue;
                            update_node(m, i, x, C, c0, len, o, o->step + (uint64_t)s, &S);
                        }
                    }
                }
            }
        } else {
            for (int32_t s = 0; s < nsweeps; s++) {
                const int32_t *ord = orders + (size_t)s * nb;
                for (int32_t k = 0; k < nb; k++) {
                    int32_t blk = ord[k];
#pragma omp for schedule(static)
                    for (int64_t p = b->start[blk]; p < b->start[blk + 1]; p++) {
                        int32_t i = b->nodes[p];
                        if (!ok || (o->clamp && o->clamp[i])) continue;
                        for (int64_t c0 = 0; c0 < C; c0 += TILE)
                            update_node(m, i, x, C, c0, (int)(C - c0 < TILE ? C - c0 : TILE), o, o->step + (uint64_t)s, &S);
                    }
                }
            }
        }
        EBM_FREE(S.L);
    }
    EBM_FREE(orders);
}

void ebm_gibbs_sweeps(const ebm_model *m, const ebm_blocks *b, uint8_t *x, int64_t C, int32_t nsweeps,
                      const ebm_gibbs_opts *o) {
    run(m, b, -1, x, C, nsweeps, o);
}

void ebm_gibbs_update(const ebm_model *m, const ebm_blocks *b, int32_t blk, uint8_t *x, int64_t C,
                      const ebm_gibbs_opts *o) {
    if (blk < 0 || blk >= b->nblocks) return;
    run(m, b, blk, x, C, 1, o);
}

void ebm_gibbs_init(const ebm_model *m, uint8_t *x, int64_t C, int mode, const ebm_gibbs_opts *o) {
    const float *bias = ebm_tensor_data(&m->bias);
#pragma omp parallel for schedule(static) if (C * m->n >= 65536)
    for (int32_t i = 0; i < m->n; i++) {
        if (o->clamp && o->clamp[i]) continue;
        int K = m->K[i];
        const float *b = bias + m->boff[i];
        float mxb = b[0], tot = 0.0f, p[256];
        for (int k = 1; k < K; k++) mxb = b[k] > mxb ? b[k] : mxb;
        for (int k = 0; k < K; k++) { p[k] = expf(o->beta * (b[k] - mxb)); tot += p[k]; }
        for (int64_t c = 0; c < C; c++) {
            if (o->clamp_pc && o->clamp_pc[(int64_t)i * C + c]) continue;
            int64_t g = o->chain_off + c;
            ebm_philox_ctr ctr = {{(uint32_t)(g >> 2), (uint32_t)i, (uint32_t)o->step, (uint32_t)(o->step >> 32)}};
            ebm_philox_key key = {{(uint32_t)o->seed, (uint32_t)(o->seed >> 32)}};
            uint32_t r = ebm_philox4x32(ctr, key).v[g & 3];
            int v;
            if (mode == 0) {
                v = (int)(((uint64_t)r * (uint64_t)K) >> 32);
            } else {
                float t = ebm_u01f(r) * tot, cum = 0.0f;
                v = 0;
                for (int k = 0; k < K - 1; k++) { cum += p[k]; if (cum <= t) v = k + 1; }
            }
            x[(int64_t)i * C + c] = (uint8_t)v;
        }
    }
}

void ebm_gibbs_sequential(const ebm_model *m, uint8_t *x, int32_t nsweeps, float beta, const uint8_t *clamp,
                          int scan, ebm_rng *r) {
    const float *bias = ebm_tensor_data(&m->bias), *tab = ebm_tensor_data(&m->tables);
    int32_t n = m->n;
    int32_t *perm = EBM_MALLOC(sizeof(int32_t) * (size_t)n);
    if (!perm) return;
    float lp[256];
    for (int32_t s = 0; s < nsweeps; s++) {
        for (int32_t k = 0; k < n; k++) perm[k] = k;
        if (scan == 1)
            for (int32_t k = n - 1; k > 0; k--) {
                int32_t j = (int32_t)ebm_rng_below(r, (uint64_t)k + 1);
                int32_t t = perm[k]; perm[k] = perm[j]; perm[j] = t;
            }
        for (int32_t q = 0; q < n; q++) {
            int32_t i = perm[q];
            if (clamp && clamp[i]) continue;
            int K = m->K[i];
            for (int k = 0; k < K; k++) lp[k] = bias[m->boff[i] + k];
            for (int64_t p = m->adj_start[i]; p < m->adj_start[i + 1]; p++) {
                int32_t e = m->adj_edge[p], sl = m->es[e];
                const float *T = tab + m->toff[sl];
                int kb = m->skb[sl];
                if (m->adj_dir[p] == 0) for (int k = 0; k < K; k++) lp[k] += T[k * kb + x[m->ej[e]]];
                else for (int k = 0; k < K; k++) lp[k] += T[x[m->ei[e]] * kb + k];
            }
            float mx = lp[0], tot = 0.0f;
            for (int k = 1; k < K; k++) mx = lp[k] > mx ? lp[k] : mx;
            for (int k = 0; k < K; k++) { lp[k] = expf(beta * (lp[k] - mx)); tot += lp[k]; }
            float t = (float)ebm_rng_uniform(r) * tot, cum = 0.0f;
            int v = K - 1;
            for (int k = 0; k < K; k++) { cum += lp[k]; if (t < cum) { v = k; break; } }
            x[i] = (uint8_t)v;
        }
    }
    EBM_FREE(perm);
}
