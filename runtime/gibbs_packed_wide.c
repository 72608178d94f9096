/* gibbs_packed_wide.c - the packed kernel's wide path: binary nodes with up to 16 neighbours
 * (the contract is in gibbs_packed.h, "The wide path"). AVX-512: per node in-register buckets
 * of the field with bounds of T >> 24 decide most lanes from U's top byte; the rest get T from
 * the formula. Portable C and AVX2: per node a table of T >> 16, lane by lane. */
#include "gibbs_packed.h"

#include <math.h>
#include <omp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "gibbs.h"
#include "gibbs_cpu.h"
#include "rng.h"

#include <immintrin.h>

#define G EBM_PK_GROUP
#define WMAX EBM_PK_WIDEDEG
/* EBM_WIDE_PROBE (a measurement build, never exact: make BUILD=runs/build-probe1
 * EXE=runs/ab/probe1 CPPFLAGS=-DEBM_WIDE_PROBE=1 runs/ab/probe1): 1 = the AVX-512 path's random
 * bytes loaded from a table of splitmix64 bytes (the kernel with free random numbers), 2 = its
 * undecided lanes left unresolved. */
#ifndef EBM_WIDE_PROBE
#define EBM_WIDE_PROBE 0
#endif
#if EBM_WIDE_PROBE == 1
static uint8_t probe_bytes[1024 * 64];
static void probe_fill(void) {
    uint64_t z = 0x9E3779B97F4A7C15ull;
    for (size_t k = 0; k < sizeof probe_bytes; k += 8) {  /* splitmix64 */
        uint64_t v = (z += 0x9E3779B97F4A7C15ull);
        v = (v ^ (v >> 30)) * 0xBF58476D1CE4E5B9ull;
        v = (v ^ (v >> 27)) * 0x94D049BB133111EBull;
        v ^= v >> 31;
        memcpy(probe_bytes + k, &v, 8);
    }
}
#endif

/* spread8[b]: byte k is bit k of b (the portable path's bit-to-byte transpose), filled once
 * by wplan_build. */
static uint64_t spread8[256];

/* Bucket bytes per node (the AVX-512 path): three 128-byte chunk tables, tmin, tmax. */
#define WBK 640
/* Most table entries (16-bit) of one call: 2 GiB. */
#define WIDE_MAX_ENTRIES ((int64_t)1 << 30)

int ebm_packed_is_wide(const ebm_model *m) {
    for (int32_t i = 0; i < m->n; i++)
        if (m->adj_start[i + 1] - m->adj_start[i] > EBM_PK_MAXDEG) return 1;
    return 0;
}

int64_t ebm_packed_wide_entries(const ebm_model *m) {
    if (!ebm_packed_is_wide(m)) return 0;
    int64_t tot = 0;
    for (int32_t i = 0; i < m->n; i++) tot += (int64_t)1 << (m->adj_start[i + 1] - m->adj_start[i]);
    return tot;
}

/* The field of configuration cfg: bin_c, then, in neighbour order, the slope of each neighbour
 * at 1 and 0 for one at 0 (h + 0 is h, up to the sign of a zero field, which gives the same T;
 * the tables' doubling below skips the zeros). Branch-free, so that loops over lanes vectorise. */
uint32_t ebm_packed_wide_threshold(const ebm_model *m, int32_t i, uint32_t cfg, float beta) {
    const int64_t a0 = m->adj_start[i], d = m->adj_start[i + 1] - a0;
    float h = m->bin_c[i];
    for (int64_t e = 0; e < d; e++) h += ((cfg >> e) & 1) ? m->adj_slope[a0 + e] : 0.0f;
    return ebm_bin_threshold(h, beta);
}

/* Per-call tables. */
typedef struct wplan {
    const ebm_model *m;
    uint64_t version;  /* m->version the tables were built for */
    float beta;
    int32_t *deg;   /* [n] */
    int32_t *nbr;   /* [n * WMAX] neighbours in CSR order (bit e of cfg is neighbour e) */
    int64_t *toff;  /* [n] offset of node i's table in th */
    uint16_t *th;   /* the portable and AVX2 paths: th[toff[i] + cfg] = T_i[cfg] >> 16; else NULL */
    uint8_t *bk;    /* the AVX-512 path: [n * WBK], node i's buckets (node_buckets); else NULL */
} wplan;

static void wplan_free(wplan *P) {
    free(P->deg); free(P->nbr); free(P->toff); free(P->th); free(P->bk);
    memset(P, 0, sizeof *P);
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

/* Buckets of node i (the AVX-512 path decides most lanes from in-register lookups of these):
 * the neighbours in chunks of 7 (chunk c: neighbours 7c .. 7c+6), each chunk's partial field
 * quantised to a byte F_c[x] (x: the chunk's bits), so that k(cfg) = sum_c F_c[x_c] <= 127
 * approximates the field; then tmin[k] / tmax[k] = the least / greatest T >> 24 over the
 * configurations with bucket k (enumerated). U >> 24 < tmin[k] implies U < T, U >> 24 > tmax[k]
 * implies U >= T, whatever the quantisation: it only sets how many lanes stay undecided. */
static void node_buckets(const ebm_model *m, int32_t i, int d, const uint16_t *t, uint8_t *bk) {
    const float *sl = m->adj_slope + m->adj_start[i];
    const int nch = (d + 6) / 7;
    float lo[3] = {0, 0, 0}, span[3] = {0, 0, 0}, tot = 0;
    memset(bk, 0, WBK);
    for (int e = 0; e < d; e++) {
        lo[e / 7] += fminf(sl[e], 0.0f);
        span[e / 7] += fabsf(sl[e]);
        tot += fabsf(sl[e]);
    }
    const float scale = tot > 0.0f && tot < INFINITY ? 127.0f / tot : 0.0f;
    int cap[3] = {0, 0, 0}, capsum = 0;
    for (int c = 0; c < nch; c++) {
        const float v = span[c] * scale;
        cap[c] = v > 0.0f ? (v < 127.0f ? (int)v : 127) : 0;
        capsum += cap[c];
    }
    while (capsum > 127) {  /* float rounding: keep the sum of the largest values <= 127 */
        int cm = 0;
        for (int c = 1; c < nch; c++) if (cap[c] > cap[cm]) cm = c;
        cap[cm]--;
        capsum--;
    }
    for (int c = 0; c < nch; c++) {
        const int nb = d - 7 * c < 7 ? d - 7 * c : 7;
        for (int x = 0; x < (1 << nb); x++) {
            float h = 0.0f;
            for (int b = 0; b < nb; b++) if ((x >> b) & 1) h += sl[7 * c + b];
            const float v = (h - lo[c]) * scale;
            bk[128 * c + x] = (uint8_t)(v > 0.0f ? (v < (float)cap[c] ? (int)v : cap[c]) : 0);
        }
    }
    /* bounds over every configuration; four copies of the bound tables (by x & 3) so that
     * consecutive configurations, often in one bucket, do not wait on each other's stores */
    uint8_t *tmin = bk + 384, *tmax = bk + 512;
    uint8_t lo4[4][128], hi4[4][128];
    memset(lo4, 255, sizeof lo4);
    memset(hi4, 0, sizeof hi4);
    const int n0 = d < 7 ? d : 7;
    for (int xr = 0; xr < (1 << (d - n0)); xr++) {
        const int kr = bk[128 + (xr & 127)] + bk[256 + (xr >> 7)];
        const uint16_t *tr = t + ((int64_t)xr << n0);
        for (int x = 0; x < (1 << n0); x++) {
            const int k = kr + bk[x], v = tr[x] >> 8;
            uint8_t *l = &lo4[x & 3][k], *h = &hi4[x & 3][k];
            *l = (uint8_t)(v < *l ? v : *l);
            *h = (uint8_t)(v > *h ? v : *h);
        }
    }
    for (int k = 0; k < 128; k++) {
        int l = lo4[0][k], h = hi4[0][k];
        for (int c = 1; c < 4; c++) {
            l = lo4[c][k] < l ? lo4[c][k] : l;
            h = hi4[c][k] > h ? hi4[c][k] : h;
        }
        tmin[k] = (uint8_t)l;
        tmax[k] = (uint8_t)h;
    }
}

static int wplan_build(const ebm_model *m, float beta, int buckets, wplan *P) {
    const int32_t n = m->n;
    memset(P, 0, sizeof *P);
    P->m = m;
    P->version = m->version;
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
    for (int v = 0; v < 256; v++) {
        uint64_t sp = 0;
        for (int k = 0; k < 8; k++) sp |= (uint64_t)((v >> k) & 1) << (8 * k);
        spread8[v] = sp;
    }
#if EBM_WIDE_PROBE == 1
    probe_fill();
#endif
    if (buckets) P->bk = malloc((size_t)WBK * (size_t)n + 1);
    else P->th = malloc(sizeof(uint16_t) * (size_t)tot);
    if (buckets ? !P->bk : !P->th) { wplan_free(P); return EBM_ENOMEM; }
    int fail = 0;
#pragma omp parallel
    {
        float *H = malloc(sizeof(float) << WMAX);
        uint16_t *tb = buckets ? malloc(sizeof(uint16_t) << WMAX) : NULL;
        if (!H || (buckets && !tb)) {
#pragma omp atomic write
            fail = 1;
        }
#pragma omp for schedule(dynamic, 16)
        for (int32_t i = 0; i < n; i++)
            if (H && (tb || !buckets)) {
                uint16_t *t = buckets ? tb : P->th + P->toff[i];
                node_table(m, i, P->deg[i], beta, H, t);
                if (buckets) node_buckets(m, i, P->deg[i], t, P->bk + (int64_t)i * WBK);
            }
        free(H);
        free(tb);
    }
    if (fail) { wplan_free(P); return EBM_ENOMEM; }
    return EBM_OK;
}

/* The random-number state of one sweep. */
typedef struct wrand {
    ebm_ars_keys keys;  /* ARS round keys */
    uint64_t pkey;      /* Philox key */
    uint64_t step;
    int64_t wbase;      /* global word of the state's word 0 (a thread's private copy of its share) */
    int rng;
} wrand;

static void wrand_init(wrand *R, int rng, uint64_t seed, uint64_t step, int64_t wbase) {
    R->rng = rng;
    R->step = step;
    R->wbase = wbase;
    R->pkey = seed ^ ((uint64_t)EBM_PK_KEYW << 32);
    if (rng == EBM_RNG_ARS) ebm_ars_setkey(&R->keys, seed, (step >> 32) ^ ((uint64_t)EBM_PK_KEYW << 32));
}

/* Block q of word w (of the state the kernel works on: global word w + R->wbase) for node i
 * as 16 bytes (portable generators). */
static void wide_block(const wrand *R, int32_t i, int64_t w, int q, uint8_t out[16]) {
    uint32_t o[4];
    w += R->wbase;
    if (R->rng == EBM_RNG_ARS) {
        const uint32_t ctr[4] = {(uint32_t)w, (uint32_t)i, (uint32_t)R->step, (uint32_t)q};
        ebm_ars_block(&R->keys, ctr, o);
    } else {
        const uint64_t pos = (uint64_t)(uint32_t)(16 * w + q) | (uint64_t)(uint32_t)i << 32;
        ebm_philox_ctr v = ebm_rng_block(R->pkey, R->step, pos);
        memcpy(o, v.v, sizeof o);
    }
    for (int k = 0; k < 16; k++) out[k] = (uint8_t)(o[k / 4] >> (8 * (k % 4)));
}

/* Configuration index of lane j from the neighbours' words. */
static inline uint32_t lane_cfg(const uint64_t *nbw, int D, int j) {
    uint32_t cfg = 0;
    for (int e = 0; e < D; e++) cfg |= (uint32_t)((nbw[e] >> j) & 1) << e;
    return cfg;
}

/* Lane j of word w, whose top 16 bits of U tie with T >> 16: draw the low 16 bits (block
 * 8 + j/8 of the word's stream) and compare them with the low half of T. */
static int wide_tie(const wrand *R, int32_t i, int64_t w, int j, uint32_t T) {
    uint8_t lo[16];
    wide_block(R, i, w, 8 + (j >> 3), lo);
    return (uint32_t)(lo[2 * (j & 7)] | lo[2 * (j & 7) + 1] << 8) < (T & 0xFFFFu);
}

static inline void store_word(uint64_t *x, const uint64_t *keep, int64_t w, uint64_t res) {
    x[w] = keep ? (x[w] & keep[w]) | (res & ~keep[w]) : res;
}

/* The AVX-512 path's undecided lanes, queued over the nodes of a block (one queue per thread). */
#define WQUEUE 8192
#define WQSEG 2048
typedef struct wqueue {
    int n, nseg;
    char pad0[56];                              /* the threads' queues share no cache line */
    uint32_t cfg[WQUEUE + 16], T[WQUEUE + 16];  /* configurations, thresholds */
    float h[WQUEUE + 16];                       /* fields */
    int64_t word[WQUEUE];                       /* global word */
    int32_t node[WQUEUE];
    uint8_t j[WQUEUE], b0[WQUEUE];              /* lane, U's top byte */
    uint8_t b1[WQUEUE + 4][16];                 /* the block of U's second byte */
    int32_t seg_node[WQSEG];                    /* runs of one node's lanes: node, first entry */
    int seg_start[WQSEG + 1];
    char pad1[64];
} wqueue;

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
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi,gfni,vaes,aes")
#define WK_ISA 2
#define WK(name) WK_NAME(name, avx512)
#include "gibbs_packed_wide_kern.h"
#undef WK
#undef WK_ISA
#pragma GCC pop_options

/* The last call's tables, kept for the next call with the same model version, beta and
 * bucket setting (sampling calls in a row rebuild nothing; training changes the version every
 * step). The lock is held for the whole call: concurrent wide sweeps run one after another. */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static wplan cache;

int ebm_packed_wide_sweeps(const ebm_model *m, const ebm_blocks *b, uint64_t *p, int64_t nw, int32_t nsweeps,
                           const ebm_packed_opts *o, int simd, int rng) {
    /* the AVX-512 copy needs AVX512-VBMI (byte permutes) and GFNI (bit transposes); without
     * them the AVX2 copy runs (same bits) */
    if (simd == EBM_SIMD_AVX512 && !(ebm_cpu_has("avx512vbmi") && ebm_cpu_has("gfni"))) simd = EBM_SIMD_AVX2;
    const int buckets = simd == EBM_SIMD_AVX512;
    pthread_mutex_lock(&cache_lock);
    wplan *P = &cache;
    if (!P->deg || P->version != m->version || P->m != m || P->beta != o->beta || !P->bk != !buckets) {
        wplan_free(P);
        int rc = wplan_build(m, o->beta, buckets, P);
        if (rc) { pthread_mutex_unlock(&cache_lock); return rc; }
    }
    const int64_t ngroups = nw / G, n = m->n;
    const int nq = omp_get_max_threads();
    int fail = 0;
    wqueue *QS = simd == EBM_SIMD_AVX512 ? malloc(sizeof(wqueue) * (size_t)nq) : NULL;
    if (simd == EBM_SIMD_AVX512 && !QS) { pthread_mutex_unlock(&cache_lock); return EBM_ENOMEM; }
    /* Chains are independent: each thread takes a contiguous share of the groups and runs all
     * sweeps on it node by node (no barriers; a lane's draws depend only on its counters). */
#pragma omp parallel
    {
        const int64_t nt = omp_get_num_threads(), t = omp_get_thread_num();
        const int64_t g0 = ngroups * t / nt, g1 = ngroups * (t + 1) / nt;
        wqueue *Q = QS && t < nq ? QS + t : NULL;  /* t < nq: a team is at most max_threads */
        if (Q) Q->n = Q->nseg = 0;
        if (g1 > g0) {
            /* the share's words in a private [n, share] copy: with 4096 chains a node's eight
             * cache lines are split 4/4 between two threads, and reads and writes next to the
             * other thread's lines made the threads 40% slower about half of the time */
            const int64_t nl = (g1 - g0) * G, wb = g0 * G;
            uint64_t *loc = nt > 1 ? aligned_alloc(64, sizeof(uint64_t) * (size_t)(n * nl)) : NULL;
            uint64_t *q = loc ? loc : p;
            const int64_t nwq = loc ? nl : nw, wq = loc ? 0 : wb;  /* the share in q: words wq .. */
            if (loc)
                for (int32_t i = 0; i < n; i++) memcpy(loc + (int64_t)i * nl, p + (int64_t)i * nw + wb, sizeof(uint64_t) * (size_t)nl);
            const int64_t q0 = wq / G, q1 = q0 + (g1 - g0);
            if (simd == EBM_SIMD_AVX512) {
                if (Q) sweeps_avx512(P, b, q, nwq, nsweeps, o, rng, q0, q1, Q, wb - wq, nw);
                else {
#pragma omp atomic write
                    fail = 1;
                }
            } else if (simd == EBM_SIMD_AVX2) sweeps_avx2(P, b, q, nwq, nsweeps, o, rng, q0, q1, NULL, wb - wq, nw);
            else sweeps_scalar(P, b, q, nwq, nsweeps, o, rng, q0, q1, NULL, wb - wq, nw);
            if (loc)
                for (int32_t i = 0; i < n; i++) memcpy(p + (int64_t)i * nw + wb, loc + (int64_t)i * nl, sizeof(uint64_t) * (size_t)nl);
            free(loc);
        }
    }
    free(QS);
    pthread_mutex_unlock(&cache_lock);
    return fail ? EBM_ENOMEM : EBM_OK;
}

int ebm_packed_wide_sweeps_ref(const ebm_model *m, const ebm_blocks *b, uint64_t *p, int64_t nw, int32_t nsweeps,
                               const ebm_packed_opts *o, int rng) {
    for (int32_t s = 0; s < nsweeps; s++) {
        wrand R;
        wrand_init(&R, rng, o->seed, o->step + (uint64_t)s, 0);
        for (int32_t blk = 0; blk < b->nblocks; blk++)
            for (int64_t k = b->start[blk]; k < b->start[blk + 1]; k++) {
                const int32_t i = b->nodes[k];
                if (o->clamp && o->clamp[i]) continue;
                const int64_t a0 = m->adj_start[i];
                const int D = (int)(m->adj_start[i + 1] - a0);
                for (int64_t w = 0; w < nw; w++) {
                    uint64_t nbw[WMAX];
                    for (int e = 0; e < D; e++) nbw[e] = p[(int64_t)m->adj_nbr[a0 + e] * nw + w];
                    uint8_t S[256];
                    for (int q = 0; q < 16; q++) wide_block(&R, i, w, q, S + 16 * q);
                    uint64_t out = 0;
                    for (int j = 0; j < 64; j++) {
                        const uint32_t U = (uint32_t)S[j] << 24 | (uint32_t)S[64 + j] << 16 | (uint32_t)S[129 + 2 * j] << 8 | S[128 + 2 * j];
                        out |= (uint64_t)(U < ebm_packed_wide_threshold(m, i, lane_cfg(nbw, D, j), o->beta)) << j;
                    }
                    store_word(p + (int64_t)i * nw, o->clamp_pc ? o->clamp_pc + (int64_t)i * nw : NULL, w, out);
                }
            }
    }
    return EBM_OK;
}
