/* gibbs_packed_wide_kern.h - the wide path's sweep for one instruction set. Not a header of
 * its own: gibbs_packed_wide.c includes it three times, each under its own `#pragma GCC target`,
 * with WK_ISA = 0 (portable C), 1 (AVX2 + AES-NI) or 2 (AVX-512 + VAES + VBMI) and WK(name)
 * naming the copy. All three compute the same bits (gibbs_packed.h, "The wide path"). */

/* Blocks q0 .. q0+nq-1 of word w's stream for node i, 16 bytes each, into out. */
static inline void WK(stream)(const wrand *R, int32_t i, int64_t w, int q0, int nq, uint8_t *out) {
#if WK_ISA >= 1
    if (R->rng == EBM_RNG_ARS) {
        __m128i k[EBM_ARS_ROUNDS + 1];
        for (int r = 0; r <= EBM_ARS_ROUNDS; r++) k[r] = _mm_loadu_si128((const __m128i *)R->keys.k[r]);
        for (int q = 0; q < nq; q++) {
            __m128i v = _mm_set_epi32(q0 + q, (int)(uint32_t)R->step, (int)i, (int)(uint32_t)(w + R->wbase));
            v = _mm_xor_si128(v, k[0]);
            for (int r = 1; r < EBM_ARS_ROUNDS; r++) v = _mm_aesenc_si128(v, k[r]);
            _mm_storeu_si128((__m128i *)(out + 16 * q), _mm_aesenclast_si128(v, k[EBM_ARS_ROUNDS]));
        }
        return;
    }
#endif
    for (int q = 0; q < nq; q++) wide_block(R, i, w, q0 + q, out + 16 * q);
}

#if WK_ISA == 2
/* Update node i in the G words from w0, 64 lanes (one word) per register: the configuration's
 * chunks in bytes (masked adds, one per neighbour), its bucket by two or three byte permutes,
 * the bucket's bounds by two more, and U's top byte against them; the few undecided lanes (U's
 * top byte inside the bounds) look up T >> 16 one by one. rk: ARS round keys in all four
 * 128-bit blocks. */
static inline __attribute__((always_inline)) void WK(group)(const wplan *P, int32_t i, uint64_t *p, int64_t nw,
                                                            int64_t w0, const uint64_t *keep, const wrand *R,
                                                            const __m512i *rk, wqueue *Q) {
    const int D = P->deg[i], nch = (D + 6) / 7;
    const int32_t *nb = P->nbr + (int64_t)i * WMAX;
    const uint8_t *bk = P->bk + (int64_t)i * WBK;
    /* the neighbours' words (register e: words w0 .. w0+7 of neighbour e), zero past D */
    __m512i nbv[21];
    for (int e = 0; e < 21; e++) nbv[e] = e < D ? _mm512_loadu_si512(p + (int64_t)nb[e] * nw + w0) : _mm512_setzero_si512();
    /* U's top bytes: register w is blocks 0..3 of word w0 + w */
    __m512i r0[G];
#if EBM_WIDE_PROBE == 1
    /* probe build (not exact): U's top bytes loaded from a table of random bytes */
    for (int w = 0; w < G; w++)
        r0[w] = _mm512_loadu_si512(probe_bytes + (((uint32_t)i * 977u + (uint32_t)(w0 + w + R->wbase) * 131u) & 1023u) * 64);
    if (0) {
#else
    if (R->rng == EBM_RNG_ARS) {
#endif
        const int slo = (int)(uint32_t)R->step;
        for (int w = 0; w < G; w++) {
            const int ww = (int)(uint32_t)(w0 + w + R->wbase);
            r0[w] = _mm512_xor_si512(_mm512_set_epi32(3, slo, i, ww, 2, slo, i, ww, 1, slo, i, ww, 0, slo, i, ww), rk[0]);
        }
        for (int rr = 1; rr < EBM_ARS_ROUNDS; rr++)
            for (int w = 0; w < G; w++) r0[w] = _mm512_aesenc_epi128(r0[w], rk[rr]);
        for (int w = 0; w < G; w++) r0[w] = _mm512_aesenclast_epi128(r0[w], rk[EBM_ARS_ROUNDS]);
    } else {
        uint8_t b0[64];
        for (int w = 0; w < G; w++) {
            WK(stream)(R, i, w0 + w, 0, 4, b0);
            r0[w] = _mm512_loadu_si512(b0);
        }
    }
    __m512i F[3][2];
    for (int c = 0; c < nch; c++) {
        F[c][0] = _mm512_loadu_si512(bk + 128 * c);
        F[c][1] = _mm512_loadu_si512(bk + 128 * c + 64);
    }
    const __m512i tmin0 = _mm512_loadu_si512(bk + 384), tmin1 = _mm512_loadu_si512(bk + 448);
    const __m512i tmax0 = _mm512_loadu_si512(bk + 512), tmax1 = _mm512_loadu_si512(bk + 576);
    /* chunk c's index bytes of every lane: the 8x8 qword transpose of its neighbours' registers
     * (7 rows and a zero one) gives one register per word with the neighbours' words in its
     * qwords; a byte permute makes each qword the 8x8 bit matrix of 8 lanes (reversed rows),
     * and GF2P8AFFINEQB with the identity-like operand transposes it: byte j of qword k is
     * the chunk's bits of lane 8k + j */
    __m512i A[3][G];
    const __m512i bytet = _mm512_set_epi8(7, 15, 23, 31, 39, 47, 55, 63, 6, 14, 22, 30, 38, 46, 54, 62, 5, 13, 21, 29, 37, 45, 53,
                                          61, 4, 12, 20, 28, 36, 44, 52, 60, 3, 11, 19, 27, 35, 43, 51, 59, 2, 10, 18, 26, 34, 42,
                                          50, 58, 1, 9, 17, 25, 33, 41, 49, 57, 0, 8, 16, 24, 32, 40, 48, 56);
    const __m512i onehot = _mm512_set1_epi64((long long)0x8040201008040201ull);
    for (int c = 0; c < nch; c++) {
        const __m512i *r = nbv + 7 * c, z = _mm512_setzero_si512();
        const __m512i i1 = _mm512_set_epi64(13, 12, 5, 4, 9, 8, 1, 0), i2 = _mm512_set_epi64(15, 14, 7, 6, 11, 10, 3, 2);
        const __m512i i3 = _mm512_set_epi64(11, 10, 9, 8, 3, 2, 1, 0), i4 = _mm512_set_epi64(15, 14, 13, 12, 7, 6, 5, 4);
        const __m512i t0 = _mm512_unpacklo_epi64(r[0], r[1]), t1 = _mm512_unpackhi_epi64(r[0], r[1]);
        const __m512i t2 = _mm512_unpacklo_epi64(r[2], r[3]), t3 = _mm512_unpackhi_epi64(r[2], r[3]);
        const __m512i t4 = _mm512_unpacklo_epi64(r[4], r[5]), t5 = _mm512_unpackhi_epi64(r[4], r[5]);
        const __m512i t6 = _mm512_unpacklo_epi64(r[6], z), t7 = _mm512_unpackhi_epi64(r[6], z);
        const __m512i u0 = _mm512_permutex2var_epi64(t0, i1, t2), u1 = _mm512_permutex2var_epi64(t1, i1, t3);
        const __m512i u2 = _mm512_permutex2var_epi64(t0, i2, t2), u3 = _mm512_permutex2var_epi64(t1, i2, t3);
        const __m512i u4 = _mm512_permutex2var_epi64(t4, i1, t6), u5 = _mm512_permutex2var_epi64(t5, i1, t7);
        const __m512i u6 = _mm512_permutex2var_epi64(t4, i2, t6), u7 = _mm512_permutex2var_epi64(t5, i2, t7);
        A[c][0] = _mm512_permutex2var_epi64(u0, i3, u4);
        A[c][4] = _mm512_permutex2var_epi64(u0, i4, u4);
        A[c][1] = _mm512_permutex2var_epi64(u1, i3, u5);
        A[c][5] = _mm512_permutex2var_epi64(u1, i4, u5);
        A[c][2] = _mm512_permutex2var_epi64(u2, i3, u6);
        A[c][6] = _mm512_permutex2var_epi64(u2, i4, u6);
        A[c][3] = _mm512_permutex2var_epi64(u3, i3, u7);
        A[c][7] = _mm512_permutex2var_epi64(u3, i4, u7);
        for (int w = 0; w < G; w++)
            A[c][w] = _mm512_gf2p8affine_epi64_epi8(onehot, _mm512_permutexvar_epi8(bytet, A[c][w]), 0);
    }
    /* the undecided lanes are resolved after the vector pass, so that their byte loads read
     * stores long retired (a load right after the vector store stalls) */
    uint8_t ab[G][3][64], S[G][64];
    uint64_t res[G], und[G], anyund = 0;
    for (int w = 0; w < G; w++) {
        __m512i a[3] = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512()};
        for (int c = 0; c < nch; c++) a[c] = A[c][w];
        __m512i k = _mm512_setzero_si512();
        for (int c = 0; c < nch; c++) k = _mm512_add_epi8(k, _mm512_permutex2var_epi8(F[c][0], a[c], F[c][1]));
        const __m512i tmn = _mm512_permutex2var_epi8(tmin0, k, tmin1), tmx = _mm512_permutex2var_epi8(tmax0, k, tmax1);
        res[w] = _mm512_cmplt_epu8_mask(r0[w], tmn);
        und[w] = ~(res[w] | _mm512_cmpgt_epu8_mask(r0[w], tmx));
        anyund |= und[w];
        if (und[w]) {
            _mm512_storeu_si512(ab[w][0], a[0]);  /* constant indices: a loop here became a memcpy call */
            _mm512_storeu_si512(ab[w][1], a[1]);
            _mm512_storeu_si512(ab[w][2], a[2]);
            _mm512_storeu_si512(S[w], r0[w]);
        }
    }
    uint64_t *x = p + (int64_t)i * nw + w0;
    for (int w = 0; w < G; w++) store_word(x, keep, w, res[w]);
    if (anyund) {  /* queue them (sweeps() resolves the queue at the end of the block) */
        if (!Q->nseg || Q->seg_node[Q->nseg - 1] != i) {
            Q->seg_node[Q->nseg] = i;
            Q->seg_start[Q->nseg++] = Q->n;
        }
        for (int w = 0; w < G; w++)
            for (uint64_t u = keep ? und[w] & ~keep[w] : und[w]; u; u &= u - 1) {
                const int j = __builtin_ctzll(u);
                uint32_t c = 0;
                for (int q = 0; q < nch; q++) c |= (uint32_t)ab[w][q][j] << (7 * q);
                Q->cfg[Q->n] = c;
                Q->word[Q->n] = w0 + w;
                Q->j[Q->n] = (uint8_t)j;
                Q->node[Q->n] = i;
                Q->b0[Q->n++] = S[w][j];
            }
    }
}

/* Resolve the queued lanes (of the nodes of one block so far): U's top 16 bits against
 * T >> 16, T from the formula 16 lanes of a node at a time, U's second byte one block per lane
 * (four per VAES register); ties go to the low halves. The lanes' bits are 0 in the state
 * (neither decided 1 nor kept). The nodes' chains are independent, so their latencies overlap. */
static void WK(resolve)(const wplan *P, uint64_t *p, int64_t nw, wqueue *Q, const wrand *R) {
    const ebm_model *m = P->m;
    const float beta = P->beta;
    Q->seg_start[Q->nseg] = Q->n;
    for (int sg = 0; sg < Q->nseg; sg++) {  /* the fields (ebm_packed_wide_threshold's sums), 16 lanes at a time */
        const int32_t i = Q->seg_node[sg];
        const int D = P->deg[i], n1 = Q->seg_start[sg + 1];
        const float bc = m->bin_c[i], *sl = m->adj_slope + m->adj_start[i];
        for (int n = Q->seg_start[sg]; n < n1; n += 16) {
            const __mmask16 mk = n1 - n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n1 - n)) - 1);
            const __m512i c = _mm512_maskz_loadu_epi32(mk, Q->cfg + n);
            __m512 h = _mm512_set1_ps(bc);
            for (int e = 0; e < D; e++)
                h = _mm512_add_ps(h, _mm512_maskz_mov_ps(_mm512_test_epi32_mask(c, _mm512_set1_epi32(1 << e)), _mm512_set1_ps(sl[e])));
            _mm512_mask_storeu_ps(Q->h + n, mk, h);
        }
    }
#pragma omp simd
    for (int n = 0; n < Q->n; n++) Q->T[n] = ebm_bin_threshold(Q->h[n], beta);  /* vectorised, same roundings */
    /* U's second bytes: block 4 + j/16 of each lane's word */
    if (R->rng == EBM_RNG_ARS) {
        __m512i rk[EBM_ARS_ROUNDS + 1];
        for (int r = 0; r <= EBM_ARS_ROUNDS; r++) rk[r] = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)R->keys.k[r]));
        const int slo = (int)(uint32_t)R->step;
        for (int n = 0; n < Q->n; n += 4) {
            int wd[4], q[4], nd[4];
            for (int l = 0; l < 4; l++) {
                const int k = n + l < Q->n ? n + l : n;
                wd[l] = (int)(uint32_t)(Q->word[k] + R->wbase);
                q[l] = 4 + (Q->j[k] >> 4);
                nd[l] = Q->node[k];
            }
            __m512i v = _mm512_xor_si512(_mm512_set_epi32(q[3], slo, nd[3], wd[3], q[2], slo, nd[2], wd[2], q[1], slo, nd[1], wd[1],
                                                          q[0], slo, nd[0], wd[0]),
                                         rk[0]);
            for (int r = 1; r < EBM_ARS_ROUNDS; r++) v = _mm512_aesenc_epi128(v, rk[r]);
            _mm512_storeu_si512(Q->b1[n], _mm512_aesenclast_epi128(v, rk[EBM_ARS_ROUNDS]));
        }
    } else {
        for (int n = 0; n < Q->n; n++) WK(stream)(R, Q->node[n], Q->word[n], 4 + (Q->j[n] >> 4), 1, Q->b1[n]);
    }
    for (int n = 0; n < Q->n; n++) {
        const int j = Q->j[n];
        const int32_t i = Q->node[n];
        const uint32_t hi = (uint32_t)Q->b0[n] << 8 | Q->b1[n][j & 15], t = Q->T[n] >> 16;
        if (hi < t || (hi == t && wide_tie(R, i, Q->word[n], j, Q->T[n]))) p[(int64_t)i * nw + Q->word[n]] |= (uint64_t)1 << j;
    }
    Q->n = 0;
    Q->nseg = 0;
}
#else
/* Update node i in the G words from w0, lane by lane. */
static inline void WK(group)(const wplan *P, int32_t i, uint64_t *p, int64_t nw, int64_t w0, const uint64_t *keep,
                             const wrand *R, const void *rk, wqueue *Q) {
    (void)rk;
    (void)Q;
    const int D = P->deg[i];
    const int32_t *nb = P->nbr + (int64_t)i * WMAX;
    const uint16_t *th = P->th + P->toff[i];
    uint64_t *x = p + (int64_t)i * nw + w0;
    for (int w = 0; w < G; w++) {
        uint64_t nbw[WMAX];
        for (int e = 0; e < D; e++) nbw[e] = p[(int64_t)nb[e] * nw + w0 + w];
        uint8_t S[128];
        uint16_t cfg[64];
        WK(stream)(R, i, w0 + w, 0, 8, S);
        /* configurations in bytes, 8 lanes per 64-bit word: neighbours 0..7 in lo, 8..15 in hi */
        uint64_t lo[8] = {0}, hi[8] = {0};
        for (int e = 0; e < D; e++) {
            uint64_t *acc = e < 8 ? lo : hi;
            for (int k = 0; k < 8; k++) acc[k] |= spread8[(nbw[e] >> (8 * k)) & 255] << (e & 7);
        }
        uint8_t lb[64], hb[64];  /* byte j: lane j (little-endian words) */
        for (int k = 0; k < 8; k++)
            for (int q = 0; q < 8; q++) {
                lb[8 * k + q] = (uint8_t)(lo[k] >> (8 * q));
                hb[8 * k + q] = (uint8_t)(hi[k] >> (8 * q));
            }
        for (int j = 0; j < 64; j++) cfg[j] = (uint16_t)(lb[j] | hb[j] << 8);
        uint64_t res = 0, tie = 0;
        for (int j = 0; j < 64; j++) {  /* branch-free: the compares are coin flips */
            const uint32_t u = (uint32_t)S[j] << 8 | S[64 + j], t = th[cfg[j]];
            res |= (uint64_t)(u < t) << j;
            tie |= (uint64_t)(u == t) << j;
        }
        for (; tie; tie &= tie - 1) {
            const int j = __builtin_ctzll(tie);
            res |= (uint64_t)wide_tie(R, i, w0 + w, j, ebm_packed_wide_threshold(P->m, i, cfg[j], P->beta)) << j;
        }
        store_word(x, keep, w, res);
    }
}
#endif

/* All sweeps of groups g0 .. g1-1 (see ebm_packed_wide_sweeps), node by node. */
/* p [n, nw]: the state words the threads work on, global word w + wbase at w; clamp_pc has
 * the global layout, nwg words per node. */
static void WK(sweeps)(const wplan *P, const ebm_blocks *b, uint64_t *p, int64_t nw, int32_t nsweeps,
                       const ebm_packed_opts *o, int rng, int64_t g0, int64_t g1, wqueue *Q, int64_t wbase,
                       int64_t nwg) {
    const int64_t nlist = b->start[b->nblocks];
    for (int32_t s = 0; s < nsweeps; s++) {
        wrand R;
        wrand_init(&R, rng, o->seed, o->step + (uint64_t)s, wbase);
#if WK_ISA == 2
        __m512i rk[EBM_ARS_ROUNDS + 1];
        for (int r = 0; r <= EBM_ARS_ROUNDS; r++) rk[r] = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)R.keys.k[r]));
#else
        const void *rk = NULL;
#endif
        for (int32_t blk = 0; blk < b->nblocks; blk++) {
            for (int64_t k = b->start[blk]; k < b->start[blk + 1]; k++) {
                const int32_t i = b->nodes[k];
                if (o->clamp && o->clamp[i]) continue;
#if WK_ISA == 2
                if (k + 1 < nlist) {  /* the next node's buckets and its neighbours' words of these groups */
                    const int32_t nx = b->nodes[k + 1];
                    for (int off = 0; off < WBK; off += 64) __builtin_prefetch(P->bk + (int64_t)nx * WBK + off);
                    for (int e = 0; e < P->deg[nx]; e++) {
                        const uint64_t *row = p + (int64_t)P->nbr[(int64_t)nx * WMAX + e] * nw;
                        for (int64_t g = g0; g < g1; g++) __builtin_prefetch(row + g * G);
                    }
                }
#else
                if (k + 1 < nlist) {  /* the next node's table of T >> 16 */
                    const int32_t nx = b->nodes[k + 1];
                    const char *tn = (const char *)(P->th + P->toff[nx]);
                    for (int64_t off = 0; off < (int64_t)2 << P->deg[nx]; off += 64) __builtin_prefetch(tn + off);
                }
#endif
                for (int64_t g = g0; g < g1; g++) {
#if WK_ISA == 2
                    if (Q->n > WQUEUE - 64 * G || Q->nseg >= WQSEG - 1) WK(resolve)(P, p, nw, Q, &R);
#endif
                    WK(group)(P, i, p, nw, g * G, o->clamp_pc ? o->clamp_pc + (int64_t)i * nwg + wbase + g * G : NULL, &R, rk, Q);
                }
            }
            /* the block's undecided lanes, before the next block reads them */
#if WK_ISA == 2 && EBM_WIDE_PROBE == 2
            Q->n = Q->nseg = 0;  /* probe build (not exact): the undecided lanes are left at 0 */
#elif WK_ISA == 2
            if (Q->n) WK(resolve)(P, p, nw, Q, &R);
#endif
        }
    }
}
