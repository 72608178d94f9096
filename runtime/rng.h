/* rng.h - counter-based random numbers: Philox4x32-10 (Salmon et al., SC'11).
 *
 * A random value is a pure function of (key, counter). ebmlua derives the counter from
 * what is being sampled (e.g. node, chain, step), so results do not depend on how work is
 * split across threads or batches.
 */
#ifndef EBM_RNG_H
#define EBM_RNG_H

#include <stdint.h>

typedef struct { uint32_t v[4]; } ebm_philox_ctr;
typedef struct { uint32_t v[2]; } ebm_philox_key;

/* Ten rounds of Philox4x32 on counter c with key k. */
static inline ebm_philox_ctr ebm_philox4x32(ebm_philox_ctr c, ebm_philox_key k) {
    for (int r = 0; r < 10; r++) {
        uint64_t p0 = (uint64_t)0xD2511F53u * c.v[0];
        uint64_t p1 = (uint64_t)0xCD9E8D57u * c.v[2];
        ebm_philox_ctr o;
        o.v[0] = (uint32_t)(p1 >> 32) ^ c.v[1] ^ k.v[0];
        o.v[1] = (uint32_t)p1;
        o.v[2] = (uint32_t)(p0 >> 32) ^ c.v[3] ^ k.v[1];
        o.v[3] = (uint32_t)p0;
        c = o;
        k.v[0] += 0x9E3779B9u;
        k.v[1] += 0xBB67AE85u;
    }
    return c;
}

/* A stream: a key and a 64-bit position. Each draw of four words consumes one position. */
typedef struct ebm_rng {
    uint64_t seed;     /* the key, as a 64-bit number */
    uint64_t stream;   /* stream id (words 2..3 of the counter) */
    uint64_t pos;      /* next block index (words 0..1 of the counter) */
} ebm_rng;

void ebm_rng_init(ebm_rng *r, uint64_t seed);
/* Derive an independent child stream (for a chain, a step, a trial): the child's key is a
 * hash of the parent's key, stream and `id`. Does not advance the parent. */
void ebm_rng_split(const ebm_rng *parent, uint64_t id, ebm_rng *child);

/* Four raw 32-bit words at an explicit counter (no state). */
static inline ebm_philox_ctr ebm_rng_block(uint64_t seed, uint64_t stream, uint64_t pos) {
    ebm_philox_ctr c = {{(uint32_t)pos, (uint32_t)(pos >> 32), (uint32_t)stream, (uint32_t)(stream >> 32)}};
    ebm_philox_key k = {{(uint32_t)seed, (uint32_t)(seed >> 32)}};
    return ebm_philox4x32(c, k);
}

/* u32 -> uniform float in [0,1) with 24 random bits; double with 53 bits from two words. */
static inline float ebm_u01f(uint32_t x) { return (float)(x >> 8) * (1.0f / 16777216.0f); }
static inline double ebm_u01d(uint32_t hi, uint32_t lo) {
    return (double)(((uint64_t)hi << 21) ^ (lo >> 11)) * (1.0 / 9007199254740992.0);
}

/* ARS-7, the AES Random Stream generator of Random123 (Salmon, Moraes, Dror & Shaw, "Parallel
 * random numbers: as easy as 1, 2, 3", SC'11; passes TestU01 BigCrush from 5 rounds on, Random123
 * uses 7 by default, and so does ebmlua): a 128-bit counter block in, 128 bits out,
 *     v = ctr ^ k0; v = AESENC(v, k_r) for r = 1..6; out = AESENCLAST(v, k_7),
 * with round keys k_r = key + r * (0x9E3779B97F4A7C15, 0xBB67AE8584CAA73B) (two 64-bit lanes,
 * low lane first; no AES key schedule). Bytes are in memory order (the __m128i layout); counter
 * and key words are little-endian. This portable form (table S-box, one byte at a time) is the
 * reference and the fallback on CPUs without AES-NI; the kernels use AESENC / VAESENC and give
 * the same bits. */
#define EBM_ARS_ROUNDS 7
typedef struct { uint8_t k[11][16]; } ebm_ars_keys;  /* k_0 .. k_10 (up to 10 rounds) */
void ebm_ars_setkey(ebm_ars_keys *rk, uint64_t key_lo, uint64_t key_hi);
void ebm_ars_block(const ebm_ars_keys *rk, const uint32_t ctr[4], uint32_t out[4]);
/* The same with R rounds (1 <= R <= 10), for known-answer tests (Random123's kat_vectors give
 * ARS-10). */
void ebm_ars_block_rounds(const ebm_ars_keys *rk, int R, const uint32_t ctr[4], uint32_t out[4]);

/* Stateful draws that advance r->pos. */
uint32_t ebm_rng_u32(ebm_rng *r);
double ebm_rng_uniform(ebm_rng *r);                 /* [0,1) */
double ebm_rng_normal(ebm_rng *r);                  /* N(0,1), Box-Muller */
uint64_t ebm_rng_below(ebm_rng *r, uint64_t n);     /* uniform on [0,n), unbiased; n >= 1 */

/* Bulk fills: element i uses counter block pos + i/4 (or i/2 for doubles), then r->pos
 * advances past them, so a fill is the same however it is chunked internally. */
void ebm_rng_fill_uniform_f64(ebm_rng *r, double *out, int64_t n, double lo, double hi);
void ebm_rng_fill_normal_f64(ebm_rng *r, double *out, int64_t n, double mean, double sd);

#endif
