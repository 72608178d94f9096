/* l_graph.c - ebm.Graph (a model's structure, biases and tables) and ebm.Blocks. */
#include "l_graph.h"

#include <string.h>

#include "../stats.h"

ebm_model *luaG_checkgraph(lua_State *L, int arg) {
    luaG_graph *g = luaL_checkudata(L, arg, EBM_GRAPH_MT);
    if (!g->m) luaL_argerror(L, arg, "graph has been freed");
    return g->m;
}

ebm_blocks *luaG_checkblocks(lua_State *L, int arg, const ebm_model *m) {
    luaG_blocks *b = luaL_checkudata(L, arg, EBM_BLOCKS_MT);
    if (b->m != m) luaL_argerror(L, arg, "blocks were built for another model");
    return &b->b;
}

const uint8_t *luaG_checkstates(lua_State *L, int arg, const ebm_model *m, int rows, int64_t *C) {
    ebm_tensor *t = luaT_checkcontig(L, arg, EBM_U8);
    int64_t numel = ebm_tensor_numel(t);
    if (rows) {
        if (t->ndim < 1 || t->size[0] < 1 || numel != t->size[0] * m->n)
            luaL_argerror(L, arg, lua_pushfstring(L, "expected states [C, %d] (one state per row)", (int)m->n));
        *C = t->size[0];
    } else {
        if (t->ndim != 2 || t->size[0] != m->n || t->size[1] < 1)
            luaL_argerror(L, arg, lua_pushfstring(L, "expected states [%d, C] (chains innermost)", (int)m->n));
        *C = t->size[1];
    }
    const uint8_t *x = ebm_tensor_data(t);
    int32_t node;
    int level;
    if (ebm_states_check(m, x, *C, rows ? EBM_ROWS : EBM_CHAINS, &node, &level))
        luaL_argerror(L, arg, lua_pushfstring(L, "node %d has level %d >= its %d levels", (int)node + 1, level, (int)m->K[node]));
    return x;
}

/* An i32 tensor argument as a contiguous 1-d array of length `len` (or any length if len < 0). */
static const int32_t *check_i32(lua_State *L, int arg, int64_t len, int64_t *got) {
    ebm_tensor *t = luaT_checkcontig(L, arg, EBM_I32);
    int64_t k = ebm_tensor_numel(t);
    if (len >= 0 && k != len) luaL_argerror(L, arg, lua_pushfstring(L, "expected %d elements", (int)len));
    if (got) *got = k;
    return ebm_tensor_data(t);
}

/* core.graph_from_factors(K, slot_ka, slot_kb, factors) -> graph. K, slot shapes: i32 tensors.
 * factors: list of {i=, j=, slot= (i32 tensors, 1-based within the layers / the factor),
 * a0=, na=, b0=, nb=, s0=, ns= (0-based offsets and sizes of the two layers and the slots),
 * name=}. Every edge is checked; an error names the factor and the edge. */
static int graph_from_factors(lua_State *L) {
    int64_t n, ns;
    const int32_t *K = check_i32(L, 1, -1, &n);
    const int32_t *ka = check_i32(L, 2, -1, &ns);
    const int32_t *kb = check_i32(L, 3, ns, NULL);
    luaL_checktype(L, 4, LUA_TTABLE);
    if (n < 1 || n > INT32_MAX / 2) luaL_argerror(L, 1, "need 1 .. 2^30 nodes");
    int nf = (int)luaL_len(L, 4);
    int64_t ne = 0;
    for (int f = 1; f <= nf; f++) {
        lua_geti(L, 4, f);
        lua_getfield(L, -1, "i");
        ne += ebm_tensor_numel(luaT_checkcontig(L, -1, EBM_I32));
        lua_pop(L, 2);
    }
    if (ne > INT32_MAX / 2) luaL_argerror(L, 4, "too many edges");
    luaG_graph *g = lua_newuserdatauv(L, sizeof *g, 0);
    g->m = NULL;
    luaL_setmetatable(L, EBM_GRAPH_MT);
    int gi = lua_gettop(L);
    int32_t *tmp = lua_newuserdatauv(L, sizeof(int32_t) * (size_t)(3 * ne + 1), 0); /* freed by the GC */
    int64_t e = 0;
    for (int f = 1; f <= nf; f++) {
        lua_geti(L, 4, f);
        int ft = lua_gettop(L);
        lua_getfield(L, ft, "i"); const int32_t *fi = ebm_tensor_data(luaT_checkcontig(L, -1, EBM_I32));
        int64_t len = ebm_tensor_numel(luaT_check(L, -1));
        lua_getfield(L, ft, "j"); ebm_tensor *tj = luaT_checkcontig(L, -1, EBM_I32);
        lua_getfield(L, ft, "slot"); ebm_tensor *ts = luaT_checkcontig(L, -1, EBM_I32);
        lua_getfield(L, ft, "name"); const char *name = lua_tostring(L, -1);
        if (!name) name = "?";
        if (ebm_tensor_numel(tj) != len || ebm_tensor_numel(ts) != len)
            return luaL_error(L, "factor %s: i, j, slot lengths differ", name);
        const int32_t *fj = ebm_tensor_data(tj), *fs = ebm_tensor_data(ts);
        lua_Integer a0 = luaT_optintfield(L, ft, "a0", 0), na = luaT_optintfield(L, ft, "na", 0);
        lua_Integer b0 = luaT_optintfield(L, ft, "b0", 0), nb = luaT_optintfield(L, ft, "nb", 0);
        lua_Integer s0 = luaT_optintfield(L, ft, "s0", 0), nsl = luaT_optintfield(L, ft, "ns", 0);
        for (int64_t k = 0; k < len; k++, e++) {
            if (fi[k] < 1 || fi[k] > na || fj[k] < 1 || fj[k] > nb)
                return luaL_error(L, "factor %s edge %d: node out of range", name, (int)k + 1);
            if (fs[k] < 1 || fs[k] > nsl)
                return luaL_error(L, "factor %s edge %d: slot %d out of 1..%d", name, (int)k + 1, (int)fs[k], (int)nsl);
            tmp[e] = (int32_t)(fi[k] - 1 + a0);
            tmp[ne + e] = (int32_t)(fj[k] - 1 + b0);
            tmp[2 * ne + e] = (int32_t)(fs[k] - 1 + s0);
        }
        lua_settop(L, ft - 1);
    }
    char err[256];
    g->m = ebm_model_new((int32_t)n, K, (int32_t)ns, ka, kb, ne, tmp, tmp + ne, tmp + 2 * ne, err, sizeof err);
    if (!g->m) return luaL_error(L, "%s", err);
    lua_settop(L, gi);
    return 1;
}

/* core.grid_edges(H, W, jumps, torus, per_edge) -> i, j, slot (i32, 1-based): the stencil's
 * edges (ebm_grid_edges in graph.h); jumps is a list of {dy, dx}; slot is the jump's index,
 * or the edge's when per_edge. Scratch lives in userdata, so an error strands nothing. */
static int grid_edges(lua_State *L) {
    lua_Integer H = luaL_checkinteger(L, 1), W = luaL_checkinteger(L, 2);
    luaL_argcheck(L, H >= 1 && W >= 1 && H <= (1 << 28) && W <= (1 << 28) && H * W <= (1 << 28), 1,
                  "grid size out of range");
    luaL_checktype(L, 3, LUA_TTABLE);
    int torus = lua_toboolean(L, 4), per_edge = lua_toboolean(L, 5);
    lua_Integer nj = luaL_len(L, 3);
    luaL_argcheck(L, nj >= 0 && nj <= (1 << 20), 3, "too many jumps");
    int32_t *dyx = lua_newuserdatauv(L, sizeof(int32_t) * (size_t)(2 * nj + 1), 0);
    for (lua_Integer d = 1; d <= nj; d++) {
        lua_geti(L, 3, d);
        lua_geti(L, -1, 1); lua_Integer dy = luaL_checkinteger(L, -1);
        lua_geti(L, -2, 2); lua_Integer dx = luaL_checkinteger(L, -1);
        luaL_argcheck(L, dy >= -INT32_MAX && dy <= INT32_MAX && dx >= -INT32_MAX && dx <= INT32_MAX, 3, "jump out of range");
        dyx[d - 1] = (int32_t)dy;
        dyx[nj + d - 1] = (int32_t)dx;
        lua_pop(L, 3);
    }
    int64_t cap = nj * H * W;
    int32_t *buf = lua_newuserdatauv(L, sizeof(int32_t) * (size_t)(3 * cap + 1), 0);
    int64_t ne = ebm_grid_edges(H, W, (int32_t)nj, dyx, dyx + nj, torus, buf, buf + cap, buf + 2 * cap);
    if (ne < 0) return luaL_error(L, "grid_edges: %s", ne == -1 ? "size out of range" : "out of memory");
    int32_t *I = ebm_tensor_data(luaT_new(L, EBM_I32, 1, &ne));
    int32_t *J = ebm_tensor_data(luaT_new(L, EBM_I32, 1, &ne));
    int32_t *S = ebm_tensor_data(luaT_new(L, EBM_I32, 1, &ne));
    for (int64_t q = 0; q < ne; q++) {
        I[q] = buf[q] + 1;
        J[q] = buf[cap + q] + 1;
        S[q] = per_edge ? (int32_t)(q + 1) : buf[2 * cap + q] + 1;
    }
    return 3;
}

static int graph_gc(lua_State *L) {
    luaG_graph *g = luaL_checkudata(L, 1, EBM_GRAPH_MT);
    ebm_model_free(g->m);
    g->m = NULL;
    return 0;
}

/* g:info() -> {n=, nslots=, nedges=, kmax=} */
static int graph_info(lua_State *L) {
    ebm_model *m = luaG_checkgraph(L, 1);
    lua_createtable(L, 0, 4);
    lua_pushinteger(L, m->n); lua_setfield(L, -2, "n");
    lua_pushinteger(L, m->nslots); lua_setfield(L, -2, "nslots");
    lua_pushinteger(L, m->nedges); lua_setfield(L, -2, "nedges");
    lua_pushinteger(L, m->kmax); lua_setfield(L, -2, "kmax");
    return 1;
}

/* g:bias() / g:tables() -> f32 views of the flat bias rows / coupling tables (writes go
 * straight to the model; call g:refresh() after writing). */
static int graph_bias(lua_State *L) {
    luaT_pushview(L, &luaG_checkgraph(L, 1)->bias);
    return 1;
}
static int graph_tables(lua_State *L) {
    luaT_pushview(L, &luaG_checkgraph(L, 1)->tables);
    return 1;
}

/* g:offsets() -> boff i32 [n+1], toff i32 [nslots+1] (0-based float offsets). */
static int graph_offsets(lua_State *L) {
    ebm_model *m = luaG_checkgraph(L, 1);
    int64_t a = m->n + 1, b = m->nslots + 1;
    int32_t *p = ebm_tensor_data(luaT_new(L, EBM_I32, 1, &a));
    for (int64_t i = 0; i < a; i++) p[i] = (int32_t)m->boff[i];
    p = ebm_tensor_data(luaT_new(L, EBM_I32, 1, &b));
    for (int64_t i = 0; i < b; i++) p[i] = (int32_t)m->toff[i];
    return 2;
}

static int graph_refresh(lua_State *L) {
    ebm_model_refresh(luaG_checkgraph(L, 1));
    lua_settop(L, 1);
    return 1;
}

/* g:set_tables(slot0, w[, pattern]) -> g. With a pattern (f32 [K_a, K_b]): tables slot0 ..
 * slot0+#w-1 (1-based) become w[s] * pattern (the tied parametrisations). Without: w holds
 * whole tables f32 [ns, K_a, K_b] (full couplings). Slots in the range share one shape. */
static int graph_set_tables(lua_State *L) {
    ebm_model *m = luaG_checkgraph(L, 1);
    lua_Integer s0 = luaL_checkinteger(L, 2) - 1;
    ebm_tensor *w = luaT_checkcontig(L, 3, EBM_F32);
    ebm_tensor *pat = lua_isnoneornil(L, 4) ? NULL : luaT_checkcontig(L, 4, EBM_F32);
    luaL_argcheck(L, s0 >= 0 && s0 < m->nslots, 2, "slot out of range");
    int64_t kk = (int64_t)m->ska[s0] * m->skb[s0];
    int64_t ns = pat ? ebm_tensor_numel(w) : ebm_tensor_numel(w) / kk;
    if (pat) luaL_argcheck(L, ebm_tensor_numel(pat) == kk, 4, "pattern size differs from the slot's table");
    else luaL_argcheck(L, ns * kk == ebm_tensor_numel(w), 3, "size is not a whole number of tables");
    luaL_argcheck(L, s0 + ns <= m->nslots, 3, "slot range out of bounds");
    int rc = pat ? ebm_model_fill_tables(m, (int32_t)s0, (int32_t)ns, ebm_tensor_data(w), ebm_tensor_data(pat))
                 : ebm_model_copy_tables(m, (int32_t)s0, (int32_t)ns, ebm_tensor_data(w));
    if (rc) luaL_argerror(L, 3, "slots of different shapes");
    lua_settop(L, 1);
    return 1;
}

/* g:dsatur() -> i32 [n] colours (1-based), number of colours. */
static int graph_dsatur(lua_State *L) {
    ebm_model *m = luaG_checkgraph(L, 1);
    int64_t n = m->n;
    int32_t *col = ebm_tensor_data(luaT_new(L, EBM_I32, 1, &n));
    int32_t nc = ebm_colour_dsatur(m, col);
    if (nc < 0) return luaL_error(L, "dsatur: out of memory");
    for (int64_t i = 0; i < n; i++) col[i]++;
    lua_pushinteger(L, nc);
    return 2;
}

/* Push an empty Blocks userdata for graph m (at stack index `graph`): safe to collect
 * before it is filled, and it keeps the graph alive as long as it lives. */
static luaG_blocks *push_blocks(lua_State *L, ebm_model *m, int graph) {
    graph = lua_absindex(L, graph);
    luaG_blocks *ub = lua_newuserdatauv(L, sizeof *ub, 1);
    memset(ub, 0, sizeof *ub);
    luaL_setmetatable(L, EBM_BLOCKS_MT);
    ub->m = m;
    lua_pushvalue(L, graph);
    lua_setiuservalue(L, -2, 1);
    return ub;
}

/* g:blocks({i32 tensor or table of 1-based node ids, ...}) -> Blocks. Checked: an interacting
 * pair inside a block raises "block B contains interacting nodes I and J (edge E)". */
static int graph_blocks(lua_State *L) {
    ebm_model *m = luaG_checkgraph(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    int32_t nb = (int32_t)luaL_len(L, 2);
    luaL_argcheck(L, nb >= 1, 2, "need at least one block");
    luaG_blocks *ub = push_blocks(L, m, 1);
    int64_t total = 0;
    for (int32_t k = 1; k <= nb; k++) {
        lua_geti(L, 2, k);
        ebm_tensor *t = luaT_test(L, -1);
        if (t) total += ebm_tensor_numel(t);
        else if (lua_istable(L, -1)) total += (int64_t)luaL_len(L, -1);
        else luaL_argerror(L, 2, lua_pushfstring(L, "block %d is not a tensor or table of node ids", (int)k));
        lua_pop(L, 1);
    }
    ub->b.nblocks = nb;
    ub->b.start = EBM_CALLOC((size_t)nb + 1, sizeof(int64_t));
    ub->b.nodes = EBM_CALLOC((size_t)total + 1, sizeof(int32_t));
    if (!ub->b.start || !ub->b.nodes) return luaL_error(L, "blocks: out of memory");
    int64_t p = 0;
    for (int32_t k = 1; k <= nb; k++) {
        lua_geti(L, 2, k);
        ebm_tensor *t = luaT_test(L, -1);
        int64_t len = t ? ebm_tensor_numel(t) : (int64_t)luaL_len(L, -1);
        for (int64_t q = 0; q < len; q++) {
            double v;
            if (t) v = ebm_tensor_get_linear(t, q);
            else { lua_geti(L, -1, q + 1); v = lua_tonumber(L, -1); lua_pop(L, 1); }
            ub->b.nodes[p++] = (int32_t)v - 1;
        }
        ub->b.start[k] = p;
        lua_pop(L, 1);
    }
    char err[256];
    if (ebm_blocks_check(m, &ub->b, err, sizeof err)) return luaL_error(L, "blocks: %s", err);
    return 1;
}

/* g:blocks_from_colours(colours i32 [n] 1-based, nc) -> Blocks (checked). */
static int graph_blocks_from_colours(lua_State *L) {
    ebm_model *m = luaG_checkgraph(L, 1);
    const int32_t *col = check_i32(L, 2, m->n, NULL);
    lua_Integer nc = luaL_checkinteger(L, 3);
    luaL_argcheck(L, nc >= 1 && nc <= m->n, 3, "number of colours out of range");
    int32_t *c0 = lua_newuserdatauv(L, sizeof(int32_t) * (size_t)m->n, 0); /* scratch: the GC frees it */
    for (int32_t i = 0; i < m->n; i++) {
        if (col[i] < 1 || col[i] > nc) return luaL_argerror(L, 2, "colour out of range 1..nc");
        c0[i] = col[i] - 1;
    }
    luaG_blocks *ub = push_blocks(L, m, 1);
    int rc = ebm_blocks_from_colours(&ub->b, m->n, c0, (int32_t)nc);
    if (rc) return luaL_error(L, "blocks_from_colours: out of memory");
    char err[256];
    if (ebm_blocks_check(m, &ub->b, err, sizeof err)) return luaL_error(L, "blocks: %s", err);
    return 1;
}

static int blocks_gc(lua_State *L) {
    luaG_blocks *b = luaL_checkudata(L, 1, EBM_BLOCKS_MT);
    ebm_blocks_free(&b->b);
    b->m = NULL;
    return 0;
}

/* b:count() -> number of blocks; b:get(k) -> i32 tensor of block k's 1-based node ids. */
static int blocks_count(lua_State *L) {
    luaG_blocks *b = luaL_checkudata(L, 1, EBM_BLOCKS_MT);
    lua_pushinteger(L, b->b.nblocks);
    return 1;
}
static int blocks_get(lua_State *L) {
    luaG_blocks *b = luaL_checkudata(L, 1, EBM_BLOCKS_MT);
    lua_Integer k = luaL_checkinteger(L, 2);
    luaL_argcheck(L, k >= 1 && k <= b->b.nblocks, 2, "block index out of range");
    int64_t len = b->b.start[k] - b->b.start[k - 1];
    int32_t *p = ebm_tensor_data(luaT_new(L, EBM_I32, 1, &len));
    for (int64_t q = 0; q < len; q++) p[q] = b->b.nodes[b->b.start[k - 1] + q] + 1;
    return 1;
}

void ebm_open_graph(lua_State *L, int mod) {
    static const luaL_Reg methods[] = {
        {"info", graph_info}, {"bias", graph_bias}, {"tables", graph_tables}, {"offsets", graph_offsets},
        {"refresh", graph_refresh}, {"set_tables", graph_set_tables},
        {"dsatur", graph_dsatur}, {"blocks", graph_blocks}, {"blocks_from_colours", graph_blocks_from_colours},
        {NULL, NULL}};
    luaL_newmetatable(L, EBM_GRAPH_MT);
    lua_pushcfunction(L, graph_gc); lua_setfield(L, -2, "__gc");
    lua_newtable(L);
    luaL_setfuncs(L, methods, 0);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    static const luaL_Reg bmethods[] = {{"count", blocks_count}, {"get", blocks_get}, {NULL, NULL}};
    luaL_newmetatable(L, EBM_BLOCKS_MT);
    lua_pushcfunction(L, blocks_gc); lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, blocks_count); lua_setfield(L, -2, "__len");
    lua_newtable(L);
    luaL_setfuncs(L, bmethods, 0);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    static const luaL_Reg fns[] = {{"graph_from_factors", graph_from_factors},
                                   {"grid_edges", grid_edges}, {NULL, NULL}};
    luaT_setfuncs(L, mod, fns);
}
