/* l_icm.c - zero-temperature block updates (ICM) and PCA: core.icm, core.pca. */
#include "l_graph.h"

#include "../icm.h"

/* core.icm(g, blocks, states, max_sweeps, clamp) -> sweeps run, changes in the last sweep
 * (0: every chain is a local minimum). states u8 [n, C] updated in place; clamp u8 [n] or nil. */
static int l_icm(lua_State *L) {
    ebm_model *m = luaG_checkgraph(L, 1);
    ebm_blocks *b = luaG_checkblocks(L, 2, m);
    int64_t C;
    uint8_t *x = (uint8_t *)luaG_checkstates(L, 3, m, 0, &C);
    lua_Integer ms = luaL_checkinteger(L, 4);
    luaL_argcheck(L, ms >= 1 && ms <= INT32_MAX, 4, "max_sweeps must be >= 1");
    const uint8_t *clamp = NULL;
    if (!lua_isnoneornil(L, 5)) {
        ebm_tensor *c = luaT_checkcontig(L, 5, EBM_U8);
        luaL_argcheck(L, ebm_tensor_numel(c) == m->n, 5, "clamp mask must be u8 [n] (one entry per node)");
        clamp = ebm_tensor_data(c);
    }
    int64_t changes = 0;
    int32_t s = ebm_icm_sweeps(m, b, x, C, (int32_t)ms, clamp, &changes);
    lua_pushinteger(L, s);
    lua_pushinteger(L, changes);
    return 2;
}

/* core.pca(X, k) -> components f64 [k, d], mean f64 [d], variances f64 [k], total variance.
 * X: f32 or f64 [n, d] (rows are observations), n >= 2, 1 <= k <= d. */
static int l_pca(lua_State *L) {
    ebm_tensor *X = luaT_check(L, 1);
    luaL_argcheck(L, X->ndim == 2 && (X->dtype == EBM_F32 || X->dtype == EBM_F64), 1, "expected f32 or f64 [n, d]");
    int64_t n = X->size[0], d = X->size[1];
    luaL_argcheck(L, n >= 2, 1, "need at least 2 rows");
    luaL_argcheck(L, d <= 32768, 1, "at most 32768 columns");
    lua_Integer k = luaL_checkinteger(L, 2);
    luaL_argcheck(L, k >= 1 && k <= d, 2, "k must be in 1..d");
    int64_t sz[2] = {n, d};
    ebm_tensor *Xd = luaT_newraw(L, EBM_F64, 2, sz);
    if (ebm_tensor_copy(Xd, X)) return luaL_error(L, "pca: cannot convert X");
    int64_t cs[2] = {k, d}, ms[1] = {d}, vs[1] = {k};
    ebm_tensor *comp = luaT_new(L, EBM_F64, 2, cs);
    ebm_tensor *mean = luaT_new(L, EBM_F64, 1, ms);
    ebm_tensor *var = luaT_new(L, EBM_F64, 1, vs);
    double total = 0;
    int rc = ebm_pca(ebm_tensor_data(Xd), n, d, (int32_t)k, ebm_tensor_data(mean), ebm_tensor_data(comp),
                     ebm_tensor_data(var), &total);
    if (rc) return luaT_error(L, rc, "pca");
    lua_pushnumber(L, total);
    return 4;
}

void ebm_open_icm(lua_State *L, int mod) {
    static const luaL_Reg fns[] = {{"icm", l_icm}, {"pca", l_pca}, {NULL, NULL}};
    luaT_setfuncs(L, mod, fns);
}
