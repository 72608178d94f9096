/* luaT.c - argument checking and userdata plumbing shared by the binding files. */
#include "luaT.h"

#include <limits.h>
#include <string.h>

#define EBM_GC_MIN_BYTES 1024 /* storage at least this big is reported to the collector */

ebm_tensor *luaT_test(lua_State *L, int arg) { return luaL_testudata(L, arg, EBM_TENSOR_MT); }

ebm_tensor *luaT_check(lua_State *L, int arg) {
    ebm_tensor *t = luaL_testudata(L, arg, EBM_TENSOR_MT);
    if (!t) luaL_typeerror(L, arg, "ebm.Tensor");
    if (!t->storage) luaL_argerror(L, arg, "tensor has been freed");
    return t;
}

ebm_tensor *luaT_checkdtype(lua_State *L, int arg, ebm_dtype dt) {
    ebm_tensor *t = luaT_check(L, arg);
    if (t->dtype != dt)
        luaL_argerror(L, arg, lua_pushfstring(L, "expected %s tensor, got %s", ebm_dtype_name(dt), ebm_dtype_name(t->dtype)));
    return t;
}

ebm_tensor *luaT_checkcontig(lua_State *L, int arg, ebm_dtype dt) {
    ebm_tensor *t = luaT_checkdtype(L, arg, dt);
    if (!ebm_tensor_is_contiguous(t)) luaL_argerror(L, arg, "tensor must be contiguous (use :contiguous())");
    return t;
}

const char *luaT_pushshape(lua_State *L, int ndim, const int64_t *s) {
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addchar(&b, '[');
    for (int d = 0; d < ndim; d++) {
        if (d) luaL_addchar(&b, ',');
        if (s[d] < 0) luaL_addchar(&b, '*');
        else lua_pushfstring(L, "%I", (lua_Integer)s[d]), luaL_addvalue(&b);
    }
    luaL_addchar(&b, ']');
    luaL_pushresult(&b);
    return lua_tostring(L, -1);
}

void luaT_checkshape(lua_State *L, int arg, const ebm_tensor *t, int ndim, const int64_t *sizes) {
    int bad = t->ndim != ndim;
    for (int d = 0; !bad && d < ndim; d++)
        if (sizes[d] >= 0 && t->size[d] != sizes[d]) bad = 1;
    if (bad) {
        const char *want = luaT_pushshape(L, ndim, sizes);
        const char *got = luaT_pushshape(L, t->ndim, t->size);
        luaL_argerror(L, arg, lua_pushfstring(L, "expected shape %s, got %s", want, got));
    }
}


static ebm_tensor *new_tensor(lua_State *L, ebm_dtype dt, int ndim, const int64_t *size, int zero) {
    ebm_tensor *t = lua_newuserdatauv(L, sizeof *t, 0);
    memset(t, 0, sizeof *t); /* safe state before anything is allocated */
    luaL_setmetatable(L, EBM_TENSOR_MT);
    int rc = zero ? ebm_tensor_init(t, dt, ndim, size) : ebm_tensor_init_raw(t, dt, ndim, size);
    if (rc) {
        memset(t, 0, sizeof *t);
        if (rc == EBM_ESHAPE) luaL_error(L, "invalid tensor shape %s", luaT_pushshape(L, ndim, size));
        luaL_error(L, "cannot allocate tensor of shape %s (%s)", luaT_pushshape(L, ndim, size), ebm_strerror(rc));
    }
    /* The collector sees only the small userdata; tell it about big storage, or loops that
     * make temporaries (c = a + b) grow memory by gigabytes before a collection runs. The
     * added debt makes the next collection come sooner; it is forgotten afterwards. */
    size_t nbytes = t->storage ? t->storage->nbytes : 0;
    if (nbytes >= EBM_GC_MIN_BYTES) lua_gc(L, LUA_GCSTEP, (int)(nbytes >> 10 > INT_MAX ? INT_MAX : nbytes >> 10));
    return t;
}

ebm_tensor *luaT_new(lua_State *L, ebm_dtype dt, int ndim, const int64_t *size) { return new_tensor(L, dt, ndim, size, 1); }

ebm_tensor *luaT_newraw(lua_State *L, ebm_dtype dt, int ndim, const int64_t *size) { return new_tensor(L, dt, ndim, size, 0); }

ebm_tensor *luaT_pushview(lua_State *L, const ebm_tensor *src) {
    ebm_tensor *t = lua_newuserdatauv(L, sizeof *t, 0);
    memset(t, 0, sizeof *t);
    luaL_setmetatable(L, EBM_TENSOR_MT);
    ebm_tensor_view_of(t, src);
    return t;
}

int luaT_error(lua_State *L, int rc, const char *fname) {
    return luaL_error(L, "%s: %s", fname, ebm_strerror(rc));
}

ebm_rng *luaT_checkrng(lua_State *L, int arg) { return luaL_checkudata(L, arg, EBM_RNG_MT); }

ebm_rng *luaT_pushrng(lua_State *L, uint64_t seed) {
    ebm_rng *r = lua_newuserdatauv(L, sizeof *r, 0);
    ebm_rng_init(r, seed);
    luaL_setmetatable(L, EBM_RNG_MT);
    return r;
}

ebm_dtype luaT_optdtype(lua_State *L, int arg, ebm_dtype def) {
    if (lua_isnoneornil(L, arg)) return def;
    const char *s = luaL_checkstring(L, arg);
    int dt = ebm_dtype_from_name(s);
    if (dt < 0) luaL_argerror(L, arg, lua_pushfstring(L, "unknown dtype '%s' (expected f32, f64, u8 or i32)", s));
    return (ebm_dtype)dt;
}

void luaT_setfuncs(lua_State *L, int mod, const luaL_Reg *fns) {
    mod = lua_absindex(L, mod);
    for (; fns->name; fns++) {
        lua_pushcfunction(L, fns->func);
        lua_setfield(L, mod, fns->name);
    }
}

lua_Integer luaT_optintfield(lua_State *L, int idx, const char *key, lua_Integer def) {
    lua_Integer v = def;
    if (lua_getfield(L, idx, key) != LUA_TNIL) {
        int isint;
        v = lua_tointegerx(L, -1, &isint);
        if (!isint) luaL_error(L, "option '%s' must be an integer", key);
    }
    lua_pop(L, 1);
    return v;
}

lua_Number luaT_optnumfield(lua_State *L, int idx, const char *key, lua_Number def) {
    lua_Number v = def;
    if (lua_getfield(L, idx, key) != LUA_TNIL) {
        int isnum;
        v = lua_tonumberx(L, -1, &isnum);
        if (!isnum) luaL_error(L, "option '%s' must be a number", key);
    }
    lua_pop(L, 1);
    return v;
}
