/* gibbs_packed.c - bit-packed exact block Gibbs for binary models (see gibbs_packed.h).
 * Vectors are GCC vector extensions over EBM_PK_GROUP u64 words (one AVX-512 register with
 * -march=native; plain 64-bit code elsewhere). */
#include "gibbs_packed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gibbs.h"
#include "rng.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

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
        if (d > EBM_PK_MAXDEG) {
            snprintf(err, (size_t)errlen, "node %d has %d neighbours (the packed path supports at most %d)", (int)i + 1, (int)d,
                     EBM_PK_MAXDEG);
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
    int32_t *nbr;     /* [n * MAXDEG] neighbours in CSR order (bit e of cfg is neighbour e) */
    uint32_t *T;      /* [n * 256] thresholds T[cfg], cfg < 2^deg */
    int64_t *loff;    /* [n] offset of node i's leaves in leaf */
    uint32_t *leaf;   /* per node, per plane b (bit 31-b of T), 2^deg words: for each pair of
                         configurations (2c, 2c+1): L(2c) and L(2c) ^ L(2c+1), where L(cfg) is
                         all ones if the bit is set in T[cfg], else 0 (deg 0: one word, L(0)) */
} plan;

static void plan_free(plan *P) {
    free(P->deg); free(P->nbr); free(P->T); free(P->loff); free(P->leaf);
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

static int plan_build(const ebm_model *m, float beta, plan *P) {
    int32_t n = m->n;
    memset(P, 0, sizeof *P);
    P->deg = malloc(sizeof(int32_t) * (size_t)n);
    P->nbr = malloc(sizeof(int32_t) * (size_t)n * EBM_PK_MAXDEG);
    P->T = malloc(sizeof(uint32_t) * (size_t)n * 256);
    P->loff = malloc(sizeof(int64_t) * (size_t)n);
    if (!P->deg || !P->nbr || !P->T || !P->loff) { plan_free(P); return EBM_ENOMEM; }
    int64_t tot = 0;
    for (int32_t i = 0; i < n; i++) {
        int d = (int)(m->adj_start[i + 1] - m->adj_start[i]);
        P->deg[i] = d;
        for (int e = 0; e < d; e++) P->nbr[(int64_t)i * EBM_PK_MAXDEG + e] = m->adj_nbr[m->adj_start[i] + e];
        P->loff[i] = tot;
        tot += (int64_t)32 << d;
    }
    P->leaf = malloc(sizeof(uint32_t) * (size_t)tot);
    if (!P->leaf) { plan_free(P); return EBM_ENOMEM; }
    for (int32_t i = 0; i < n; i++) {
        int d = P->deg[i];
        uint32_t *T = P->T + (int64_t)i * 256;
        thresholds(m, i, d, beta, T);
        uint32_t *lf = P->leaf + P->loff[i];
        for (int b = 0; b < 32; b++) {
            uint32_t *row = lf + (b << d);
            for (int c = 0; c < (1 << d); c++) row[c] = ((T[c] >> (31 - b)) & 1) ? 0xFFFFFFFFu : 0;
            for (int c = 0; c + 1 < (1 << d); c += 2) row[c + 1] ^= row[c];
        }
    }
    return EBM_OK;
}

static inline v8u vload(const uint64_t *p) { v8u v; memcpy(&v, p, sizeof v); return v; }
static inline void vstore(uint64_t *p, v8u v) { memcpy(p, &v, sizeof v); }
typedef uint32_t v16w __attribute__((vector_size(8 * EBM_PK_GROUP)));
/* A 32-bit word broadcast to every lane (a vpbroadcastd load, or an embedded {1to16} operand). */
static inline v8u bc32(const uint32_t *w) { return (v8u)((v16w){0} + *w); }

/* Low 32 bits of each lane times m, as a full 64-bit product (vpmuludq; GCC would otherwise
 * emit the slow 64x64 vpmullq). */
static inline v8u mul_lo32(v8u a, uint32_t m) {
#if defined(__AVX512F__) && EBM_PK_GROUP == 8
    return (v8u)_mm512_mul_epu32((__m512i)a, _mm512_set1_epi64((long long)m));
#else
    return (a & 0xFFFFFFFFu) * m;
#endif
}

static inline int all_zero(v8u v) {
#if defined(__AVX512F__) && EBM_PK_GROUP == 8
    return _mm512_test_epi64_mask((__m512i)v, (__m512i)v) == 0;
#else
    uint64_t any = 0;
    for (int l = 0; l < G; l++) any |= v[l];
    return any == 0;
#endif
}

/* Philox4x32-10 (key schedule ks) on G lanes held in 64-bit lanes (the low 32 bits are the
 * counter word; the high bits are don't-care: the multiplies read only the low halves). Returns
 * the two 64-bit planes of each lane's block: words (0,1) and (2,3). About 65 AVX-512
 * instructions per call (1024 random bits); with 10 rounds this is ~60% of the kernel's time. */
static inline __attribute__((always_inline)) void philox_planes(v8u c0, v8u c1, v8u c2, v8u c3, const uint32_t *ks, v8u *pe,
                                                                 v8u *po) {
    const v8u L = (v8u){0} + 0xFFFFFFFFu;
    for (int r = 0; r < 10; r++) {
        v8u p0 = mul_lo32(c0, 0xD2511F53u), p1 = mul_lo32(c2, 0xCD9E8D57u);
        v8u n0 = (p1 >> 32) ^ c1 ^ bc32(ks + 2 * r), n2 = (p0 >> 32) ^ c3 ^ bc32(ks + 2 * r + 1);
        c1 = p1; c3 = p0; c0 = n0; c2 = n2;
    }
    *pe = (c0 & L) | (c1 << 32);
    *po = (c2 & L) | (c3 << 32);
}

/* Threshold bit of plane b for every lane: a mux tree over the neighbour words nb[0..D-1]
 * whose leaves are the constant words lf[cfg] (all ones or all zeros). */
static inline __attribute__((always_inline)) v8u tbit(const uint32_t *lf, const v8u *nb, const int D) {
    if (D == 0) return bc32(lf);
    v8u buf[128];
    for (int c = 0; c < (1 << (D - 1)); c++) buf[c] = bc32(lf + 2 * c) ^ (nb[0] & bc32(lf + 2 * c + 1));
    for (int j = 1; j < D; j++)
        for (int c = 0; c < (1 << (D - 1 - j)); c++) buf[c] = buf[2 * c] ^ (nb[j] & (buf[2 * c] ^ buf[2 * c + 1]));
    return buf[0];
}

/* Update node i in the G words at xi (global word g0 onwards): lazy bit-serial draw. */
static inline __attribute__((always_inline)) void
update_group(const uint32_t *lf, const v8u *nb, uint64_t *xi, const uint64_t *keep, const uint32_t *ks, uint32_t node,
             uint64_t step, int64_t g0, const int D) {
    v8u und = ~(v8u){0}, res = {0};
    v8u c0;
    for (int l = 0; l < G; l++) c0[l] = (uint64_t)(g0 + l) * 16;
    const v8u c1 = (v8u){0} + node, c2 = (v8u){0} + (uint32_t)step, c3 = (v8u){0} + (uint32_t)(step >> 32);
    /* two Philox calls (four planes) per step: independent dependency chains side by side */
    for (int q = 0; q < 16; q += 2) {
        v8u r[4];
        philox_planes(c0 + (uint64_t)q, c1, c2, c3, ks, &r[0], &r[1]);
        philox_planes(c0 + (uint64_t)(q + 1), c1, c2, c3, ks, &r[2], &r[3]);
        for (int h = 0; h < 4; h++) {
            v8u tb = tbit(lf + ((2 * q + h) << D), nb, D);
            v8u diff = (r[h] ^ tb) & und;
            res |= diff & tb;
            und &= ~diff;
        }
        if (all_zero(und)) break;
    }
    v8u x = vload(xi);
    if (keep) {
        v8u k = vload(keep);
        res = (x & k) | (res & ~k);
    }
    vstore(xi, res);
}

static void node_group(const plan *P, int32_t i, uint64_t *p, int64_t nw, int64_t w0, const uint64_t *keep,
                       const uint32_t *ks, uint64_t step) {
    int D = P->deg[i];
    v8u nb[EBM_PK_MAXDEG];
    for (int e = 0; e < D; e++) nb[e] = vload(p + (int64_t)P->nbr[(int64_t)i * EBM_PK_MAXDEG + e] * nw + w0);
    const uint32_t *lf = P->leaf + P->loff[i];
    uint64_t *xi = p + (int64_t)i * nw + w0;
    switch (D) {
    case 0: update_group(lf, nb, xi, keep, ks, (uint32_t)i, step, w0, 0); break;
    case 1: update_group(lf, nb, xi, keep, ks, (uint32_t)i, step, w0, 1); break;
    case 2: update_group(lf, nb, xi, keep, ks, (uint32_t)i, step, w0, 2); break;
    case 3: update_group(lf, nb, xi, keep, ks, (uint32_t)i, step, w0, 3); break;
    case 4: update_group(lf, nb, xi, keep, ks, (uint32_t)i, step, w0, 4); break;
    case 5: update_group(lf, nb, xi, keep, ks, (uint32_t)i, step, w0, 5); break;
    case 6: update_group(lf, nb, xi, keep, ks, (uint32_t)i, step, w0, 6); break;
    case 7: update_group(lf, nb, xi, keep, ks, (uint32_t)i, step, w0, 7); break;
    default: update_group(lf, nb, xi, keep, ks, (uint32_t)i, step, w0, 8); break;
    }
}

static uint64_t packed_key(uint64_t seed) { return seed ^ ((uint64_t)EBM_PK_KEYX << 32); }

int ebm_packed_sweeps(const ebm_model *m, const ebm_blocks *b, uint64_t *p, int64_t nw, int32_t nsweeps,
                      const ebm_packed_opts *o) {
    plan P;
    if (plan_build(m, o->beta, &P)) return EBM_ENOMEM;
    const uint64_t key = packed_key(o->seed);
    uint32_t ks[20];  /* Philox key schedule: round r uses ks[2r], ks[2r+1] */
    for (int r = 0; r < 10; r++) {
        ks[2 * r] = (uint32_t)key + (uint32_t)r * 0x9E3779B9u;
        ks[2 * r + 1] = (uint32_t)(key >> 32) + (uint32_t)r * 0xBB67AE85u;
    }
    const int64_t ngroups = nw / G;
    /* Chains are independent: each thread runs all sweeps on its own groups of words (no
     * barriers), and a group's result depends only on its own counters. */
#pragma omp parallel for schedule(static)
    for (int64_t gi = 0; gi < ngroups; gi++) {
        const int64_t w0 = gi * G;
        for (int32_t s = 0; s < nsweeps; s++) {
            const uint64_t step = o->step + (uint64_t)s;
            for (int32_t blk = 0; blk < b->nblocks; blk++)
                for (int64_t k = b->start[blk]; k < b->start[blk + 1]; k++) {
                    int32_t i = b->nodes[k];
                    if (o->clamp && o->clamp[i]) continue;
                    node_group(&P, i, p, nw, w0, o->clamp_pc ? o->clamp_pc + (int64_t)i * nw + w0 : NULL, ks, step);
                }
        }
    }
    plan_free(&P);
    return EBM_OK;
}

int ebm_packed_sweeps_ref(const ebm_model *m, const ebm_blocks *b, uint64_t *p, int64_t nw, int32_t nsweeps,
                          const ebm_packed_opts *o) {
    plan P;
    if (plan_build(m, o->beta, &P)) return EBM_ENOMEM;
    const uint64_t key = packed_key(o->seed);
    for (int32_t s = 0; s < nsweeps; s++) {
        const uint64_t step = o->step + (uint64_t)s;
        for (int32_t blk = 0; blk < b->nblocks; blk++)
            for (int64_t k = b->start[blk]; k < b->start[blk + 1]; k++) {
                int32_t i = b->nodes[k];
                if (o->clamp && o->clamp[i]) continue;
                int D = P.deg[i];
                for (int64_t w = 0; w < nw; w++) {
                    ebm_philox_ctr blkv[16];
                    for (int q = 0; q < 16; q++) {
                        uint64_t pos = (uint64_t)(uint32_t)(w * 16 + q) | ((uint64_t)(uint32_t)i << 32);
                        blkv[q] = ebm_rng_block(key, step, pos);
                    }
                    uint64_t out = 0;
                    for (int j = 0; j < 64; j++) {
                        int cfg = 0;
                        for (int e = 0; e < D; e++)
                            cfg |= (int)((p[(int64_t)P.nbr[(int64_t)i * EBM_PK_MAXDEG + e] * nw + w] >> j) & 1) << e;
                        uint32_t U = 0;
                        for (int bpl = 0; bpl < 32; bpl++) {
                            const uint32_t *v = blkv[bpl / 2].v + 2 * (bpl & 1);
                            uint32_t bit = j < 32 ? (v[0] >> j) & 1 : (v[1] >> (j - 32)) & 1;
                            U = (U << 1) | bit;
                        }
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
