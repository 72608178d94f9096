/* l_gibbs.c - block Gibbs kernels, chain initialisation, the sequential sampler. */
#include "l_graph.h"

#include <string.h>

#include "../gibbs.h"
#include "../gibbs_cpu.h"
#include "../stats.h"

/* Read a clamp argument: nil, u8 [n] (per node) or u8 [n, C] (per chain). */
static void check_clamp(lua_State *L, int arg, const ebm_model *m, int64_t C, ebm_gibbs_opts *o) {
    o->clamp = NULL;
    o->clamp_pc = NULL;
    if (lua_isnoneornil(L, arg)) return;
    ebm_tensor *t = luaT_checkcontig(L, arg, EBM_U8);
    int64_t k = ebm_tensor_numel(t);
    if (k == m->n && t->ndim == 1) o->clamp = ebm_tensor_data(t);
    else if (k == m->n * C && t->ndim == 2) o->clamp_pc = ebm_tensor_data(t);
    else luaL_argerror(L, arg, lua_pushfstring(L, "clamp mask must be u8 [%d] or [%d, %d]", (int)m->n, (int)m->n, (int)C));
}

/* Read the common options, positional from `arg`: beta, seed, step, chain_offset (positional
 * rather than a table: this is on the per-call path). beta is a number, or (when C > 0) an
 * f32 tensor [C] of per-chain betas. */
static void read_opts(lua_State *L, int arg, int64_t C, ebm_gibbs_opts *o) {
    memset(o, 0, sizeof *o);
    ebm_tensor *bt = C > 0 ? luaT_test(L, arg) : NULL;
    if (bt) {
        if (bt->dtype != EBM_F32 || !ebm_tensor_is_contiguous(bt) || ebm_tensor_numel(bt) != C)
            luaL_argerror(L, arg, lua_pushfstring(L, "per-chain beta must be a contiguous f32 tensor [%d]", (int)C));
        o->beta_pc = ebm_tensor_data(bt);
        for (int64_t c = 0; c < C; c++)
            if (!(o->beta_pc[c] >= 0.0f)) luaL_argerror(L, arg, lua_pushfstring(L, "beta[%d] must be >= 0", (int)c + 1));
        o->beta = 1.0f;
    } else {
        o->beta = (float)luaL_optnumber(L, arg, 1.0);
        if (!(o->beta >= 0.0f)) luaL_argerror(L, arg, "beta must be >= 0");
    }
    o->seed = (uint64_t)luaL_optinteger(L, arg + 1, 0);
    o->step = (uint64_t)luaL_optinteger(L, arg + 2, 0);
    o->chain_off = luaL_optinteger(L, arg + 3, 0);
    if (o->chain_off < 0) luaL_argerror(L, arg + 3, "chain_offset must be >= 0");
}

/* The level draw argument: nil (auto: EBM_LEVELS, else table) | "float" | "table" | "gather". */
static int check_levels(lua_State *L, int arg) {
    if (lua_isnoneornil(L, arg)) return EBM_LEVELS_AUTO;
    int v = ebm_levels_parse(luaL_checkstring(L, arg));
    if (v < 0) luaL_argerror(L, arg, "unknown level draw (float, table, gather)");
    return v;
}

/* The generator argument: nil (auto: EBM_RNG, else ARS) | "ars" | "philox". */
static int check_rng(lua_State *L, int arg) {
    if (lua_isnoneornil(L, arg)) return EBM_RNG_AUTO;
    int v = ebm_rng_parse(luaL_checkstring(L, arg));
    if (v < 0) luaL_argerror(L, arg, "unknown generator (ars, philox)");
    return v;
}

/* core.gibbs_sweep(g, blocks, states, nsweeps, beta, seed, step, chain_offset, clamp, order, simd,
 * levels, rng) order: nil, "random", or i32 tensor / table of 1-based block ids; simd: nil (auto:
 * EBM_SIMD, else the fastest) | "avx512" | "avx2" | "scalar"; levels: see check_levels; rng:
 * see check_rng. Updates states [n, C] in place. */
static int l_gibbs_sweep(lua_State *L) {
    ebm_model *m = luaG_checkgraph(L, 1);
    ebm_blocks *b = luaG_checkblocks(L, 2, m);
    int64_t C;
    uint8_t *x = (uint8_t *)luaG_checkstates(L, 3, m, 0, &C);
    lua_Integer ns = luaL_checkinteger(L, 4);
    luaL_argcheck(L, ns >= 0 && ns <= INT32_MAX, 4, "number of sweeps out of range");
    ebm_gibbs_opts o;
    read_opts(L, 5, C, &o);
    check_clamp(L, 9, m, C, &o);
    if (!lua_isnoneornil(L, 11)) {
        o.simd = ebm_simd_parse(luaL_checkstring(L, 11));
        if (o.simd < 0) luaL_argerror(L, 11, "unknown SIMD path (avx512, avx2, scalar)");
    }
    o.levels = check_levels(L, 12);
    o.rng = check_rng(L, 13);
    int32_t ordbuf[64], *ord = NULL;
    const int OA = 10; /* the order argument */
    if (lua_type(L, OA) == LUA_TSTRING) {
        luaL_argcheck(L, strcmp(lua_tostring(L, OA), "random") == 0, OA, "order must be \"random\" or a list of block ids");
        o.random_order = 1;
    } else if (lua_istable(L, OA) || luaT_test(L, OA)) {
        ebm_tensor *t = luaT_test(L, OA);
        int64_t len = t ? ebm_tensor_numel(t) : (int64_t)luaL_len(L, OA);
        luaL_argcheck(L, len >= 1, OA, "empty block order");
        ord = len <= 64 ? ordbuf : lua_newuserdatauv(L, sizeof(int32_t) * (size_t)len, 0);
        for (int64_t k = 0; k < len; k++) {
            lua_Integer v;
            if (t) v = (lua_Integer)ebm_tensor_get_linear(t, k);
            else { lua_geti(L, OA, k + 1); v = lua_tointeger(L, -1); lua_pop(L, 1); }
            if (v < 1 || v > b->nblocks) luaL_argerror(L, OA, lua_pushfstring(L, "block id %d out of range 1..%d", (int)v, (int)b->nblocks));
            ord[k] = (int32_t)v - 1;
        }
        o.order = ord;
        o.norder = (int32_t)len;
    } else if (!lua_isnoneornil(L, OA)) {
        luaL_argerror(L, OA, "order must be nil, \"random\" or a list of block ids");
    }
    int rc = ebm_gibbs_sweeps(m, b, x, C, (int32_t)ns, &o);
    if (rc == EBM_ERANGE)
        return luaL_error(L, "gibbs_sweep: this CPU cannot run the %s path with %s", ebm_simd_name(ebm_simd_pick(o.simd, o.rng)),
                          ebm_rng_name(ebm_rng_pick(o.rng)));
    if (rc) return luaL_error(L, "gibbs_sweep: out of memory");
    lua_settop(L, 3);
    return 1;
}

/* core.gibbs_update(g, blocks, k, states, beta, seed, step, chain_offset, clamp, levels, rng):
 * update block k (1-based) once. */
static int l_gibbs_update(lua_State *L) {
    ebm_model *m = luaG_checkgraph(L, 1);
    ebm_blocks *b = luaG_checkblocks(L, 2, m);
    lua_Integer k = luaL_checkinteger(L, 3);
    luaL_argcheck(L, k >= 1 && k <= b->nblocks, 3, "block index out of range");
    int64_t C;
    uint8_t *x = (uint8_t *)luaG_checkstates(L, 4, m, 0, &C);
    ebm_gibbs_opts o;
    read_opts(L, 5, C, &o);
    check_clamp(L, 9, m, C, &o);
    o.levels = check_levels(L, 10);
    o.rng = check_rng(L, 11);
    int rc = ebm_gibbs_update(m, b, (int32_t)k - 1, x, C, &o);
    if (rc == EBM_ERANGE)
        return luaL_error(L, "gibbs_update: this CPU cannot run the %s path with %s", ebm_simd_name(ebm_simd_pick(0, o.rng)),
                          ebm_rng_name(ebm_rng_pick(o.rng)));
    if (rc) return luaL_error(L, "gibbs_update: out of memory");
    lua_settop(L, 4);
    return 1;
}

/* core.gibbs_init(g, states, mode, beta, seed, step, chain_offset, clamp): mode "uniform" or
 * "bias". */
static int l_gibbs_init(lua_State *L) {
    ebm_model *m = luaG_checkgraph(L, 1);
    ebm_tensor *t = luaT_checkcontig(L, 2, EBM_U8);
    if (t->ndim != 2 || t->size[0] != m->n) luaL_argerror(L, 2, "expected states [n, C]");
    static const char *const modes[] = {"uniform", "bias", NULL};
    int mode = luaL_checkoption(L, 3, "uniform", modes);
    ebm_gibbs_opts o;
    read_opts(L, 4, 0, &o);
    check_clamp(L, 8, m, t->size[1], &o);
    if (ebm_gibbs_init(m, ebm_tensor_data(t), t->size[1], mode, &o)) return luaL_error(L, "gibbs_init: out of memory");
    lua_settop(L, 2);
    return 1;
}

/* core.gibbs_sequential(g, x u8 [n], nsweeps, beta, clamp u8 [n] | nil, scan "raster"|"random", rng) */
static int l_gibbs_sequential(lua_State *L) {
    ebm_model *m = luaG_checkgraph(L, 1);
    ebm_tensor *t = luaT_checkcontig(L, 2, EBM_U8);
    luaL_argcheck(L, ebm_tensor_numel(t) == m->n, 2, "expected one state u8 [n]");
    if (ebm_states_check(m, ebm_tensor_data(t), 1, EBM_ROWS, NULL, NULL))
        luaL_argerror(L, 2, "a node has a level >= its number of levels");
    lua_Integer ns = luaL_checkinteger(L, 3);
    luaL_argcheck(L, ns >= 0 && ns <= INT32_MAX, 3, "number of sweeps out of range");
    double beta = luaL_optnumber(L, 4, 1.0);
    luaL_argcheck(L, beta >= 0, 4, "beta must be >= 0");
    const uint8_t *clamp = NULL;
    if (!lua_isnoneornil(L, 5)) {
        ebm_tensor *c = luaT_checkcontig(L, 5, EBM_U8);
        luaL_argcheck(L, ebm_tensor_numel(c) == m->n, 5, "clamp mask must have one entry per node");
        clamp = ebm_tensor_data(c);
    }
    static const char *const scans[] = {"raster", "random", NULL};
    int scan = luaL_checkoption(L, 6, "raster", scans);
    ebm_rng *r = luaT_checkrng(L, 7);
    if (ebm_gibbs_sequential(m, ebm_tensor_data(t), (int32_t)ns, (float)beta, clamp, scan, r))
        return luaL_error(L, "gibbs_sequential: out of memory");
    lua_settop(L, 2);
    return 1;
}

void ebm_open_gibbs(lua_State *L, int mod) {
    static const luaL_Reg fns[] = {
        {"gibbs_sweep", l_gibbs_sweep}, {"gibbs_update", l_gibbs_update}, {"gibbs_init", l_gibbs_init},
        {"gibbs_sequential", l_gibbs_sequential}, {NULL, NULL}};
    luaT_setfuncs(L, mod, fns);
}
