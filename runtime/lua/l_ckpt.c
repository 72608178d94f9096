/* l_ckpt.c - checkpoint files for lua/ebm/io/io.lua: core.ckpt_save / core.ckpt_load. */
#include "luaT.h"

#include <string.h>

#include "../ckpt.h"

/* core.ckpt_save(path, meta, {names...}, {tensors...}): the lists are parallel. */
static int l_ckpt_save(lua_State *L) {
    const char *path = luaL_checkstring(L, 1);
    size_t ml;
    const char *meta = luaL_checklstring(L, 2, &ml);
    luaL_checktype(L, 3, LUA_TTABLE);
    luaL_checktype(L, 4, LUA_TTABLE);
    lua_Integer n = luaL_len(L, 3);
    luaL_argcheck(L, n == luaL_len(L, 4), 4, "as many tensors as names expected");
    luaL_argcheck(L, n < 1000000, 3, "too many tensors");
    const char **names = lua_newuserdatauv(L, sizeof(char *) * (size_t)(n + 1), 0);
    const ebm_tensor **ts = lua_newuserdatauv(L, sizeof(ebm_tensor *) * (size_t)(n + 1), 0);
    for (lua_Integer i = 0; i < n; i++) {
        lua_geti(L, 3, i + 1);
        names[i] = lua_tostring(L, -1);
        if (!names[i]) return luaL_argerror(L, 3, "names must be strings");
        lua_pop(L, 1); /* the string stays alive in table 3 */
        lua_geti(L, 4, i + 1);
        ebm_tensor *t = luaT_test(L, -1);
        if (!t || !t->storage) return luaL_argerror(L, 4, lua_pushfstring(L, "entry '%s' is not a live tensor", names[i]));
        ts[i] = t;
        lua_pop(L, 1); /* the tensor stays alive in table 4 */
    }
    char err[512];
    if (ebm_ckpt_save(path, meta, ml, (int)n, names, ts, err, sizeof err)) return luaL_error(L, "%s", err);
    return 0;
}

/* core.ckpt_load(path) -> meta, {names...}, {tensors...} (file order). */
static int l_ckpt_load(lua_State *L) {
    const char *path = luaL_checkstring(L, 1);
    ebm_ckpt ck;
    char err[512];
    if (ebm_ckpt_load(path, &ck, err, sizeof err)) return luaL_error(L, "%s", err);
    lua_pushlstring(L, ck.meta, ck.meta_len);
    lua_createtable(L, ck.n, 0);
    lua_createtable(L, ck.n, 0);
    for (int i = 0; i < ck.n; i++) {
        lua_pushstring(L, ck.items[i].name);
        lua_rawseti(L, -3, i + 1);
        ebm_tensor *t = lua_newuserdatauv(L, sizeof *t, 0);
        *t = ck.items[i].t; /* the userdata takes over the storage */
        memset(&ck.items[i].t, 0, sizeof ck.items[i].t);
        luaL_setmetatable(L, EBM_TENSOR_MT);
        lua_rawseti(L, -2, i + 1);
    }
    ebm_ckpt_free(&ck);
    return 3;
}

void ebm_open_ckpt(lua_State *L, int mod) {
    static const luaL_Reg fns[] = {{"ckpt_save", l_ckpt_save}, {"ckpt_load", l_ckpt_load}, {NULL, NULL}};
    luaT_setfuncs(L, mod, fns);
}
