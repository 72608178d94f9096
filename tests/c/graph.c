/* graph.c - model construction and validation, CSR adjacency, DSATUR colourings, block checks,
 * and the accuracy of the kernels' exp. */
#include "gibbs.h"
#include "graph.h"
#include "stats.h"
#include "tap.h"

#include <math.h>
#include <string.h>

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
    ebm_blocks bad = {2, st, nodes, NULL, NULL};
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
