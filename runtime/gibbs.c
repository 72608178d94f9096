/* gibbs.c - block Gibbs kernels (batched, SIMD over chains, OpenMP) and the sequential
 * reference sampler. See gibbs.h for the random-number contract. */
#include "gibbs.h"

#include <math.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <immintrin.h>

#include "gibbs_cpu.h"
#include "pool.h"

/* The AVX-512 code below is compiled for AVX-512 F/BW/VL/DQ whatever the build flags (between
 * AVX512_BEGIN and AVX512_END) and runs only when gibbs_cpu.c found those features and the
 * caller did not ask for another path (ebm_gibbs_opts.simd, EBM_SIMD); the portable loops give
 * the same bits. */
#define AVX512_BEGIN _Pragma("GCC push_options") _Pragma("GCC target(\"avx512f,avx512bw,avx512vl,avx512dq\")")
#define AVX512_END _Pragma("GCC pop_options")

#define TILE 128  /* chains per tile (a multiple of 64): the scratch of one tile stays in L1 */
enum { LVT_KMAX = 16, LVT_NCFG = 256 };  /* level threshold tables (lvt below): largest K, configurations */

/* A deferred level draw (lvt_draw64): the chain's word equals the top byte of some threshold,
 * so the full thresholds t[0 .. nk-1] decide; done by tie_flush before the block ends. */
typedef struct tie_q {
    uint8_t *dst;
    const uint32_t *t;
    uint32_t u;
    int32_t nk;
} tie_q;
#define TQ_CAP 1024

/* Per-thread scratch for one tile. */
typedef struct scratch {
    uint32_t rnd[TILE + 64];     /* rnd[c]: the random word of chain c of the tile */
    uint32_t g64[64];            /* one group of 64 words */
    float h[TILE];               /* binary field / thresholds */
    uint8_t sel[TILE];           /* drawn levels */
    float *L;                    /* [kmax * TILE] logits, level-major: L[k*TILE + c] */
    float *cum;                  /* [TILE] */
    float *mx;                   /* [TILE] */
    const uint32_t *bt;          /* [n*16] precomputed binary thresholds of this call, or NULL */
    const struct lvt *lt;        /* level threshold tables of this call (filled), or NULL */
    int v512;                    /* 1: the AVX-512 path */
    int thr;                     /* 1: levels by 32-bit cumulative thresholds (EBM_LEVELS_TABLE) */
    int vbmi;                    /* 1: table draws by VBMI byte permutes (lvt_draw64) */
    int ars;                     /* 1: ARS-7 words (EBM_RNG_ARS), else Philox */
    int aesni;                   /* 1: the portable ARS uses AES-NI */
    ebm_ars_keys ark;            /* ARS round keys of the call's seed */
    tie_q *tq;                   /* [TQ_CAP] deferred draws of this block (VBMI table path) */
    int ntq;
} scratch;

/* Level threshold tables of one model (built and filled below, "level threshold tables"). */
typedef struct lvt {
    int32_t *off;      /* [n] offset in T of node i's table [ncfg_i][lvt_ks(K_i)]: T_k[cfg] at cfg * ks + k
                          (a configuration's thresholds share a cache line), -1: none */
    int32_t *ncfg;     /* [n] neighbour configurations of node i (tabled nodes) */
    uint32_t *T;
    int64_t total;
    uint8_t *hb;       /* top bytes T_k[cfg] >> 24 of node i at hoff[i] + 256 k + cfg (VBMI lookups) */
    uint8_t *nk4;      /* [n] 1: every neighbour of node i has 4 levels (a specialised draw) */
    int64_t *hoff;     /* [n] */
    int filled;        /* T holds the tables of (version, beta) */
    uint64_t version;
    float beta;
} lvt;

/* Thresholds per configuration in a table: K - 1 rounded up to a power of two. */
static inline int lvt_ks(int K) {
    int ks = 1;
    while (ks < K - 1) ks *= 2;
    return ks;
}

/* Finish the deferred draws: the thresholds were prefetched when they were queued, so the loads
 * overlap (a draw waiting on its table line one at a time costs an L3 latency each). Updates
 * within a block are independent, so the order and the delay change nothing. */
static void tie_flush(scratch *S) {
    for (int q = 0; q < S->ntq; q++) {
        const tie_q *e = S->tq + q;
        int v = 0;
        for (int k = 0; k < e->nk; k++) v += e->u >= e->t[k];
        *e->dst = (uint8_t)v;
    }
    S->ntq = 0;
}

/* The level threshold of running weight sum c with scale sc = cum_scale(total) (gibbs.h):
 * trunc(fl(c * sc)), saturated. Every table and per-chain path uses these (cumthr16 and the
 * division in sample16 round alike). */
static inline float cum_scale(float tot) { return 4294967296.0f / tot; }
static inline uint32_t cum_threshold(float c, float sc) {
    float q = c * sc;
    return q >= 4294967040.0f ? 0xFFFFFFFFu : (uint32_t)q;
}

static const uint32_t PH_M0 = 0xD2511F53u, PH_M1 = 0xCD9E8D57u, PH_W0 = 0x9E3779B9u, PH_W1 = 0xBB67AE85u;

AVX512_BEGIN
/* Philox4x32-10 on 16 lanes: counter words 0 and 1 per lane, words 2..3 = step; out = the
 * four result words. */
static inline void philox16v(uint64_t seed, __m512i c0, __m512i c1, uint64_t step, __m512i *out) {
    const __m512i M0 = _mm512_set1_epi32((int)PH_M0), M1 = _mm512_set1_epi32((int)PH_M1);
    __m512i c2 = _mm512_set1_epi32((int)(uint32_t)step), c3 = _mm512_set1_epi32((int)(uint32_t)(step >> 32));
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int r = 0; r < 10; r++) {
        __m512i e0 = _mm512_mul_epu32(c0, M0), o0 = _mm512_mul_epu32(_mm512_srli_epi64(c0, 32), M0);
        __m512i e1 = _mm512_mul_epu32(c2, M1), o1 = _mm512_mul_epu32(_mm512_srli_epi64(c2, 32), M1);
        __m512i hi0 = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(e0, 32), o0);
        __m512i lo0 = _mm512_mask_blend_epi32(0xAAAA, e0, _mm512_slli_epi64(o0, 32));
        __m512i hi1 = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(e1, 32), o1);
        __m512i lo1 = _mm512_mask_blend_epi32(0xAAAA, e1, _mm512_slli_epi64(o1, 32));
        __m512i n0 = _mm512_ternarylogic_epi32(hi1, c1, _mm512_set1_epi32((int)k0), 0x96);
        __m512i n2 = _mm512_ternarylogic_epi32(hi0, c3, _mm512_set1_epi32((int)k1), 0x96);
        c1 = lo1; c3 = lo0; c0 = n0; c2 = n2;
        k0 += PH_W0; k1 += PH_W1;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

/* philox_group below on 16 lanes. */
static void philox_group16(uint64_t seed, uint32_t node, uint64_t step, uint32_t blk0, uint32_t *out) {
    __m512i w[4];
    philox16v(seed, _mm512_add_epi32(_mm512_set1_epi32((int)blk0), _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)),
              _mm512_set1_epi32((int)node), step, w);
    _mm512_storeu_si512(out, w[0]);
    _mm512_storeu_si512(out + 16, w[1]);
    _mm512_storeu_si512(out + 32, w[2]);
    _mm512_storeu_si512(out + 48, w[3]);
}
AVX512_END

/* The 64 words of chain group G (global chains 64G .. 64G+63) for node i at step s:
 * out[g - 64G] = word ((g >> 4) & 3) of Philox(key = seed, ctr = {16G + (g & 15), i, s_lo, s_hi}). */
static void philox_group(uint64_t seed, uint32_t node, uint64_t step, uint64_t G, uint32_t *out, int v512) {
    uint32_t blk0 = (uint32_t)(G * 16);
    if (v512) {
        philox_group16(seed, node, step, blk0, out);
        return;
    }
    ebm_philox_key key = {{(uint32_t)seed, (uint32_t)(seed >> 32)}};
    for (int b = 0; b < 16; b++) {
        ebm_philox_ctr c = {{blk0 + (uint32_t)b, node, (uint32_t)step, (uint32_t)(step >> 32)}};
        ebm_philox_ctr r = ebm_philox4x32(c, key);
        for (int w = 0; w < 4; w++) out[w * 16 + b] = r.v[w];
    }
}

/* ---- ARS-7 words (EBM_RNG_ARS; gibbs.h) ---- */

static void ars_keys(ebm_ars_keys *rk, uint64_t seed) { ebm_ars_setkey(rk, seed, EBM_GIBBS_ARS_KEYHI); }

/* nb consecutive blocks with counters {blk0 + b, node, s_lo, s_hi} into out[4b .. 4b+3]. */
_Pragma("GCC push_options") _Pragma("GCC target(\"aes,sse4.1\")")
static void ars_blocks_ni(const ebm_ars_keys *rk, uint32_t node, uint64_t step, uint32_t blk0, int nb, uint32_t *out) {
    __m128i k[EBM_ARS_ROUNDS + 1];
    for (int r = 0; r <= EBM_ARS_ROUNDS; r++) k[r] = _mm_loadu_si128((const __m128i *)rk->k[r]);
    for (int b = 0; b < nb; b++) {
        __m128i v = _mm_xor_si128(_mm_setr_epi32((int)(blk0 + (uint32_t)b), (int)node, (int)(uint32_t)step, (int)(uint32_t)(step >> 32)), k[0]);
        for (int r = 1; r < EBM_ARS_ROUNDS; r++) v = _mm_aesenc_si128(v, k[r]);
        _mm_storeu_si128((__m128i *)(out + 4 * b), _mm_aesenclast_si128(v, k[EBM_ARS_ROUNDS]));
    }
}
_Pragma("GCC pop_options")

static void ars_blocks(const ebm_ars_keys *rk, int aesni, uint32_t node, uint64_t step, uint32_t blk0, int nb, uint32_t *out) {
    if (aesni) { ars_blocks_ni(rk, node, step, blk0, nb, out); return; }
    for (int b = 0; b < nb; b++) {
        const uint32_t c[4] = {blk0 + (uint32_t)b, node, (uint32_t)step, (uint32_t)(step >> 32)};
        ebm_ars_block(rk, c, out + 4 * b);
    }
}

_Pragma("GCC push_options") _Pragma("GCC target(\"avx512f,avx512bw,avx512vl,avx512dq,vaes,aes\")")
/* The 64 words of a chain group: 16 blocks {blk0 + b, node, step} in four VAES registers. */
static void ars_group16(const ebm_ars_keys *rk, uint32_t node, uint64_t step, uint32_t blk0, uint32_t *out) {
    __m512i k[EBM_ARS_ROUNDS + 1];
    for (int r = 0; r <= EBM_ARS_ROUNDS; r++) k[r] = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)rk->k[r]));
    const int lo = (int)(uint32_t)step, hi = (int)(uint32_t)(step >> 32), nd = (int)node;
    __m512i c = _mm512_setr_epi32(0, nd, lo, hi, 1, nd, lo, hi, 2, nd, lo, hi, 3, nd, lo, hi);
    c = _mm512_mask_add_epi32(c, 0x1111, c, _mm512_set1_epi32((int)blk0));
    for (int j = 0; j < 4; j++) {
        __m512i v = _mm512_xor_si512(_mm512_mask_add_epi32(c, 0x1111, c, _mm512_set1_epi32(4 * j)), k[0]);
        for (int r = 1; r < EBM_ARS_ROUNDS; r++) v = _mm512_aesenc_epi128(v, k[r]);
        _mm512_storeu_si512(out + 16 * j, _mm512_aesenclast_epi128(v, k[EBM_ARS_ROUNDS]));
    }
}

/* The words of chain g for the 16 nodes nid[0..15] (the single-chain path): lane l = word
 * (g & 3) of block {g >> 2, nid[l], step}. */
static void ars_nodes16(const ebm_ars_keys *rk, const int32_t *nid, int64_t g, uint64_t step, uint32_t *out) {
    __m512i k[EBM_ARS_ROUNDS + 1];
    for (int r = 0; r <= EBM_ARS_ROUNDS; r++) k[r] = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)rk->k[r]));
    const int lo = (int)(uint32_t)step, hi = (int)(uint32_t)(step >> 32), b0 = (int)(uint32_t)((uint64_t)g >> 2);
    const __m512i base = _mm512_setr_epi32(b0, 0, lo, hi, b0, 0, lo, hi, b0, 0, lo, hi, b0, 0, lo, hi);
    const __m512i nv = _mm512_loadu_si512(nid);
    __m512i z[4];
    for (int j = 0; j < 4; j++) {
        const __m512i idx = _mm512_add_epi32(_mm512_set1_epi32(4 * j), _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3));
        __m512i v = _mm512_xor_si512(_mm512_mask_permutexvar_epi32(base, 0x2222, idx, nv), k[0]);
        for (int r = 1; r < EBM_ARS_ROUNDS; r++) v = _mm512_aesenc_epi128(v, k[r]);
        z[j] = _mm512_aesenclast_epi128(v, k[EBM_ARS_ROUNDS]);
    }
    const __m512i w = _mm512_set1_epi32((int)(g & 3));
    const __m512i sel = _mm512_add_epi32(w, _mm512_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28, 0, 4, 8, 12, 16, 20, 24, 28));
    __m512i t01 = _mm512_permutex2var_epi32(z[0], sel, z[1]), t23 = _mm512_permutex2var_epi32(z[2], sel, z[3]);
    _mm512_storeu_si512(out, _mm512_mask_blend_epi32(0xFF00, t01, t23));
}
_Pragma("GCC pop_options")

uint32_t ebm_gibbs_word_rng(int rng, uint64_t seed, uint32_t node, uint64_t step, int64_t g) {
    if (rng != EBM_RNG_ARS) return ebm_gibbs_word(seed, node, step, g);
    ebm_ars_keys rk;
    ars_keys(&rk, seed);
    const uint32_t c[4] = {(uint32_t)((uint64_t)g >> 2), node, (uint32_t)step, (uint32_t)(step >> 32)};
    uint32_t out[4];
    ebm_ars_block(&rk, c, out);
    return out[g & 3];
}

uint32_t ebm_gibbs_word(uint64_t seed, uint32_t node, uint64_t step, int64_t g) {
    ebm_philox_ctr c = {{(uint32_t)((uint64_t)(g >> 6) * 16 + (uint64_t)(g & 15)), node, (uint32_t)step, (uint32_t)(step >> 32)}};
    ebm_philox_key key = {{(uint32_t)seed, (uint32_t)(seed >> 32)}};
    return ebm_philox4x32(c, key).v[(g >> 4) & 3];
}

/* Words for global chains g0 .. g0+len-1 of node i at step s into S->rnd[0 .. len-1]. */
static void tile_random(scratch *S, uint64_t seed, uint32_t node, uint64_t step, int64_t g0, int len) {
    if (S->ars) {  /* chain g is word g & 3 of block g >> 2: blocks g0/4 .. (g0+len-1)/4 */
        const int64_t b0 = g0 >> 2, b1 = (g0 + len - 1) >> 2;
        const int aligned = (g0 & 3) == 0;  /* else through the bounce buffer g64 */
        for (int64_t b = b0; b <= b1; b += 16) {
            const int nb = b1 - b + 1 < 16 ? (int)(b1 - b + 1) : 16;
            uint32_t *o = aligned ? S->rnd + 4 * (b - b0) : S->g64;  /* rnd has room for the last block */
            if (S->v512 && nb == 16) ars_group16(&S->ark, node, step, (uint32_t)b, o);
            else ars_blocks(&S->ark, S->aesni, node, step, (uint32_t)b, nb, o);
            if (!aligned) {
                const int64_t lo = 4 * b > g0 ? 4 * b : g0, hi = 4 * (b + nb) < g0 + len ? 4 * (b + nb) : g0 + len;
                memcpy(S->rnd + (lo - g0), S->g64 + (lo - 4 * b), sizeof(uint32_t) * (size_t)(hi - lo));
            }
        }
        return;
    }
    if (len < 2) { /* one chain: one Philox block */
        for (int c = 0; c < len; c++) S->rnd[c] = ebm_gibbs_word(seed, node, step, g0 + c);
        return;
    }
    int64_t G0 = g0 >> 6, G1 = (g0 + len - 1) >> 6;
    for (int64_t G = G0; G <= G1; G++) {
        int64_t lo = G * 64 > g0 ? G * 64 : g0, hi = G * 64 + 64 < g0 + len ? G * 64 + 64 : g0 + len;
        if (lo == G * 64 && hi == G * 64 + 64) {
            philox_group(seed, node, step, (uint64_t)G, S->rnd + (lo - g0), S->v512);
        } else {
            philox_group(seed, node, step, (uint64_t)G, S->g64, S->v512);
            memcpy(S->rnd + (lo - g0), S->g64 + (lo - G * 64), sizeof(uint32_t) * (size_t)(hi - lo));
        }
    }
}

AVX512_BEGIN
/* ebm_expf on 16 lanes with exactly the same roundings (roundscale = the magic-number
 * rounding; scalef = the product with 2^n). */
static inline __attribute__((always_inline)) __m512 expf16(__m512 x) {
    x = _mm512_max_ps(x, _mm512_set1_ps(-87.0f));
    x = _mm512_min_ps(x, _mm512_set1_ps(88.0f));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428606765330187e-06f), r);
    __m512 p = _mm512_set1_ps(1.0f / 5040.0f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);  /* p * 2^n, exact like the exponent-field product */
}

/* The lanes of chains c .. c+15 of a tile of len chains that exist. */
static inline __mmask16 tail16(int len, int c) {
    return len - c >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (len - c)) - 1);
}

/* ebm_u01f on 16 lanes: 24-bit uniforms in [0,1). */
static inline __m512 u01v(__m512i w) {
    return _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32(w, 8)), _mm512_set1_ps(1.0f / 16777216.0f));
}

/* Store 16 drawn levels v at xi (lanes mk), keeping the lanes whose clamp byte cl[c] is nonzero
 * (cl may be NULL). */
static inline void store16(uint8_t *xi, const uint8_t *cl, __mmask16 mk, __m128i v) {
    if (cl) {
        __mmask16 keep = _mm_test_epi8_mask(_mm_maskz_loadu_epi8(mk, cl), _mm_set1_epi8(-1));
        v = _mm_mask_blend_epi8(keep, v, _mm_maskz_loadu_epi8(mk, xi));
    }
    _mm_mask_storeu_epi8(xi, mk, v);
}

/* beta of 16 chains: per chain from bpc, or the call's beta. */
static inline __m512 beta16(const float *bpc, float beta, __mmask16 mk) {
    return bpc ? _mm512_maskz_loadu_ps(mk, bpc) : _mm512_set1_ps(beta);
}

static inline __m512i threshold16(__m512 h, __m512 vnegbeta);

/* Binary fast path, 16 chains per step. Same arithmetic as the generic loop. thr: draw by the
 * 32-bit threshold (the bin4 table's formula, per chain) instead of the float compare; used
 * for nodes with <= 4 neighbours when beta is per chain, so that equal betas give bin4's bits. */
static void binary16(const ebm_model *m, int32_t i, const uint8_t *x, int64_t C, int64_t c0, int len, float beta,
                     const float *bpc, int thr, const uint32_t *rnd, uint8_t *xi, const uint8_t *cl) {
    int64_t a0 = m->adj_start[i], a1 = m->adj_start[i + 1];
    const __m512 one = _mm512_set1_ps(1.0f), zero = _mm512_setzero_ps();
    for (int c = 0; c < len; c += 16) {
        __mmask16 mk = tail16(len, c);
        __m512 vb = _mm512_sub_ps(zero, beta16(bpc ? bpc + c : NULL, beta, mk));
        __m512 h = _mm512_set1_ps(m->bin_c[i]);
        for (int64_t p = a0; p < a1; p++) {
            __m128i xb = _mm_maskz_loadu_epi8(mk, x + (int64_t)m->adj_nbr[p] * C + c0 + c);
            __m512 xf = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(xb));
            h = _mm512_add_ps(h, _mm512_mul_ps(_mm512_set1_ps(m->adj_slope[p]), xf));
        }
        __m512i w = _mm512_maskz_loadu_epi32(mk, rnd + c);
        __mmask16 on;
        if (thr) {
            on = _mm512_cmplt_epu32_mask(w, threshold16(h, vb));
        } else {
            __m512 e = expf16(_mm512_mul_ps(vb, h));
            on = _mm512_cmp_ps_mask(_mm512_mul_ps(u01v(w), _mm512_add_ps(one, e)), one, _CMP_LT_OQ);
        }
        store16(xi + c, cl ? cl + c : NULL, mk, _mm_maskz_mov_epi8(on, _mm_set1_epi8(1)));
    }
}

/* cum_threshold on 16 lanes (the same roundings). */
static inline __m512i cumthr16(__m512 c, __m512 sc) {
    __m512 q = _mm512_mul_ps(c, sc);
    __mmask16 big = _mm512_cmp_ps_mask(q, _mm512_set1_ps(4294967040.0f), _CMP_GE_OQ);
    return _mm512_mask_blend_epi32(big, _mm512_cvttps_epu32(q), _mm512_set1_epi32(-1));
}

/* Level draw for 16 sites from logits acc[0..K-1] (overwritten by the weights) and the sites'
 * words w: weights exp(beta (l_k - max)); thr: level = #{k < K-1: w >= cum_threshold(cum_k,
 * total)}; else inverse CDF: t = u * total, level = #{k < K-1: cum_k <= t}. */
static inline __attribute__((always_inline)) __m512i sample16(__m512 *acc, int K, __m512 vbeta, __m512i w, int thr) {
    __m512 mx = acc[0];
    for (int k = 1; k < K; k++) mx = _mm512_max_ps(acc[k], mx);
    __m512 cum = _mm512_setzero_ps();
    for (int k = 0; k < K; k++) {
        acc[k] = expf16(_mm512_mul_ps(vbeta, _mm512_sub_ps(acc[k], mx)));
        cum = _mm512_add_ps(cum, acc[k]);
    }
    __m512i sel = _mm512_setzero_si512();
    if (thr) {
        __m512 run = _mm512_setzero_ps(), sc = _mm512_div_ps(_mm512_set1_ps(4294967296.0f), cum);
        for (int k = 0; k < K - 1; k++) {
            run = _mm512_add_ps(run, acc[k]);
            sel = _mm512_mask_add_epi32(sel, _mm512_cmpge_epu32_mask(w, cumthr16(run, sc)), sel, _mm512_set1_epi32(1));
        }
        return sel;
    }
    __m512 t = _mm512_mul_ps(u01v(w), cum);
    cum = _mm512_setzero_ps();
    for (int k = 0; k < K - 1; k++) {
        cum = _mm512_add_ps(cum, acc[k]);
        sel = _mm512_mask_add_epi32(sel, _mm512_cmp_ps_mask(cum, t, _CMP_LE_OQ), sel, _mm512_set1_epi32(1));
    }
    return sel;
}

/* ebm_bin_threshold on 16 lanes (the same roundings). */
static inline __m512i threshold16(__m512 h, __m512 vnegbeta) {
    __m512 one = _mm512_set1_ps(1.0f);
    __m512 pr = _mm512_div_ps(one, _mm512_add_ps(one, expf16(_mm512_mul_ps(vnegbeta, h))));
    __m512 q = _mm512_mul_ps(pr, _mm512_set1_ps(4294967296.0f));
    __mmask16 big = _mm512_cmp_ps_mask(q, _mm512_set1_ps(4294967040.0f), _CMP_GE_OQ);
    return _mm512_mask_blend_epi32(big, _mm512_cvttps_epu32(q), _mm512_set1_epi32(-1));
}

/* Level path for K <= 16 with neighbours of K <= 16: logits by in-register table lookups
 * (vpermps on the padded columns), then the same max / exp / inverse-CDF steps as generic. */
static inline __attribute__((always_inline)) void
levels16_k(const ebm_model *m, int32_t i, const uint8_t *x, int64_t C, int64_t c0, int len, float beta,
           const float *bpc, const uint32_t *rnd, uint8_t *xi, const uint8_t *cl, const int K, int thr) {
    const float *b = (const float *)ebm_tensor_data(&m->bias) + m->boff[i];
    int64_t a0 = m->adj_start[i], a1 = m->adj_start[i + 1];
    for (int c = 0; c < len; c += 16) {
        __mmask16 mk = tail16(len, c);
        const __m512 vbeta = beta16(bpc ? bpc + c : NULL, beta, mk);
        __m512 acc[16];
        for (int k = 0; k < K; k++) acc[k] = _mm512_set1_ps(b[k]);
        for (int64_t p = a0; p < a1; p++) {
            __m512i xv = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(mk, x + (int64_t)m->adj_nbr[p] * C + c0 + c));
            const float *col = m->ctab + m->adj_col[p];
            for (int k = 0; k < K; k++)
                acc[k] = _mm512_add_ps(acc[k], _mm512_permutexvar_ps(xv, _mm512_loadu_ps(col + 16 * k)));
        }
        __m512i sel = sample16(acc, K, vbeta, _mm512_maskz_loadu_epi32(mk, rnd + c), thr);
        store16(xi + c, cl ? cl + c : NULL, mk, _mm512_cvtepi32_epi8(sel));
    }
}

/* levels16 with K a compile-time constant for the common sizes (the logits stay in registers). */
static void levels16(const ebm_model *m, int32_t i, const uint8_t *x, int64_t C, int64_t c0, int len, float beta,
                     const float *bpc, const uint32_t *rnd, uint8_t *xi, const uint8_t *cl, int thr) {
    switch (m->K[i]) {
    case 2: levels16_k(m, i, x, C, c0, len, beta, bpc, rnd, xi, cl, 2, thr); break;
    case 3: levels16_k(m, i, x, C, c0, len, beta, bpc, rnd, xi, cl, 3, thr); break;
    case 4: levels16_k(m, i, x, C, c0, len, beta, bpc, rnd, xi, cl, 4, thr); break;
    case 8: levels16_k(m, i, x, C, c0, len, beta, bpc, rnd, xi, cl, 8, thr); break;
    case 16: levels16_k(m, i, x, C, c0, len, beta, bpc, rnd, xi, cl, 16, thr); break;
    default: levels16_k(m, i, x, C, c0, len, beta, bpc, rnd, xi, cl, m->K[i], thr); break;
    }
}

/* bin4's draw on 16 chains per step: x = 1 iff word < T[cfg]. */
static void bin4_draw16(const uint32_t *T, const uint8_t *cfgbuf, const uint32_t *rnd, uint8_t *xi, const uint8_t *cl,
                        int len) {
    const __m512i vT = _mm512_loadu_si512(T);
    for (int c = 0; c < len; c += 16) {
        __mmask16 mk = tail16(len, c);
        __m512i cfg = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(mk, cfgbuf + c));
        __m512i thr = _mm512_permutexvar_epi32(cfg, vT);
        __mmask16 on = _mm512_cmplt_epu32_mask(_mm512_maskz_loadu_epi32(mk, rnd + c), thr);
        store16(xi + c, cl ? cl + c : NULL, mk, _mm_maskz_mov_epi8(on, _mm_set1_epi8(1)));
    }
}

/* lvt_draw below on 16 chains per step: one gather per threshold. */
static inline __attribute__((always_inline)) void
lvt_draw16_k(const uint32_t *T, const uint8_t *cfgbuf, const uint32_t *rnd, uint8_t *xi, const uint8_t *cl, int len,
             const int K) {
    const int ks = lvt_ks(K);
    for (int c = 0; c < len; c += 16) {
        __mmask16 mk = tail16(len, c);
        __m512i idx = _mm512_mullo_epi32(_mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(mk, cfgbuf + c)), _mm512_set1_epi32(ks));
        __m512i w = _mm512_maskz_loadu_epi32(mk, rnd + c), sel = _mm512_setzero_si512();
        for (int k = 0; k < K - 1; k++) {
            __m512i t = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), mk, idx, T + k, 4);
            sel = _mm512_mask_add_epi32(sel, _mm512_cmpge_epu32_mask(w, t), sel, _mm512_set1_epi32(1));
        }
        store16(xi + c, cl ? cl + c : NULL, mk, _mm512_cvtepi32_epi8(sel));
    }
}

static void lvt_draw16(const uint32_t *T, int K, const uint8_t *cfgbuf, const uint32_t *rnd, uint8_t *xi,
                       const uint8_t *cl, int len) {
    switch (K) {
    case 3: lvt_draw16_k(T, cfgbuf, rnd, xi, cl, len, 3); break;
    case 4: lvt_draw16_k(T, cfgbuf, rnd, xi, cl, len, 4); break;
    default: lvt_draw16_k(T, cfgbuf, rnd, xi, cl, len, K); break;
    }
}
AVX512_END

/* The table draw on 64 chains per step with AVX-512 VBMI byte permutes (run only where the CPU
 * has avx512vbmi, and not under EBM_LEVELS=gather): each threshold's top byte T_k[cfg] >> 24
 * comes from a 256-byte table in four registers (two vpermi2b and a blend on bit 7 of cfg)
 * and is compared with the top byte of the chain's word: a greater byte decides U >= T_k, a
 * smaller one U < T_k. Where some lane's bytes are equal (about (K-1)/256 of the lanes) the
 * next bytes decide the same way for those lanes, and lanes equal on both (about (K-1)/2^16)
 * are redone with the full 32-bit thresholds, one at a time. The same bits as lvt_draw. */
_Pragma("GCC push_options") _Pragma("GCC target(\"avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi\")")
/* The 256-byte table h (four registers) at the 64 byte indices cf; top = bit 7 of each index. */
static inline __m512i lut256(const uint8_t *h, __m512i cf, __mmask64 top) {
    __m512i lo = _mm512_permutex2var_epi8(_mm512_loadu_si512(h), cf, _mm512_loadu_si512(h + 64));
    __m512i hi = _mm512_permutex2var_epi8(_mm512_loadu_si512(h + 128), cf, _mm512_loadu_si512(h + 192));
    return _mm512_mask_blend_epi8(top, lo, hi);
}

/* Byte b (0..3) of the 64 words w[0..63] (lanes mk) in one register: two vpermi2b over pairs of
 * word registers and a merge. */
static inline __m512i word_bytes64(const uint32_t *w, __mmask64 mk, int b) {
    __m512i w0 = _mm512_maskz_loadu_epi32((__mmask16)mk, w), w1 = _mm512_maskz_loadu_epi32((__mmask16)(mk >> 16), w + 16);
    __m512i w2 = _mm512_maskz_loadu_epi32((__mmask16)(mk >> 32), w + 32), w3 = _mm512_maskz_loadu_epi32((__mmask16)(mk >> 48), w + 48);
    /* index j < 32: byte b of word j of (w0, w1); j >= 32: of word j - 32 of (w2, w3) */
    const __m512i idx = _mm512_add_epi8(_mm512_set1_epi8((char)b),
        _mm512_and_si512(_mm512_slli_epi16(_mm512_set_epi8(63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48,
                                                           47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32,
                                                           31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16,
                                                           15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0), 2),
                         _mm512_set1_epi8(0x7C)));
    __m512i lo = _mm512_permutex2var_epi8(w0, idx, w1), hi = _mm512_permutex2var_epi8(w2, idx, w3);
    return _mm512_mask_blend_epi8((__mmask64)0xFFFFFFFF00000000ull, lo, hi);
}

/* a * k mod 256 on bytes (k < 256) */
static inline __m512i mul_u8(__m512i a, int k) {
    const __m512i vk = _mm512_set1_epi16((short)k);
    __m512i ev = _mm512_mullo_epi16(a, vk);
    __m512i od = _mm512_slli_epi16(_mm512_mullo_epi16(_mm512_srli_epi16(a, 8), vk), 8);
    return _mm512_mask_blend_epi8((__mmask64)0xAAAAAAAAAAAAAAAAull, ev, od);
}

/* The level draw of node i for chains c0 .. c0+len-1 (tabled; lvt_cfg's index in registers). */
static inline __attribute__((always_inline)) void
lvt_draw64_k(const ebm_model *m, int32_t i, const uint8_t *x, int64_t C, int64_t c0, const uint32_t *T,
             const uint8_t *hb, const uint32_t *rnd, uint8_t *xi, const uint8_t *cl, int len, scratch *S, const int K,
             const int nk4) {
    const int ks = lvt_ks(K);
    const int64_t a0 = m->adj_start[i], a1 = m->adj_start[i + 1];
    for (int c = 0; c < len; c += 64) {
        const int n = len - c < 64 ? len - c : 64;
        const __mmask64 mk = n == 64 ? ~(__mmask64)0 : (((__mmask64)1 << n) - 1);
        __m512i cf = _mm512_setzero_si512();
        for (int64_t p = a1 - 1; p >= a0; p--) {
            const int Ke = nk4 ? 4 : m->K[m->adj_nbr[p]];
            if (Ke == 4) cf = _mm512_add_epi8(cf, cf), cf = _mm512_add_epi8(cf, cf);
            else if (Ke == 2) cf = _mm512_add_epi8(cf, cf);
            else cf = mul_u8(cf, Ke);
            cf = _mm512_add_epi8(cf, _mm512_maskz_loadu_epi8(mk, x + (int64_t)m->adj_nbr[p] * C + c0 + c));
        }
        const __mmask64 top = _mm512_movepi8_mask(cf);
        const __m512i ub = word_bytes64(rnd + c, mk, 3), one = _mm512_set1_epi8(1);
        __m512i sel = _mm512_setzero_si512();
        __mmask64 tie = 0;
        for (int k = 0; k < K - 1; k++) {
            __m512i t = lut256(hb + k * LVT_NCFG, cf, top);
            sel = _mm512_mask_add_epi8(sel, _mm512_cmpgt_epu8_mask(ub, t), sel, one);
            tie |= _mm512_cmpeq_epi8_mask(ub, t);
        }
        if (cl) {
            __mmask64 keep = _mm512_test_epi8_mask(_mm512_maskz_loadu_epi8(mk, cl + c), _mm512_set1_epi8(-1));
            sel = _mm512_mask_blend_epi8(keep, sel, _mm512_maskz_loadu_epi8(mk, xi + c));
            tie &= ~keep;
        }
        _mm512_mask_storeu_epi8(xi + c, mk, sel);
        uint8_t cfgbuf[64];
        if (tie & mk) _mm512_storeu_si512(cfgbuf, cf);
        for (tie &= mk; tie; tie &= tie - 1) {  /* equal top bytes: the full thresholds, deferred */
            const int l = __builtin_ctzll(tie), j = c + l;
            if (S->ntq == TQ_CAP) tie_flush(S);
            tie_q *e = S->tq + S->ntq++;
            e->dst = xi + j;
            e->t = T + cfgbuf[l] * ks;
            e->u = rnd[j];
            e->nk = K - 1;
            __builtin_prefetch(e->t);
        }
    }
}

static void lvt_draw64(const ebm_model *m, int32_t i, const uint8_t *x, int64_t C, int64_t c0, const lvt *L,
                       const uint32_t *rnd, uint8_t *xi, const uint8_t *cl, int len, scratch *S) {
    const uint32_t *T = L->T + L->off[i];
    const uint8_t *hb = L->hb + L->hoff[i];
    switch (m->K[i]) {
    case 3: lvt_draw64_k(m, i, x, C, c0, T, hb, rnd, xi, cl, len, S, 3, 0); break;
    case 4:
        if (L->nk4[i]) lvt_draw64_k(m, i, x, C, c0, T, hb, rnd, xi, cl, len, S, 4, 1);
        else lvt_draw64_k(m, i, x, C, c0, T, hb, rnd, xi, cl, len, S, 4, 0);
        break;
    default: lvt_draw64_k(m, i, x, C, c0, T, hb, rnd, xi, cl, len, S, m->K[i], 0); break;
    }
}
_Pragma("GCC pop_options")

/* Store drawn levels sel[0..len-1] at xi, keeping chains whose clamp byte cl[c] is nonzero
 * (cl may be NULL). */
static void store_sel(uint8_t *xi, const uint8_t *cl, const uint8_t *sel, int len) {
    if (cl) for (int c = 0; c < len; c++) xi[c] = cl[c] ? xi[c] : sel[c];
    else memcpy(xi, sel, (size_t)len);
}

/* Binary nodes with at most 4 neighbours: the field takes at most 16 values, one per
 * neighbour configuration cfg = sum_e x_e << e. T[cfg] = threshold of P(x = 1) on 32 bits,
 * computed in float with ebm_expf; x = 1 iff the chain's 32-bit word < T[cfg]. One exp per
 * configuration instead of one per chain, and the compare uses all 32 random bits. */
static void bin4_thresholds(const ebm_model *m, int32_t i, float beta, uint32_t *T) {
    int64_t a0 = m->adj_start[i], deg = m->adj_start[i + 1] - a0;
    float h[16];
    for (int cfg = 0; cfg < 16; cfg++) h[cfg] = m->bin_c[i];
    for (int e = 0; e < deg; e++) {
        const float s = m->adj_slope[a0 + e];
#pragma omp simd
        for (int cfg = 0; cfg < 16; cfg++) h[cfg] += s * (float)((cfg >> e) & 1);
    }
#pragma omp simd
    for (int cfg = 0; cfg < 16; cfg++) T[cfg] = ebm_bin_threshold(h[cfg], beta);
}

/* Exported for the bit-packed kernel (gibbs_packed.c), so both kernels use one table. */
void ebm_gibbs_bin4_thresholds(const ebm_model *m, int32_t i, float beta, uint32_t T[16]) {
    bin4_thresholds(m, i, beta, T);
}

static void bin4(const ebm_model *m, int32_t i, const uint8_t *x, int64_t C, int64_t c0, int len, float beta,
                 const uint32_t *rnd, uint8_t *xi, const uint8_t *cl, uint8_t *cfgbuf, const uint32_t *Tpre, int v512) {
    uint32_t Tloc[16];
    const uint32_t *T = Tpre;
    if (!T) { bin4_thresholds(m, i, beta, Tloc); T = Tloc; }
    int64_t a0 = m->adj_start[i], deg = m->adj_start[i + 1] - a0;
    /* cfg = sum_e x_e << e by Horner from the last neighbour: byte adds only (a variable
     * shift would widen every byte to 32 bits) */
    memset(cfgbuf, 0, (size_t)len);
    for (int64_t e = deg - 1; e >= 0; e--) {
        const uint8_t *xn = x + (int64_t)m->adj_nbr[a0 + e] * C + c0;
#pragma omp simd
        for (int c = 0; c < len; c++) cfgbuf[c] = (uint8_t)(cfgbuf[c] + cfgbuf[c] + xn[c]);
    }
    if (v512) {
        bin4_draw16(T, cfgbuf, rnd, xi, cl, len);
        return;
    }
    for (int c = 0; c < len; c++) cfgbuf[c] = (uint8_t)(rnd[c] < T[cfgbuf[c]]);
    store_sel(xi, cl, cfgbuf, len);
}

/* ---- level threshold tables (EBM_LEVELS_TABLE) ------------------------------------------ */

/* Per-node tables of the cumulative thresholds T_k[cfg] of gibbs.h for the nodes where they
 * apply (not binary-fast, K <= LVT_KMAX, at most LVT_NCFG neighbour configurations), for one
 * (model version, beta); cached with the blocks (struct gcache) and refilled when either
 * changes. A table holds exactly what the per-chain paths compute, so using it or not never
 * changes a bit: run() builds it when the work of the call pays for it or it is still valid. */
#define LVT_CAP ((int64_t)1 << 24)  /* at most 2^24 thresholds (64 MiB; 16k 4-level nodes) per model, else none */
/* Chain-sweeps per call that pay for filling the tables: a fill costs about 0.9 us per 4-level
 * node (256 configurations, 1024 exponentials), a table draw saves about 1 ns per update
 * against the per-chain thresholds (28x28 potts, 128 chains, 10 sweeps per model version, one
 * thread: 1.63 ms per version with tables against 1.96 ms without). */
#define LVT_MIN 1024


static void lvt_free(lvt *L) {
    if (!L) return;
    EBM_FREE(L->off); EBM_FREE(L->ncfg); EBM_FREE(L->T); EBM_FREE(L->hb); EBM_FREE(L->hoff); EBM_FREE(L->nk4); EBM_FREE(L);
}

/* The table layout of model m (structure only), or NULL when no node has a table or memory
 * runs out (then every node computes its thresholds per chain: the same bits). */
static lvt *lvt_new(const ebm_model *m) {
    lvt *L = EBM_CALLOC(1, sizeof *L);
    if (!L) return NULL;
    L->off = EBM_MALLOC(sizeof(int32_t) * ((size_t)m->n + 1));
    L->ncfg = EBM_MALLOC(sizeof(int32_t) * ((size_t)m->n + 1));
    L->hoff = EBM_MALLOC(sizeof(int64_t) * ((size_t)m->n + 1));
    L->nk4 = EBM_CALLOC((size_t)m->n + 1, 1);
    if (!L->off || !L->ncfg || !L->hoff || !L->nk4) { lvt_free(L); return NULL; }
    int64_t tot = 0, htot = 0;
    for (int32_t i = 0; i < m->n; i++) {
        int64_t ncfg = 1;
        for (int64_t p = m->adj_start[i]; p < m->adj_start[i + 1] && ncfg <= LVT_NCFG; p++) ncfg *= m->K[m->adj_nbr[p]];
        L->off[i] = -1;
        L->ncfg[i] = 0;
        if (m->fast[i] || m->K[i] > LVT_KMAX || ncfg > LVT_NCFG) continue;
        L->off[i] = (int32_t)tot;
        L->ncfg[i] = (int32_t)ncfg;
        L->hoff[i] = htot;
        L->nk4[i] = 1;
        for (int64_t p = m->adj_start[i]; p < m->adj_start[i + 1]; p++) L->nk4[i] &= m->K[m->adj_nbr[p]] == 4;
        tot += (int64_t)lvt_ks(m->K[i]) * ncfg;
        htot += (int64_t)(m->K[i] - 1) * LVT_NCFG;
        if (tot > LVT_CAP) { lvt_free(L); return NULL; }
    }
    if (tot == 0) { lvt_free(L); return NULL; }
    L->total = tot;
    L->T = EBM_MALLOC(sizeof(uint32_t) * (size_t)tot);
    L->hb = EBM_CALLOC((size_t)htot, 1);
    if (!L->T || !L->hb) { lvt_free(L); return NULL; }
    return L;
}

/* The table of node i: for every configuration the per-chain arithmetic of gibbs.h (logits
 * in float, bias then neighbours in CSR order; max; ebm_expf weights; cum_threshold), over
 * the configurations (vectorised). */
static void lvt_node(const ebm_model *m, int32_t i, float beta, int32_t ncfg, uint32_t *restrict T, uint8_t *restrict hb) {
    const int K = m->K[i], ks = lvt_ks(K);
    const float *b = (const float *)ebm_tensor_data(&m->bias) + m->boff[i];
    float L[LVT_KMAX * LVT_NCFG], mx[LVT_NCFG], tot[LVT_NCFG], run[LVT_NCFG];
    uint32_t Tl[(LVT_KMAX - 1) * LVT_NCFG];
    /* logits by neighbour: after neighbour e, L[k][j] for the configurations j of neighbours
     * 0..e (j = x_0 + K_0 x_1 + ...), each the sum bias + coupling_0 + ... + coupling_e in
     * this order: the per-chain sums */
    for (int k = 0; k < K; k++) {
        float *Lk = L + k * LVT_NCFG;
        Lk[0] = b[k];
        int32_t size = 1;
        for (int64_t p = m->adj_start[i]; p < m->adj_start[i + 1]; p++) {
            const int32_t Ke = m->K[m->adj_nbr[p]];
            const float *row = m->otab + m->adj_row[p];
            for (int32_t xe = Ke - 1; xe >= 0; xe--) {  /* xe = 0 last: it updates in place */
                const float v = row[xe * K + k];
                float *dst = Lk + xe * size;
#pragma omp simd
                for (int32_t j = 0; j < size; j++) dst[j] = Lk[j] + v;
            }
            size *= Ke;
        }
    }
    /* cppcheck-suppress uninitvar */ /* K >= 2: the loop above wrote L[0 .. ncfg-1] */
    for (int c = 0; c < ncfg; c++) { mx[c] = L[c]; tot[c] = 0.0f; run[c] = 0.0f; }
    for (int k = 1; k < K; k++) {
#pragma omp simd
        for (int c = 0; c < ncfg; c++) mx[c] = L[k * LVT_NCFG + c] > mx[c] ? L[k * LVT_NCFG + c] : mx[c];
    }
    for (int k = 0; k < K; k++) {
        float *Lk = L + k * LVT_NCFG;
#pragma omp simd
        for (int c = 0; c < ncfg; c++) { Lk[c] = ebm_expf(beta * (Lk[c] - mx[c])); tot[c] += Lk[c]; }
    }
    for (int c = 0; c < ncfg; c++) tot[c] = cum_scale(tot[c]);
    for (int k = 0; k < K - 1; k++) {  /* level-major into run/hb, then one pass into T */
        const float *Lk = L + k * LVT_NCFG;
        uint32_t *Tk = Tl + k * LVT_NCFG;
        uint8_t *hk = hb + k * LVT_NCFG;
#pragma omp simd
        for (int c = 0; c < ncfg; c++) {
            run[c] += Lk[c];
            const uint32_t t = cum_threshold(run[c], tot[c]);
            Tk[c] = t;
            hk[c] = (uint8_t)(t >> 24);
        }
    }
#if defined(__GNUC__) && !defined(__clang__)
    if (K == 4 && ncfg % 4 == 0) {  /* ks = 4, the common case: 4x4 transposes (GCC vectors) */
        typedef uint32_t v4u __attribute__((vector_size(16)));
        const v4u pad = {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu};  /* never read */
        for (int c = 0; c < ncfg; c += 4) {
            v4u a, b, d;
            memcpy(&a, Tl + c, 16);
            memcpy(&b, Tl + LVT_NCFG + c, 16);
            memcpy(&d, Tl + 2 * LVT_NCFG + c, 16);
            const v4u ab_lo = __builtin_shuffle(a, b, (v4u){0, 4, 1, 5}), ab_hi = __builtin_shuffle(a, b, (v4u){2, 6, 3, 7});
            const v4u dp_lo = __builtin_shuffle(d, pad, (v4u){0, 4, 1, 5}), dp_hi = __builtin_shuffle(d, pad, (v4u){2, 6, 3, 7});
            const v4u r0 = __builtin_shuffle(ab_lo, dp_lo, (v4u){0, 1, 4, 5}), r1 = __builtin_shuffle(ab_lo, dp_lo, (v4u){2, 3, 6, 7});
            const v4u r2 = __builtin_shuffle(ab_hi, dp_hi, (v4u){0, 1, 4, 5}), r3 = __builtin_shuffle(ab_hi, dp_hi, (v4u){2, 3, 6, 7});
            memcpy(T + 4 * c, &r0, 16);
            memcpy(T + 4 * c + 4, &r1, 16);
            memcpy(T + 4 * c + 8, &r2, 16);
            memcpy(T + 4 * c + 12, &r3, 16);
        }
        return;
    }
#endif
    for (int c = 0; c < ncfg; c++)
        for (int k = 0; k < K - 1; k++) T[c * ks + k] = Tl[k * LVT_NCFG + c];
}

/* Fill L for model m at beta (threads split the nodes). */
static void lvt_fill(const ebm_model *m, lvt *L, float beta) {
#pragma omp parallel for schedule(dynamic, 8) if (L->total >= 65536)
    for (int32_t i = 0; i < m->n; i++)
        if (L->off[i] >= 0) lvt_node(m, i, beta, L->ncfg[i], L->T + L->off[i], L->hb + L->hoff[i]);
    L->filled = 1;
    L->version = m->version;
    L->beta = beta;
}

/* Configuration index of node i for chains c0 .. c0+len-1 into cfg (bytes: ncfg <= 256). */
static void lvt_cfg(const ebm_model *m, int32_t i, const uint8_t *x, int64_t C, int64_t c0, int len, uint8_t *cfg) {
    memset(cfg, 0, (size_t)len);
    for (int64_t p = m->adj_start[i + 1] - 1; p >= m->adj_start[i]; p--) {
        const uint8_t *xn = x + (int64_t)m->adj_nbr[p] * C + c0;
        const int Ke = m->K[m->adj_nbr[p]];
        if (Ke == 4) {  /* byte adds (a shift or a product widens the bytes) */
#pragma omp simd
            for (int c = 0; c < len; c++) {
                uint8_t v = (uint8_t)(cfg[c] + cfg[c]);
                cfg[c] = (uint8_t)((uint8_t)(v + v) + xn[c]);
            }
        } else if (Ke == 2) {
#pragma omp simd
            for (int c = 0; c < len; c++) cfg[c] = (uint8_t)(cfg[c] + cfg[c] + xn[c]);
        } else {
#pragma omp simd
            for (int c = 0; c < len; c++) cfg[c] = (uint8_t)(cfg[c] * Ke + xn[c]);
        }
    }
}

/* level = #{k < K-1 : word >= T_k[cfg]} for each chain, in place over cfg. */
static void lvt_draw(const uint32_t *T, int K, uint8_t *cfg, const uint32_t *rnd, int len) {
    const int ks = lvt_ks(K);
    for (int c = 0; c < len; c++) {
        const uint32_t *t = T + cfg[c] * ks;
        const uint32_t u = rnd[c];
        int v = 0;
        for (int k = 0; k < K - 1; k++) v += u >= t[k];
        cfg[c] = (uint8_t)v;
    }
}

/* Update node i for chains c0 .. c0+len-1 (len <= TILE). */
static void update_node(const ebm_model *m, int32_t i, uint8_t *x, int64_t C, int64_t c0, int len,
                        const ebm_gibbs_opts *o, uint64_t step, scratch *S) {
    const float beta = o->beta;
    const float *bpc = o->beta_pc ? o->beta_pc + c0 : NULL;  /* per-chain beta of this tile */
    tile_random(S, o->seed, (uint32_t)i, step, o->chain_off + c0, len);
    const uint32_t *rnd = S->rnd;
    uint8_t *xi = x + (int64_t)i * C + c0;
    const uint8_t *cl = o->clamp_pc ? o->clamp_pc + (int64_t)i * C + c0 : NULL;
    int64_t a0 = m->adj_start[i], a1 = m->adj_start[i + 1];
    const int thr = m->fast[i] && a1 - a0 <= 4;  /* binary, <= 4 neighbours: threshold draw */
    if (thr && !bpc) {
        bin4(m, i, x, C, c0, len, beta, rnd, xi, cl, S->sel, S->bt ? S->bt + (int64_t)i * 16 : NULL, S->v512);
        return;
    }
    if (S->v512 && m->fast[i]) { binary16(m, i, x, C, c0, len, beta, bpc, thr, rnd, xi, cl); return; }
    if (S->lt && S->lt->off[i] >= 0) {  /* level threshold table (never with per-chain beta) */
        if (S->vbmi) {
            lvt_draw64(m, i, x, C, c0, S->lt, rnd, xi, cl, len, S);
            return;
        }
        const uint32_t *T = S->lt->T + S->lt->off[i];
        lvt_cfg(m, i, x, C, c0, len, S->sel);
        if (S->v512) {
            lvt_draw16(T, m->K[i], S->sel, rnd, xi, cl, len);
            return;
        }
        lvt_draw(T, m->K[i], S->sel, rnd, len);
        store_sel(xi, cl, S->sel, len);
        return;
    }
    if (S->v512 && m->vec16[i]) { levels16(m, i, x, C, c0, len, beta, bpc, rnd, xi, cl, S->thr); return; }
    uint8_t *sel = S->sel;
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
        if (thr) {
#pragma omp simd
            for (int c = 0; c < len; c++) sel[c] = rnd[c] < ebm_bin_threshold(h[c], bpc[c]);
        } else {
#pragma omp simd
            for (int c = 0; c < len; c++) {
                float e = ebm_expf(-(bpc ? bpc[c] : beta) * h[c]);
                sel[c] = ebm_u01f(rnd[c]) * (1.0f + e) < 1.0f;
            }
        }
        store_sel(xi, cl, sel, len);
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
        for (int c = 0; c < len; c++) {
            const float *r = row + K * xn[c];
            for (int k = 0; k < K; k++) L[k * TILE + c] += r[k];
        }
    }
    for (int c = 0; c < len; c++) mx[c] = L[c];
    for (int k = 1; k < K; k++) {
#pragma omp simd
        for (int c = 0; c < len; c++) mx[c] = L[k * TILE + c] > mx[c] ? L[k * TILE + c] : mx[c];
    }
    for (int c = 0; c < len; c++) cum[c] = 0.0f;
    for (int k = 0; k < K; k++) {
        float *Lk = L + k * TILE;
#pragma omp simd
        for (int c = 0; c < len; c++) {
            Lk[c] = ebm_expf((bpc ? bpc[c] : beta) * (Lk[c] - mx[c]));
            cum[c] += Lk[c];
        }
    }
    if (S->thr) {  /* level = #{k < K-1 : word >= cum_threshold(c_k, cum_scale(total))} */
        float *run = S->h;
        for (int c = 0; c < len; c++) { run[c] = 0.0f; sel[c] = 0; cum[c] = cum_scale(cum[c]); }
        for (int k = 0; k < K - 1; k++) {
#pragma omp simd
            for (int c = 0; c < len; c++) {
                run[c] += L[k * TILE + c];
                sel[c] += rnd[c] >= cum_threshold(run[c], cum[c]);
            }
        }
        store_sel(xi, cl, sel, len);
        return;
    }
    /* count the inclusive cumulative sums <= u * total */
    float *t = S->h;
#pragma omp simd
    for (int c = 0; c < len; c++) t[c] = ebm_u01f(rnd[c]) * cum[c];
    for (int c = 0; c < len; c++) { cum[c] = 0.0f; sel[c] = 0; }
    for (int k = 0; k < K - 1; k++) {
#pragma omp simd
        for (int c = 0; c < len; c++) {
            cum[c] += L[k * TILE + c];
            sel[c] += cum[c] <= t[c];
        }
    }
    store_sel(xi, cl, sel, len);
}

static int scratch_init(scratch *S, int kmax) {
    S->L = EBM_MALLOC(sizeof(float) * (size_t)kmax * TILE + 2 * sizeof(float) * TILE);
    S->tq = EBM_MALLOC(sizeof(tie_q) * TQ_CAP);
    S->ntq = 0;
    if (!S->L || !S->tq) { EBM_FREE(S->L); EBM_FREE(S->tq); S->L = NULL; S->tq = NULL; return EBM_ENOMEM; }
    S->cum = S->L + (size_t)kmax * TILE;
    S->mx = S->cum + TILE;
    S->bt = NULL;
    S->lt = NULL;
    S->thr = 0;
    S->vbmi = 0;
    S->ars = 0;
    S->aesni = 0;
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

/* The block order of sweep `step` into ord[nb]. */
static void sweep_order(const ebm_gibbs_opts *o, int32_t only, int32_t nb, uint64_t step, int32_t *ord) {
    if (only >= 0) ord[0] = only;
    else if (o->random_order) random_order(ord, nb, o->seed, step);
    else for (int32_t k = 0; k < nb; k++) ord[k] = o->order ? o->order[k] : k;
}

/* ---- single chain: 16 nodes of a block per SIMD step ------------------------------------ */

/* A group: up to 16 nodes of one block with the same kind, K and neighbour signature (the
 * same sequence of coupling tables, in CSR order), so neighbour slot d reads one table for
 * all lanes: in-register lookups instead of gathers. Lane arrays live in plan->ib; only
 * structure is stored (node ids, offsets), never table values, so a plan survives
 * materialise(). */
typedef struct plan_group {
    int32_t kind;     /* 0: levels (vec16), 1: binary <= 4 neighbours, 2: binary > 4 neighbours */
    int32_t K, D, count;          /* levels, degree (same for all lanes), lanes used */
    int64_t o_nid, o_nbr;         /* offsets into ib: node ids [16], neighbours [D*16] */
    int64_t o_d;                  /* offset into ib of [D] pairs (ctab offset, CSR position of lane 0) */
    int64_t o_fb;                 /* offset into fb: bias rows [K][16] (kind 0) or bin_c [16] */
} plan_group;

typedef struct plan {
    int64_t *gstart;  /* [nblocks+1] groups of block k: gstart[k] .. gstart[k+1]-1 */
    plan_group *g;
    int32_t *ib;
    float *fb;        /* per-lane copies of biases / binary constants, refreshed when the
                         model's version changes (loads instead of gathers) */
    uint64_t version; /* model version fb was filled from (0: never) */
    int ok;           /* 0: some node has no SIMD kind: use the chain path */
} plan;

static void plan_free(plan *P) {
    if (!P) return;
    EBM_FREE(P->gstart); EBM_FREE(P->g); EBM_FREE(P->ib); EBM_FREE(P->fb); EBM_FREE(P);
}

/* What this kernel caches with a block set (ebm_blocks.plan) for one model: the single-chain
 * plan and the level threshold tables, each built on first use. */
typedef struct gcache {
    plan *sp;
    lvt *lt;
    int lt_tried;   /* lvt_new ran (lt NULL: no node has a table) */
} gcache;

static void gcache_free(void *p) {
    gcache *G = p;
    if (!G) return;
    plan_free(G->sp);
    lvt_free(G->lt);
    EBM_FREE(G);
}

/* The cache of b for model m (replacing one for another model), or NULL when out of memory. */
static gcache *cache_of(const ebm_model *m, ebm_blocks *b) {
    if (b->plan && b->plan_model == m && b->plan_free == gcache_free) return b->plan;
    gcache *G = EBM_CALLOC(1, sizeof *G);
    if (!G) return NULL;
    if (b->plan && b->plan_free) b->plan_free(b->plan);
    b->plan = G;
    b->plan_model = m;
    b->plan_free = gcache_free;
    return G;
}

AVX512_BEGIN
static int node_kind(const ebm_model *m, int32_t i) {
    if (m->fast[i]) return m->adj_start[i + 1] - m->adj_start[i] <= 4 ? 1 : 2;
    if (m->vec16[i]) return 0;
    return -1;
}

/* Order nodes by (kind, K, degree, table sequence), then id (qsort_r comparator; ctx = model). */
static int sig_cmp(const void *pa, const void *pb, void *ctx) {
    const ebm_model *m = ctx;
    int32_t i = *(const int32_t *)pa, j = *(const int32_t *)pb;
    int ki = node_kind(m, i), kj = node_kind(m, j);
    if (ki != kj) return ki < kj ? -1 : 1;
    if (m->K[i] != m->K[j]) return m->K[i] < m->K[j] ? -1 : 1;
    int64_t di = m->adj_start[i + 1] - m->adj_start[i], dj = m->adj_start[j + 1] - m->adj_start[j];
    if (di != dj) return di < dj ? -1 : 1;
    for (int64_t d = 0; d < di; d++) {
        int64_t ri = m->adj_row[m->adj_start[i] + d], rj = m->adj_row[m->adj_start[j] + d];
        if (ri != rj) return ri < rj ? -1 : 1;
    }
    return i < j ? -1 : (i > j);
}

static int same_sig(const ebm_model *m, int32_t i, int32_t j) {
    if (node_kind(m, i) != node_kind(m, j) || m->K[i] != m->K[j]) return 0;
    int64_t di = m->adj_start[i + 1] - m->adj_start[i], dj = m->adj_start[j + 1] - m->adj_start[j];
    if (di != dj) return 0;
    for (int64_t d = 0; d < di; d++)
        if (m->adj_row[m->adj_start[i] + d] != m->adj_row[m->adj_start[j] + d]) return 0;
    return 1;
}

static plan *plan_build(const ebm_model *m, const ebm_blocks *b) {
    plan *P = EBM_CALLOC(1, sizeof *P);
    if (!P) return NULL;
    P->ok = 1;
    int64_t nn = b->start[b->nblocks], ng = 0, ni = 0, nf = 0;
    int64_t cap = 1024 + 2 * nn;  /* ints in ib; grown as groups are added */
    P->gstart = EBM_CALLOC((size_t)b->nblocks + 1, sizeof(int64_t));
    P->g = EBM_CALLOC((size_t)nn + 1, sizeof(plan_group));
    P->ib = EBM_CALLOC((size_t)cap, sizeof(int32_t));
    int32_t *sorted = EBM_MALLOC(sizeof(int32_t) * (size_t)(nn + 1));
    if (!P->gstart || !P->g || !P->ib || !sorted) { EBM_FREE(sorted); plan_free(P); return NULL; }
    for (int64_t q = 0; q < nn; q++)
        if (node_kind(m, b->nodes[q]) < 0) P->ok = 0;
    if (!P->ok) { EBM_FREE(sorted); return P; }
    memcpy(sorted, b->nodes, sizeof(int32_t) * (size_t)nn);
    for (int32_t k = 0; k < b->nblocks; k++) {
        P->gstart[k] = ng;
        int64_t lo = b->start[k], hi = b->start[k + 1];
        qsort_r(sorted + lo, (size_t)(hi - lo), sizeof(int32_t), sig_cmp, (void *)m);
        int64_t p = lo;
        while (p < hi) {
            int32_t i0 = sorted[p];
            plan_group *G = &P->g[ng++];
            G->kind = node_kind(m, i0); G->K = m->K[i0]; G->count = 0;
            G->D = (int32_t)(m->adj_start[i0 + 1] - m->adj_start[i0]);
            int32_t lanes[16] = {0};
            while (p < hi && G->count < 16 && same_sig(m, i0, sorted[p])) lanes[G->count++] = sorted[p++];
            G->o_nid = ni; G->o_nbr = ni + 16; G->o_d = G->o_nbr + 16 * (int64_t)G->D;
            if (G->o_d + 2 * (int64_t)G->D > cap) {
                int64_t ncap = 2 * cap + 16 + 18 * (int64_t)G->D;
                int32_t *nib = EBM_REALLOC(P->ib, sizeof(int32_t) * (size_t)ncap);
                if (!nib) { EBM_FREE(sorted); plan_free(P); return NULL; }
                P->ib = nib;
                cap = ncap;
            }
            int32_t *ib = P->ib;
            for (int l = 0; l < 16; l++) {
                int32_t i = lanes[l < G->count ? l : 0];
                ib[G->o_nid + l] = i;
                for (int d = 0; d < G->D; d++) ib[G->o_nbr + d * 16 + l] = m->adj_nbr[m->adj_start[i] + d];
            }
            for (int d = 0; d < G->D; d++) {
                int64_t a = m->adj_start[i0] + d;
                ib[G->o_d + 2 * d] = (int32_t)(m->adj_col[a] >= 0 ? m->adj_col[a] : m->ctab_zero);
                ib[G->o_d + 2 * d + 1] = (int32_t)a;
            }
            ni = G->o_d + 2 * (int64_t)G->D;
            G->o_fb = nf;
            nf += G->kind == 0 ? 16 * (int64_t)G->K : 16;
        }
    }
    P->gstart[b->nblocks] = ng;
    EBM_FREE(sorted);
    P->fb = EBM_CALLOC((size_t)nf + 16, sizeof(float));
    if (!P->fb) { plan_free(P); return NULL; }
    return P;
}

/* Copy the current biases (kind 0) and binary constants into the plan's lane order. */
static void plan_fill(const ebm_model *m, plan *P, int64_t ng) {
    const float *bias = ebm_tensor_data(&m->bias);
    for (int64_t q = 0; q < ng; q++) {
        const plan_group *G = &P->g[q];
        const int32_t *nid = P->ib + G->o_nid;
        float *f = P->fb + G->o_fb;
        for (int l = 0; l < 16; l++) {
            if (G->kind == 0)
                for (int k = 0; k < G->K; k++) f[16 * k + l] = bias[m->boff[nid[l]] + k];
            else
                f[l] = m->bin_c[nid[l]];
        }
    }
    P->version = m->version;
}

/* The words of chain g for the 16 nodes nid[0..15] at step `step`: ARS (ark) or Philox. */
static inline __m512i node_words16(const int32_t *nid, uint64_t seed, uint64_t step, int64_t g, const ebm_ars_keys *ark) {
    if (ark) {
        uint32_t wb[16];
        ars_nodes16(ark, nid, g, step, wb);
        return _mm512_loadu_si512(wb);
    }
    __m512i w[4];
    philox16v(seed, _mm512_set1_epi32((int)(uint32_t)((uint64_t)(g >> 6) * 16 + (uint64_t)(g & 15))), _mm512_loadu_si512(nid),
              step, w);
    return w[(g >> 4) & 3];
}

/* Update the nodes of binary group G (kinds 1, 2) in the single chain xs (int32 levels), chain
 * id g. Same arithmetic, in the same order, as the chain-vectorised paths. */
static void node_group(const ebm_model *m, const plan *P, const plan_group *G, int32_t *xs, const int32_t *cls,
                       float beta, uint64_t seed, uint64_t step, int64_t g, const ebm_ars_keys *ark) {
    const __mmask16 mk = (__mmask16)(G->count >= 16 ? 0xFFFF : (1u << G->count) - 1);
    const int32_t *ib = P->ib;
    __m512i nid = _mm512_loadu_si512(ib + G->o_nid);
    const __m512i r = node_words16(ib + G->o_nid, seed, step, g, ark);
    __m512 h = _mm512_loadu_ps(P->fb + G->o_fb);
    for (int d = 0; d < G->D; d++) {
        __m512i xv = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), mk, _mm512_loadu_si512(ib + G->o_nbr + 16 * d), xs, 4);
        __m512 sl = _mm512_set1_ps(m->adj_slope[ib[G->o_d + 2 * d + 1]]);
        h = _mm512_add_ps(h, _mm512_mul_ps(sl, _mm512_cvtepi32_ps(xv)));
    }
    __m512 nb = _mm512_set1_ps(-beta);
    __mmask16 on;
    if (G->kind == 1) {
        on = _mm512_cmplt_epu32_mask(r, threshold16(h, nb));
    } else {
        __m512 one = _mm512_set1_ps(1.0f);
        __m512 e = expf16(_mm512_mul_ps(nb, h));
        on = _mm512_cmp_ps_mask(_mm512_mul_ps(u01v(r), _mm512_add_ps(one, e)), one, _CMP_LT_OQ);
    }
    __m512i sel = _mm512_maskz_mov_epi32(on, _mm512_set1_epi32(1));
    __mmask16 st = mk;
    if (cls) st = _mm512_mask_cmpeq_epi32_mask(mk, _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), mk, nid, cls, 4),
                                                _mm512_setzero_si512());
    _mm512_mask_i32scatter_epi32(xs, st, nid, sel, 4);
}

/* The level groups (kind 0) of one block in two passes over up to GQ groups: first the words
 * and logits of every group (gathers of the neighbours' levels, lookups), then the draws and
 * scatters. The same arithmetic as node_group; the groups of a block are independent, and
 * putting their gathers side by side lets them overlap (one group at a time waits on each
 * gather's latency). */
#define GQ 32
static inline __attribute__((always_inline)) void
group_logits_k(const ebm_model *m, const plan *P, const plan_group *G, const int32_t *xs, uint64_t seed, uint64_t step,
               int64_t g, const ebm_ars_keys *ark, float *buf, uint32_t *wbuf, const int K) {
    const __mmask16 mk = (__mmask16)(G->count >= 16 ? 0xFFFF : (1u << G->count) - 1);
    const int32_t *ib = P->ib;
    _mm512_storeu_si512(wbuf, node_words16(ib + G->o_nid, seed, step, g, ark));
    const float *fb = P->fb + G->o_fb;
    __m512 acc[16];
    for (int k = 0; k < K; k++) acc[k] = _mm512_loadu_ps(fb + 16 * k);
    for (int d = 0; d < G->D; d++) {
        __m512i xv = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), mk, _mm512_loadu_si512(ib + G->o_nbr + 16 * d), xs, 4);
        const float *col = m->ctab + ib[G->o_d + 2 * d];
        for (int k = 0; k < K; k++) acc[k] = _mm512_add_ps(acc[k], _mm512_permutexvar_ps(xv, _mm512_loadu_ps(col + 16 * k)));
    }
    for (int k = 0; k < K; k++) _mm512_storeu_ps(buf + 16 * k, acc[k]);
}

static inline __attribute__((always_inline)) void
group_draw_k(const plan *P, const plan_group *G, int32_t *xs, const int32_t *cls, float beta, int thr, const float *buf,
             const uint32_t *wbuf, const int K) {
    const __mmask16 mk = (__mmask16)(G->count >= 16 ? 0xFFFF : (1u << G->count) - 1);
    __m512i nid = _mm512_loadu_si512(P->ib + G->o_nid);
    __m512 acc[16];
    acc[0] = _mm512_loadu_ps(buf);
    for (int k = 1; k < K; k++) acc[k] = _mm512_loadu_ps(buf + 16 * k);
    __m512i sel = sample16(acc, K, _mm512_set1_ps(beta), _mm512_loadu_si512(wbuf), thr);
    __mmask16 st = mk;
    if (cls) st = _mm512_mask_cmpeq_epi32_mask(mk, _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), mk, nid, cls, 4),
                                                _mm512_setzero_si512());
    _mm512_mask_i32scatter_epi32(xs, st, nid, sel, 4);
}

/* Groups q0 .. q1-1 of one block (q1 - q0 <= GQ); buf holds GQ * 16 * 16 floats (logits),
 * wbuf GQ * 16 words. */
static void block_groups(const ebm_model *m, const plan *P, int64_t q0, int64_t q1, int32_t *xs, const int32_t *cls,
                         float beta, uint64_t seed, uint64_t step, int64_t g, int thr, const ebm_ars_keys *ark, float *buf,
                         uint32_t *wbuf) {
    for (int64_t q = q0; q < q1; q++) {
        const plan_group *G = &P->g[q];
        float *bq = buf + (q - q0) * 16 * 16;
        uint32_t *wq = wbuf + (q - q0) * 16;
        if (G->kind != 0) node_group(m, P, G, xs, cls, beta, seed, step, g, ark);
        else if (G->K == 4) group_logits_k(m, P, G, xs, seed, step, g, ark, bq, wq, 4);
        else if (G->K == 3) group_logits_k(m, P, G, xs, seed, step, g, ark, bq, wq, 3);
        else group_logits_k(m, P, G, xs, seed, step, g, ark, bq, wq, G->K);
    }
    for (int64_t q = q0; q < q1; q++) {
        const plan_group *G = &P->g[q];
        const float *bq = buf + (q - q0) * 16 * 16;
        const uint32_t *wq = wbuf + (q - q0) * 16;
        if (G->kind != 0) continue;
        if (G->K == 4) group_draw_k(P, G, xs, cls, beta, thr, bq, wq, 4);
        else if (G->K == 3) group_draw_k(P, G, xs, cls, beta, thr, bq, wq, 3);
        else group_draw_k(P, G, xs, cls, beta, thr, bq, wq, G->K);
    }
}

/* One chain through the node-vectorised path; returns 1 when done, 0 if it does not apply
 * (then the caller uses the chain path, which gives the same result; also when the plan could
 * not be built), -1 when out of memory. */
/* Chains are column c of x [n, C] (stride C); each is copied in, swept and copied back. */
static int run_single(const ebm_model *m, ebm_blocks *b, int32_t only, uint8_t *x, int64_t C, int32_t nsweeps,
                      const ebm_gibbs_opts *o, int thr, const ebm_ars_keys *ark) {
    gcache *GC = cache_of(m, b);
    if (!GC) return 0;
    if (!GC->sp) GC->sp = plan_build(m, b);
    plan *P = GC->sp;
    if (!P || !P->ok) return 0;
    if (P->version != m->version) plan_fill(m, P, P->gstart[b->nblocks]);
    int32_t nb = only >= 0 ? 1 : (o->order ? o->norder : b->nblocks);
    int32_t ordbuf[64], *ord = nb <= 64 ? ordbuf : EBM_MALLOC(sizeof(int32_t) * (size_t)nb);
    int32_t xsbuf[2 * 1024];  /* small models: no allocation on the per-call path */
    int32_t *xs = m->n <= 1024 ? xsbuf : EBM_MALLOC(sizeof(int32_t) * (size_t)m->n * 2);
    float *gbuf = EBM_MALLOC(sizeof(float) * GQ * 16 * 16);
    uint32_t *wbuf = EBM_MALLOC(sizeof(uint32_t) * GQ * 16);
    if (!ord || !xs || !gbuf || !wbuf) {
        if (ord != ordbuf) EBM_FREE(ord);
        if (xs != xsbuf) EBM_FREE(xs);
        EBM_FREE(gbuf);
        EBM_FREE(wbuf);
        return -1;
    }
    for (int64_t c = 0; c < C; c++) {
        int32_t *cls = NULL;
        for (int32_t i = 0; i < m->n; i++) xs[i] = x[(int64_t)i * C + c];
        if (o->clamp || o->clamp_pc) {
            cls = xs + m->n;
            for (int32_t i = 0; i < m->n; i++)
                cls[i] = o->clamp ? o->clamp[i] != 0 : o->clamp_pc[(int64_t)i * C + c] != 0;
        }
        for (int32_t s = 0; s < nsweeps; s++) {
            uint64_t step = o->step + (uint64_t)s;
            sweep_order(o, only, nb, step, ord);
            for (int32_t k = 0; k < nb; k++)
                for (int64_t q = P->gstart[ord[k]]; q < P->gstart[ord[k] + 1]; q += GQ) {
                    const int64_t q1 = q + GQ < P->gstart[ord[k] + 1] ? q + GQ : P->gstart[ord[k] + 1];
                    block_groups(m, P, q, q1, xs, cls, o->beta_pc ? o->beta_pc[c] : o->beta, o->seed, step, o->chain_off + c,
                                 thr, ark, gbuf, wbuf);
                }
        }
        for (int32_t i = 0; i < m->n; i++) x[(int64_t)i * C + c] = (uint8_t)xs[i];
    }
    if (ord != ordbuf) EBM_FREE(ord);
    if (xs != xsbuf) EBM_FREE(xs);
    EBM_FREE(gbuf);
    EBM_FREE(wbuf);
    return 1;
}
AVX512_END

/* The sweep driver. Large batches: threads split chain tiles and each thread runs all sweeps
 * and blocks on its own tiles (no barriers). Small batches: threads split the nodes of each
 * block (a barrier after each block). One chain: 16 nodes per SIMD step. All give the same
 * result: updates within a block are independent and every random word is a pure function
 * of (seed, node, chain, step). */
static int run(const ebm_model *m, ebm_blocks *b, int32_t only, uint8_t *x, int64_t C, int32_t nsweeps,
               const ebm_gibbs_opts *o) {
    int32_t nb = only >= 0 ? 1 : (o->order ? o->norder : b->nblocks);
    if (nb == 0 || nsweeps <= 0 || C <= 0) return EBM_OK;
    const int rng = ebm_rng_pick(o->rng);
    const int simd = ebm_simd_pick(o->simd, rng);
    if (!ebm_simd_runs(simd, rng)) return EBM_ERANGE;
    ebm_pool_refresh();
    ebm_ars_keys ark;
    if (rng == EBM_RNG_ARS) ars_keys(&ark, o->seed);
    const int aesni = rng == EBM_RNG_ARS && ebm_cpu_has("aes");
    const int v512 = simd == EBM_SIMD_AVX512;
    const int lv = ebm_levels_pick(o->levels), thr = lv == EBM_LEVELS_TABLE || lv == EBM_LEVELS_GATHER;
    const int vbmi = v512 && lv == EBM_LEVELS_TABLE && ebm_cpu_has("avx512vbmi");
    /* level threshold tables: with one beta for all chains, when still valid or when this
     * call's work pays for filling them (either way the same bits) */
    lvt *LT = NULL;
    if (thr && !o->beta_pc) {
        gcache *GC = cache_of(m, b);
        if (GC && !GC->lt_tried) { GC->lt = lvt_new(m); GC->lt_tried = 1; }
        LT = GC ? GC->lt : NULL;
        if (LT && !(LT->filled && LT->version == m->version && LT->beta == o->beta)) {
            /* (not for the single-chain path below: its table gathers cost more than computing
             * the thresholds, 5-6.7 us per sweep against 3-3.8, 28x28 K = 4) */
            if (C * (int64_t)nsweeps >= LVT_MIN && !(v512 && C < 16)) lvt_fill(m, LT, o->beta);
            else LT = NULL;
        }
    }
    /* fewer than 16 chains: one at a time, 16 nodes per SIMD step (faster than mostly-empty
     * chain vectors; the same result) */
    if (v512 && C < 16) {
        int r = run_single(m, b, only, x, C, nsweeps, o, thr, rng == EBM_RNG_ARS ? &ark : NULL);
        if (r) return r > 0 ? EBM_OK : EBM_ENOMEM;
    }
    int err = 0;
    int64_t ntiles = (C + TILE - 1) / TILE;
    int64_t work = C * (int64_t)m->n;
    int nthr = 1;
#ifdef _OPENMP
    nthr = omp_get_max_threads();
#endif
    int by_tiles = ntiles >= nthr;
    /* threads pay off above ~8k updates per call when they split tiles, and need more work
     * per block when they split nodes (a barrier after every block) */
    int par = nthr > 1 && (by_tiles ? work >= 8192 : work >= 65536);
#pragma omp parallel if (par)
    {
        scratch S;
        int ok = scratch_init(&S, m->kmax) == EBM_OK;
        S.v512 = v512;
        S.thr = thr;
        S.vbmi = vbmi;
        S.ars = rng == EBM_RNG_ARS;
        S.aesni = aesni;
        if (S.ars) S.ark = ark;
        S.lt = LT;
        int32_t ordbuf[64], *ord = nb <= 64 ? ordbuf : EBM_MALLOC(sizeof(int32_t) * (size_t)nb);
        ok = ok && ord;
        if (!ok) {
#pragma omp atomic write
            err = 1;
        }
        /* binary threshold tables, once per call and thread (no extra barrier) when there
         * are enough chains to pay for them and beta is one for all chains; without them
         * (also when this optional buffer cannot be had) each tile computes its own: the
         * same result */
        uint32_t *bt = C * nsweeps >= 64 && !o->beta_pc ? EBM_MALLOC(sizeof(uint32_t) * 16 * (size_t)m->n) : NULL;
        if (bt)
            for (int32_t i = 0; i < m->n; i++)
                if (m->fast[i] && m->adj_start[i + 1] - m->adj_start[i] <= 4) bin4_thresholds(m, i, o->beta, bt + (int64_t)i * 16);
        S.bt = bt;
        if (by_tiles) {
#pragma omp for schedule(dynamic, 1)
            for (int64_t t = 0; t < ntiles; t++) {
                if (!ok) continue;
                int64_t c0 = t * TILE;
                int len = (int)(C - c0 < TILE ? C - c0 : TILE);
                for (int32_t s = 0; s < nsweeps; s++) {
                    sweep_order(o, only, nb, o->step + (uint64_t)s, ord);
                    for (int32_t k = 0; k < nb; k++) {
                        int32_t blk = ord[k];
                        for (int64_t p = b->start[blk]; p < b->start[blk + 1]; p++) {
                            int32_t i = b->nodes[p];
                            if (o->clamp && o->clamp[i]) continue;
                            update_node(m, i, x, C, c0, len, o, o->step + (uint64_t)s, &S);
                        }
                        tie_flush(&S);  /* before the next block reads this one */
                    }
                }
            }
        } else {
            for (int32_t s = 0; s < nsweeps; s++) {
                if (ok) sweep_order(o, only, nb, o->step + (uint64_t)s, ord);
                for (int32_t k = 0; k < nb; k++) {
                    int32_t blk = ok ? ord[k] : 0;
#pragma omp for schedule(dynamic, 8)
                    for (int64_t p = b->start[blk]; p < b->start[blk + 1]; p++) {
                        int32_t i = b->nodes[p];
                        if (!ok || (o->clamp && o->clamp[i])) continue;
                        for (int64_t c0 = 0; c0 < C; c0 += TILE)
                            update_node(m, i, x, C, c0, (int)(C - c0 < TILE ? C - c0 : TILE), o, o->step + (uint64_t)s, &S);
                        tie_flush(&S);
                    }
                }
            }
        }
        if (ord && ord != ordbuf) EBM_FREE(ord);
        EBM_FREE(S.L);
        EBM_FREE(S.tq);
        EBM_FREE(bt);
    }
    return err ? EBM_ENOMEM : EBM_OK;
}

int ebm_gibbs_sweeps(const ebm_model *m, ebm_blocks *b, uint8_t *x, int64_t C, int32_t nsweeps,
                     const ebm_gibbs_opts *o) {
    return run(m, b, -1, x, C, nsweeps, o);
}

int ebm_gibbs_update(const ebm_model *m, ebm_blocks *b, int32_t blk, uint8_t *x, int64_t C,
                     const ebm_gibbs_opts *o) {
    if (blk < 0 || blk >= b->nblocks) return EBM_ERANGE;
    return run(m, b, blk, x, C, 1, o);
}

int ebm_gibbs_init(const ebm_model *m, uint8_t *x, int64_t C, int mode, const ebm_gibbs_opts *o) {
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
            uint32_t r = ebm_gibbs_word(o->seed, (uint32_t)i, o->step, o->chain_off + c);
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
    return EBM_OK;
}

int ebm_gibbs_sequential(const ebm_model *m, uint8_t *x, int32_t nsweeps, float beta, const uint8_t *clamp,
                         int scan, ebm_rng *r) {
    const float *bias = ebm_tensor_data(&m->bias), *tab = ebm_tensor_data(&m->tables);
    int32_t n = m->n;
    int32_t *perm = EBM_MALLOC(sizeof(int32_t) * (size_t)n);
    if (!perm) return EBM_ENOMEM;
    float lp[256];
    ebm_philox_ctr blk = {{0, 0, 0, 0}};
    int used = 4;  /* words of blk consumed: each Philox block gives four 32-bit uniforms */
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
            if (used == 4) { blk = ebm_rng_block(r->seed, r->stream, r->pos++); used = 0; }
            float t = ebm_u01f(blk.v[used++]) * tot, cum = 0.0f;
            int v = K - 1;
            for (int k = 0; k < K; k++) { cum += lp[k]; if (t < cum) { v = k; break; } }
            x[i] = (uint8_t)v;
        }
    }
    EBM_FREE(perm);
    return EBM_OK;
}
