/* graph.c - model construction, derived tables, parametrisation fills, colourings. */
#include "graph.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NEWA(T, cnt) ((T *)EBM_CALLOC((size_t)((cnt) > 0 ? (cnt) : 1), sizeof(T)))

void ebm_model_free(ebm_model *m) {
    if (!m) return;
    EBM_FREE(m->K); EBM_FREE(m->boff); EBM_FREE(m->ska); EBM_FREE(m->skb); EBM_FREE(m->toff);
    EBM_FREE(m->ei); EBM_FREE(m->ej); EBM_FREE(m->es);
    EBM_FREE(m->adj_start); EBM_FREE(m->adj_nbr); EBM_FREE(m->adj_edge); EBM_FREE(m->adj_dir);
    EBM_FREE(m->otab); EBM_FREE(m->adj_row); EBM_FREE(m->fast); EBM_FREE(m->bin_c);
    EBM_FREE(m->adj_slope); EBM_FREE(m->ctab); EBM_FREE(m->adj_col); EBM_FREE(m->vec16);
    ebm_tensor_release(&m->bias);
    ebm_tensor_release(&m->tables);
    EBM_FREE(m);
}

ebm_model *ebm_model_new(int32_t n, const int32_t *K, int32_t nslots, const int32_t *ska,
                         const int32_t *skb, int64_t nedges, const int32_t *ei, const int32_t *ej,
                         const int32_t *es, char *err, int errlen) {
    if (n < 1) { snprintf(err, errlen, "a model needs at least one node"); return NULL; }
    if (nslots < 0 || nedges < 0) { snprintf(err, errlen, "negative count"); return NULL; }
    for (int32_t i = 0; i < n; i++)
        if (K[i] < 2 || K[i] > 256) { snprintf(err, errlen, "node %d has %d levels (need 2..256)", i + 1, K[i]); return NULL; }
    for (int32_t s = 0; s < nslots; s++)
        if (ska[s] < 2 || ska[s] > 256 || skb[s] < 2 || skb[s] > 256) {
            snprintf(err, errlen, "slot %d has shape %dx%d (need 2..256)", s + 1, ska[s], skb[s]); return NULL;
        }
    for (int64_t e = 0; e < nedges; e++) {
        if (ei[e] < 0 || ei[e] >= n || ej[e] < 0 || ej[e] >= n) {
            snprintf(err, errlen, "edge %lld: node out of range 1..%d", (long long)e + 1, n); return NULL;
        }
        if (ei[e] == ej[e]) { snprintf(err, errlen, "edge %lld joins node %d to itself", (long long)e + 1, ei[e] + 1); return NULL; }
        if (es[e] < 0 || es[e] >= nslots) {
            snprintf(err, errlen, "edge %lld: slot %d out of range 1..%d", (long long)e + 1, es[e] + 1, nslots); return NULL;
        }
        if (ska[es[e]] != K[ei[e]] || skb[es[e]] != K[ej[e]]) {
            snprintf(err, errlen, "edge %lld (%d,%d): slot %d is %dx%d but the nodes have %d and %d levels",
                     (long long)e + 1, ei[e] + 1, ej[e] + 1, es[e] + 1, ska[es[e]], skb[es[e]], K[ei[e]], K[ej[e]]);
            return NULL;
        }
    }
    ebm_model *m = EBM_CALLOC(1, sizeof *m);
    if (!m) goto oom;
    m->n = n; m->nslots = nslots; m->nedges = nedges;
    m->K = NEWA(int32_t, n); m->boff = NEWA(int64_t, n + 1);
    m->ska = NEWA(int32_t, nslots); m->skb = NEWA(int32_t, nslots); m->toff = NEWA(int64_t, nslots + 1);
    m->ei = NEWA(int32_t, nedges); m->ej = NEWA(int32_t, nedges); m->es = NEWA(int32_t, nedges);
    m->adj_start = NEWA(int64_t, n + 1); m->adj_nbr = NEWA(int32_t, 2 * nedges);
    m->adj_edge = NEWA(int32_t, 2 * nedges); m->adj_dir = NEWA(uint8_t, 2 * nedges);
    m->adj_row = NEWA(int64_t, 2 * nedges); m->adj_slope = NEWA(float, 2 * nedges);
    m->fast = NEWA(uint8_t, n); m->bin_c = NEWA(float, n);
    m->adj_col = NEWA(int64_t, 2 * nedges); m->vec16 = NEWA(uint8_t, n);
    if (!m->adj_col || !m->vec16 || !m->K || !m->boff || !m->ska || !m->skb || !m->toff || !m->ei || !m->ej || !m->es || !m->adj_start ||
        !m->adj_nbr || !m->adj_edge || !m->adj_dir || !m->adj_row || !m->adj_slope || !m->fast || !m->bin_c)
        goto oom;
    memcpy(m->K, K, (size_t)n * sizeof *K);
    m->kmax = 0;
    for (int32_t i = 0; i < n; i++) {
        m->boff[i + 1] = m->boff[i] + K[i];
        if (K[i] > m->kmax) m->kmax = K[i];
    }
    if (nslots) { memcpy(m->ska, ska, (size_t)nslots * 4); memcpy(m->skb, skb, (size_t)nslots * 4); }
    for (int32_t s = 0; s < nslots; s++) m->toff[s + 1] = m->toff[s] + (int64_t)ska[s] * skb[s];
    if (nedges) {
        memcpy(m->ei, ei, (size_t)nedges * 4); memcpy(m->ej, ej, (size_t)nedges * 4); memcpy(m->es, es, (size_t)nedges * 4);
    }
    int64_t nb = m->boff[n], nt = m->toff[nslots] > 0 ? m->toff[nslots] : 1;
    if (ebm_tensor_init(&m->bias, EBM_F32, 1, &nb) || ebm_tensor_init(&m->tables, EBM_F32, 1, &nt)) goto oom;
    m->otab = NEWA(float, 2 * nt);
    int64_t nc = 0;
    for (int32_t s = 0; s < nslots; s++)
        if (ska[s] <= 16 && skb[s] <= 16) nc += (int64_t)(ska[s] + skb[s]) * 16;
    m->ctab_zero = nc;
    nc += 256;
    m->ctab = NEWA(float, nc);
    if (!m->otab || !m->ctab) goto oom;
    /* CSR by counting sort */
    for (int64_t e = 0; e < nedges; e++) { m->adj_start[ei[e] + 1]++; m->adj_start[ej[e] + 1]++; }
    for (int32_t i = 0; i < n; i++) m->adj_start[i + 1] += m->adj_start[i];
    int64_t *fill = NEWA(int64_t, n);
    if (!fill) goto oom;
    for (int32_t i = 0; i < n; i++) fill[i] = m->adj_start[i];
    for (int64_t e = 0; e < nedges; e++) {
        int64_t p = fill[ei[e]]++;
        m->adj_nbr[p] = ej[e]; m->adj_edge[p] = (int32_t)e; m->adj_dir[p] = 0;
        p = fill[ej[e]]++;
        m->adj_nbr[p] = ei[e]; m->adj_edge[p] = (int32_t)e; m->adj_dir[p] = 1;
    }
    EBM_FREE(fill);
    for (int32_t i = 0; i < n; i++) {
        int f = K[i] == 2;
        for (int64_t p = m->adj_start[i]; p < m->adj_start[i + 1]; p++)
            if (K[m->adj_nbr[p]] != 2) f = 0;
        m->fast[i] = (uint8_t)f;
        int v = K[i] <= 16;
        for (int64_t p = m->adj_start[i]; p < m->adj_start[i + 1]; p++)
            if (K[m->adj_nbr[p]] > 16) v = 0;
        m->vec16[i] = (uint8_t)v;
    }
    ebm_model_refresh(m);
    return m;
oom:
    snprintf(err, errlen, "out of memory");
    ebm_model_free(m);
    return NULL;
}

/* Versions are unique in the process, so a cache keyed by version never confuses two models. */
static _Atomic uint64_t last_version;

void ebm_model_refresh(ebm_model *m) {
    m->version = atomic_fetch_add(&last_version, 1) + 1;
    const float *tab = ebm_tensor_data(&m->tables), *b = ebm_tensor_data(&m->bias);
    int64_t nt = m->toff[m->nslots];
    float *tr = m->otab + nt;
    if (nt) memcpy(m->otab, tab, (size_t)nt * sizeof(float));
    for (int32_t s = 0; s < m->nslots; s++) {
        const float *T = tab + m->toff[s];
        float *U = tr + m->toff[s];
        int32_t ka = m->ska[s], kb = m->skb[s];
        for (int32_t a = 0; a < ka; a++)
            for (int32_t c = 0; c < kb; c++) U[c * ka + a] = T[a * kb + c];
    }
    /* column tables: slot s side a at coff, side b at coff + ka*16 */
    int64_t coff = 0;
    int64_t *cbase = EBM_MALLOC(sizeof(int64_t) * (size_t)(m->nslots + 1));
    for (int32_t s = 0; s < m->nslots; s++) {
        int32_t ka = m->ska[s], kb = m->skb[s];
        if (ka > 16 || kb > 16) { if (cbase) cbase[s] = -1; continue; }
        if (cbase) cbase[s] = coff;
        const float *T = tab + m->toff[s];
        float *A = m->ctab + coff, *B = A + (int64_t)ka * 16;
        memset(A, 0, sizeof(float) * (size_t)(ka + kb) * 16);
        for (int32_t a = 0; a < ka; a++)
            for (int32_t c = 0; c < kb; c++) {
                A[a * 16 + c] = T[a * kb + c];  /* node is a, level a, neighbour at c */
                B[c * 16 + a] = T[a * kb + c];  /* node is b, level c, neighbour at a */
            }
        coff += (int64_t)(ka + kb) * 16;
    }
    for (int32_t i = 0; i < m->n; i++) {
        for (int64_t p = m->adj_start[i]; p < m->adj_start[i + 1]; p++) {
            int32_t s = m->es[m->adj_edge[p]];
            int64_t cb = cbase ? cbase[s] : -1;
            m->adj_col[p] = cb < 0 ? -1 : cb + (m->adj_dir[p] ? (int64_t)m->ska[s] * 16 : 0);
        }
    }
    if (!cbase) memset(m->vec16, 0, (size_t)m->n); /* out of memory: the generic path only */
    EBM_FREE(cbase);
    for (int32_t i = 0; i < m->n; i++) {
        float c = m->K[i] == 2 ? b[m->boff[i] + 1] - b[m->boff[i]] : 0.0f;
        for (int64_t p = m->adj_start[i]; p < m->adj_start[i + 1]; p++) {
            int32_t s = m->es[m->adj_edge[p]];
            /* node is side a: row for neighbour level x is column x of T = row x of T^T */
            m->adj_row[p] = m->adj_dir[p] ? m->toff[s] : nt + m->toff[s];
            if (m->fast[i]) {
                const float *r = m->otab + m->adj_row[p];  /* r[x*2 + k] */
                c += r[1] - r[0];
                m->adj_slope[p] = (r[3] - r[2]) - (r[1] - r[0]);
            }
        }
        m->bin_c[i] = c;
    }
}

int ebm_model_fill_tables(ebm_model *m, int32_t slot0, int32_t ns, const float *w, const float *pattern) {
    if (slot0 < 0 || ns < 0 || slot0 + ns > m->nslots) return EBM_ERANGE;
    float *tab = ebm_tensor_data(&m->tables);
    for (int32_t s = slot0; s < slot0 + ns; s++) {
        if (m->ska[s] != m->ska[slot0] || m->skb[s] != m->skb[slot0]) return EBM_ESHAPE;
        int64_t kk = (int64_t)m->ska[s] * m->skb[s];
        float ws = w[s - slot0];
        float *T = tab + m->toff[s];
        for (int64_t q = 0; q < kk; q++) T[q] = ws * pattern[q];
    }
    return EBM_OK;
}

int ebm_model_copy_tables(ebm_model *m, int32_t slot0, int32_t ns, const float *full) {
    if (slot0 < 0 || ns < 0 || slot0 + ns > m->nslots) return EBM_ERANGE;
    float *tab = ebm_tensor_data(&m->tables);
    for (int32_t s = slot0; s < slot0 + ns; s++)
        if (m->ska[s] != m->ska[slot0] || m->skb[s] != m->skb[slot0]) return EBM_ESHAPE;
    if (ns) memcpy(tab + m->toff[slot0], full, (size_t)(m->toff[slot0 + ns] - m->toff[slot0]) * sizeof(float));
    return EBM_OK;
}

void ebm_blocks_free(ebm_blocks *b) {
    if (!b) return;
    EBM_FREE(b->start); EBM_FREE(b->nodes);
    if (b->plan && b->plan_free) b->plan_free(b->plan);
    b->start = NULL; b->nodes = NULL; b->nblocks = 0; b->plan = NULL; b->plan_model = NULL; b->plan_free = NULL;
}

int ebm_blocks_check(const ebm_model *m, const ebm_blocks *b, char *err, int errlen) {
    int32_t *mark = NEWA(int32_t, m->n);
    if (!mark) { snprintf(err, errlen, "out of memory"); return EBM_ENOMEM; }
    for (int32_t i = 0; i < m->n; i++) mark[i] = -1;
    int rc = EBM_OK;
    for (int32_t k = 0; k < b->nblocks && !rc; k++) {
        for (int64_t p = b->start[k]; p < b->start[k + 1]; p++) {
            int32_t i = b->nodes[p];
            if (i < 0 || i >= m->n) {
                snprintf(err, errlen, "block %d: node %d out of range 1..%d", k + 1, i + 1, m->n);
                rc = EBM_ERANGE; break;
            }
            if (mark[i] == k) { snprintf(err, errlen, "block %d lists node %d twice", k + 1, i + 1); rc = EBM_ERANGE; break; }
            mark[i] = k;
        }
        for (int64_t p = b->start[k]; p < b->start[k + 1] && !rc; p++) {
            int32_t i = b->nodes[p];
            for (int64_t q = m->adj_start[i]; q < m->adj_start[i + 1]; q++)
                if (mark[m->adj_nbr[q]] == k) {
                    int32_t e = m->adj_edge[q];
                    snprintf(err, errlen, "block %d contains interacting nodes %d and %d (edge %d)", k + 1,
                             m->ei[e] + 1, m->ej[e] + 1, e + 1);
                    rc = EBM_ERANGE; break;
                }
        }
    }
    EBM_FREE(mark);
    return rc;
}

/* DSATUR: repeatedly colour the uncoloured node with the most distinct neighbour colours
 * (ties: highest degree, then lowest id) with the smallest colour not used by a neighbour.
 * O(n^2 + E) with a linear scan, so graphs above 4096 nodes fall back to greedy colouring in
 * node order (O(E * colours)), which is optimal for grids in raster order with small stencils. */
int32_t ebm_colour_dsatur(const ebm_model *m, int32_t *colour) {
    int32_t n = m->n, nc = 0;
    int32_t *sat = NEWA(int32_t, n);
    int32_t cap = 64;
    uint8_t *used = NEWA(uint8_t, (int64_t)n * cap);  /* used[i*cap + c]: a neighbour of i has colour c */
    if (!sat || !used) { EBM_FREE(sat); EBM_FREE(used); return -1; }
    for (int32_t i = 0; i < n; i++) colour[i] = -1;
    int big = n > 4096; /* large graphs: plain greedy in node order (O(E)), no saturation scan */
    for (int32_t step = 0; step < n; step++) {
        int32_t best = big ? step : -1;
        for (int32_t i = 0; i < n && !big; i++) {
            if (colour[i] >= 0) continue;
            if (best < 0 || sat[i] > sat[best] ||
                (sat[i] == sat[best] && m->adj_start[i + 1] - m->adj_start[i] > m->adj_start[best + 1] - m->adj_start[best]))
                best = i;
        }
        int32_t c = 0;
        while (c < cap && used[(int64_t)best * cap + c]) c++;
        if (c == cap) { /* grow the table */
            int32_t ncap = cap * 2;
            uint8_t *nu = NEWA(uint8_t, (int64_t)n * ncap);
            if (!nu) { EBM_FREE(sat); EBM_FREE(used); return -1; }
            for (int32_t i = 0; i < n; i++) memcpy(nu + (int64_t)i * ncap, used + (int64_t)i * cap, (size_t)cap);
            EBM_FREE(used); used = nu; cap = ncap;
        }
        colour[best] = c;
        if (c + 1 > nc) nc = c + 1;
        for (int64_t q = m->adj_start[best]; q < m->adj_start[best + 1]; q++) {
            int32_t j = m->adj_nbr[q];
            if (!used[(int64_t)j * cap + c]) { used[(int64_t)j * cap + c] = 1; sat[j]++; }
        }
    }
    EBM_FREE(sat); EBM_FREE(used);
    return nc;
}

int ebm_blocks_from_colours(ebm_blocks *b, int32_t n, const int32_t *colour, int32_t nc) {
    b->plan = NULL;
    b->plan_model = NULL;
    b->plan_free = NULL;
    b->nblocks = nc;
    b->start = NEWA(int64_t, nc + 1);
    b->nodes = NEWA(int32_t, n);
    if (!b->start || !b->nodes) { ebm_blocks_free(b); return EBM_ENOMEM; }
    for (int32_t i = 0; i < n; i++) b->start[colour[i] + 1]++;
    for (int32_t c = 0; c < nc; c++) b->start[c + 1] += b->start[c];
    int64_t *fill = NEWA(int64_t, nc);
    if (!fill) { ebm_blocks_free(b); return EBM_ENOMEM; }
    for (int32_t c = 0; c < nc; c++) fill[c] = b->start[c];
    for (int32_t i = 0; i < n; i++) b->nodes[fill[colour[i]]++] = i;
    EBM_FREE(fill);
    return EBM_OK;
}

/* Key of an unordered pair and the edge it came from, for finding repeats. */
typedef struct { int64_t key; int64_t idx; } pair_key;
static int pair_cmp(const void *a, const void *b) {
    const pair_key *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return x->idx < y->idx ? -1 : (x->idx > y->idx);
}

int64_t ebm_grid_edges(int64_t H, int64_t W, int32_t nj, const int32_t *dy, const int32_t *dx, int torus,
                       int32_t *ei, int32_t *ej, int32_t *jump) {
    if (H < 1 || W < 1 || H * W > ((int64_t)1 << 28) || nj < 0) return -1;
    int64_t ne = 0;
    for (int32_t d = 0; d < nj; d++)
        for (int64_t y = 0; y < H; y++)
            for (int64_t x = 0; x < W; x++) {
                int64_t y2 = y + dy[d], x2 = x + dx[d];
                if (torus) { y2 = ((y2 % H) + H) % H; x2 = ((x2 % W) + W) % W; }
                if (y2 < 0 || y2 >= H || x2 < 0 || x2 >= W) continue;
                int32_t a = (int32_t)(y * W + x), b = (int32_t)(y2 * W + x2);
                if (a == b) continue;
                ei[ne] = a; ej[ne] = b; jump[ne] = d;
                ne++;
            }
    if (!torus || ne == 0) return ne; /* off a torus a stencil's pairs are kept as listed */
    /* on a torus smaller than the stencil, two jumps (d and -d mod the size) can give one pair */
    pair_key *pk = EBM_MALLOC(sizeof(pair_key) * (size_t)ne);
    uint8_t *drop = EBM_CALLOC((size_t)ne, 1);
    if (!pk || !drop) { EBM_FREE(pk); EBM_FREE(drop); return -2; }
    for (int64_t k = 0; k < ne; k++) {
        int64_t a = ei[k], b = ej[k];
        pk[k].key = a < b ? a * (H * W) + b : b * (H * W) + a;
        pk[k].idx = k;
    }
    qsort(pk, (size_t)ne, sizeof *pk, pair_cmp);
    for (int64_t k = 1; k < ne; k++)
        if (pk[k].key == pk[k - 1].key) drop[pk[k].idx] = 1;
    EBM_FREE(pk);
    int64_t kept = 0;
    for (int64_t k = 0; k < ne; k++)
        if (!drop[k]) { ei[kept] = ei[k]; ej[kept] = ej[k]; jump[kept] = jump[k]; kept++; }
    EBM_FREE(drop);
    return kept;
}
