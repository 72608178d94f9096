/* l_stats.c - energies, conditionals, pseudo-likelihood, sufficient statistics, enumeration.
 * States are u8 tensors: layout "chains" [n, C] (default) or "rows" [C, n] / [C, h, w]. */
#include "l_graph.h"

#include <string.h>

#include "../stats.h"

/* An optional u8 tensor with one entry per node at `arg` (a mask or per-node values), or NULL. */
static const uint8_t *opt_nodebytes(lua_State *L, int arg, const ebm_model *m) {
    if (lua_isnoneornil(L, arg)) return NULL;
    ebm_tensor *t = luaT_checkcontig(L, arg, EBM_U8);
    luaL_argcheck(L, ebm_tensor_numel(t) == m->n, arg, "need one u8 entry per node");
    return ebm_tensor_data(t);
}

static int check_layout(lua_State *L, int arg) {
    static const char *const names[] = {"chains", "rows", NULL};
    return luaL_checkoption(L, arg, "chains", names);
}

/* The prologue shared by the functions below: graph at 1, states at 2, layout name at 3. */
static const uint8_t *graph_states(lua_State *L, ebm_model **m, int *layout, int64_t *C) {
    *m = luaG_checkgraph(L, 1);
    *layout = check_layout(L, 3);
    return luaG_checkstates(L, 2, *m, *layout, C);
}

/* core.energy(g, states, layout) -> f64 [C] */
static int l_energy(lua_State *L) {
    ebm_model *m;
    int layout;
    int64_t C;
    const uint8_t *x = graph_states(L, &m, &layout, &C);
    ebm_energy(m, x, C, layout, ebm_tensor_data(luaT_new(L, EBM_F64, 1, &C)));
    return 1;
}

/* core.conditional(g, states, layout, chain, node, beta) -> f64 [K] (chain, node 1-based) */
static int l_conditional(lua_State *L) {
    ebm_model *m;
    int layout;
    int64_t C;
    const uint8_t *x = graph_states(L, &m, &layout, &C);
    lua_Integer c = luaL_checkinteger(L, 4), i = luaL_checkinteger(L, 5);
    double beta = luaL_optnumber(L, 6, 1.0);
    luaL_argcheck(L, c >= 1 && c <= C, 4, "chain out of range");
    luaL_argcheck(L, i >= 1 && i <= m->n, 5, "node out of range");
    int64_t K = m->K[i - 1];
    ebm_conditional(m, x, C, layout, c - 1, (int32_t)i - 1, beta, ebm_tensor_data(luaT_new(L, EBM_F64, 1, &K)));
    return 1;
}

/* core.pseudo_loglik(g, states, layout, beta, mask) -> f64 [C] */
static int l_pseudo_loglik(lua_State *L) {
    ebm_model *m;
    int layout;
    int64_t C;
    const uint8_t *x = graph_states(L, &m, &layout, &C);
    double beta = luaL_optnumber(L, 4, 1.0);
    const uint8_t *mask = opt_nodebytes(L, 5, m);
    ebm_pseudo_loglik(m, x, C, layout, beta, mask, ebm_tensor_data(luaT_new(L, EBM_F64, 1, &C)));
    return 1;
}

/* core.suff_stats(g, states, layout[, scale]) -> hist f64 [boff[n]], cooc f64 [toff[nslots]], C
 * (sums over the batch times scale; layouts as the flat biases and tables). */
static int l_suff_stats(lua_State *L) {
    ebm_model *m;
    int layout;
    int64_t C;
    const uint8_t *x = graph_states(L, &m, &layout, &C);
    int64_t nb = m->boff[m->n], nt = m->toff[m->nslots] > 0 ? m->toff[m->nslots] : 1;
    double *h = ebm_tensor_data(luaT_new(L, EBM_F64, 1, &nb));
    double *t = ebm_tensor_data(luaT_new(L, EBM_F64, 1, &nt));
    ebm_suff_stats(m, x, C, layout, h, t);
    double scale = luaL_optnumber(L, 4, 1.0);
    if (scale != 1.0) {
        for (int64_t q = 0; q < nb; q++) h[q] *= scale;
        for (int64_t q = 0; q < nt; q++) t[q] *= scale;
    }
    lua_pushinteger(L, C);
    return 3;
}

/* core.stats_contract(g, slot0, ns, cooc f64 flat, pattern f32 [Ka,Kb]) -> f64 [ns] */
static int l_stats_contract(lua_State *L) {
    ebm_model *m = luaG_checkgraph(L, 1);
    lua_Integer s0 = luaL_checkinteger(L, 2) - 1, ns = luaL_checkinteger(L, 3);
    luaL_argcheck(L, s0 >= 0 && ns >= 0 && s0 + ns <= m->nslots, 2, "slot range out of bounds");
    ebm_tensor *cooc = luaT_checkcontig(L, 4, EBM_F64);
    ebm_tensor *pat = luaT_checkcontig(L, 5, EBM_F32);
    luaL_argcheck(L, ebm_tensor_numel(cooc) >= m->toff[m->nslots], 4, "co-occurrence table too small");
    for (lua_Integer s = s0; s < s0 + ns; s++)
        if ((int64_t)m->ska[s] * m->skb[s] != ebm_tensor_numel(pat)) luaL_argerror(L, 5, "pattern size differs from a slot's table");
    int64_t n = ns;
    ebm_stats_contract(m, (int32_t)s0, (int32_t)ns, ebm_tensor_data(cooc), ebm_tensor_data(pat),
                       ebm_tensor_data(luaT_new(L, EBM_F64, 1, &n)));
    return 1;
}

/* core.exact(g, beta, clamp u8 [n] | nil, x0 u8 [n] | nil, maxstates) -> logz, logp f64 [M],
 * marginals f64 [boff[n]] */
static int l_exact(lua_State *L) {
    ebm_model *m = luaG_checkgraph(L, 1);
    double beta = luaL_optnumber(L, 2, 1.0);
    const uint8_t *clamp = opt_nodebytes(L, 3, m), *x0 = NULL;
    if (clamp) {
        luaL_checktype(L, 4, LUA_TUSERDATA);
        x0 = opt_nodebytes(L, 4, m);
        for (int32_t i = 0; i < m->n; i++)
            if (clamp[i] && x0[i] >= m->K[i]) luaL_argerror(L, 4, "clamped value out of range");
    }
    lua_Integer maxs = luaL_optinteger(L, 5, 1 << 22);
    int64_t M = ebm_exact_nstates(m, clamp, maxs);
    if (M < 0) return luaL_error(L, "exact: more than %d states", (int)maxs);
    int64_t nb = m->boff[m->n];
    double logz;
    double *lp = ebm_tensor_data(luaT_new(L, EBM_F64, 1, &M));
    double *mg = ebm_tensor_data(luaT_new(L, EBM_F64, 1, &nb));
    int rc = ebm_exact(m, beta, clamp, x0, maxs, lp, mg, &logz);
    if (rc) return luaT_error(L, rc, "exact");
    lua_pushnumber(L, logz);
    lua_rotate(L, -3, 1);
    return 3;
}

/* core.exact_count(g, states, layout, clamp u8 [n] | nil, counts f64 [M]): add 1 to counts[q]
 * for each state, q = mixed-radix index of its free nodes (lowest free node least significant,
 * as core.exact). */
static int l_exact_count(lua_State *L) {
    ebm_model *m;
    int layout;
    int64_t C;
    const uint8_t *x = graph_states(L, &m, &layout, &C);
    const uint8_t *clamp = opt_nodebytes(L, 4, m);
    ebm_tensor *cnt = luaT_checkcontig(L, 5, EBM_F64);
    int64_t M = ebm_exact_nstates(m, clamp, ebm_tensor_numel(cnt));
    luaL_argcheck(L, M == ebm_tensor_numel(cnt), 5, "counts must have one entry per free state");
    double *h = ebm_tensor_data(cnt);
    for (int64_t c = 0; c < C; c++) {
        int64_t q = 0, radix = 1;
        for (int32_t i = 0; i < m->n; i++) {
            if (clamp && clamp[i]) continue;
            int v = layout == EBM_CHAINS ? x[(int64_t)i * C + c] : x[c * m->n + i];
            q += v * radix;
            radix *= m->K[i];
        }
        h[q] += 1.0;
    }
    lua_settop(L, 5);
    return 1;
}

void ebm_open_stats(lua_State *L, int mod) {
    static const luaL_Reg fns[] = {
        {"energy", l_energy}, {"conditional", l_conditional}, {"pseudo_loglik", l_pseudo_loglik},
        {"suff_stats", l_suff_stats}, {"stats_contract", l_stats_contract}, {"exact", l_exact}, {"exact_count", l_exact_count}, {NULL, NULL}};
    luaT_setfuncs(L, mod, fns);
}
