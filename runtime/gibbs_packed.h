/* gibbs_packed.h - multi-spin-coded (bit-packed) exact block Gibbs for binary models.
 *
 * Packed state: bit j of word x[i*nw + w] is node i of chain 64*w + j (nw words per node, a
 * multiple of EBM_PK_GROUP; lanes past the last chain are padding and are sampled too, harmlessly).
 * Every node must have K == 2 and at most EBM_PK_MAXDEG (8) neighbours, all binary.
 *
 * Conditional: node i with neighbour configuration cfg = sum_e x_nbr(e) << e has the 32-bit
 * threshold T_i[cfg] = P(x_i = 1 | cfg) * 2^32 computed exactly like the u8 kernel's binary table
 * (gibbs.c, bin4 path; the same float formula for 5..8 neighbours), and x_i = 1 iff U < T_i[cfg]
 * for a uniform 32-bit U. U is compared bit-serially, MSB first, lazily: at plane b every lane
 * whose random bit differs from bit b of its threshold is decided (x = 1 where the threshold
 * bit is 1), the others go on; the loop stops when a group of EBM_PK_GROUP words is decided
 * (ARS: tested after plane 12 and then every 4 planes; the first 12 run unconditionally, so
 * their AES chains overlap and no branch waits on them, and a group of 512 lanes is decided by
 * then with probability (1 - 2^-12)^512 = 0.88; Philox: every 4 planes) or after 32 planes (lanes with U == T then get x = 0). This samples
 * Bernoulli(T/2^32) exactly; about 12 random bits per update are drawn (the group waits for its
 * slowest of 512 lanes), against 32 for the u8 kernel. The threshold bit of every lane at plane b
 * is bit-sliced: a lookup in the table of the 16 boolean functions of the first two neighbours'
 * words (built once per node and group) for each 4 configurations, then a mux tree over the
 * other neighbours: 4 loads + 3 muxes per plane with 4 neighbours, 64 + 63 with 8 (2.6x the u8
 * kernel's updates per CPU-second on the 8-neighbour grid, 6x on the 4-neighbour one).
 * Not supported (use the u8 kernel): K > 2, more than 8 neighbours (the table grows as
 * 2^(deg-2) per plane), block orders other than 1..nblocks, chain offsets (batch splits), chain
 * initialisation (pack u8 chains instead), per-chain beta.
 *
 * Randomness (o->rng, gibbs_cpu.h): the 32 planes of word w (chain 64w + j is bit j) for node i
 * at step s. Both generators are pure functions of (seed, node, word, step, plane), so results
 * are bit-identical for any thread count and any SIMD path.
 *   ARS (the default): plane b of word w is the 64-bit half (w & 1) of
 *     ARS-7(key = {seed, s_hi ^ EBM_PK_KEYX << 32}, counter = {w/2, i, s_lo, b}) (rng.h);
 *     one 512-bit VAES evaluation gives one plane of a group of 8 words.
 *   Philox (the reference): plane b of word w is lo | hi << 32 where (lo, hi) = words (0,1)
 *     (b even) or (2,3) (b odd) of Philox4x32-10(key = {seed_lo, seed_hi ^ EBM_PK_KEYX},
 *     counter = {16 w + b/2, i, s_lo, s_hi}).
 * Sweep k of a call uses step o->step + k, like the u8 kernel; the streams differ from the u8
 * kernel's, so the two kernels agree in distribution, not in bits.
 */
#ifndef EBM_GIBBS_PACKED_H
#define EBM_GIBBS_PACKED_H

#include <stdint.h>

#include "graph.h"

#define EBM_PK_GROUP 8        /* words updated together (512 chains, one AVX-512 register) */
#define EBM_PK_MAXDEG 8       /* most neighbours a node may have on the packed path */
#define EBM_PK_KEYX 0x5041434Bu /* "PACK": xored into the key's high word */

/* Words per node for C chains: ceil(C/64) rounded up to a multiple of EBM_PK_GROUP. */
int64_t ebm_packed_words(int64_t C);

/* 0 if model m can be sampled packed; otherwise nonzero and a message naming the first bad node
 * ("node 5 has 3 levels", "node 7 has 9 neighbours (at most 8)") in err. */
int ebm_packed_check(const ebm_model *m, char *err, int errlen);

/* u8 [n, C] (chains innermost, values 0/1; nonzero counts as 1) <-> packed [n, nw]. pack zeroes
 * the padding lanes. */
void ebm_packed_pack(const uint8_t *x, int32_t n, int64_t C, uint64_t *p, int64_t nw);
void ebm_packed_unpack(const uint64_t *p, int32_t n, int64_t C, int64_t nw, uint8_t *x);

typedef struct ebm_packed_opts {
    float beta;               /* inverse temperature (>= 0) */
    const uint8_t *clamp;     /* [n] nonzero = node never changes; or NULL */
    const uint64_t *clamp_pc; /* [n, nw] packed per-chain clamp bits (1 = keep); or NULL */
    uint64_t seed;            /* Philox key */
    uint64_t step;            /* step of the first sweep */
    int simd;                 /* EBM_SIMD_* (gibbs_cpu.h); 0 = EBM_SIMD_AUTO */
    int rng;                  /* EBM_RNG_*; 0 = EBM_RNG_AUTO (ARS unless EBM_RNG says otherwise) */
} ebm_packed_opts;

/* nsweeps sweeps of the blocks of b in order over packed state p [n, nw] (m must pass
 * ebm_packed_check). OpenMP over groups of words. Returns EBM_OK, EBM_ENOMEM, or EBM_ERANGE
 * when this CPU cannot run the requested SIMD path with the requested generator. */
int ebm_packed_sweeps(const ebm_model *m, const ebm_blocks *b, uint64_t *p, int64_t nw, int32_t nsweeps,
                      const ebm_packed_opts *o);

/* Reference: the same sweeps one chain lane at a time, with the full 32-bit U assembled from
 * the planes (portable Philox or ARS, o->rng; o->simd is ignored) and compared as U < T. Bit-identical to ebm_packed_sweeps; slow;
 * for tests. */
int ebm_packed_sweeps_ref(const ebm_model *m, const ebm_blocks *b, uint64_t *p, int64_t nw, int32_t nsweeps,
                          const ebm_packed_opts *o);

#endif
