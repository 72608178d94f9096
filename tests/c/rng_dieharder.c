/* rng_dieharder.c - the packed kernel's random stream through Debian's dieharder.
 *
 * As a test (no arguments): a quick subset of dieharder (a few seconds) reads the ARS stream
 * from a pipe; every assessment must be PASSED or WEAK (dieharder
 * calls a p-value FAILED below 1e-6; WEAK, p < 0.005 or > 0.995, happens by chance in about one
 * test in a hundred, so it is reported but not failed). Skipped when dieharder is missing.
 *
 * As a stream (`rng_dieharder.t --stream ars|philox|u8ars [seed]`): the raw bytes on stdout for
 * `dieharder -g 200` (stdin_input_raw); `make dieharder` runs the full battery this way.
 *
 * The stream is what the packed kernel draws (gibbs_packed.h), in the kernel's counter order:
 * for step s = 0, 1, ..., node i < 784 (a 28x28 grid), plane b < 32, word pair p < 32 (4096
 * chains): ARS the 16 bytes of ARS-7(key = {seed, s_hi ^ "PACK" << 32}, ctr = {p, i, s_lo, b});
 * Philox the 16 bytes of Philox4x32-10(key = {seed_lo, seed_hi ^ "PACK"}, ctr = {16 w + b/2, i,
 * s_lo, s_hi}) for words w = 2p, 2p+1 and b even. u8ars is the u8 kernel's ARS stream (gibbs.h)
 * in its counter order: for step s, node i < 784, block q < 1024 (4096 chains), the 16 bytes of
 * ARS-7(key = {seed, EBM_GIBBS_ARS_KEYHI}, ctr = {q, i, s_lo, s_hi}), the words of chains
 * 4q .. 4q+3. ARS uses AES-NI where the CPU has it (checked against the portable form on the
 * first blocks), else the portable form. */
#include <errno.h>
#include <immintrin.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gibbs.h"
#include "gibbs_cpu.h"
#include "gibbs_packed.h"
#include "rng.h"
#include "tap.h"

/* TAP skip lines (tap.h has none). */
static void skip(int n, const char *why) {
    for (int k = 0; k < n; k++) printf("ok %d # skip %s\n", ++tap_n, why);
}

enum { NODES = 784, PLANES = 32, PAIRS = 32, BLOCKS_PER_STEP = NODES * PLANES * PAIRS, U8_BLOCKS = 1024 };
enum { GEN_PHILOX = 0, GEN_ARS = 1, GEN_U8ARS = 2 };
static const char *const GEN_NAME[3] = {"philox", "ars", "u8ars"};

__attribute__((target("aes"))) static void ars_aesni(const ebm_ars_keys *rk, const uint32_t *ctr, int n, uint32_t *out) {
    __m128i k[EBM_ARS_ROUNDS + 1];
    for (int r = 0; r <= EBM_ARS_ROUNDS; r++) k[r] = _mm_loadu_si128((const __m128i *)rk->k[r]);
    for (int q = 0; q < n; q++) {
        __m128i v = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(ctr + 4 * q)), k[0]);
        for (int r = 1; r < EBM_ARS_ROUNDS; r++) v = _mm_aesenc_si128(v, k[r]);
        _mm_storeu_si128((__m128i *)(out + 4 * q), _mm_aesenclast_si128(v, k[EBM_ARS_ROUNDS]));
    }
}

/* Blocks [pos, pos + n) of the stream (n <= PAIRS, within one (step, node, plane)) into out. */
static void stream_blocks(int ars, int aesni, uint64_t seed, uint64_t pos, int n, uint32_t *out) {
    if (ars == GEN_U8ARS) {  /* n <= 32 blocks within one node's 1024 */
        const uint64_t s = pos / ((uint64_t)NODES * U8_BLOCKS), rem = pos % ((uint64_t)NODES * U8_BLOCKS);
        const uint32_t i = (uint32_t)(rem / U8_BLOCKS), q0 = (uint32_t)(rem % U8_BLOCKS);
        ebm_ars_keys rk;
        ebm_ars_setkey(&rk, seed, EBM_GIBBS_ARS_KEYHI);
        uint32_t ctr[4 * PAIRS];
        for (int q = 0; q < n; q++) {
            uint32_t c[4] = {q0 + (uint32_t)q, i, (uint32_t)s, (uint32_t)(s >> 32)};
            memcpy(ctr + 4 * q, c, sizeof c);
        }
        if (aesni) ars_aesni(&rk, ctr, n, out);
        else for (int q = 0; q < n; q++) ebm_ars_block(&rk, ctr + 4 * q, out + 4 * q);
        return;
    }
    uint64_t s = pos / BLOCKS_PER_STEP, rem = pos % BLOCKS_PER_STEP;
    uint32_t i = (uint32_t)(rem / (PLANES * PAIRS)), b = (uint32_t)(rem / PAIRS % PLANES), p0 = (uint32_t)(rem % PAIRS);
    if (ars) {
        ebm_ars_keys rk;
        ebm_ars_setkey(&rk, seed, (s >> 32) ^ ((uint64_t)EBM_PK_KEYX << 32));
        uint32_t ctr[4 * PAIRS];
        for (int q = 0; q < n; q++) {
            uint32_t c[4] = {p0 + (uint32_t)q, i, (uint32_t)s, b};
            memcpy(ctr + 4 * q, c, sizeof c);
        }
        if (aesni) ars_aesni(&rk, ctr, n, out);
        else for (int q = 0; q < n; q++) ebm_ars_block(&rk, ctr + 4 * q, out + 4 * q);
    } else {
        uint64_t key = seed ^ ((uint64_t)EBM_PK_KEYX << 32);
        for (int q = 0; q < n; q++) {
            uint64_t w = 2 * (uint64_t)(p0 + (uint32_t)q) + (b & 1);  /* b odd: the pair's second word */
            uint64_t ctr = (uint64_t)(uint32_t)(w * 16 + b / 2) | ((uint64_t)i << 32);
            ebm_philox_ctr v = ebm_rng_block(key, s, ctr);
            memcpy(out + 4 * q, v.v, sizeof v.v);
        }
    }
}

/* Write the stream to fd until the reader closes it (or `limit` bytes, 0 = no limit). */
static int write_stream(FILE *f, int ars, uint64_t seed, uint64_t limit) {
    int aesni = ars && ebm_cpu_has("aes");
    uint32_t buf[4 * PAIRS];
    uint64_t written = 0;
    for (uint64_t pos = 0;; pos += PAIRS) {
        stream_blocks(ars, aesni, seed, pos, PAIRS, buf);
        if (fwrite(buf, sizeof buf, 1, f) != 1) return errno == EPIPE ? 0 : -1;
        written += sizeof buf;
        if (limit && written >= limit) return 0;
    }
}

/* Run one dieharder test on the stream; count its assessments. */
static void run_test(int ars, const char *args, int *passed, int *weak, int *failed) {
    char cmd[256], path[] = "/tmp/ebm_dieharder_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) { *failed += 1; return; }
    close(fd);
    snprintf(cmd, sizeof cmd, "dieharder -g 200 %s > %s 2>&1", args, path);
    FILE *p = popen(cmd, "w");
    if (!p) { *failed += 1; unlink(path); return; }
    write_stream(p, ars, 20261202, 0);
    pclose(p);
    FILE *r = fopen(path, "r");
    char line[512];
    while (r && fgets(line, sizeof line, r)) {
        line[strcspn(line, "\n")] = 0;
        if (strstr(line, "PASSED")) (*passed)++;
        else if (strstr(line, "WEAK")) { (*weak)++; diag("%s: %s", GEN_NAME[ars], line); }
        else if (strstr(line, "FAILED")) { (*failed)++; diag("%s: %s", GEN_NAME[ars], line); }
    }
    if (r) fclose(r);
    unlink(path);
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN);
    if (argc >= 3 && !strcmp(argv[1], "--stream")) {
        int ars = -1;
        for (int g = 0; g < 3; g++)
            if (!strcmp(argv[2], GEN_NAME[g])) ars = g;
        if (ars < 0) { fprintf(stderr, "usage: %s --stream ars|philox|u8ars [seed]\n", argv[0]); return 2; }
        uint64_t seed = argc >= 4 ? strtoull(argv[3], NULL, 0) : 1;
        return write_stream(stdout, ars, seed, 0) ? 1 : 0;
    }
    if (argc > 1) { fprintf(stderr, "usage: %s [--stream ars|philox|u8ars [seed]]\n", argv[0]); return 2; }

    /* the u8ars stream holds the u8 kernel's documented words (ebm_gibbs_word_rng) */
    {
        uint32_t a[4 * PAIRS];
        int same = 1;
        for (uint64_t pos = 0; pos < 4 * U8_BLOCKS; pos += PAIRS) {
            const uint64_t p = pos + (uint64_t)NODES * U8_BLOCKS * 2 + 5 * U8_BLOCKS;  /* step 2, node 5.. */
            stream_blocks(GEN_U8ARS, ebm_cpu_has("aes"), 9, p, PAIRS, a);
            const uint64_t rem = p % ((uint64_t)NODES * U8_BLOCKS);
            for (int w = 0; w < 4 * PAIRS; w++)
                same &= a[w] == ebm_gibbs_word_rng(EBM_RNG_ARS, 9, (uint32_t)(rem / U8_BLOCKS), 2,
                                                   (int64_t)(4 * (rem % U8_BLOCKS)) + w);
        }
        ok(same, "u8ars stream: the u8 kernel's ARS words (ebm_gibbs_word_rng)");
    }

    /* the AES-NI form equals the portable one */
    if (ebm_cpu_has("aes")) {
        uint32_t a[4 * PAIRS], b[4 * PAIRS];
        int same = 1;
        for (uint64_t pos = 0; pos < 64 * PAIRS; pos += PAIRS) {
            stream_blocks(1, 1, 5, pos + (uint64_t)BLOCKS_PER_STEP * 3, PAIRS, a);
            stream_blocks(1, 0, 5, pos + (uint64_t)BLOCKS_PER_STEP * 3, PAIRS, b);
            same = same && !memcmp(a, b, sizeof a);
        }
        for (uint64_t pos = 0; pos < 64 * PAIRS; pos += PAIRS) {
            stream_blocks(GEN_U8ARS, 1, 5, pos + (uint64_t)NODES * U8_BLOCKS * 3, PAIRS, a);
            stream_blocks(GEN_U8ARS, 0, 5, pos + (uint64_t)NODES * U8_BLOCKS * 3, PAIRS, b);
            same = same && !memcmp(a, b, sizeof a);
        }
        ok(same, "ARS and u8ars streams: AES-NI blocks equal the portable form's");
    } else {
        skip(1, "no AES-NI on this CPU");
    }
    if (system("command -v dieharder > /dev/null 2>&1") != 0) {
        skip(2, "dieharder is not installed (Debian package dieharder)");
        return done_testing();
    }
    /* quick subset of the new generator (about 3 s of CPU): birthdays, count-the-1s stream,
     * STS monobit, RGB 3-permutations, each with 50 p-samples (with 10, dieharder's final KS
     * test calls an evenly spread set of p-values "too uniform" now and then); Philox, the
     * reference, and the full battery: make dieharder */
    static const char *const tests[] = {"-d 0 -p 50", "-d 8 -p 50", "-d 100 -p 50", "-d 202 -n 3 -p 50"};
    for (int ars = GEN_ARS; ars <= GEN_U8ARS; ars++) {
        int passed = 0, weak = 0, failed = 0;
        for (size_t k = 0; k < sizeof tests / sizeof *tests; k++) run_test(ars, tests[k], &passed, &weak, &failed);
        ok(failed == 0 && passed + weak >= (int)(sizeof tests / sizeof *tests),
           "%s stream: dieharder quick subset: %d passed, %d weak, %d failed", GEN_NAME[ars], passed, weak, failed);
    }
    return done_testing();
}
