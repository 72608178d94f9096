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
    /* fast path: the largest byte of the whole batch below the smallest K */
    int32_t kmin = 256;
    for (int32_t i = 0; i < m->n; i++) kmin = m->K[i] < kmin ? m->K[i] : kmin;
    uint8_t gmax = 0;
    for (int64_t q = 0; q < numel; q++) gmax = x[q] > gmax ? x[q] : gmax;
    if (gmax < kmin) return x;
    if (!rows) { /* max of each node's contiguous row */
        for (int32_t i = 0; i < m->n; i++) {
            const uint8_t *xi = x + (int64_t)i * *C;
            uint8_t mx = 0;
            for (int64_t c = 0; c < *C; c++) mx = xi[c] > mx ? xi[c] : mx;
            if (mx >= m->K[i])
                luaL_argerror(L, arg, lua_pushfstring(L, "node %d has level %d >= its %d levels", (int)i + 1, (int)mx, (int)m->K[i]));
        }
    } else if (ebm_states_check(m, x, *C, EBM_ROWS)) {
        luaL_argerror(L, arg, "a state has a level >= its node's number of levels");
    }
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

/* core.graph_new(K, slot_ka, slot_kb, ei, ej, es) -> graph. All i32 tensors; node and slot
 * ids are 1-based. Raises an error describing the first invalid entry. */
static int graph_new(lua_State *L) {
    int64_t n, ns, ne;
    const int32_t *K = check_i32(L, 1, -1, &n);
    const int32_t *ka = check_i32(L, 2, -1, &ns);
    const int32_t *kb = check_i32(L, 3, ns, NULL);
    const int32_t *ei = check_i32(L, 4, -1, &ne);
    const int32_t *ej = check_i32(L, 5, ne, NULL);
    const int32_t *es = check_i32(L, 6, ne, NULL);
    if (n < 1 || n > INT32_MAX / 2) luaL_argerror(L, 1, "need 1 .. 2^30 nodes");
    if (ne > INT32_MAX / 2) luaL_argerror(L, 4, "too many edges");
    luaG_graph *g = lua_newuserdatauv(L, sizeof *g, 0);
    g->m = NULL;
    luaL_setmetatable(L, EBM_GRAPH_MT);
    int32_t *tmp = EBM_MALLOC(sizeof(int32_t) * (size_t)(3 * ne + 1));
    if (!tmp) return luaL_error(L, "graph_new: out of memory");
    for (int64_t e = 0; e < ne; e++) { tmp[e] = ei[e] - 1; tmp[ne + e] = ej[e] - 1; tmp[2 * ne + e] = es[e] - 1; }
    char err[256];
    g->m = ebm_model_new((int32_t)n, K, (int32_t)ns, ka, kb, ne, tmp, tmp + ne, tmp + 2 * ne, err, sizeof err);
    EBM_FREE(tmp);
    if (!g->m) return luaL_error(L, "graph_new: %s", err);
    return 1;
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

/* g:fill_tables(slot0, w, pattern): tables slot0 .. slot0+#w-1 (1-based) = w[s] * pattern. */
static int graph_fill_tables(lua_State *L) {
    ebm_model *m = luaG_checkgraph(L, 1);
    lua_Integer s0 = luaL_checkinteger(L, 2) - 1;
    ebm_tensor *w = luaT_checkcontig(L, 3, EBM_F32);
    ebm_tensor *pat = luaT_checkcontig(L, 4, EBM_F32);
    int64_t ns = ebm_tensor_numel(w);
    luaL_argcheck(L, s0 >= 0 && s0 + ns <= m->nslots, 2, "slot range out of bounds");
    if (ns > 0)
        luaL_argcheck(L, ebm_tensor_numel(pat) == (int64_t)m->ska[s0] * m->skb[s0], 4, "pattern size differs from the slot's table");
    if (ebm_model_fill_tables(m, (int32_t)s0, (int32_t)ns, ebm_tensor_data(w), ebm_tensor_data(pat)))
        luaL_argerror(L, 3, "slots of different shapes");
    lua_settop(L, 1);
    return 1;
}

/* g:copy_tables(slot0, full): full f32 [ns, K_a, K_b] into tables slot0 .. (1-based). */
static int graph_copy_tables(lua_State *L) {
    ebm_model *m = luaG_checkgraph(L, 1);
    lua_Integer s0 = luaL_checkinteger(L, 2) - 1;
    ebm_tensor *f = luaT_checkcontig(L, 3, EBM_F32);
    luaL_argcheck(L, s0 >= 0 && s0 < m->nslots, 2, "slot out of range");
    int64_t kk = (int64_t)m->ska[s0] * m->skb[s0], ns = ebm_tensor_numel(f) / kk;
    luaL_argcheck(L, ns * kk == ebm_tensor_numel(f) && s0 + ns <= m->nslots, 3, "size is not a whole number of tables in range");
    if (ebm_model_copy_tables(m, (int32_t)s0, (int32_t)ns, ebm_tensor_data(f)))
        luaL_argerror(L, 3, "slots of different shapes");
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

/* g:blocks({i32 tensor or table of 1-based node ids, ...}) -> Blocks. Checked: an interacting
 * pair inside a block raises "block B contains interacting nodes I and J (edge E)". */
static int graph_blocks(lua_State *L) {
    ebm_model *m = luaG_checkgraph(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    int32_t nb = (int32_t)luaL_len(L, 2);
    luaL_argcheck(L, nb >= 1, 2, "need at least one block");
    luaG_blocks *ub = lua_newuserdatauv(L, sizeof *ub, 1);
    memset(ub, 0, sizeof *ub);
    luaL_setmetatable(L, EBM_BLOCKS_MT);
    ub->m = m;
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);  /* the graph lives as long as its blocks */
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
    int32_t *c0 = EBM_MALLOC(sizeof(int32_t) * (size_t)m->n);
    if (!c0) return luaL_error(L, "blocks_from_colours: out of memory");
    for (int32_t i = 0; i < m->n; i++) {
        if (col[i] < 1 || col[i] > nc) { EBM_FREE(c0); return luaL_argerror(L, 2, "colour out of range 1..nc"); }
        c0[i] = col[i] - 1;
    }
    luaG_blocks *ub = lua_newuserdatauv(L, sizeof *ub, 1);
    memset(ub, 0, sizeof *ub);
    luaL_setmetatable(L, EBM_BLOCKS_MT);
    ub->m = m;
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);  /* the graph lives as long as its blocks */
    int rc = ebm_blocks_from_colours(&ub->b, m->n, c0, (int32_t)nc);
    EBM_FREE(c0);
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
        {"refresh", graph_refresh}, {"fill_tables", graph_fill_tables}, {"copy_tables", graph_copy_tables},
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
    static const luaL_Reg fns[] = {{"graph_new", graph_new}, {NULL, NULL}};
    luaT_setfuncs(L, mod, fns);
}
