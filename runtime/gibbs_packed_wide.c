/* gibbs_packed_wide.c - the packed kernel's wide path: binary nodes with up to 16 neighbours
 * (the contract is in gibbs_packed.h, "The wide path"). Per node a table of the high halves of
 * the 2^D thresholds; per lane a D-bit configuration index, a table lookup and a compare with
 * 16 random bits, the low 16 drawn only on a tie. */
#include "gibbs_packed.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "gibbs.h"
#include "gibbs_cpu.h"
#include "rng.h"

#include <immintrin.h>

#define G EBM_PK_GROUP
#define WMAX EBM_PK_WIDEDEG
/* Most table entries (16-bit) of one call: 2 GiB. */
#define WIDE_MAX_ENTRIES ((int64_t)1 << 30)

int ebm_packed_is_wide(const ebm_model *m) {
    for (int32_t i = 0; i < m->n; i++)
        if (m->adj_start[i + 1] - m->adj_start[i] > EBM_PK_MAXDEG) return 1;
    return 0;
}

/* The field of configuration cfg: bin_c, then the slope of each set neighbour in CSR order
 * (the table below adds in the same order, so both give the same float). */
uint32_t ebm_packed_wide_threshold(const ebm_model *m, int32_t i, uint32_t cfg, float beta) {
    const int64_t a0 = m->adj_start[i], d = m->adj_start[i + 1] - a0;
    float h = m->bin_c[i];
    for (int64_t e = 0; e < d; e++)
        if ((cfg >> e) & 1) h += m->adj_slope[a0 + e];
    return ebm_bin_threshold(h, beta);
}

/* Per-call tables. */
typedef struct wplan {
    const ebm_model *m;
    float beta;
    int32_t *deg;   /* [n] */
    int32_t *nbr;   /* [n * WMAX] neighbours in CSR order (bit e of cfg is neighbour e) */
    int64_t *toff;  /* [n] offset of node i's table in th */
    uint16_t *th;   /* th[toff[i] + cfg] = T_i[cfg] >> 16; two spare entries at the end (the
                       AVX-512 gather reads 4 bytes at each entry) */
} wplan;

static void wplan_free(wplan *P) {
    free(P->deg); free(P->nbr); free(P->toff); free(P->th);
}

/* Node i's table: the fields of all 2^d configurations by doubling (configuration c | 1 << e
 * is c's field plus slope e: the formula's additions in its order), then the thresholds. */
static void node_table(const ebm_model *m, int32_t i, int d, float beta, float *H, uint16_t *t) {
    const int64_t a0 = m->adj_start[i];
    H[0] = m->bin_c[i];
    for (int e = 0; e < d; e++) {
        const float s = m->adj_slope[a0 + e];
        const int h = 1 << e;
#pragma omp simd
        for (int c = 0; c < h; c++) H[h + c] = H[c] + s;
    }
#pragma omp simd
    for (int c = 0; c < (1 << d); c++) t[c] = (uint16_t)(ebm_bin_threshold(H[c], beta) >> 16);
}

static int wplan_build(const ebm_model *m, float beta, wplan *P) {
    const int32_t n = m->n;
    memset(P, 0, sizeof *P);
    P->m = m;
    P->beta = beta;
    P->deg = malloc(sizeof(int32_t) * (size_t)n + 1);
    P->nbr = malloc(sizeof(int32_t) * (size_t)n * WMAX + 1);
    P->toff = malloc(sizeof(int64_t) * (size_t)n + 1);
    if (!P->deg || !P->nbr || !P->toff) { wplan_free(P); return EBM_ENOMEM; }
    int64_t tot = 0;
    for (int32_t i = 0; i < n; i++) {
        const int d = (int)(m->adj_start[i + 1] - m->adj_start[i]);
        P->deg[i] = d;
        for (int e = 0; e < d; e++) P->nbr[(int64_t)i * WMAX + e] = m->adj_nbr[m->adj_start[i] + e];
        P->toff[i] = tot;
        tot += (int64_t)1 << d;
    }
    if (tot > WIDE_MAX_ENTRIES) { wplan_free(P); return EBM_ENOMEM; }
    P->th = malloc(sizeof(uint16_t) * (size_t)(tot + 2));
    if (!P->th) { wplan_free(P); return EBM_ENOMEM; }
    P->th[tot] = P->th[tot + 1] = 0;
    int fail = 0;
#pragma omp parallel
    {
        float *H = malloc(sizeof(float) << WMAX);
        if (!H) {
#pragma omp atomic write
            fail = 1;
        }
#pragma omp for schedule(dynamic, 16)
        for (int32_t i = 0; i < n; i++)
            if (H) node_table(m, i, P->deg[i], beta, H, P->th + P->toff[i]);
        free(H);
    }
    if (fail) { wplan_free(P); return EBM_ENOMEM; }
    return EBM_OK;
}

/* The random-number state of one sweep. */
typedef struct wrand {
    ebm_ars_keys keys;  /* ARS round keys */
    uint64_t pkey;      /* Philox key */
    uint64_t step;
    int rng;
} wrand;

static void wrand_init(wrand *R, int rng, uint64_t seed, uint64_t step) {
    R->rng = rng;
    R->step = step;
    R->pkey = seed ^ ((uint64_t)EBM_PK_KEYW << 32);
    if (rng == EBM_RNG_ARS) ebm_ars_setkey(&R->keys, seed, (step >> 32) ^ ((uint64_t)EBM_PK_KEYW << 32));
}

/* Block q of word w for node i as 8 16-bit words (portable generators). */
static void wide_block(const wrand *R, int32_t i, int64_t w, int q, uint16_t out[8]) {
    uint32_t o[4];
    if (R->rng == EBM_RNG_ARS) {
        const uint32_t ctr[4] = {(uint32_t)w, (uint32_t)i, (uint32_t)R->step, (uint32_t)q};
        ebm_ars_block(&R->keys, ctr, o);
    } else {
        const uint64_t pos = (uint64_t)(uint32_t)(16 * w + q) | (uint64_t)(uint32_t)i << 32;
        ebm_philox_ctr v = ebm_rng_block(R->pkey, R->step, pos);
        memcpy(o, v.v, sizeof o);
    }
    for (int k = 0; k < 4; k++) {
        out[2 * k] = (uint16_t)o[k];
        out[2 * k + 1] = (uint16_t)(o[k] >> 16);
    }
}

/* Configuration index of lane j from the neighbours' words. */
static inline uint32_t lane_cfg(const uint64_t *nbw, int D, int j) {
    uint32_t cfg = 0;
    for (int e = 0; e < D; e++) cfg |= (uint32_t)((nbw[e] >> j) & 1) << e;
    return cfg;
}

/* The lanes of word w in `tie` (hi == T >> 16): x = 1 iff lo < the low half of the exact T. */
static uint64_t wide_ties(const wplan *P, int32_t i, const uint64_t *nbw, int64_t w, uint64_t tie, const wrand *R) {
    uint64_t res = 0;
    int qdone = -1;
    uint16_t lo[8];
    while (tie) {
        const int j = __builtin_ctzll(tie);
        tie &= tie - 1;
        if (j >> 3 != qdone) { wide_block(R, i, w, 8 + (j >> 3), lo); qdone = j >> 3; }
        const uint32_t T = ebm_packed_wide_threshold(P->m, i, lane_cfg(nbw, P->deg[i], j), P->beta);
        res |= (uint64_t)(lo[j & 7] < (T & 0xFFFFu)) << j;
    }
    return res;
}

static inline void store_word(uint64_t *x, const uint64_t *keep, int64_t w, uint64_t res) {
    x[w] = keep ? (x[w] & keep[w]) | (res & ~keep[w]) : res;
}

/* The kernel three times, like gibbs_packed.c: portable C, AVX2 + AES-NI, AVX-512 + VAES. */
#pragma GCC diagnostic ignored "-Wpsabi"
#define WK_NAME_(a, b) a##_##b
#define WK_NAME(a, b) WK_NAME_(a, b)

#pragma GCC push_options
#pragma GCC target("no-avx")
#define WK_ISA 0
#define WK(name) WK_NAME(name, scalar)
#include "gibbs_packed_wide_kern.h"
#undef WK
#undef WK_ISA
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx2,aes")
#define WK_ISA 1
#define WK(name) WK_NAME(name, avx2)
#include "gibbs_packed_wide_kern.h"
#undef WK
#undef WK_ISA
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,vaes")
#define WK_ISA 2
#define WK(name) WK_NAME(name, avx512)
#include "gibbs_packed_wide_kern.h"
#undef WK
#undef WK_ISA
#pragma GCC pop_options

int ebm_packed_wide_sweeps(const ebm_model *m, const ebm_blocks *b, uint64_t *p, int64_t nw, int32_t nsweeps,
                           const ebm_packed_opts *o, int simd, int rng) {
    wplan P;
    int rc = wplan_build(m, o->beta, &P);
    if (rc) return rc;
    const int64_t ngroups = nw / G;
    /* Chains are independent: each thread takes a contiguous share of the groups and runs all
     * sweeps on it node by node (no barriers; a lane's draws depend only on its counters). */
#pragma omp parallel
    {
        const int64_t nt = omp_get_num_threads(), t = omp_get_thread_num();
        const int64_t g0 = ngroups * t / nt, g1 = ngroups * (t + 1) / nt;
        if (g1 > g0) {
            if (simd == EBM_SIMD_AVX512) sweeps_avx512(&P, b, p, nw, nsweeps, o, rng, g0, g1);
            else if (simd == EBM_SIMD_AVX2) sweeps_avx2(&P, b, p, nw, nsweeps, o, rng, g0, g1);
            else sweeps_scalar(&P, b, p, nw, nsweeps, o, rng, g0, g1);
        }
    }
    wplan_free(&P);
    return EBM_OK;
}

int ebm_packed_wide_sweeps_ref(const ebm_model *m, const ebm_blocks *b, uint64_t *p, int64_t nw, int32_t nsweeps,
                               const ebm_packed_opts *o, int rng) {
    for (int32_t s = 0; s < nsweeps; s++) {
        wrand R;
        wrand_init(&R, rng, o->seed, o->step + (uint64_t)s);
        for (int32_t blk = 0; blk < b->nblocks; blk++)
            for (int64_t k = b->start[blk]; k < b->start[blk + 1]; k++) {
                const int32_t i = b->nodes[k];
                if (o->clamp && o->clamp[i]) continue;
                const int64_t a0 = m->adj_start[i];
                const int D = (int)(m->adj_start[i + 1] - a0);
                for (int64_t w = 0; w < nw; w++) {
                    uint64_t nbw[WMAX];
                    for (int e = 0; e < D; e++) nbw[e] = p[(int64_t)m->adj_nbr[a0 + e] * nw + w];
                    uint16_t hi[64], lo[64];
                    for (int q = 0; q < 8; q++) {
                        wide_block(&R, i, w, q, hi + 8 * q);
                        wide_block(&R, i, w, 8 + q, lo + 8 * q);
                    }
                    uint64_t out = 0;
                    for (int j = 0; j < 64; j++) {
                        const uint32_t U = (uint32_t)hi[j] << 16 | lo[j];
                        out |= (uint64_t)(U < ebm_packed_wide_threshold(m, i, lane_cfg(nbw, D, j), o->beta)) << j;
                    }
                    store_word(p + (int64_t)i * nw, o->clamp_pc ? o->clamp_pc + (int64_t)i * nw : NULL, w, out);
                }
            }
    }
    return EBM_OK;
}
