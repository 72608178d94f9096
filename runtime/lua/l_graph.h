/* l_graph.h - the ebm.Graph and ebm.Blocks userdata shared by l_graph.c, l_gibbs.c, l_stats.c. */
#ifndef EBM_L_GRAPH_H
#define EBM_L_GRAPH_H

#include "../graph.h"
#include "luaT.h"

#define EBM_GRAPH_MT "ebm.Graph"
#define EBM_BLOCKS_MT "ebm.Blocks"

typedef struct { ebm_model *m; } luaG_graph;            /* m is NULL once freed */
typedef struct { ebm_blocks b; const ebm_model *m; } luaG_blocks; /* m: the model checked against,
                                                           kept alive by the uservalue */

/* The model at `arg`, or a Lua error naming the argument. */
ebm_model *luaG_checkgraph(lua_State *L, int arg);
/* The block set at `arg`; it must have been built for model m. */
ebm_blocks *luaG_checkblocks(lua_State *L, int arg, const ebm_model *m);
/* A contiguous u8 state batch for m at `arg`: [n, C] (layout chains) or, when rows is set,
 * [C, n] or [C, ...] with n elements per row. Checks every level < K (ebm_states_check). Sets *C. */
const uint8_t *luaG_checkstates(lua_State *L, int arg, const ebm_model *m, int rows, int64_t *C);

#endif
