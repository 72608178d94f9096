/* gibbs.h - block Gibbs kernels over batches of chains, and the sequential reference sampler.
 *
 * Chain state: u8 [n, C] row-major (chains innermost): x[i*C + c] is node i of chain c.
 * Randomness: the 32-bit word U of (node i, global chain g, step s) comes from the call's
 * generator (ebm_gibbs_opts.rng; gibbs_cpu.h: EBM_RNG, else ARS):
 *   ARS (the default): word g & 3 of ARS-7(key = (seed, EBM_GIBBS_ARS_KEYHI), counter =
 *     {g >> 2, i, s_lo, s_hi}) (rng.h; 16 blocks side by side give 64 consecutive chains);
 *   Philox (the reference, and every kernel before issue 13): word (g >> 4) & 3 of
 *     Philox4x32-10(key = seed, counter = {16 * (g >> 6) + (g & 15), i, s_lo, s_hi})
 *     (so 16 Philox blocks computed side by side give 64 consecutive chains' words in order).
 * Either is a pure function, so results are bit-identical for any thread count, any SIMD path
 * and any split of the batch (pass the global id of the first chain as chain_off).
 * ebm_gibbs_init and the random block order always use the Philox words. Each sweep uses one step value;
 * within a sweep every node is updated at most once, so every (node, chain, step) is drawn once.
 *
 * Conditionals: node i at level k has logit beta * (b_i[k] + sum_e T[k][x_nbr]) (summed in
 * float: bias, then the neighbours in CSR order); with weights w_k = ebm_expf(beta (l_k - max))
 * and running float sums c_k = w_0 + ... + w_k (total c_{K-1}), a level is drawn from the
 * chain's 32-bit word U in one of two ways (ebm_gibbs_opts.levels):
 *   table (the default): level = #{k < K-1 : U >= T_k}, T_k = trunc(fl(c_k * fl(2^32 / total))),
 *     saturated to 2^32-1 when the float product reaches 2^32 - 256 (so P(level > k) =
 *     1 - T_k / 2^32: each threshold within 2^-23 relative, the float weights' own precision;
 *     the truncation moves it by less than 2^-32 absolute).
 *     Nodes that are not binary-fast, with K <= 16 and at most 256 neighbour configurations
 *     (cfg = Horner over the CSR neighbours from the last, cfg = cfg * K_nbr + x_nbr), read
 *     T_k[cfg] from per-node tables computed once per (model version, beta) and cached with
 *     the blocks (when a call has >= 1024 chain-sweeps or they are still valid; at most 2^24
 *     thresholds per model); every other case computes the same T_k per chain (the same bits,
 *     slower): per-chain beta, larger nodes or models, small calls, the single-chain path.
 *   float (the draw before issue 13): inverse CDF of the 24-bit uniform u = (U >> 8) / 2^24,
 *     level = #{k < K-1 : c_k <= u * total}.
 * Both are exact Gibbs to float precision; they give different bits. Binary nodes with binary neighbours take a fast
 * path: field h = b1-b0 + sum (per-neighbour slope * x_nbr), x = 1 iff u * (1 + exp(-beta h)) < 1;
 * with at most 4 neighbours the 16 possible fields give a threshold table
 * T[cfg] = P(x = 1) * 2^32 (one exp per configuration, not per chain) and x = 1 iff word < T.
 * exp is ebm_expf below: a vectorisable Cody-Waite + degree-7 polynomial, relative error below
 * 3e-7 (about 2 float ulp, the same order as libm's expf and far below what the 24-bit uniform
 * resolves, 6e-8 absolute), so the sampled distribution is exact to float precision.
 */
#ifndef EBM_GIBBS_H
#define EBM_GIBBS_H

#include <stdint.h>

#include "graph.h"
#include "rng.h"

typedef struct ebm_gibbs_opts {
    float beta;               /* inverse temperature (>= 0) */
    const float *beta_pc;     /* [C] per-chain inverse temperature (>= 0; chain c of this batch
                                 uses beta_pc[c]), or NULL = beta for every chain. A chain's
                                 result does not depend on the other chains' betas; with all
                                 entries equal to beta the result is bit-identical to beta. */
    const uint8_t *clamp;     /* [n] nonzero = node never changes; or NULL */
    const uint8_t *clamp_pc;  /* [n, C] per-chain clamp mask (same layout as the state); or NULL */
    uint64_t seed;            /* Philox key */
    uint64_t step;            /* step of the first sweep (sweep s uses step + s) */
    int64_t chain_off;        /* global id of chain 0 of this batch */
    const int32_t *order;     /* block order for each sweep (0-based block ids), or NULL = 0..nb-1 */
    int32_t norder;           /* length of order */
    int random_order;         /* 1: a fresh random permutation of the blocks every sweep */
    int simd;                 /* EBM_SIMD_* (gibbs_cpu.h), 0 = auto: the AVX-512 path or the
                                 portable one (avx2 and scalar both name the portable loops, which
                                 the compiler vectorises for the build's flags); same bits */
    int levels;               /* EBM_LEVELS_* (gibbs_cpu.h), 0 = auto: EBM_LEVELS, else table */
    int rng;                  /* EBM_RNG_* (gibbs_cpu.h), 0 = auto: EBM_RNG, else ARS */
} ebm_gibbs_opts;

/* The random word of (node, global chain g, step) under the contract above: Philox, or the
 * generator rng (EBM_RNG_PHILOX / EBM_RNG_ARS; the portable reference forms). */
uint32_t ebm_gibbs_word(uint64_t seed, uint32_t node, uint64_t step, int64_t g);
uint32_t ebm_gibbs_word_rng(int rng, uint64_t seed, uint32_t node, uint64_t step, int64_t g);
#define EBM_GIBBS_ARS_KEYHI 0x7538617273000000ull  /* "u8ars": the u8 kernel's ARS key, high half */

/* Error contract of the kernels below: they return EBM_OK, or EBM_ENOMEM when scratch memory
 * could not be allocated (the state is then partly updated and should be discarded), or
 * EBM_ERANGE for a block index out of range or a SIMD path (with the generator) this CPU cannot
 * run. They never
 * fail silently. */

/* Run `nsweeps` sweeps: each sweep updates the blocks of `b` in order (all chains). `b` is not
 * changed except for its cached single-chain plan (built on first use for model m). */
int ebm_gibbs_sweeps(const ebm_model *m, ebm_blocks *b, uint8_t *x, int64_t C, int32_t nsweeps,
                      const ebm_gibbs_opts *o);

/* Update block `blk` of `b` once for all chains, with step o->step. */
int ebm_gibbs_update(const ebm_model *m, ebm_blocks *b, int32_t blk, uint8_t *x, int64_t C,
                      const ebm_gibbs_opts *o);

/* Initialise chains: uniform levels (mode 0) or independent draws from softmax(beta * b_i)
 * (mode 1), using the same counter scheme with step o->step. Clamped nodes are left as they are. */
int ebm_gibbs_init(const ebm_model *m, uint8_t *x, int64_t C, int mode, const ebm_gibbs_opts *o);

/* The binary threshold table of node i (K == 2, binary neighbours, at most 4 of them):
 * T[cfg] = P(x_i = 1 | cfg) * 2^32 (saturated), cfg = sum_e x_nbr(e) << e in CSR order. */
void ebm_gibbs_bin4_thresholds(const ebm_model *m, int32_t i, float beta, uint32_t T[16]);

/* Sequential single-site Gibbs on ONE chain x[n] (plain C, libm expf, no blocking): each sweep
 * visits every unclamped node in raster order (scan 0) or in a fresh random permutation (scan 1),
 * drawing from the exact conditional (libm expf, inverse CDF of a 24-bit uniform; the stateful
 * generator r gives four uniforms per Philox block). The correctness reference and speed
 * baseline. */
int ebm_gibbs_sequential(const ebm_model *m, uint8_t *x, int32_t nsweeps, float beta, const uint8_t *clamp,
                          int scan, ebm_rng *r);

/* The binary threshold T(h) = P(x = 1) * 2^32 = 2^32 / (1 + exp(-beta h)), saturated at 2^32-1;
 * x = 1 iff a uniform 32-bit word < T. Every binary table and per-chain path uses this formula
 * (its SIMD forms round identically). */
static inline uint32_t ebm_bin_threshold(float h, float beta);

/* exp(x) for float x, accurate to ~1 ulp for x in [-87, 88] (clamped outside); vectorisable.
 * Cody-Waite reduction x = n ln2 + r, |r| <= ln2/2, degree-7 Taylor polynomial in fused
 * multiply-adds (fmaf is exactly rounded, so the scalar and the SIMD versions agree bit for bit),
 * times 2^n built in the exponent field. */
static inline float ebm_expf(float x) {
    x = x < -87.0f ? -87.0f : x;  /* two plain selects: these vectorise, fminf/floorf do not */
    x = x > 88.0f ? 88.0f : x;
    float t = x * 1.44269504088896341f;
    float n = (t + 12582912.0f) - 12582912.0f;  /* round to nearest even (|t| < 2^22) */
    float r = __builtin_fmaf(-n, 0.693145751953125f, x);
    r = __builtin_fmaf(-n, 1.428606765330187e-06f, r);
    float p = 1.0f / 5040.0f;
    p = __builtin_fmaf(p, r, 1.0f / 720.0f);
    p = __builtin_fmaf(p, r, 1.0f / 120.0f);
    p = __builtin_fmaf(p, r, 1.0f / 24.0f);
    p = __builtin_fmaf(p, r, 1.0f / 6.0f);
    p = __builtin_fmaf(p, r, 0.5f);
    p = __builtin_fmaf(p, r, 1.0f);
    p = __builtin_fmaf(p, r, 1.0f);
    union { uint32_t u; float f; } s;
    s.u = (uint32_t)((int32_t)n + 127) << 23;
    return p * s.f;
}

static inline uint32_t ebm_bin_threshold(float h, float beta) {
    float p = 1.0f / (1.0f + ebm_expf(-beta * h));
    float q = p * 4294967296.0f;
    return q >= 4294967040.0f ? 0xFFFFFFFFu : (uint32_t)q;
}

#endif
