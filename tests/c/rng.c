/* rng.c - Philox4x32-10 against the Random123 known-answer vectors, determinism, and a
 * chi-square uniformity test with a fixed seed. */
#include "rng.h"
#include "tap.h"

#include <string.h>

int main(void) {
    /* Known-answer tests from the Random123 distribution (kat_vectors, philox4x32_10). */
    ebm_philox_ctr c0 = {{0, 0, 0, 0}};
    ebm_philox_key k0 = {{0, 0}};
    ebm_philox_ctr r0 = ebm_philox4x32(c0, k0);
    ok(r0.v[0] == 0x6627e8d5u && r0.v[1] == 0xe169c58du && r0.v[2] == 0xbc57ac4cu && r0.v[3] == 0x9b00dbd8u,
       "philox4x32-10 zero counter/key matches the reference vector");
    ebm_philox_ctr c1 = {{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}};
    ebm_philox_key k1 = {{0xffffffffu, 0xffffffffu}};
    ebm_philox_ctr r1 = ebm_philox4x32(c1, k1);
    ok(r1.v[0] == 0x408f276du && r1.v[1] == 0x41c83b0eu && r1.v[2] == 0xa20bc7c6u && r1.v[3] == 0x6d5451fdu,
       "philox4x32-10 all-ones counter/key matches the reference vector");
    ebm_philox_ctr c2 = {{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}};
    ebm_philox_key k2 = {{0xa4093822u, 0x299f31d0u}};
    ebm_philox_ctr r2 = ebm_philox4x32(c2, k2);
    ok(r2.v[0] == 0xd16cfe09u && r2.v[1] == 0x94fdccebu && r2.v[2] == 0x5001e420u && r2.v[3] == 0x24126ea1u,
       "philox4x32-10 pi-digits counter/key matches the reference vector");

    /* Same seed, same stream; different seeds differ. */
    ebm_rng a, b, c;
    ebm_rng_init(&a, 42);
    ebm_rng_init(&b, 42);
    ebm_rng_init(&c, 43);
    int same = 1, differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint32_t x = ebm_rng_u32(&a), y = ebm_rng_u32(&b), z = ebm_rng_u32(&c);
        same &= x == y;
        differ |= x != z;
    }
    ok(same, "two generators with one seed give the same stream");
    ok(differ, "different seeds give different streams");

    /* Chi-square over 64 bins of 640,000 uniforms, seed 7. With 63 degrees of freedom the
     * statistic exceeds 110 with probability < 1e-4, so a failure means a real defect. */
    ebm_rng g;
    ebm_rng_init(&g, 7);
    enum { BINS = 64, N = 640000 };
    long counts[BINS];
    memset(counts, 0, sizeof counts);
    for (int i = 0; i < N; i++) counts[(int)(ebm_rng_uniform(&g) * BINS)]++;
    double chi2 = 0, e = (double)N / BINS;
    for (int i = 0; i < BINS; i++) chi2 += (counts[i] - e) * (counts[i] - e) / e;
    diag("seed 7: chi-square %.2f on 63 degrees of freedom", chi2);
    cmp_ok(chi2, <, 110.0, "uniform draws pass a chi-square test (p > 1e-4)");

    /* Normal draws: mean and variance within 5 standard errors. */
    double s = 0, s2 = 0;
    for (int i = 0; i < 200000; i++) {
        double x = ebm_rng_normal(&g);
        s += x;
        s2 += x * x;
    }
    double mean = s / 200000, var = s2 / 200000 - mean * mean;
    cmp_ok(fabs(mean), <, 5 * sqrt(1.0 / 200000), "normal mean is 0 within 5 standard errors");
    cmp_ok(fabs(var - 1), <, 5 * sqrt(2.0 / 200000), "normal variance is 1 within 5 standard errors");

    /* Split streams are distinct from the parent and from each other. */
    ebm_rng p, s1, s2b;
    ebm_rng_init(&p, 1);
    ebm_rng_split(&p, 1, &s1);
    ebm_rng_split(&p, 2, &s2b);
    ok(ebm_rng_u32(&s1) != ebm_rng_u32(&s2b), "split children differ");

    /* ARS: Random123's known answer for ARS-10 (kat_vectors line "ars4x32 10 243f6a88 85a308d3
     * 13198a2e 03707344 a4093822 299f31d0 082efa98 ec4e6c89 ..."), which checks the S-box,
     * ShiftRows, MixColumns, the Weyl key steps and the byte order of the portable form. */
    ebm_ars_keys rk;
    ebm_ars_setkey(&rk, 0x299f31d0a4093822ull, 0xec4e6c89082efa98ull);
    uint32_t ctr[4] = {0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}, out[4];
    ebm_ars_block_rounds(&rk, 10, ctr, out);
    ok(out[0] == 0xa516e7d6u && out[1] == 0x8357ad74u && out[2] == 0x5b59b3ecu && out[3] == 0x8763fff3u,
       "ARS-10 matches Random123's known answer (got %08x %08x %08x %08x)", out[0], out[1], out[2], out[3]);
    /* ARS-7 (the kernels' generator): another counter gives another block */
    uint32_t o1[4], o2[4], z0[4] = {0, 0, 0, 0}, z1[4] = {1, 0, 0, 0};
    ebm_ars_setkey(&rk, 1, 0);
    ebm_ars_block(&rk, z0, o1);
    ebm_ars_block(&rk, z1, o2);
    ok(memcmp(o1, o2, sizeof o1) != 0, "ARS-7: counters 0 and 1 give different blocks");
    return done_testing();
}
