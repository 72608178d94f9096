/* rng.c - stateful helpers over the Philox4x32-10 block function. */
#include "rng.h"

#include <math.h>

/* splitmix64 finaliser: spreads a 64-bit value; used to derive keys. */
static uint64_t mix64(uint64_t z) {
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void ebm_rng_init(ebm_rng *r, uint64_t seed) {
    r->seed = seed;
    r->stream = 0;
    r->pos = 0;
}

void ebm_rng_split(const ebm_rng *parent, uint64_t id, ebm_rng *child) {
    child->seed = mix64(parent->seed ^ mix64(parent->stream + 0x632BE59BD9B4E019ull) ^ mix64(id * 0x8CB92BA72F3D8DD7ull + 1));
    child->stream = 0;
    child->pos = 0;
}

/* Draws are taken one block (4 words) at a time; a single-word draw uses word 0 of a fresh
 * block so that the state is just (seed, stream, pos). */
uint32_t ebm_rng_u32(ebm_rng *r) { return ebm_rng_block(r->seed, r->stream, r->pos++).v[0]; }

double ebm_rng_uniform(ebm_rng *r) {
    ebm_philox_ctr b = ebm_rng_block(r->seed, r->stream, r->pos++);
    return ebm_u01d(b.v[0], b.v[1]);
}

double ebm_rng_normal(ebm_rng *r) {
    ebm_philox_ctr b = ebm_rng_block(r->seed, r->stream, r->pos++);
    double u1 = 1.0 - ebm_u01d(b.v[0], b.v[1]); /* (0,1] */
    double u2 = ebm_u01d(b.v[2], b.v[3]);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

uint64_t ebm_rng_below(ebm_rng *r, uint64_t n) {
    if (n <= 1) return 0;
    for (;;) { /* rejection from the top of the 64-bit range keeps it unbiased */
        ebm_philox_ctr b = ebm_rng_block(r->seed, r->stream, r->pos++);
        uint64_t x = ((uint64_t)b.v[0] << 32) | b.v[1];
        uint64_t lim = UINT64_MAX - UINT64_MAX % n;
        if (x < lim) return x % n;
    }
}

void ebm_rng_fill_uniform_f64(ebm_rng *r, double *out, int64_t n, double lo, double hi) {
    double w = hi - lo;
    for (int64_t i = 0; i < n; i += 2) {
        ebm_philox_ctr b = ebm_rng_block(r->seed, r->stream, r->pos + (uint64_t)(i / 2));
        out[i] = lo + w * ebm_u01d(b.v[0], b.v[1]);
        if (i + 1 < n) out[i + 1] = lo + w * ebm_u01d(b.v[2], b.v[3]);
    }
    r->pos += (uint64_t)((n + 1) / 2);
}

void ebm_rng_fill_normal_f64(ebm_rng *r, double *out, int64_t n, double mean, double sd) {
    for (int64_t i = 0; i < n; i += 2) {
        ebm_philox_ctr b = ebm_rng_block(r->seed, r->stream, r->pos + (uint64_t)(i / 2));
        double u1 = 1.0 - ebm_u01d(b.v[0], b.v[1]);
        double u2 = ebm_u01d(b.v[2], b.v[3]);
        double rad = sqrt(-2.0 * log(u1)), th = 6.283185307179586 * u2;
        out[i] = mean + sd * rad * cos(th);
        if (i + 1 < n) out[i + 1] = mean + sd * rad * sin(th);
    }
    r->pos += (uint64_t)((n + 1) / 2);
}
