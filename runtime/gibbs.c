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
    int v512;                    /* 1: the AVX-512 path */
} scratch;

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

uint32_t ebm_gibbs_word(uint64_t seed, uint32_t node, uint64_t step, int64_t g) {
    ebm_philox_ctr c = {{(uint32_t)((uint64_t)(g >> 6) * 16 + (uint64_t)(g & 15)), node, (uint32_t)step, (uint32_t)(step >> 32)}};
    ebm_philox_key key = {{(uint32_t)seed, (uint32_t)(seed >> 32)}};
    return ebm_philox4x32(c, key).v[(g >> 4) & 3];
}

/* Words for global chains g0 .. g0+len-1 of node i at step s into S->rnd[0 .. len-1]. */
static void tile_random(scratch *S, uint64_t seed, uint32_t node, uint64_t step, int64_t g0, int len) {
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

/* Inverse-CDF draw for 16 sites from logits acc[0..K-1] (overwritten by the weights):
 * weights exp(beta (l_k - max)), threshold t = u * total, level = #{k < K-1: cum_k <= t}. */
static inline __attribute__((always_inline)) __m512i sample16(__m512 *acc, int K, __m512 vbeta, __m512 u) {
    __m512 mx = acc[0];
    for (int k = 1; k < K; k++) mx = _mm512_max_ps(acc[k], mx);
    __m512 cum = _mm512_setzero_ps();
    for (int k = 0; k < K; k++) {
        acc[k] = expf16(_mm512_mul_ps(vbeta, _mm512_sub_ps(acc[k], mx)));
        cum = _mm512_add_ps(cum, acc[k]);
    }
    __m512 t = _mm512_mul_ps(u, cum);
    cum = _mm512_setzero_ps();
    __m512i sel = _mm512_setzero_si512();
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
           const float *bpc, const uint32_t *rnd, uint8_t *xi, const uint8_t *cl, const int K) {
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
        __m512i sel = sample16(acc, K, vbeta, u01v(_mm512_maskz_loadu_epi32(mk, rnd + c)));
        store16(xi + c, cl ? cl + c : NULL, mk, _mm512_cvtepi32_epi8(sel));
    }
}

/* levels16 with K a compile-time constant for the common sizes (the logits stay in registers). */
static void levels16(const ebm_model *m, int32_t i, const uint8_t *x, int64_t C, int64_t c0, int len, float beta,
                     const float *bpc, const uint32_t *rnd, uint8_t *xi, const uint8_t *cl) {
    switch (m->K[i]) {
    case 2: levels16_k(m, i, x, C, c0, len, beta, bpc, rnd, xi, cl, 2); break;
    case 3: levels16_k(m, i, x, C, c0, len, beta, bpc, rnd, xi, cl, 3); break;
    case 4: levels16_k(m, i, x, C, c0, len, beta, bpc, rnd, xi, cl, 4); break;
    case 8: levels16_k(m, i, x, C, c0, len, beta, bpc, rnd, xi, cl, 8); break;
    case 16: levels16_k(m, i, x, C, c0, len, beta, bpc, rnd, xi, cl, 16); break;
    default: levels16_k(m, i, x, C, c0, len, beta, bpc, rnd, xi, cl, m->K[i]); break;
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
AVX512_END

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
    if (S->v512 && m->vec16[i]) { levels16(m, i, x, C, c0, len, beta, bpc, rnd, xi, cl); return; }
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
    if (!S->L) return EBM_ENOMEM;
    S->cum = S->L + (size_t)kmax * TILE;
    S->mx = S->cum + TILE;
    S->bt = NULL;
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

static void ebm_gibbs_plan_free(void *pl) {
    plan *P = pl;
    if (!P) return;
    EBM_FREE(P->gstart); EBM_FREE(P->g); EBM_FREE(P->ib); EBM_FREE(P->fb); EBM_FREE(P);
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
    if (!P->gstart || !P->g || !P->ib || !sorted) { EBM_FREE(sorted); ebm_gibbs_plan_free(P); return NULL; }
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
                if (!nib) { EBM_FREE(sorted); ebm_gibbs_plan_free(P); return NULL; }
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
    if (!P->fb) { ebm_gibbs_plan_free(P); return NULL; }
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

/* Update the nodes of group G in the single chain xs (int32 levels), chain id g. Same
 * arithmetic, in the same order, as the chain-vectorised paths. */
static void node_group(const ebm_model *m, const plan *P, const plan_group *G, int32_t *xs, const int32_t *cls,
                       float beta, uint64_t seed, uint64_t step, int64_t g) {
    const __mmask16 mk = (__mmask16)(G->count >= 16 ? 0xFFFF : (1u << G->count) - 1);
    const int32_t *ib = P->ib;
    __m512i nid = _mm512_loadu_si512(ib + G->o_nid);
    __m512i w[4];
    philox16v(seed, _mm512_set1_epi32((int)(uint32_t)((uint64_t)(g >> 6) * 16 + (uint64_t)(g & 15))), nid, step, w);
    __m512i r = w[(g >> 4) & 3];
    __m512i sel;
    if (G->kind == 0) {
        const int K = G->K;
        const float *fb = P->fb + G->o_fb;
        __m512 acc[16];
        for (int k = 0; k < K; k++) acc[k] = _mm512_loadu_ps(fb + 16 * k);
        for (int d = 0; d < G->D; d++) {
            __m512i xv = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), mk, _mm512_loadu_si512(ib + G->o_nbr + 16 * d), xs, 4);
            const float *col = m->ctab + ib[G->o_d + 2 * d];
            for (int k = 0; k < K; k++)
                acc[k] = _mm512_add_ps(acc[k], _mm512_permutexvar_ps(xv, _mm512_loadu_ps(col + 16 * k)));
        }
        sel = sample16(acc, K, _mm512_set1_ps(beta), u01v(r));
    } else {
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
        sel = _mm512_maskz_mov_epi32(on, _mm512_set1_epi32(1));
    }
    __mmask16 st = mk;
    if (cls) st = _mm512_mask_cmpeq_epi32_mask(mk, _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), mk, nid, cls, 4),
                                                _mm512_setzero_si512());
    _mm512_mask_i32scatter_epi32(xs, st, nid, sel, 4);
}

/* One chain through the node-vectorised path; returns 1 when done, 0 if it does not apply
 * (then the caller uses the chain path, which gives the same result; also when the plan could
 * not be built), -1 when out of memory. */
/* Chains are column c of x [n, C] (stride C); each is copied in, swept and copied back. */
static int run_single(const ebm_model *m, ebm_blocks *b, int32_t only, uint8_t *x, int64_t C, int32_t nsweeps,
                      const ebm_gibbs_opts *o) {
    if (b->plan_model != m || !b->plan) {
        if (b->plan && b->plan_free) b->plan_free(b->plan);
        b->plan = plan_build(m, b);
        b->plan_model = b->plan ? m : NULL;
        b->plan_free = ebm_gibbs_plan_free;
    }
    plan *P = b->plan;
    if (!P || !P->ok) return 0;
    if (P->version != m->version) plan_fill(m, P, P->gstart[b->nblocks]);
    int32_t nb = only >= 0 ? 1 : (o->order ? o->norder : b->nblocks);
    int32_t ordbuf[64], *ord = nb <= 64 ? ordbuf : EBM_MALLOC(sizeof(int32_t) * (size_t)nb);
    int32_t xsbuf[2 * 1024];  /* small models: no allocation on the per-call path */
    int32_t *xs = m->n <= 1024 ? xsbuf : EBM_MALLOC(sizeof(int32_t) * (size_t)m->n * 2);
    if (!ord || !xs) { if (ord != ordbuf) EBM_FREE(ord); if (xs != xsbuf) EBM_FREE(xs); return -1; }
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
                for (int64_t q = P->gstart[ord[k]]; q < P->gstart[ord[k] + 1]; q++)
                    node_group(m, P, &P->g[q], xs, cls, o->beta_pc ? o->beta_pc[c] : o->beta, o->seed, step, o->chain_off + c);
        }
        for (int32_t i = 0; i < m->n; i++) x[(int64_t)i * C + c] = (uint8_t)xs[i];
    }
    if (ord != ordbuf) EBM_FREE(ord);
    if (xs != xsbuf) EBM_FREE(xs);
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
    const int simd = ebm_simd_pick(o->simd, EBM_RNG_PHILOX);
    if (!ebm_simd_runs(simd, EBM_RNG_PHILOX)) return EBM_ERANGE;
    ebm_pool_refresh();
    const int v512 = simd == EBM_SIMD_AVX512;
    /* fewer than 16 chains: one at a time, 16 nodes per SIMD step (faster than mostly-empty
     * chain vectors; the same result) */
    if (v512 && C < 16) {
        int r = run_single(m, b, only, x, C, nsweeps, o);
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
                    }
                }
            }
        }
        if (ord && ord != ordbuf) EBM_FREE(ord);
        EBM_FREE(S.L);
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
