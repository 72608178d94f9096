/* gibbs.c - the kernels' random-number contract (both generators, every level draw and SIMD
 * path use the documented words), a beta = 0 sweep gives uniform levels
 * (chi-square), clamps hold, one chain equals its column of a batch, and the sequential
 * sampler draws from the exact conditional of a two-node model. */
#include "gibbs.h"
#include "gibbs_cpu.h"
#include "graph.h"
#include "stats.h"
#include "tap.h"

#include <math.h>
#include <string.h>

/* A w x h grid, 4-neighbour, K levels, one potts slot. */
static ebm_model *grid(int h, int w, int K, float weight) {
    int32_t Ks[64], ka = K, kb = K, ei[128], ej[128], es[128];
    int ne = 0;
    for (int i = 0; i < h * w; i++) Ks[i] = K;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            if (x + 1 < w) { ei[ne] = y * w + x; ej[ne] = y * w + x + 1; es[ne++] = 0; }
            if (y + 1 < h) { ei[ne] = y * w + x; ej[ne] = y * w + x + w; es[ne++] = 0; }
        }
    char err[128];
    ebm_model *m = ebm_model_new(h * w, Ks, 1, &ka, &kb, ne, ei, ej, es, err, sizeof err);
    float pat[256];
    for (int a = 0; a < K; a++)
        for (int b = 0; b < K; b++) pat[a * K + b] = a == b;
    ebm_model_fill_tables(m, 0, 1, &weight, pat);
    ebm_model_refresh(m);
    return m;
}

static void checkerboard(ebm_blocks *b, int h, int w) {
    int32_t col[64];
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) col[y * w + x] = (x + y) % 2;
    ebm_blocks_from_colours(b, h * w, col, 2);
}

int main(void) {
    /* 1. the word contract */
    int ok_words = 1;
    for (int64_t g = 0; g < 300; g += 7) {
        ebm_philox_ctr c = {{(uint32_t)((g >> 6) * 16 + (g & 15)), 5u, 9u, 0u}};
        ebm_philox_key k = {{123u, 0u}};
        ok_words &= ebm_gibbs_word(123, 5, 9, g) == ebm_philox4x32(c, k).v[(g >> 4) & 3];
    }
    ok(ok_words, "random word of (node, chain, step) is the documented Philox word");

    /* 1b. the kernels draw with the documented words: at beta = 0 the thresholds of a 4-level
     * node are exactly 2^30, 2^31 and 3 * 2^30 (weights exp(0) = 1 for both level draws), so a
     * sweep leaves every node at level U >> 30 of its own word U of the last step; for both
     * generators, every level draw, each SIMD path this CPU runs, one chain (the
     * node-vectorised path), 37 chains (per-chain thresholds) and 300 chains x 4 sweeps (>= 1024
     * chain-sweeps: the threshold tables), an unaligned chain offset */
    {
        ebm_model *m = grid(4, 4, 4, 1.5f);
        ebm_blocks b;
        checkerboard(&b, 4, 4);
        const int rngs[2] = {EBM_RNG_PHILOX, EBM_RNG_ARS};
        const int lvs[3] = {EBM_LEVELS_TABLE, EBM_LEVELS_GATHER, EBM_LEVELS_FLOAT};
        const int simds[2] = {EBM_SIMD_AVX512, EBM_SIMD_SCALAR};
        const int64_t Cs[3] = {1, 37, 300};
        int same = 1, ran = 0, differ = 0;
        for (int r = 0; r < 2; r++)
            for (int l = 0; l < 3; l++)
                for (int sp = 0; sp < 2; sp++) {
                    if (!ebm_simd_runs(simds[sp], rngs[r])) continue;
                    for (int q = 0; q < 3; q++) {
                        const int64_t C = Cs[q];
                        uint8_t *x = calloc((size_t)(16 * C), 1);
                        ebm_gibbs_opts o;
                        memset(&o, 0, sizeof o);
                        o.beta = 0.0f; o.seed = 77; o.step = 5; o.chain_off = 5;
                        o.rng = rngs[r]; o.levels = lvs[l]; o.simd = simds[sp];
                        const int32_t ns = C >= 300 ? 4 : 1;
                        same &= ebm_gibbs_sweeps(m, &b, x, C, ns, &o) == EBM_OK;
                        for (int i = 0; i < 16; i++)
                            for (int64_t c = 0; c < C; c++) {
                                uint32_t w = ebm_gibbs_word_rng(rngs[r], 77, (uint32_t)i, 5 + (uint64_t)ns - 1, 5 + c);
                                same &= x[i * C + c] == (w >> 30);
                                differ |= w != ebm_gibbs_word_rng(rngs[1 - r], 77, (uint32_t)i, 5 + (uint64_t)ns - 1, 5 + c);
                            }
                        free(x);
                        ran++;
                    }
                }
        ok(same && ran >= 9, "beta = 0, K = 4: a sweep leaves level word >> 30 on every path (%d runs)", ran);
        ok(differ, "the ARS and Philox words differ");
        ebm_blocks_free(&b);
        ebm_model_free(m);
    }

    /* 2. beta = 0: every level equally likely, for the binary and the K-level kernels */
    for (int K = 2; K <= 5; K += 3) {
        ebm_model *m = grid(4, 4, K, 1.5f);
        ebm_blocks b;
        checkerboard(&b, 4, 4);
        int64_t C = 2000;
        uint8_t *x = calloc((size_t)(16 * C), 1);
        ebm_gibbs_opts o;
        memset(&o, 0, sizeof o);
        o.beta = 0.0f; o.seed = 7; o.step = 1;
        ebm_gibbs_sweeps(m, &b, x, C, 2, &o);
        double cnt[8] = {0}, chi = 0, n = 16.0 * (double)C;
        for (int64_t q = 0; q < 16 * C; q++) cnt[x[q]] += 1;
        for (int k = 0; k < K; k++) chi += (cnt[k] - n / K) * (cnt[k] - n / K) / (n / K);
        /* chi-square with K-1 degrees of freedom: 30 is beyond the 1e-5 quantile for K <= 5 */
        ok(chi < 30, "beta = 0, K = %d: levels uniform (chi-square %.2f, %d dof)", K, chi, K - 1);

        /* 3. clamps hold */
        uint8_t clamp[16] = {0};
        clamp[0] = clamp[5] = clamp[15] = 1;
        uint8_t *before = malloc((size_t)(16 * C));
        memcpy(before, x, (size_t)(16 * C));
        o.beta = 1.0f; o.clamp = clamp;
        ebm_gibbs_sweeps(m, &b, x, C, 3, &o);
        ok(!memcmp(x, before, (size_t)C) && !memcmp(x + 5 * C, before + 5 * C, (size_t)C) &&
           !memcmp(x + 15 * C, before + 15 * C, (size_t)C), "K = %d: clamped nodes unchanged", K);
        o.clamp = NULL;

        /* 4. one chain alone equals its column of the batch */
        uint8_t col[16];
        int64_t c = 1234;
        for (int i = 0; i < 16; i++) col[i] = before[i * C + c];
        memcpy(x, before, (size_t)(16 * C));
        o.step = 40;
        ebm_gibbs_sweeps(m, &b, x, C, 3, &o);
        o.chain_off = c;
        ebm_gibbs_sweeps(m, &b, col, 1, 3, &o);
        o.chain_off = 0;
        int same = 1;
        for (int i = 0; i < 16; i++) same &= col[i] == x[i * C + c];
        ok(same, "K = %d: chain %lld alone (chain_off) equals its column of the batch", K, (long long)c);
        free(x); free(before);
        ebm_blocks_free(&b);
        ebm_model_free(m);
    }

    /* 5. sequential sampler on two coupled binary nodes: the pair frequencies match the exact
     * probabilities within 6 standard errors (samples two sweeps apart are mildly correlated) */
    {
        int32_t K2[2] = {2, 2}, ka = 2, kb = 2, a = 0, bb = 1, s = 0;
        char err[64];
        ebm_model *m = ebm_model_new(2, K2, 1, &ka, &kb, 1, &a, &bb, &s, err, sizeof err);
        float w = 1.0f, pat[4] = {0, 0, 0, 1};
        ebm_model_fill_tables(m, 0, 1, &w, pat);
        float *bias = ebm_tensor_data(&m->bias);
        bias[1] = -0.5f;  /* node 0, level 1 */
        ebm_model_refresh(m);
        double logp[4], lz;
        ebm_exact(m, 1.0, NULL, NULL, 16, logp, NULL, &lz);
        ebm_rng r;
        ebm_rng_init(&r, 99);
        uint8_t x[2] = {0, 0};
        double cnt[4] = {0};
        int S = 40000;
        for (int t = 0; t < S; t++) {
            ebm_gibbs_sequential(m, x, 2, 1.0f, NULL, t & 1, &r);
            cnt[x[0] + 2 * x[1]] += 1;
        }
        double worst = 0;
        for (int q = 0; q < 4; q++) {
            double p = exp(logp[q]), se = sqrt(p * (1 - p) / S);
            double z = fabs(cnt[q] / S - p) / se;
            if (z > worst) worst = z;
        }
        ok(worst < 6, "sequential sampler: pair frequencies match exact (worst z %.2f)", worst);
        ebm_model_free(m);
    }
    done_testing();
}
