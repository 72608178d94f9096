/* graph.c - model construction and validation, CSR adjacency, DSATUR colourings, block checks,
 * the plan free hook, stencil edges (ebm_grid_edges), state-level checks, and the accuracy
 * of the kernels' exp. */
#include "gibbs.h"
#include "graph.h"
#include "stats.h"
#include "tap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Reference for ebm_grid_edges: the same scan, repeats found by a linear search. */
static int64_t naive_edges(int64_t H, int64_t W, int nj, const int32_t *dy, const int32_t *dx, int torus,
                           int32_t *ei, int32_t *ej, int32_t *jump) {
    int64_t ne = 0;
    for (int d = 0; d < nj; d++)
        for (int64_t y = 0; y < H; y++)
            for (int64_t x = 0; x < W; x++) {
                int64_t y2 = y + dy[d], x2 = x + dx[d];
                if (torus) { y2 = ((y2 % H) + H) % H; x2 = ((x2 % W) + W) % W; }
                if (y2 < 0 || y2 >= H || x2 < 0 || x2 >= W) continue;
                int32_t a = (int32_t)(y * W + x), b = (int32_t)(y2 * W + x2);
                int seen = a == b;
                for (int64_t k = 0; k < ne && torus && !seen; k++)
                    seen = (ei[k] == a && ej[k] == b) || (ei[k] == b && ej[k] == a);
                if (seen) continue;
                ei[ne] = a; ej[ne] = b; jump[ne] = d; ne++;
            }
    return ne;
}

static int freed_plans = 0;
static void count_free(void *p) { free(p); freed_plans++; }

int main(void) {
    char err[256];
    /* a 3x3 grid, 4-neighbour, binary */
    int32_t K[9], ka[2] = {2, 2}, kb[2] = {2, 2}, ei[12], ej[12], es[12];
    int ne = 0;
    for (int i = 0; i < 9; i++) K[i] = 2;
    for (int y = 0; y < 3; y++)
        for (int x = 0; x < 3; x++) {
            if (x < 2) { ei[ne] = y * 3 + x; ej[ne] = y * 3 + x + 1; es[ne++] = 0; }
            if (y < 2) { ei[ne] = y * 3 + x; ej[ne] = y * 3 + x + 3; es[ne++] = 1; }
        }
    ebm_model *m = ebm_model_new(9, K, 2, ka, kb, ne, ei, ej, es, err, sizeof err);
    ok(m != NULL, "3x3 grid model builds");
    is_int(m->nedges, 12, "12 edges");
    is_int(m->adj_start[9], 24, "CSR holds both directions");
    is_int(m->adj_start[5] - m->adj_start[4], 4, "centre node has 4 neighbours");
    int sym = 1;
    for (int i = 0; i < 9; i++)
        for (int64_t p = m->adj_start[i]; p < m->adj_start[i + 1]; p++) {
            int j = m->adj_nbr[p], found = 0;
            for (int64_t q = m->adj_start[j]; q < m->adj_start[j + 1]; q++) found |= m->adj_nbr[q] == i;
            sym &= found;
        }
    ok(sym, "adjacency is symmetric");

    int32_t col[9];
    int32_t nc = ebm_colour_dsatur(m, col);
    is_int(nc, 2, "DSATUR colours a grid with 2 colours");
    int proper = 1;
    for (int e = 0; e < ne; e++) proper &= col[ei[e]] != col[ej[e]];
    ok(proper, "DSATUR colouring is proper");
    ebm_blocks b;
    ok(ebm_blocks_from_colours(&b, 9, col, nc) == EBM_OK && ebm_blocks_check(m, &b, err, sizeof err) == EBM_OK,
       "blocks from the colouring pass the check");
    ebm_blocks_free(&b);
    int64_t st[3] = {0, 2, 9};
    int32_t nodes[9] = {0, 4, 1, 2, 3, 5, 6, 7, 8};
    ebm_blocks bad = {2, st, nodes, NULL, NULL, NULL};
    ok(ebm_blocks_check(m, &bad, err, sizeof err) != EBM_OK && strstr(err, "block 2 contains interacting nodes 2 and 3"),
       "an interacting pair is refused and named: %s", err);

    /* binary-path constants after filling tables */
    float w[2] = {0.5f, -0.25f}, pat[4] = {0, 0, 0, 1};
    ok(ebm_model_fill_tables(m, 0, 2, w, pat) == EBM_OK, "fill tables");
    ebm_model_refresh(m);
    is_dbl(m->bin_c[4], 0.0, 1e-7, "binary field constant: zero biases, ordinal couplings");
    double slope_sum = 0;
    for (int64_t p = m->adj_start[4]; p < m->adj_start[5]; p++) slope_sum += m->adj_slope[p];
    is_dbl(slope_sum, 2 * 0.5 - 2 * 0.25, 1e-7, "binary slopes are the ordinal weights");
    double lz;
    ok(ebm_exact(m, 1.0, NULL, NULL, 1 << 20, NULL, NULL, &lz) == EBM_OK, "exact enumeration of 512 states");
    ok(lz > 9 * log(2.0) - 1 && lz < 9 * log(2.0) + 10, "log Z in range (%g)", lz);
    ebm_model_free(m);

    /* invalid inputs */
    int32_t K1[2] = {2, 300};
    ok(ebm_model_new(2, K1, 0, NULL, NULL, 0, NULL, NULL, NULL, err, sizeof err) == NULL && strstr(err, "levels"),
       "300 levels refused: %s", err);
    int32_t K2[2] = {2, 3}, a0 = 0, b1 = 1, s0 = 0, ka2 = 2, kb2 = 2;
    ok(ebm_model_new(2, K2, 1, &ka2, &kb2, 1, &a0, &b1, &s0, err, sizeof err) == NULL && strstr(err, "slot 1 is 2x2"),
       "slot shape mismatch refused: %s", err);
    ok(ebm_model_new(2, K2, 1, &ka2, &kb2, 1, &a0, &a0, &s0, err, sizeof err) == NULL && strstr(err, "itself"),
       "self-loop refused: %s", err);

    /* the plan free hook: ebm_blocks_free frees an attached plan through it */
    ebm_blocks hb;
    int32_t hcol[3] = {0, 1, 0};
    ok(ebm_blocks_from_colours(&hb, 3, hcol, 2) == EBM_OK && hb.plan == NULL && hb.plan_free == NULL,
       "new blocks have no plan and no hook");
    hb.plan = malloc(16);
    hb.plan_free = count_free;
    ebm_blocks_free(&hb);
    ok(freed_plans == 1 && hb.plan == NULL && hb.plan_free == NULL, "ebm_blocks_free frees the plan through its hook");

    /* stencil edges */
    int32_t gi[64], gj[64], gs[64];
    int32_t dy4[2] = {0, 1}, dx4[2] = {1, 0};
    int64_t gne = ebm_grid_edges(3, 3, 2, dy4, dx4, 0, gi, gj, gs);
    ok(gne == 12 && gi[0] == 0 && gj[0] == 1 && gs[0] == 0 && gi[6] == 0 && gj[6] == 3 && gs[6] == 1,
       "3x3 4-neighbour: 12 edges, right jumps first then down, raster order (%lld)", (long long)gne);
    ok(ebm_grid_edges(3, 3, 2, dy4, dx4, 1, gi, gj, gs) == 18, "3x3 torus: 18 edges");
    int32_t dyh[2] = {0, 0}, dxh[2] = {1, -1};
    gne = ebm_grid_edges(2, 2, 2, dyh, dxh, 1, gi, gj, gs);
    ok(gne == 2 && gi[0] == 0 && gj[0] == 1 && gi[1] == 2 && gj[1] == 3 && gs[0] == 0 && gs[1] == 0,
       "2x2 torus, jumps right and left: each row's pair once, its first occurrence kept (%lld)", (long long)gne);
    ok(ebm_grid_edges(1, 2, 2, dyh, dxh, 0, gi, gj, gs) == 2 && gs[0] == 0 && gs[1] == 1,
       "off a torus the pairs of jumps d and -d are both kept, as listed");
    int32_t dys[1] = {0}, dxs[1] = {3};
    ok(ebm_grid_edges(3, 3, 1, dys, dxs, 1, gi, gj, gs) == 0, "a jump that wraps onto itself gives no self-loops");
    ok(ebm_grid_edges(1, 1, 2, dy4, dx4, 1, gi, gj, gs) == 0, "a 1x1 torus has no edges");
    ok(ebm_grid_edges(0, 3, 2, dy4, dx4, 0, gi, gj, gs) == -1 && ebm_grid_edges(1 << 15, 1 << 14, 2, dy4, dx4, 0, gi, gj, gs) == -1,
       "sizes out of range are refused");
    ok(ebm_grid_edges(3, 3, 0, NULL, NULL, 1, gi, gj, gs) == 0, "no jumps, no edges");
    /* against the naive reference on small grids and tori with long jumps and repeats */
    int32_t ry[6] = {0, 1, 1, -1, 2, 0}, rx[6] = {1, 0, 1, 1, -3, -1};
    int same = 1;
    for (int torus = 0; torus <= 1; torus++)
        for (int64_t H = 1; H <= 4; H++)
            for (int64_t W = 1; W <= 4; W++) {
                static int32_t a[3][6 * 16], b[3][6 * 16];
                int64_t n1 = ebm_grid_edges(H, W, 6, ry, rx, torus, a[0], a[1], a[2]);
                int64_t n2 = naive_edges(H, W, 6, ry, rx, torus, b[0], b[1], b[2]);
                same &= n1 == n2;
                for (int64_t k = 0; k < n1 && n1 == n2; k++)
                    same &= a[0][k] == b[0][k] && a[1][k] == b[1][k] && a[2][k] == b[2][k];
            }
    ok(same, "ebm_grid_edges equals the naive scan on every grid and torus up to 4x4 (6 jumps)");

    /* state-level checks, both layouts */
    int32_t Ks[2] = {2, 3};
    ebm_model *ms = ebm_model_new(2, Ks, 0, NULL, NULL, 0, NULL, NULL, NULL, err, sizeof err);
    uint8_t good[4] = {1, 0, 1, 2}, bad_chains[4] = {1, 0, 2, 3}, bad_rows[4] = {0, 2, 2, 1};
    int32_t bn = -1;
    int bl = -1;
    ok(ms && ebm_states_check(ms, good, 2, EBM_CHAINS, &bn, &bl) == EBM_OK && ebm_states_check(ms, good, 2, EBM_ROWS, NULL, NULL) == EBM_OK,
       "valid states pass in both layouts");
    ok(ebm_states_check(ms, bad_chains, 2, EBM_CHAINS, &bn, &bl) == EBM_ERANGE && bn == 1 && bl == 3,
       "chain layout: node 2 at level 3 is named (node %d level %d)", bn + 1, bl);
    ok(ebm_states_check(ms, bad_rows, 2, EBM_ROWS, &bn, &bl) == EBM_ERANGE && bn == 0 && bl == 2,
       "row layout: node 1 at level 2 (of 2) is named (node %d level %d)", bn + 1, bl);
    ebm_model_free(ms);

    /* exp accuracy against libm over the used range */
    double worst = 0;
    for (int k = -870000; k <= 880000; k++) {
        float x = (float)k * 1e-4f;
        double r = fabs((double)ebm_expf(x) / exp((double)x) - 1.0);
        if (r > worst) worst = r;
    }
    ok(worst < 3e-7, "ebm_expf relative error %.2e < 3e-7 on [-87, 88]", worst);
    done_testing();
}
