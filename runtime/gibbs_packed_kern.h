/* gibbs_packed_kern.h - the packed sweep for one instruction set. Not a header of its own:
 * gibbs_packed.c includes it three times, each under its own `#pragma GCC target`, with
 * PK_ISA = 0 (portable C), 1 (AVX2 + AES-NI) or 2 (AVX-512 + VAES) and PK(name) naming the
 * copy. All three compute the same bits: the vector type v8u (EBM_PK_GROUP u64 words) lowers to
 * one zmm, two ymm or plain 64-bit code, and only the Philox multiply, the all-zero test and
 * the AES rounds differ, by instruction, not by result. */

static inline v8u PK(vload)(const uint64_t *p) { v8u v; memcpy(&v, p, sizeof v); return v; }
static inline void PK(vstore)(uint64_t *p, v8u v) { memcpy(p, &v, sizeof v); }
/* A 32-bit word broadcast to every 32-bit lane. */
static inline v8u PK(bc32)(const uint32_t *w) { return (v8u)((v16w){0} + *w); }

/* Low 32 bits of each lane times m, as a full 64-bit product (vpmuludq). */
static inline v8u PK(mul_lo32)(v8u a, uint32_t m) {
#if PK_ISA == 2
    return (v8u)_mm512_mul_epu32((__m512i)a, _mm512_set1_epi64((long long)m));
#elif PK_ISA == 1
    __m256i h[2];
    memcpy(h, &a, sizeof h);
    const __m256i vm = _mm256_set1_epi64x((long long)m);
    h[0] = _mm256_mul_epu32(h[0], vm);
    h[1] = _mm256_mul_epu32(h[1], vm);
    memcpy(&a, h, sizeof h);
    return a;
#else
    return (a & 0xFFFFFFFFu) * m;
#endif
}

static inline int PK(all_zero)(v8u v) {
#if PK_ISA == 2
    return _mm512_test_epi64_mask((__m512i)v, (__m512i)v) == 0;
#elif PK_ISA == 1
    __m256i h[2];
    memcpy(h, &v, sizeof h);
    __m256i o = _mm256_or_si256(h[0], h[1]);
    return _mm256_testz_si256(o, o);
#else
    uint64_t any = 0;
    for (int l = 0; l < G; l++) any |= v[l];
    return any == 0;
#endif
}

/* Philox4x32-10 (key schedule ks) on G lanes held in 64-bit lanes (the low 32 bits are the
 * counter word; the high bits are don't-care: the multiplies read only the low halves). Returns
 * the two 64-bit planes of each lane's block: words (0,1) and (2,3). */
static inline __attribute__((always_inline)) void PK(philox_planes)(v8u c0, v8u c1, v8u c2, v8u c3, const uint32_t *ks,
                                                                     v8u *pe, v8u *po) {
    const v8u L = (v8u){0} + 0xFFFFFFFFu;
    for (int r = 0; r < 10; r++) {
        v8u p0 = PK(mul_lo32)(c0, 0xD2511F53u), p1 = PK(mul_lo32)(c2, 0xCD9E8D57u);
        v8u n0 = (p1 >> 32) ^ c1 ^ PK(bc32)(ks + 2 * r), n2 = (p0 >> 32) ^ c3 ^ PK(bc32)(ks + 2 * r + 1);
        c1 = p1; c3 = p0; c0 = n0; c2 = n2;
    }
    *pe = (c0 & L) | (c1 << 32);
    *po = (c2 & L) | (c3 << 32);
}

/* ARS-7 (rng.h) on the G/2 128-bit blocks of the counter c, given as ck = c ^ (round key 0),
 * with the round keys of R. */
static inline __attribute__((always_inline)) v8u PK(ars)(v8u ck, const pk_rand *R) {
    const v8u *rk = R->rk;
#if PK_ISA == 2
    __m512i v = (__m512i)ck;
    for (int r = 1; r < EBM_ARS_ROUNDS; r++) v = _mm512_aesenc_epi128(v, (__m512i)rk[r]);
    return (v8u)_mm512_aesenclast_epi128(v, (__m512i)rk[EBM_ARS_ROUNDS]);
#elif PK_ISA == 1
    __m128i v[G / 2], k[G / 2];
    memcpy(v, &ck, sizeof v);
    for (int r = 1; r <= EBM_ARS_ROUNDS; r++) {
        memcpy(k, &rk[r], sizeof k);
        for (int q = 0; q < G / 2; q++)
            v[q] = r < EBM_ARS_ROUNDS ? _mm_aesenc_si128(v[q], k[q]) : _mm_aesenclast_si128(v[q], k[q]);
    }
    memcpy(&ck, v, sizeof v);
    return ck;
#else
    uint32_t w[2 * G], o[2 * G];
    ck ^= rk[0];
    memcpy(w, &ck, sizeof w);
    for (int q = 0; q < G / 2; q++) ebm_ars_block(&R->keys, w + 4 * q, o + 4 * q);
    memcpy(&ck, o, sizeof o);
    return ck;
#endif
}

/* All 16 boolean functions of two words a, b: F[t] has bit set where bit (a + 2b) of t is. */
static inline __attribute__((always_inline)) void PK(functions2)(const v8u *pa, const v8u *pb, v8u *F) {
    const v8u a = *pa, b = *pb;
    const v8u mt[4] = {~a & ~b, a & ~b, ~a & b, a & b};
    F[0] = (v8u){0};
    for (int t = 1; t < 16; t++) F[t] = F[t & (t - 1)] | mt[__builtin_ctz((unsigned)t)];
}

/* Threshold bit of one plane for every lane (D >= 2, the plan's code_deg): the functions of the
 * first two neighbours named by cd[0 .. 2^(D-2)-1] (loads from F), then a mux tree over
 * neighbours 2 .. D-1. */
static inline __attribute__((always_inline)) v8u PK(tbit)(const uint16_t *cd, const v8u *F, const v8u *nb, const int D) {
    v8u buf[1 << (EBM_PK_MAXDEG - 2)];
    PK_UNROLL(64)
    for (int c = 0; c < (1 << (D - 2)); c++) buf[c] = *(const v8u *)(const void *)((const char *)F + cd[c]);
    PK_UNROLL(8)
    for (int j = 2; j < D; j++)
        PK_UNROLL(32)
        for (int c = 0; c < (1 << (D - 1 - j)); c++) buf[c] = buf[2 * c] ^ (nb[j] & (buf[2 * c] ^ buf[2 * c + 1]));
    return buf[0];
}

/* One plane: lanes still undecided (und) whose random bit differs from the threshold bit are
 * decided now, with x = the threshold bit. res holds x for decided lanes and the last threshold
 * bit for undecided ones (one mux), so a lane decided at this plane keeps tb; the caller clears
 * lanes still undecided at the end (U == T: x = 0). */
static inline __attribute__((always_inline)) void PK(plane)(v8u r, v8u tb, v8u *und, v8u *res) {
    *res = (*und & tb) | (~*und & *res);
    *und &= ~(r ^ tb);
}

/* Update node i in the G words at xi (global word g0 onwards): lazy bit-serial draw. */
static inline __attribute__((always_inline)) void
PK(update_group)(const uint16_t *cd, const v8u *nb, uint64_t *xi, const uint64_t *keep, const pk_rand *R, uint32_t node,
                 const int D) {
    v8u und = ~(v8u){0}, res = {0};
    v8u F[16];
    PK(functions2)(&nb[0], &nb[1], F);
    if (R->rng == EBM_RNG_ARS) {
        /* block k of the group (words g0+2k, g0+2k+1) has counter {g0/2 + k, node, step_lo, plane}:
         * the group's part (R->cgrp) with the node in the high half of the even lanes */
        const v8u ck = (R->cgrp | (((v8u){0} + ((uint64_t)node << 32)) & R->nodehi)) ^ R->rk[0];
        /* the first PK_FIRST planes without an exit test (their AES chains overlap), then PK_STEP
         * planes per test */
        for (int q = 0; q < 32; q += PK_STEP) {
            v8u r[PK_STEP];
            for (int h = 0; h < PK_STEP; h++) r[h] = PK(ars)(ck ^ pk_plane_ctr[q + h], R);
            for (int h = 0; h < PK_STEP; h++) PK(plane)(r[h], PK(tbit)(cd + ((q + h) << (D - 2)), F, nb, D), &und, &res);
            if (q + PK_STEP >= PK_FIRST && PK(all_zero)(und)) break;
        }
    } else {
        /* counter {16 w + plane/2, node, step_lo, step_hi} of word w (the group's part: R->pc0) */
        const v8u c0 = R->pc0, c1 = (v8u){0} + node, c2 = (v8u){0} + (uint32_t)R->step,
                  c3 = (v8u){0} + (uint32_t)(R->step >> 32);
        /* two Philox calls (four planes) per step: independent dependency chains side by side */
        for (int q = 0; q < 16; q += 2) {
            v8u r[4];
            PK(philox_planes)(c0 + (uint64_t)q, c1, c2, c3, R->ks, &r[0], &r[1]);
            PK(philox_planes)(c0 + (uint64_t)(q + 1), c1, c2, c3, R->ks, &r[2], &r[3]);
            for (int h = 0; h < 4; h++) PK(plane)(r[h], PK(tbit)(cd + ((2 * q + h) << (D - 2)), F, nb, D), &und, &res);
            if (PK(all_zero)(und)) break;
        }
    }
    res &= ~und;
    v8u x = PK(vload)(xi);
    if (keep) {
        v8u k = PK(vload)(keep);
        res = (x & k) | (res & ~k);
    }
    PK(vstore)(xi, res);
}

/* Node i of the group at word w0, with D (a constant) code neighbours: the first deg are loaded
 * (deg == D except in the D = 2 case), the rest read as 0 (the codes ignore them). */
static inline __attribute__((always_inline)) void PK(node_d)(const plan *P, int32_t i, int deg, uint64_t *p, int64_t nw,
                                                             int64_t w0, const uint64_t *keep, const pk_rand *R,
                                                             const int D) {
    const int64_t *nbo = P->nbo + (int64_t)i * EBM_PK_MAXDEG;
    v8u nb[EBM_PK_MAXDEG];
    for (int e = 0; e < D; e++) nb[e] = (D > 2 || e < deg) ? PK(vload)(p + nbo[e] + w0) : (v8u){0};
    PK(update_group)(P->code + P->coff[i], nb, p + (int64_t)i * nw + w0, keep, R, (uint32_t)i, D);
}

static void PK(node_group)(const plan *P, int32_t i, uint64_t *p, int64_t nw, int64_t w0, const uint64_t *keep,
                           const pk_rand *R) {
    int deg = P->deg[i];
    switch (deg) {
    case 0: case 1: case 2: PK(node_d)(P, i, deg, p, nw, w0, keep, R, 2); break;
    case 3: PK(node_d)(P, i, deg, p, nw, w0, keep, R, 3); break;
    case 4: PK(node_d)(P, i, deg, p, nw, w0, keep, R, 4); break;
    case 5: PK(node_d)(P, i, deg, p, nw, w0, keep, R, 5); break;
    case 6: PK(node_d)(P, i, deg, p, nw, w0, keep, R, 6); break;
    case 7: PK(node_d)(P, i, deg, p, nw, w0, keep, R, 7); break;
    default: PK(node_d)(P, i, deg, p, nw, w0, keep, R, 8); break;
    }
}

/* All sweeps of group gi (words gi*G .. gi*G+G-1; see ebm_packed_sweeps). */
static void PK(sweep_groups)(const plan *P, const ebm_blocks *b, uint64_t *p, int64_t nw, int32_t nsweeps,
                             const ebm_packed_opts *o, int rng, int64_t gi) {
    const int64_t w0 = gi * G;
    for (int32_t s = 0; s < nsweeps; s++) {
        pk_rand R;
        pk_rand_init(&R, rng, o->seed, o->step + (uint64_t)s);
        pk_rand_group(&R, w0);
        for (int32_t blk = 0; blk < b->nblocks; blk++)
            for (int64_t k = b->start[blk]; k < b->start[blk + 1]; k++) {
                int32_t i = b->nodes[k];
                if (o->clamp && o->clamp[i]) continue;
                PK(node_group)(P, i, p, nw, w0, o->clamp_pc ? o->clamp_pc + (int64_t)i * nw + w0 : NULL, &R);
            }
    }
}
