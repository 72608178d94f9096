/* gibbs_packed.c - bit-packed exact block Gibbs for binary models (see gibbs_packed.h).
 * Vectors are GCC vector extensions over EBM_PK_GROUP u64 words (one AVX-512 register with
 * -march=native; plain 64-bit code elsewhere). */
#include "gibbs_packed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#include "gibbs.h"
#include "gibbs_cpu.h"
#include "pool.h"
#include "rng.h"

#include <immintrin.h>

typedef uint64_t v8u __attribute__((vector_size(8 * EBM_PK_GROUP)));
#define G EBM_PK_GROUP

int64_t ebm_packed_words(int64_t C) {
    int64_t nw = (C + 63) / 64;
    return (nw + G - 1) / G * G;
}

int ebm_packed_check(const ebm_model *m, char *err, int errlen) {
    for (int32_t i = 0; i < m->n; i++) {
        int64_t d = m->adj_start[i + 1] - m->adj_start[i];
        if (m->K[i] != 2) {
            snprintf(err, (size_t)errlen, "node %d has %d levels (the packed path is for binary models)", (int)i + 1, (int)m->K[i]);
            return 1;
        }
        if (d > EBM_PK_WIDEDEG) {
            snprintf(err, (size_t)errlen, "node %d has %d neighbours (the packed path supports at most %d)", (int)i + 1, (int)d,
                     EBM_PK_WIDEDEG);
            return 1;
        }
    }
    return 0;
}

/* Bits of one word <-> len (<= 64) bytes of 0/1 (one AVX-512BW mask operation for full words). */
static inline uint64_t pack_word(const uint8_t *x, int64_t len) {
#if defined(__AVX512BW__)
    if (len == 64) return _mm512_test_epi8_mask(_mm512_loadu_si512(x), _mm512_set1_epi8(-1));
#endif
    uint64_t v = 0;
    for (int64_t j = 0; j < len; j++) v |= (uint64_t)(x[j] != 0) << j;
    return v;
}

static inline void unpack_word(uint64_t v, uint8_t *x, int64_t len) {
#if defined(__AVX512BW__)
    if (len == 64) { _mm512_storeu_si512(x, _mm512_maskz_set1_epi8(v, 1)); return; }
#endif
    for (int64_t j = 0; j < len; j++) x[j] = (uint8_t)((v >> j) & 1);
}

void ebm_packed_pack(const uint8_t *x, int32_t n, int64_t C, uint64_t *p, int64_t nw) {
    for (int32_t i = 0; i < n; i++) {
        const uint8_t *xi = x + (int64_t)i * C;
        uint64_t *pi = p + (int64_t)i * nw;
        for (int64_t w = 0; w < nw; w++) {
            int64_t c0 = w * 64, len = C - c0 < 64 ? C - c0 : 64;
            pi[w] = len > 0 ? pack_word(xi + c0, len) : 0;
        }
    }
}

void ebm_packed_unpack(const uint64_t *p, int32_t n, int64_t C, int64_t nw, uint8_t *x) {
    for (int32_t i = 0; i < n; i++) {
        uint8_t *xi = x + (int64_t)i * C;
        const uint64_t *pi = p + (int64_t)i * nw;
        for (int64_t w = 0; w * 64 < C; w++) {
            int64_t c0 = w * 64;
            unpack_word(pi[w], xi + c0, C - c0 < 64 ? C - c0 : 64);
        }
    }
}

/* Per-call tables. */
typedef struct plan {
    int32_t *deg;     /* [n] number of neighbours */
    int64_t *nbo;     /* [n * MAXDEG] word offsets of the neighbours' rows in the packed state, in
                         CSR order (bit e of cfg is neighbour e) */
    uint32_t *T;      /* [n * 256] thresholds T[cfg], cfg < 2^deg */
    int64_t *coff;    /* [n] offset of node i's codes in code */
    uint16_t *code;   /* per node, per plane b (bit 31-b of T), 2^(D-2) codes, D = max(deg, 2):
                         code c (stored as its byte offset c * sizeof(v8u) into the table F
                         of the kernel) is the truth table of the threshold bit over (x_nbr0, x_nbr1)
                         for the configurations 4c .. 4c+3 (bit k for cfg 4c + k); the kernel
                         looks up that function of the two first neighbours' words and muxes
                         the rest (neighbours past deg count as 0) */
} plan;

/* Neighbour count the code tables are built for: at least 2. */
static inline int code_deg(int deg) { return deg < 2 ? 2 : deg; }

static void plan_free(plan *P) {
    free(P->deg); free(P->nbo); free(P->T); free(P->coff); free(P->code);
}

/* Thresholds of a binary node with deg <= 8: for deg <= 4 the u8 kernel's own table; above,
 * the same float formula over 2^deg configurations. */
static void thresholds(const ebm_model *m, int32_t i, int deg, float beta, uint32_t *T) {
    if (deg <= 4) {
        ebm_gibbs_bin4_thresholds(m, i, beta, T);
        return;
    }
    int64_t a0 = m->adj_start[i];
    for (int cfg = 0; cfg < (1 << deg); cfg++) {
        float h = m->bin_c[i];
        for (int e = 0; e < deg; e++) h += m->adj_slope[a0 + e] * (float)((cfg >> e) & 1);
        T[cfg] = ebm_bin_threshold(h, beta);
    }
}

static int plan_build(const ebm_model *m, float beta, int64_t nw, plan *P) {
    int32_t n = m->n;
    memset(P, 0, sizeof *P);
    P->deg = malloc(sizeof(int32_t) * (size_t)n);
    P->nbo = calloc((size_t)n * EBM_PK_MAXDEG, sizeof(int64_t));
    P->T = malloc(sizeof(uint32_t) * (size_t)n * 256);
    P->coff = malloc(sizeof(int64_t) * (size_t)n);
    if (!P->deg || !P->nbo || !P->T || !P->coff) { plan_free(P); return EBM_ENOMEM; }
    int64_t tot = 0;
    for (int32_t i = 0; i < n; i++) {
        int d = (int)(m->adj_start[i + 1] - m->adj_start[i]);
        P->deg[i] = d;
        for (int e = 0; e < d; e++) P->nbo[(int64_t)i * EBM_PK_MAXDEG + e] = (int64_t)m->adj_nbr[m->adj_start[i] + e] * nw;
        P->coff[i] = tot;
        tot += (int64_t)32 << (code_deg(d) - 2);
    }
    P->code = malloc(sizeof(uint16_t) * (size_t)tot);
    if (!P->code) { plan_free(P); return EBM_ENOMEM; }
    for (int32_t i = 0; i < n; i++) {
        int d = P->deg[i], dc = code_deg(d);
        uint32_t *T = P->T + (int64_t)i * 256;
        thresholds(m, i, d, beta, T);
        uint16_t *cd = P->code + P->coff[i];
        for (int b = 0; b < 32; b++)
            for (int c = 0; c < (1 << (dc - 2)); c++) {
                int v = 0;
                for (int k = 0; k < 4; k++) v |= (int)((T[(4 * c + k) & ((1 << d) - 1)] >> (31 - b)) & 1) << k;
                cd[(b << (dc - 2)) + c] = (uint16_t)(v * (int)sizeof(v8u));
            }
    }
    return EBM_OK;
}

typedef uint32_t v16w __attribute__((vector_size(8 * EBM_PK_GROUP)));

/* The random-number state of one sweep (one step) of a packed kernel call. */
typedef struct pk_rand {
    v8u rk[EBM_ARS_ROUNDS + 1];  /* ARS round keys, repeated in every 128-bit block */
    ebm_ars_keys keys;           /* the same, for the portable ARS */
    uint32_t ks[20];             /* Philox key schedule: round r uses ks[2r], ks[2r+1] */
    v8u cgrp, nodehi;            /* ARS counters of a group (pk_rand_group) */
    v8u pc0;                     /* Philox counter word 0 of a group's words (pk_rand_group) */
    uint64_t step;
    int rng;                     /* EBM_RNG_ARS or EBM_RNG_PHILOX */
} pk_rand;

static uint64_t packed_key(uint64_t seed) { return seed ^ ((uint64_t)EBM_PK_KEYX << 32); }

static void pk_rand_init(pk_rand *R, int rng, uint64_t seed, uint64_t step) {
    R->rng = rng;
    R->step = step;
    if (rng == EBM_RNG_ARS) {
        ebm_ars_setkey(&R->keys, seed, packed_key(step >> 32));
        for (int r = 0; r <= EBM_ARS_ROUNDS; r++)
            for (int q = 0; q < G / 2; q++) memcpy((uint8_t *)&R->rk[r] + 16 * q, R->keys.k[r], 16);
    } else {
        const uint64_t key = packed_key(seed);
        for (int r = 0; r < 10; r++) {
            R->ks[2 * r] = (uint32_t)key + (uint32_t)r * 0x9E3779B9u;
            R->ks[2 * r + 1] = (uint32_t)(key >> 32) + (uint32_t)r * 0xBB67AE85u;
        }
    }
}

/* The group's part of the counters of words g0 .. g0+G-1, set once per sweep and group: ARS
 * {w/2, node, step_lo, plane} (the kernel ors in the node and xors in pk_plane_ctr[plane]);
 * Philox word 0, 16 w (the kernel adds plane/2). */
static void pk_rand_group(pk_rand *R, int64_t g0) {
    for (int l = 0; l < G; l += 2) {
        R->cgrp[l] = (uint64_t)(g0 / 2 + l / 2);
        R->cgrp[l + 1] = (uint32_t)R->step;
        R->nodehi[l] = 0xFFFFFFFF00000000ull;
        R->nodehi[l + 1] = 0;
    }
    for (int l = 0; l < G; l++) R->pc0[l] = (uint64_t)(g0 + l) * 16;
}

/* pk_plane_ctr[b]: plane b in counter word 3 of every block (the high half of the odd lanes). */
static v8u pk_plane_ctr[32];
static void pk_plane_ctr_init(void) {
    for (int b = 0; b < 32; b++)
        for (int l = 0; l < G; l++) pk_plane_ctr[b][l] = l & 1 ? (uint64_t)b << 32 : 0;
}

/* The kernel three times: portable (vector code limited to SSE2: AVX switched off), AVX2 +
 * AES-NI, AVX-512 + VAES. The two SIMD copies add their features to the build's own, so with
 * -march=native on an AVX-512 machine the AVX2 copy may also use AVX-512 encodings (GCC cannot
 * inline the AVX2 intrinsics into a function that switches AVX-512 off when the build enables
 * it); built without -march=native (make OPT=-O3) it is pure AVX2. Each copy runs only when
 * gibbs_cpu.c found its features. The copies' vectors never cross a function boundary by
 * value (everything is inlined), so GCC's ABI note about them does not apply. */
#pragma GCC diagnostic ignored "-Wpsabi"


#define PK_STEP 4
#define PK_FIRST 12

/* Unroll hints for the threshold mux tree. Under the sanitizers GCC cannot honour them and
 * warns ("ignoring loop annotation"), which -Werror turns into a failed `make sanitize`;
 * the hints only matter for speed, so those builds drop them. */
#define PK_PRAGMA(x) _Pragma(#x)
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
#define PK_UNROLL(n)
#else
#define PK_UNROLL(n) PK_PRAGMA(GCC unroll n)
#endif
#define PK_NAME_(a, b) a##_##b
#define PK_NAME(a, b) PK_NAME_(a, b)

#pragma GCC push_options
#pragma GCC target("no-avx")
#define PK_ISA 0
#define PK(name) PK_NAME(name, scalar)
#include "gibbs_packed_kern.h"
#undef PK
#undef PK_ISA
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx2,aes")
#define PK_ISA 1
#define PK(name) PK_NAME(name, avx2)
#include "gibbs_packed_kern.h"
#undef PK
#undef PK_ISA
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,vaes")
#define PK_ISA 2
#define PK(name) PK_NAME(name, avx512)
#include "gibbs_packed_kern.h"
#undef PK
#undef PK_ISA
#pragma GCC pop_options

int ebm_packed_sweeps(const ebm_model *m, const ebm_blocks *b, uint64_t *p, int64_t nw, int32_t nsweeps,
                      const ebm_packed_opts *o) {
    const int rng = ebm_rng_pick(o->rng), simd = ebm_simd_pick(o->simd, rng);
    if (!ebm_simd_runs(simd, rng)) return EBM_ERANGE;
    ebm_pool_refresh();
    if (ebm_packed_is_wide(m)) return ebm_packed_wide_sweeps(m, b, p, nw, nsweeps, o, simd, rng);
    plan P;
    if (plan_build(m, o->beta, nw, &P)) return EBM_ENOMEM;
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, pk_plane_ctr_init);
    const int64_t ngroups = nw / G;
    /* Chains are independent: each thread runs all sweeps on its own groups of words (no
     * barriers), and a group's result depends only on its own counters. */
#pragma omp parallel for schedule(static)
    for (int64_t gi = 0; gi < ngroups; gi++) {
        if (simd == EBM_SIMD_AVX512) sweep_groups_avx512(&P, b, p, nw, nsweeps, o, rng, gi);
        else if (simd == EBM_SIMD_AVX2) sweep_groups_avx2(&P, b, p, nw, nsweeps, o, rng, gi);
        else sweep_groups_scalar(&P, b, p, nw, nsweeps, o, rng, gi);
    }
    plan_free(&P);
    return EBM_OK;
}

/* Plane b (0 = most significant bit of U) of word w for node i: 64 random bits. */
static uint64_t ref_plane(const pk_rand *R, int rng, uint64_t seed, int32_t i, int64_t w, int b) {
    if (rng == EBM_RNG_ARS) {
        uint32_t ctr[4] = {(uint32_t)(w / 2), (uint32_t)i, (uint32_t)R->step, (uint32_t)b}, out[4];
        ebm_ars_block(&R->keys, ctr, out);
        return w & 1 ? (uint64_t)out[2] | (uint64_t)out[3] << 32 : (uint64_t)out[0] | (uint64_t)out[1] << 32;
    }
    uint64_t pos = (uint64_t)(uint32_t)(w * 16 + b / 2) | ((uint64_t)(uint32_t)i << 32);
    ebm_philox_ctr v = ebm_rng_block(packed_key(seed), R->step, pos);
    return b & 1 ? (uint64_t)v.v[2] | (uint64_t)v.v[3] << 32 : (uint64_t)v.v[0] | (uint64_t)v.v[1] << 32;
}

int ebm_packed_sweeps_ref(const ebm_model *m, const ebm_blocks *b, uint64_t *p, int64_t nw, int32_t nsweeps,
                          const ebm_packed_opts *o) {
    const int rng = ebm_rng_pick(o->rng);
    if (ebm_packed_is_wide(m)) return ebm_packed_wide_sweeps_ref(m, b, p, nw, nsweeps, o, rng);
    plan P;
    if (plan_build(m, o->beta, nw, &P)) return EBM_ENOMEM;
    for (int32_t s = 0; s < nsweeps; s++) {
        pk_rand R;
        pk_rand_init(&R, rng, o->seed, o->step + (uint64_t)s);
        for (int32_t blk = 0; blk < b->nblocks; blk++)
            for (int64_t k = b->start[blk]; k < b->start[blk + 1]; k++) {
                int32_t i = b->nodes[k];
                if (o->clamp && o->clamp[i]) continue;
                int D = P.deg[i];
                for (int64_t w = 0; w < nw; w++) {
                    uint64_t planes[32];
                    for (int bp = 0; bp < 32; bp++) planes[bp] = ref_plane(&R, rng, o->seed, i, w, bp);
                    uint64_t out = 0;
                    for (int j = 0; j < 64; j++) {
                        int cfg = 0;
                        for (int e = 0; e < D; e++)
                            cfg |= (int)((p[P.nbo[(int64_t)i * EBM_PK_MAXDEG + e] + w] >> j) & 1) << e;
                        uint32_t U = 0;
                        for (int bp = 0; bp < 32; bp++) U = (U << 1) | (uint32_t)((planes[bp] >> j) & 1);
                        out |= (uint64_t)(U < P.T[(int64_t)i * 256 + cfg]) << j;
                    }
                    uint64_t *xw = p + (int64_t)i * nw + w;
                    if (o->clamp_pc) {
                        uint64_t kp = o->clamp_pc[(int64_t)i * nw + w];
                        out = (*xw & kp) | (out & ~kp);
                    }
                    *xw = out;
                }
            }
    }
    plan_free(&P);
    return EBM_OK;
}
