/* graph.h - discrete factor-graph models: categorical nodes, unary bias rows, sparse
 * pairwise factors with weight slots, CSR adjacency, colourings and block sets.
 *
 * Plain C11; knows nothing of Lua. A model is a flat list of n nodes (layers are a Lua-side
 * notion: consecutive node ranges). Node i has K[i] levels (2..256) and a bias row of K[i]
 * floats. An edge (i, j, slot) adds T_slot[x_i][x_j] to -E, where table `slot` is a row-major
 * K_a x K_b f32 table with K_a = K[i], K_b = K[j]. Energy:
 *     E(x) = -sum_i b_i[x_i] - sum_edges T_slot[x_i][x_j],   p(x) ~ exp(-beta E(x)).
 * The kernels only ever see these materialised tables; parametrisations (potts, ordinal...)
 * fill them (see ebm_model_fill_tables). All indices are 0-based.
 */
#ifndef EBM_GRAPH_H
#define EBM_GRAPH_H

#include <stdint.h>

#include "tensor.h"

typedef struct ebm_model {
    int32_t n;           /* number of nodes */
    int32_t *K;          /* [n] levels of each node, 2..256 */
    int32_t kmax;        /* max of K */
    int64_t *boff;       /* [n+1] offset (floats) of node i's bias row in `bias` */
    ebm_tensor bias;     /* f32 [boff[n]] flat bias rows; written by Lua through views */
    int32_t nslots;      /* number of coupling tables */
    int32_t *ska, *skb;  /* [nslots] table shape K_a x K_b */
    int64_t *toff;       /* [nslots+1] offset (floats) of table s in `tables` */
    ebm_tensor tables;   /* f32 [toff[nslots]] row-major tables; written by Lua through views */
    int64_t nedges;      /* number of edges */
    int32_t *ei, *ej, *es; /* [nedges] endpoints (i != j) and slot */
    /* CSR adjacency: entries adj_start[i] .. adj_start[i+1]-1 are node i's incident edges */
    int64_t *adj_start;  /* [n+1] */
    int32_t *adj_nbr;    /* [2*nedges] the other endpoint */
    int32_t *adj_edge;   /* [2*nedges] edge index */
    uint8_t *adj_dir;    /* [2*nedges] 0: node is the edge's i side, 1: its j side */
    /* Derived tables, rebuilt by ebm_model_refresh after biases/tables change: */
    float *otab;         /* [2*toff[nslots]]: tables, then each table transposed */
    int64_t *adj_row;    /* [2*nedges] offset into otab such that otab[adj_row[e] + x_nbr*K[i] + k]
                            is the coupling of node i at level k with its neighbour at x_nbr */
    uint8_t *fast;       /* [n] 1 if K[i] == 2 and every neighbour has K == 2 (binary path) */
    float *bin_c;        /* [n] binary nodes: b1 - b0 + sum_e (row_e[0][1] - row_e[0][0]) */
    float *adj_slope;    /* [2*nedges] binary pairs: change of the field per neighbour level */
    /* Column tables for the SIMD level path (slots with K_a, K_b <= 16): for slot s seen from
     * side d (0: node is a), column k over the neighbour's levels, padded to 16 floats:
     * ctab[adj_col[e] + k*16 + x_nbr] == otab[adj_row[e] + x_nbr*K[i] + k]. */
    float *ctab;         /* [sum over small slots of (K_a + K_b) * 16] */
    int64_t *adj_col;    /* [2*nedges] offset into ctab, or -1 when the slot is too large */
    uint8_t *vec16;      /* [n] 1 if K[i] <= 16 and every neighbour has K <= 16 */
    int64_t ctab_zero;   /* offset of 16*16 zeros in ctab (padding for absent neighbours) */
    uint64_t version;    /* set by every ebm_model_refresh to a value no model of the process had
                            before (caches of table values: one version is one content) */
} ebm_model;

/* Build a model from per-node levels, slot shapes and an edge list (arrays are copied).
 * Biases and tables start at zero. Returns NULL and writes a message into err (size errlen)
 * when an argument is invalid (level out of range, endpoint out of range, self-loop, slot out
 * of range or of the wrong shape for its endpoints) or memory runs out. */
ebm_model *ebm_model_new(int32_t n, const int32_t *K, int32_t nslots, const int32_t *ska,
                         const int32_t *skb, int64_t nedges, const int32_t *ei, const int32_t *ej,
                         const int32_t *es, char *err, int errlen);
void ebm_model_free(ebm_model *m);

/* Recompute the derived tables (otab, bin_c, adj_slope) from bias and tables. Must be called
 * after any change to biases or tables and before sampling. */
void ebm_model_refresh(ebm_model *m);

/* Parametrisation helpers (the pattern comes from Lua):
 * fill tables slot0 .. slot0+ns-1 with w[s] * pattern[a][b] (pattern K_a x K_b, row-major);
 * copy_tables copies ns full tables (row-major [ns][K_a][K_b]). Slots must share one shape.
 * Return EBM_OK or EBM_ESHAPE. */
int ebm_model_fill_tables(ebm_model *m, int32_t slot0, int32_t ns, const float *w, const float *pattern);
int ebm_model_copy_tables(ebm_model *m, int32_t slot0, int32_t ns, const float *full);

/* Edges of a stencil on an H x W grid whose node y*W + x is pixel (y, x). For each jump
 * d = 0..nj-1 in order (dy[d], dx[d]) and each pixel in raster order: the edge from the
 * pixel to (y+dy, x+dx) when that lies inside the grid, or always on a torus (coordinates
 * wrapped). Self-loops are dropped; on a torus so are repeats of an unordered pair (tori
 * smaller than the stencil), the first occurrence kept. Writes the endpoints (0-based) to ei, ej and
 * the jump index d to jump, each with room for nj*H*W entries (the most there can be).
 * Returns the number of edges, -1 when H, W or nj is out of range (H, W >= 1,
 * H*W <= 2^28, nj >= 0) or -2 when out of memory (scratch for the repeat check). */
int64_t ebm_grid_edges(int64_t H, int64_t W, int32_t nj, const int32_t *dy, const int32_t *dx, int torus,
                       int32_t *ei, int32_t *ej, int32_t *jump);

/* A set of blocks: lists of nodes updated together. Block b is nodes[start[b] .. start[b+1]-1]. */
typedef struct ebm_blocks {
    int32_t nblocks;
    int64_t *start;      /* [nblocks+1] */
    int32_t *nodes;      /* [start[nblocks]] node ids */
    void *plan;          /* a kernel's cached plan for these blocks (gibbs.c), owned; NULL until built */
    const ebm_model *plan_model; /* the model the plan was built for */
    void (*plan_free)(void *plan); /* set by whoever attaches a plan; ebm_blocks_free calls it */
} ebm_blocks;

/* Check that `b` is a valid block set for `m`: nodes in range, no node twice in one block,
 * and no edge inside a block. On failure returns nonzero and writes e.g.
 * "block 2 contains interacting nodes 3 and 4 (edge 7)" into err. */
int ebm_blocks_check(const ebm_model *m, const ebm_blocks *b, char *err, int errlen);
void ebm_blocks_free(ebm_blocks *b);  /* frees the lists, and the plan through b->plan_free */

/* Greedy DSATUR colouring: colour[i] in 0..ncolours-1 with no edge inside a colour class.
 * Returns the number of colours, or -1 when out of memory. */
int32_t ebm_colour_dsatur(const ebm_model *m, int32_t *colour);

/* Blocks from a colour vector (colours 0..nc-1; nodes keep increasing order in each block).
 * Returns EBM_OK or EBM_ENOMEM. */
int ebm_blocks_from_colours(ebm_blocks *b, int32_t n, const int32_t *colour, int32_t nc);

#endif
