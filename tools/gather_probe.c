/* gather_probe.c - what one table gather costs on this CPU (the ceiling of a packed kernel that
 * looks up every lane's threshold in a per-node table; RESULTS.md, "The 12-neighbour torus,
 * packed"). Independent 16-lane (zmm) and 8-lane (ymm) vpgatherdd from an 8 KB table of 16-bit
 * entries (one node's T >> 16 at 12 neighbours, L1-resident), ns per gather.
 *   cc -O2 -mavx512f -mavx2 tools/gather_probe.c -o /tmp/gather_probe && /tmp/gather_probe
 * Needs AVX-512F; not part of the build. */
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint16_t table[4096 + 2];

int main(void) {
    for (int i = 0; i < 4098; i++) table[i] = (uint16_t)(i * 7);
    const long N = 20000000;
    const __m512i mask = _mm512_set1_epi32(4095);
    __m512i idx[8], acc = _mm512_setzero_si512();
    for (int k = 0; k < 8; k++)
        idx[k] = _mm512_set_epi32(15 * k, 4000, 33, 2048, 77, 1000, 512, 3, 900, 1500, 2500, 3500, 100, 200, 300, 4095);
    double t0 = now();
    for (long n = 0; n < N; n++) {
        for (int k = 0; k < 8; k++) acc = _mm512_xor_si512(acc, _mm512_i32gather_epi32(idx[k], table, 2));
        idx[n & 7] = _mm512_and_si512(_mm512_add_epi32(idx[n & 7], _mm512_set1_epi32(1)), mask);
    }
    const double tz = (now() - t0) / ((double)N * 8) * 1e9;
    const __m256i mask8 = _mm256_set1_epi32(4095);
    __m256i idy[8], accy = _mm256_setzero_si256();
    for (int k = 0; k < 8; k++) idy[k] = _mm256_set_epi32(15 * k, 4000, 33, 2048, 77, 1000, 512, 3);
    t0 = now();
    for (long n = 0; n < N; n++) {
        for (int k = 0; k < 8; k++) accy = _mm256_xor_si256(accy, _mm256_i32gather_epi32((const int *)table, idy[k], 2));
        idy[n & 7] = _mm256_and_si256(_mm256_add_epi32(idy[n & 7], _mm256_set1_epi32(1)), mask8);
    }
    const double ty = (now() - t0) / ((double)N * 8) * 1e9;
    printf("zmm gather (16 lanes): %.2f ns, %.3f ns per lane\n", tz, tz / 16);
    printf("ymm gather (8 lanes):  %.2f ns, %.3f ns per lane\n", ty, ty / 8);
    printf("(checksum %d)\n", _mm512_reduce_add_epi32(acc) ^ _mm256_extract_epi32(accy, 0));
    return 0;
}
