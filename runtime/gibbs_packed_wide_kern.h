/* gibbs_packed_wide_kern.h - the wide path's sweep for one instruction set. Not a header of
 * its own: gibbs_packed_wide.c includes it three times, each under its own `#pragma GCC target`,
 * with WK_ISA = 0 (portable C), 1 (AVX2 + AES-NI) or 2 (AVX-512 + VAES) and WK(name) naming the
 * copy. All three compute the same bits (gibbs_packed.h, "The wide path"). */

#if WK_ISA >= 1
/* ARS blocks q0 .. q0+nq-1 of word w for node i, 8 16-bit words each, with AES-NI. */
static inline void WK(ars_blocks)(const wrand *R, int32_t i, int64_t w, int q0, int nq, uint16_t *out) {
    __m128i k[EBM_ARS_ROUNDS + 1];
    for (int r = 0; r <= EBM_ARS_ROUNDS; r++) k[r] = _mm_loadu_si128((const __m128i *)R->keys.k[r]);
    for (int q = 0; q < nq; q++) {
        __m128i v = _mm_set_epi32(q0 + q, (int)(uint32_t)R->step, (int)i, (int)(uint32_t)w);
        v = _mm_xor_si128(v, k[0]);
        for (int r = 1; r < EBM_ARS_ROUNDS; r++) v = _mm_aesenc_si128(v, k[r]);
        _mm_storeu_si128((__m128i *)(out + 8 * q), _mm_aesenclast_si128(v, k[EBM_ARS_ROUNDS]));
    }
}
#endif

/* The hi words of the 64 lanes of word w (blocks 0..7). */
static inline void WK(hi_word)(const wrand *R, int32_t i, int64_t w, uint16_t *hi) {
#if WK_ISA >= 1
    if (R->rng == EBM_RNG_ARS) { WK(ars_blocks)(R, i, w, 0, 8, hi); return; }
#endif
    for (int q = 0; q < 8; q++) wide_block(R, i, w, q, hi + 8 * q);
}

#if WK_ISA == 2
/* Update node i in the G words from w0: 16 registers of 32 lanes. rk: ARS round keys, each
 * 128-bit key in all four blocks. */
static inline __attribute__((always_inline)) void WK(group)(const wplan *P, int32_t i, uint64_t *p, int64_t nw,
                                                            int64_t w0, const uint64_t *keep, const wrand *R,
                                                            const __m512i *rk) {
    const int D = P->deg[i];
    const int32_t *nb = P->nbr + (int64_t)i * WMAX;
    const uint16_t *th = P->th + P->toff[i];
    uint64_t nbw[WMAX][G];
    for (int e = 0; e < D; e++) memcpy(nbw[e], p + (int64_t)nb[e] * nw + w0, sizeof nbw[e]);
    /* hi words: register k holds lanes 32 (k & 1) .. +31 of word w0 + k/2 (blocks 4 (k & 1) .. +3) */
    __m512i r[2 * G];
    if (R->rng == EBM_RNG_ARS) {
        const int slo = (int)(uint32_t)R->step;
        for (int k = 0; k < 2 * G; k++) {
            const int w = (int)(uint32_t)(w0 + k / 2), q0 = 4 * (k & 1);
            r[k] = _mm512_xor_si512(_mm512_set_epi32(q0 + 3, slo, i, w, q0 + 2, slo, i, w, q0 + 1, slo, i, w, q0, slo, i, w),
                                    rk[0]);
        }
        for (int rr = 1; rr < EBM_ARS_ROUNDS; rr++)
            for (int k = 0; k < 2 * G; k++) r[k] = _mm512_aesenc_epi128(r[k], rk[rr]);
        for (int k = 0; k < 2 * G; k++) r[k] = _mm512_aesenclast_epi128(r[k], rk[EBM_ARS_ROUNDS]);
    } else {
        uint16_t hi[64 * G];
        for (int w = 0; w < G; w++) WK(hi_word)(R, i, w0 + w, hi + 64 * w);
        for (int k = 0; k < 2 * G; k++) r[k] = _mm512_loadu_si512(hi + 32 * k);
    }
    /* the low 16 bits of each gathered dword, in lane order: u16 2j of (a, b) */
    const __m512i even = _mm512_set_epi16(62, 60, 58, 56, 54, 52, 50, 48, 46, 44, 42, 40, 38, 36, 34, 32, 30, 28, 26, 24,
                                          22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    __m512i bit[WMAX];
    for (int e = 0; e < D; e++) bit[e] = _mm512_set1_epi16((short)(1 << e));
    uint64_t res[G], tie[G];
    for (int w = 0; w < G; w++) {
        uint64_t lt = 0, eq = 0;
        for (int h = 0; h < 2; h++) {
            /* configuration indices of 32 lanes (distinct bits: the masked add is an OR) */
            __m512i idx = _mm512_setzero_si512();
            for (int e = 0; e < D; e++) idx = _mm512_mask_add_epi16(idx, (__mmask32)(nbw[e][w] >> (32 * h)), idx, bit[e]);
            /* 8-lane gathers: faster per lane than 16-lane ones on the AMD Zen 5 measured */
            __m256i g[4];
            for (int c = 0; c < 4; c++)
                g[c] = _mm256_i32gather_epi32((const int *)th, _mm256_cvtepu16_epi32(_mm512_extracti32x4_epi32(idx, c)), 2);
            const __m512i ga = _mm512_inserti64x4(_mm512_castsi256_si512(g[0]), g[1], 1);
            const __m512i gb = _mm512_inserti64x4(_mm512_castsi256_si512(g[2]), g[3], 1);
            const __m512i t = _mm512_permutex2var_epi16(ga, even, gb);
            lt |= (uint64_t)_mm512_cmplt_epu16_mask(r[2 * w + h], t) << (32 * h);
            eq |= (uint64_t)_mm512_cmpeq_epu16_mask(r[2 * w + h], t) << (32 * h);
        }
        res[w] = lt;
        tie[w] = eq;
    }
    uint64_t *x = p + (int64_t)i * nw + w0;
    for (int w = 0; w < G; w++) {
        if (tie[w]) {
            uint64_t col[WMAX];
            for (int e = 0; e < D; e++) col[e] = nbw[e][w];
            res[w] |= wide_ties(P, i, col, w0 + w, tie[w], R);
        }
        store_word(x, keep, w, res[w]);
    }
}
#else
/* Update node i in the G words from w0, lane by lane. */
static inline void WK(group)(const wplan *P, int32_t i, uint64_t *p, int64_t nw, int64_t w0, const uint64_t *keep,
                             const wrand *R, const void *rk) {
    (void)rk;
    const int D = P->deg[i];
    const int32_t *nb = P->nbr + (int64_t)i * WMAX;
    const uint16_t *th = P->th + P->toff[i];
    uint64_t *x = p + (int64_t)i * nw + w0;
    for (int w = 0; w < G; w++) {
        uint64_t nbw[WMAX];
        for (int e = 0; e < D; e++) nbw[e] = p[(int64_t)nb[e] * nw + w0 + w];
        uint16_t hi[64], cfg[64];
        WK(hi_word)(R, i, w0 + w, hi);
        memset(cfg, 0, sizeof cfg);
        for (int e = 0; e < D; e++)
            for (int j = 0; j < 64; j++) cfg[j] = (uint16_t)(cfg[j] | ((nbw[e] >> j) & 1) << e);
        uint64_t res = 0, tie = 0;
        for (int j = 0; j < 64; j++) {
            const uint16_t t = th[cfg[j]];
            res |= (uint64_t)(hi[j] < t) << j;
            tie |= (uint64_t)(hi[j] == t) << j;
        }
        if (tie) res |= wide_ties(P, i, nbw, w0 + w, tie, R);
        store_word(x, keep, w, res);
    }
}
#endif

/* All sweeps of groups g0 .. g1-1 (see ebm_packed_wide_sweeps), node by node. */
static void WK(sweeps)(const wplan *P, const ebm_blocks *b, uint64_t *p, int64_t nw, int32_t nsweeps,
                       const ebm_packed_opts *o, int rng, int64_t g0, int64_t g1) {
    const int64_t nlist = b->start[b->nblocks];
    for (int32_t s = 0; s < nsweeps; s++) {
        wrand R;
        wrand_init(&R, rng, o->seed, o->step + (uint64_t)s);
#if WK_ISA == 2
        __m512i rk[EBM_ARS_ROUNDS + 1];
        for (int r = 0; r <= EBM_ARS_ROUNDS; r++) rk[r] = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)R.keys.k[r]));
#else
        const void *rk = NULL;
#endif
        for (int64_t k = 0; k < nlist; k++) {
            const int32_t i = b->nodes[k];
            if (o->clamp && o->clamp[i]) continue;
            if (k + 1 < nlist) {  /* the next node's table, while this one runs */
                const int32_t nx = b->nodes[k + 1];
                const char *tn = (const char *)(P->th + P->toff[nx]);
                for (int64_t off = 0; off < (int64_t)2 << P->deg[nx]; off += 64) __builtin_prefetch(tn + off);
            }
            for (int64_t g = g0; g < g1; g++)
                WK(group)(P, i, p, nw, g * G, o->clamp_pc ? o->clamp_pc + (int64_t)i * nw + g * G : NULL, &R, rk);
        }
    }
}
