/* l_rng.c - ebm.Rng: Philox4x32-10 generator objects. */
#include "luaT.h"

#include <inttypes.h>
#include <stdio.h>

/* core.rng(seed) -> generator. Seeds are integers (64-bit; negative values wrap). */
static int rng_new(lua_State *L) {
    lua_Integer seed = luaL_optinteger(L, 1, 0);
    luaT_pushrng(L, (uint64_t)seed);
    return 1;
}

/* g:split(id) -> an independent child generator for stream `id` (a chain, a step...). */
static int rng_split(lua_State *L) {
    ebm_rng *r = luaT_checkrng(L, 1);
    lua_Integer id = luaL_checkinteger(L, 2);
    ebm_rng *c = luaT_pushrng(L, 0);
    ebm_rng_split(r, (uint64_t)id, c);
    return 1;
}

/* g:uniform() -> [0,1); g:uniform(n) -> integer in [1,n]; g:uniform(a,b) -> [a,b). */
static int rng_uniform(lua_State *L) {
    ebm_rng *r = luaT_checkrng(L, 1);
    int n = lua_gettop(L);
    if (n == 1) {
        lua_pushnumber(L, ebm_rng_uniform(r));
    } else if (n == 2) {
        lua_Integer m = luaL_checkinteger(L, 2);
        luaL_argcheck(L, m >= 1, 2, "upper bound must be >= 1");
        lua_pushinteger(L, (lua_Integer)ebm_rng_below(r, (uint64_t)m) + 1);
    } else {
        double a = luaL_checknumber(L, 2), b = luaL_checknumber(L, 3);
        lua_pushnumber(L, a + (b - a) * ebm_rng_uniform(r));
    }
    return 1;
}

static int rng_normal(lua_State *L) {
    ebm_rng *r = luaT_checkrng(L, 1);
    double mean = luaL_optnumber(L, 2, 0.0), sd = luaL_optnumber(L, 3, 1.0);
    lua_pushnumber(L, mean + sd * ebm_rng_normal(r));
    return 1;
}

/* g:u32() -> a raw 32-bit word. */
static int rng_u32(lua_State *L) {
    lua_pushinteger(L, ebm_rng_u32(luaT_checkrng(L, 1)));
    return 1;
}

/* g:state() -> seed, stream, pos (for checkpoints); g:set_state(seed, stream, pos). */
static int rng_state(lua_State *L) {
    ebm_rng *r = luaT_checkrng(L, 1);
    lua_pushinteger(L, (lua_Integer)r->seed);
    lua_pushinteger(L, (lua_Integer)r->stream);
    lua_pushinteger(L, (lua_Integer)r->pos);
    return 3;
}

static int rng_set_state(lua_State *L) {
    ebm_rng *r = luaT_checkrng(L, 1);
    r->seed = (uint64_t)luaL_checkinteger(L, 2);
    r->stream = (uint64_t)luaL_checkinteger(L, 3);
    r->pos = (uint64_t)luaL_checkinteger(L, 4);
    lua_settop(L, 1);
    return 1;
}

static int rng_clone(lua_State *L) {
    ebm_rng *r = luaT_checkrng(L, 1);
    ebm_rng *c = luaT_pushrng(L, 0);
    *c = *r;
    return 1;
}

static int rng_tostring(lua_State *L) {
    ebm_rng *r = luaT_checkrng(L, 1);
    char buf[128];
    snprintf(buf, sizeof buf, "ebm.Rng(seed=%" PRIu64 ", stream=%" PRIu64 ", pos=%" PRIu64 ")", r->seed, r->stream, r->pos);
    lua_pushstring(L, buf);
    return 1;
}

static const luaL_Reg rng_methods[] = {
    {"split", rng_split}, {"uniform", rng_uniform}, {"normal", rng_normal}, {"u32", rng_u32},
    {"state", rng_state}, {"set_state", rng_set_state}, {"clone", rng_clone}, {NULL, NULL}};

void ebm_open_rng(lua_State *L, int mod) {
    luaL_newmetatable(L, EBM_RNG_MT);
    luaL_newlib(L, rng_methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, rng_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushliteral(L, "ebm.Rng");
    lua_setfield(L, -2, "__name");
    lua_pop(L, 1);
    static const luaL_Reg fns[] = {{"rng", rng_new}, {NULL, NULL}};
    luaT_setfuncs(L, mod, fns);
}
