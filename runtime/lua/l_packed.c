/* l_packed.c - the bit-packed binary Gibbs path: ebm.Packed chain objects, pack / unpack and
 * packed sweeps (runtime/gibbs_packed.h). */
#include "l_graph.h"

#include <stdlib.h>
#include <string.h>

#include "../gibbs_cpu.h"
#include "../gibbs_packed.h"

#define EBM_PACKED_MT "ebm.Packed"

typedef struct {
    int32_t n;       /* nodes */
    int64_t C;       /* chains */
    int64_t nw;      /* words per node (ebm_packed_words(C)) */
    uint64_t *w;     /* [n * nw] packed bits, 64-byte aligned; NULL once freed */
} luaP_packed;

static luaP_packed *checkpacked(lua_State *L, int arg) {
    luaP_packed *p = luaL_checkudata(L, arg, EBM_PACKED_MT);
    if (!p->w) luaL_argerror(L, arg, "packed chains were freed");
    return p;
}

static void checkmodel(lua_State *L, int arg, const ebm_model *m) {
    char err[160];
    if (ebm_packed_check(m, err, sizeof err)) luaL_argerror(L, arg, err);
}

/* core.packed_pack(g, states u8 [n, C]) -> ebm.Packed with the same chains. */
static int l_packed_pack(lua_State *L) {
    ebm_model *m = luaG_checkgraph(L, 1);
    checkmodel(L, 1, m);
    int64_t C;
    const uint8_t *x = luaG_checkstates(L, 2, m, 0, &C);
    luaP_packed *p = lua_newuserdatauv(L, sizeof *p, 0);
    p->w = NULL;
    luaL_setmetatable(L, EBM_PACKED_MT);
    p->n = m->n;
    p->C = C;
    p->nw = ebm_packed_words(C);
    size_t bytes = sizeof(uint64_t) * (size_t)p->nw * (size_t)(m->n > 0 ? m->n : 1);
    p->w = aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!p->w) return luaL_error(L, "packed_pack: out of memory");
    ebm_packed_pack(x, m->n, C, p->w, p->nw);
    return 1;
}

/* Optional path names: nil = auto (the environment, then the fastest), or a string. */
static int checkpath(lua_State *L, int arg, int (*parse)(const char *), const char *what) {
    if (lua_isnoneornil(L, arg)) return 0;
    int v = parse(luaL_checkstring(L, arg));
    if (v < 0) luaL_argerror(L, arg, lua_pushfstring(L, "unknown %s '%s'", what, lua_tostring(L, arg)));
    return v;
}

/* Shared by sweep and sweep_ref: (g, blocks, packed, nsweeps, beta, seed, step, clamp, simd, rng);
 * simd: nil | "auto" | "avx512" | "avx2" | "scalar"; rng: nil | "auto" | "ars" | "philox". */
static int packed_sweep(lua_State *L, int ref) {
    ebm_model *m = luaG_checkgraph(L, 1);
    ebm_blocks *b = luaG_checkblocks(L, 2, m);
    luaP_packed *p = checkpacked(L, 3);
    if (p->n != m->n) luaL_argerror(L, 3, "packed chains have another number of nodes than the model");
    checkmodel(L, 1, m);
    lua_Integer ns = luaL_checkinteger(L, 4);
    luaL_argcheck(L, ns >= 0 && ns <= INT32_MAX, 4, "number of sweeps out of range");
    ebm_packed_opts o;
    memset(&o, 0, sizeof o);
    o.beta = (float)luaL_optnumber(L, 5, 1.0);
    if (!(o.beta >= 0.0f)) luaL_argerror(L, 5, "beta must be >= 0");
    o.seed = (uint64_t)luaL_optinteger(L, 6, 0);
    o.step = (uint64_t)luaL_optinteger(L, 7, 0);
    o.simd = checkpath(L, 9, ebm_simd_parse, "SIMD path (avx512, avx2, scalar)");
    o.rng = checkpath(L, 10, ebm_rng_parse, "generator (ars, philox)");
    if (!lua_isnoneornil(L, 8)) {
        ebm_tensor *t = luaT_checkcontig(L, 8, EBM_U8);
        int64_t k = ebm_tensor_numel(t);
        if (t->ndim == 1 && k == m->n) {
            o.clamp = ebm_tensor_data(t);
        } else if (t->ndim == 2 && t->size[0] == m->n && t->size[1] == p->C) {
            uint64_t *cb = lua_newuserdatauv(L, sizeof(uint64_t) * (size_t)(p->nw * m->n + 1), 0);
            ebm_packed_pack(ebm_tensor_data(t), m->n, p->C, cb, p->nw);
            o.clamp_pc = cb;
        } else {
            luaL_argerror(L, 8, lua_pushfstring(L, "clamp mask must be u8 [%d] or [%d, %d]", (int)m->n, (int)m->n, (int)p->C));
        }
    }
    int rc = ref ? ebm_packed_sweeps_ref(m, b, p->w, p->nw, (int32_t)ns, &o)
                 : ebm_packed_sweeps(m, b, p->w, p->nw, (int32_t)ns, &o);
    if (rc == EBM_ERANGE) {
        int rng = ebm_rng_pick(o.rng);
        return luaL_error(L, "packed_sweep: this CPU cannot run the %s path with the %s generator",
                          ebm_simd_name(ebm_simd_pick(o.simd, rng)), ebm_rng_name(rng));
    }
    if (rc) return luaL_error(L, "packed_sweep: out of memory");
    lua_settop(L, 3);
    return 1;
}

/* core.packed_sweep(g, blocks, packed, nsweeps, beta, seed, step, clamp, simd, rng) -> packed
 * (in place). */
static int l_packed_sweep(lua_State *L) { return packed_sweep(L, 0); }
/* core.packed_sweep_ref(...): the same with the scalar reference kernel (tests). */
static int l_packed_sweep_ref(lua_State *L) { return packed_sweep(L, 1); }

/* p:unpack([x]) -> u8 [n, C] (into x when given, which must be u8 [n, C] contiguous). */
static int l_unpack(lua_State *L) {
    luaP_packed *p = checkpacked(L, 1);
    ebm_tensor *x;
    if (lua_isnoneornil(L, 2)) {
        int64_t size[2] = {p->n, p->C};
        x = luaT_newraw(L, EBM_U8, 2, size);
    } else {
        x = luaT_checkcontig(L, 2, EBM_U8);
        if (x->ndim != 2 || x->size[0] != p->n || x->size[1] != p->C)
            luaL_argerror(L, 2, lua_pushfstring(L, "expected u8 [%d, %d]", (int)p->n, (int)p->C));
        lua_settop(L, 2);
    }
    ebm_packed_unpack(p->w, p->n, p->C, p->nw, ebm_tensor_data(x));
    return 1;
}

/* p:repack(x): overwrite the chains from u8 [n, C] (no allocation). */
static int l_repack(lua_State *L) {
    luaP_packed *p = checkpacked(L, 1);
    ebm_tensor *x = luaT_checkcontig(L, 2, EBM_U8);
    if (x->ndim != 2 || x->size[0] != p->n || x->size[1] != p->C)
        luaL_argerror(L, 2, lua_pushfstring(L, "expected u8 [%d, %d]", (int)p->n, (int)p->C));
    ebm_packed_pack(ebm_tensor_data(x), p->n, p->C, p->w, p->nw);
    lua_settop(L, 1);
    return 1;
}

/* core.simd_path([simd[, rng]]) -> simd, rng, runs: the path and generator a packed or u8 sweep with
 * these options uses (names), and whether this CPU can run them. */
static int l_simd_path(lua_State *L) {
    int simd = checkpath(L, 1, ebm_simd_parse, "SIMD path (avx512, avx2, scalar)");
    int rng = ebm_rng_pick(checkpath(L, 2, ebm_rng_parse, "generator (ars, philox)"));
    simd = ebm_simd_pick(simd, rng);
    lua_pushstring(L, ebm_simd_name(simd));
    lua_pushstring(L, ebm_rng_name(rng));
    lua_pushboolean(L, ebm_simd_runs(simd, rng));
    return 3;
}

/* core.packed_table_entries(g) -> the threshold-table entries a wide packed sweep builds for
 * this model's current parameters (sum of 2^neighbours over its nodes), 0 when the model is
 * not on the wide path. */
static int l_packed_table_entries(lua_State *L) {
    lua_pushinteger(L, (lua_Integer)ebm_packed_wide_entries(luaG_checkgraph(L, 1)));
    return 1;
}

static int l_nchains(lua_State *L) { lua_pushinteger(L, checkpacked(L, 1)->C); return 1; }
static int l_nnodes(lua_State *L) { lua_pushinteger(L, checkpacked(L, 1)->n); return 1; }
static int l_words(lua_State *L) { lua_pushinteger(L, checkpacked(L, 1)->nw); return 1; }

static int l_free(lua_State *L) {
    luaP_packed *p = luaL_checkudata(L, 1, EBM_PACKED_MT);
    free(p->w);
    p->w = NULL;
    return 0;
}

static int l_tostring(lua_State *L) {
    luaP_packed *p = luaL_checkudata(L, 1, EBM_PACKED_MT);
    lua_pushfstring(L, "ebm.Packed(%d nodes, %d chains)", (int)p->n, (int)p->C);
    return 1;
}

void ebm_open_packed(lua_State *L, int mod) {
    static const luaL_Reg meth[] = {{"unpack", l_unpack}, {"repack", l_repack}, {"nchains", l_nchains},
                                    {"nodes", l_nnodes},  {"words", l_words},   {"free", l_free},
                                    {NULL, NULL}};
    if (luaL_newmetatable(L, EBM_PACKED_MT)) {
        luaL_newlib(L, meth);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, l_free);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, l_tostring);
        lua_setfield(L, -2, "__tostring");
    }
    lua_pop(L, 1);
    static const luaL_Reg fns[] = {{"packed_pack", l_packed_pack}, {"packed_sweep", l_packed_sweep},
                                   {"packed_sweep_ref", l_packed_sweep_ref}, {"simd_path", l_simd_path},
                                   {"packed_table_entries", l_packed_table_entries},
                                   {NULL, NULL}};
    luaT_setfuncs(L, mod, fns);
}
