/* l_tensor.c - ebm.Tensor userdata: construction, shape queries, views, element access,
 * copy and conversion. Arithmetic, reductions and I/O live in other binding files and add
 * their methods to the same metatable through ebm_tensor_methods(). */
#include "luaT.h"

#include <string.h>

/* Read sizes either as integers from `arg` onwards or as one table at `arg`. */
static int read_sizes(lua_State *L, int arg, int64_t *size) {
    int top = lua_gettop(L), ndim = 0;
    if (lua_istable(L, arg)) {
        ndim = (int)luaL_len(L, arg);
        luaL_argcheck(L, ndim <= EBM_MAXDIM, arg, "too many dimensions");
        for (int d = 0; d < ndim; d++) {
            lua_geti(L, arg, d + 1);
            int isint;
            lua_Integer v = lua_tointegerx(L, -1, &isint);
            luaL_argcheck(L, isint && v >= 0, arg, "sizes must be non-negative integers");
            size[d] = v;
            lua_pop(L, 1);
        }
        return ndim;
    }
    for (int a = arg; a <= top && lua_type(L, a) == LUA_TNUMBER; a++) {
        luaL_argcheck(L, ndim < EBM_MAXDIM, a, "too many dimensions");
        lua_Integer v = luaL_checkinteger(L, a);
        luaL_argcheck(L, v >= 0, a, "size must be non-negative");
        size[ndim++] = v;
    }
    return ndim;
}

/* core.tensor_new(dtype, sizes...) or core.tensor_new(dtype, {sizes}) -> zero tensor. */
static int t_new(lua_State *L) {
    ebm_dtype dt = luaT_optdtype(L, 1, EBM_F32);
    int64_t size[EBM_MAXDIM];
    int ndim = read_sizes(L, 2, size);
    luaT_new(L, dt, ndim, size);
    return 1;
}

/* Fill a fresh tensor from a nested Lua table of numbers: core.tensor_from(dtype, tbl). */
static void nested_shape(lua_State *L, int idx, int *ndim, int64_t *size) {
    *ndim = 0;
    lua_pushvalue(L, idx);
    while (lua_istable(L, -1)) {
        luaL_argcheck(L, *ndim < EBM_MAXDIM, 2, "table nested too deeply");
        size[(*ndim)++] = (int64_t)luaL_len(L, -1);
        if (size[*ndim - 1] == 0) break;
        lua_geti(L, -1, 1);
        lua_remove(L, -2);
    }
    lua_pop(L, 1);
}

static void nested_fill(lua_State *L, int idx, ebm_tensor *t, int d, int64_t *ix) {
    int64_t n = (int64_t)luaL_len(L, idx);
    if (n != t->size[d]) luaL_error(L, "ragged table: dimension %d has sizes %I and %I", d + 1, (lua_Integer)t->size[d], (lua_Integer)n);
    for (int64_t i = 0; i < n; i++) {
        lua_geti(L, idx, i + 1);
        ix[d] = i;
        if (d + 1 < t->ndim) {
            if (!lua_istable(L, -1)) luaL_error(L, "ragged table: expected a table at depth %d", d + 2);
            nested_fill(L, lua_gettop(L), t, d + 1, ix);
        } else {
            int isnum;
            lua_Number v = lua_tonumberx(L, -1, &isnum);
            if (!isnum) luaL_error(L, "tensor data must be numbers (got %s)", luaL_typename(L, -1));
            ebm_tensor_set(t, ix, v);
        }
        lua_pop(L, 1);
    }
}

static int t_from(lua_State *L) {
    ebm_dtype dt = luaT_optdtype(L, 1, EBM_F32);
    luaL_checktype(L, 2, LUA_TTABLE);
    int ndim;
    int64_t size[EBM_MAXDIM], ix[EBM_MAXDIM];
    nested_shape(L, 2, &ndim, size);
    ebm_tensor *t = luaT_new(L, dt, ndim, size);
    if (ebm_tensor_numel(t) > 0) nested_fill(L, 2, t, 0, ix);
    return 1;
}

static int t_istensor(lua_State *L) {
    lua_pushboolean(L, luaT_test(L, 1) != NULL);
    return 1;
}

/* t:size() -> table of sizes; t:size(d) -> size of dim d (1-based). */
static int t_size(lua_State *L) {
    ebm_tensor *t = luaT_check(L, 1);
    if (!lua_isnoneornil(L, 2)) {
        lua_Integer d = luaL_checkinteger(L, 2);
        luaL_argcheck(L, d >= 1 && d <= t->ndim, 2, "dimension out of range");
        lua_pushinteger(L, (lua_Integer)t->size[d - 1]);
        return 1;
    }
    lua_createtable(L, t->ndim, 0);
    for (int d = 0; d < t->ndim; d++) {
        lua_pushinteger(L, (lua_Integer)t->size[d]);
        lua_rawseti(L, -2, d + 1);
    }
    return 1;
}

static int t_stride(lua_State *L) {
    ebm_tensor *t = luaT_check(L, 1);
    lua_createtable(L, t->ndim, 0);
    for (int d = 0; d < t->ndim; d++) {
        lua_pushinteger(L, (lua_Integer)t->stride[d]);
        lua_rawseti(L, -2, d + 1);
    }
    return 1;
}

static int t_dim(lua_State *L) {
    lua_pushinteger(L, luaT_check(L, 1)->ndim);
    return 1;
}

static int t_numel(lua_State *L) {
    lua_pushinteger(L, (lua_Integer)ebm_tensor_numel(luaT_check(L, 1)));
    return 1;
}

/* #t: size of the first dimension (numel for a scalar). */
static int t_len(lua_State *L) {
    ebm_tensor *t = luaT_check(L, 1);
    lua_pushinteger(L, (lua_Integer)(t->ndim ? t->size[0] : 1));
    return 1;
}

static int t_dtype(lua_State *L) {
    lua_pushstring(L, ebm_dtype_name(luaT_check(L, 1)->dtype));
    return 1;
}

static int t_is_contiguous(lua_State *L) {
    lua_pushboolean(L, ebm_tensor_is_contiguous(luaT_check(L, 1)));
    return 1;
}

/* Two tensors share storage? (for tests of views) */
static int t_shares_storage(lua_State *L) {
    ebm_tensor *a = luaT_check(L, 1), *b = luaT_check(L, 2);
    lua_pushboolean(L, a->storage == b->storage);
    return 1;
}

/* Read a 1-based index list at stack positions [arg, arg+ndim) into 0-based idx. */
static void read_index(lua_State *L, ebm_tensor *t, int arg, int64_t *idx) {
    for (int d = 0; d < t->ndim; d++) {
        lua_Integer i = luaL_checkinteger(L, arg + d);
        if (i < 1 || i > t->size[d])
            luaL_argerror(L, arg + d, lua_pushfstring(L, "index %I out of range [1, %I] for dimension %d", i, (lua_Integer)t->size[d], d + 1));
        idx[d] = i - 1;
    }
}

/* t:get(i, j, ...) -> number; exactly ndim 1-based indices. */
static int t_get(lua_State *L) {
    ebm_tensor *t = luaT_check(L, 1);
    int nidx = lua_gettop(L) - 1;
    if (nidx != t->ndim) return luaL_error(L, "get: expected %d indices for a %d-d tensor, got %d", t->ndim, t->ndim, nidx);
    int64_t idx[EBM_MAXDIM];
    read_index(L, t, 2, idx);
    double v = ebm_tensor_get(t, idx);
    if (t->dtype == EBM_U8 || t->dtype == EBM_I32) lua_pushinteger(L, (lua_Integer)v);
    else lua_pushnumber(L, v);
    return 1;
}

/* t:set(i, j, ..., value) -> t. */
static int t_set(lua_State *L) {
    ebm_tensor *t = luaT_check(L, 1);
    int nidx = lua_gettop(L) - 2;
    if (nidx != t->ndim) return luaL_error(L, "set: expected %d indices and a value, got %d arguments", t->ndim, nidx + 1);
    int64_t idx[EBM_MAXDIM];
    read_index(L, t, 2, idx);
    ebm_tensor_set(t, idx, luaL_checknumber(L, 2 + nidx));
    lua_settop(L, 1);
    return 1;
}

static int checkdim(lua_State *L, ebm_tensor *t, int arg) {
    lua_Integer d = luaL_checkinteger(L, arg);
    if (d < 0) d += t->ndim + 1; /* -1 = last dimension */
    if (d < 1 || d > t->ndim) luaL_argerror(L, arg, lua_pushfstring(L, "dimension %I out of range for a %d-d tensor", luaL_checkinteger(L, arg), t->ndim));
    return (int)d - 1;
}

/* t:narrow(dim, start, len) -> view (1-based start). */
static int t_narrow(lua_State *L) {
    ebm_tensor *t = luaT_check(L, 1);
    int d = checkdim(L, t, 2);
    lua_Integer start = luaL_checkinteger(L, 3), len = luaL_checkinteger(L, 4);
    if (start < 1 || len < 0 || start - 1 + len > t->size[d])
        return luaL_error(L, "narrow: range [%I, %I] out of bounds for dimension %d of size %I", start, start + len - 1, d + 1, (lua_Integer)t->size[d]);
    ebm_tensor *v = luaT_pushview(L, t);
    ebm_tensor_narrow(v, d, start - 1, len);
    return 1;
}

/* t:select(dim, index) -> view with dim removed. */
static int t_select(lua_State *L) {
    ebm_tensor *t = luaT_check(L, 1);
    int d = checkdim(L, t, 2);
    lua_Integer i = luaL_checkinteger(L, 3);
    if (i < 1 || i > t->size[d])
        return luaL_error(L, "select: index %I out of range [1, %I] for dimension %d", i, (lua_Integer)t->size[d], d + 1);
    ebm_tensor *v = luaT_pushview(L, t);
    ebm_tensor_select(v, d, i - 1);
    return 1;
}

/* t:transpose(d0, d1) -> view; t:t() for 2-d. */
static int t_transpose(lua_State *L) {
    ebm_tensor *t = luaT_check(L, 1);
    int d0, d1;
    if (lua_isnoneornil(L, 2)) {
        if (t->ndim != 2) return luaL_error(L, "t(): tensor must be 2-d (got %d-d); use transpose(d0, d1)", t->ndim);
        d0 = 0, d1 = 1;
    } else {
        d0 = checkdim(L, t, 2);
        d1 = checkdim(L, t, 3);
    }
    ebm_tensor *v = luaT_pushview(L, t);
    ebm_tensor_transpose(v, d0, d1);
    return 1;
}

/* t:view(sizes...) -> view of a contiguous tensor with a new shape (one size may be -1). */
static int t_view(lua_State *L) {
    ebm_tensor *t = luaT_check(L, 1);
    int64_t size[EBM_MAXDIM];
    int ndim = 0;
    if (lua_istable(L, 2)) {
        ndim = (int)luaL_len(L, 2);
        luaL_argcheck(L, ndim <= EBM_MAXDIM, 2, "too many dimensions");
        for (int d = 0; d < ndim; d++) {
            lua_geti(L, 2, d + 1);
            size[d] = luaL_checkinteger(L, -1);
            lua_pop(L, 1);
        }
    } else {
        for (int a = 2; a <= lua_gettop(L); a++) {
            luaL_argcheck(L, ndim < EBM_MAXDIM, a, "too many dimensions");
            size[ndim++] = luaL_checkinteger(L, a);
        }
    }
    if (!ebm_tensor_is_contiguous(t)) return luaL_error(L, "view: tensor is not contiguous (use :contiguous() or :reshape())");
    ebm_tensor *v = luaT_pushview(L, t);
    if (ebm_tensor_reshape(v, ndim, size) != EBM_OK)
        return luaL_error(L, "view: cannot view %I elements with the requested shape", (lua_Integer)ebm_tensor_numel(t));
    return 1;
}

/* t:clone([dtype]) -> contiguous copy. */
static int t_clone(lua_State *L) {
    ebm_tensor *t = luaT_check(L, 1);
    ebm_dtype dt = luaT_optdtype(L, 2, t->dtype);
    ebm_tensor *c = luaT_new(L, dt, t->ndim, t->size);
    ebm_tensor_copy(c, t);
    return 1;
}

/* t:contiguous() -> t itself if contiguous, else a contiguous copy. */
static int t_contiguous(lua_State *L) {
    ebm_tensor *t = luaT_check(L, 1);
    if (ebm_tensor_is_contiguous(t)) {
        lua_settop(L, 1);
        return 1;
    }
    ebm_tensor *c = luaT_new(L, t->dtype, t->ndim, t->size);
    ebm_tensor_copy(c, t);
    return 1;
}

/* t:to(dtype) -> t itself when already that dtype, else a converted copy. */
static int t_to(lua_State *L) {
    ebm_tensor *t = luaT_check(L, 1);
    ebm_dtype dt = luaT_optdtype(L, 2, t->dtype);
    if (dt == t->dtype) {
        lua_settop(L, 1);
        return 1;
    }
    ebm_tensor *c = luaT_new(L, dt, t->ndim, t->size);
    ebm_tensor_copy(c, t);
    return 1;
}

/* dst:copy(src) -> dst; same number of elements, any dtypes. */
static int t_copy(lua_State *L) {
    ebm_tensor *d = luaT_check(L, 1), *s = luaT_check(L, 2);
    if (ebm_tensor_numel(d) != ebm_tensor_numel(s))
        return luaL_error(L, "copy: element counts differ (%I vs %I)", (lua_Integer)ebm_tensor_numel(d), (lua_Integer)ebm_tensor_numel(s));
    int rc = ebm_tensor_copy(d, s);
    if (rc) return luaT_error(L, rc, "copy");
    lua_settop(L, 1);
    return 1;
}

static int t_fill(lua_State *L) {
    ebm_tensor *t = luaT_check(L, 1);
    ebm_tensor_fill(t, luaL_checknumber(L, 2));
    lua_settop(L, 1);
    return 1;
}

static int t_zero(lua_State *L) {
    ebm_tensor *t = luaT_check(L, 1);
    ebm_tensor_fill(t, 0.0);
    lua_settop(L, 1);
    return 1;
}

/* t:totable() -> nested Lua table of the values. */
static void push_table(lua_State *L, ebm_tensor *t, int d, int64_t *ix) {
    if (d == t->ndim) {
        double v = ebm_tensor_get(t, ix);
        if (t->dtype == EBM_U8 || t->dtype == EBM_I32) lua_pushinteger(L, (lua_Integer)v);
        else lua_pushnumber(L, v);
        return;
    }
    lua_createtable(L, (int)t->size[d], 0);
    for (int64_t i = 0; i < t->size[d]; i++) {
        ix[d] = i;
        push_table(L, t, d + 1, ix);
        lua_rawseti(L, -2, i + 1);
    }
}

static int t_totable(lua_State *L) {
    ebm_tensor *t = luaT_check(L, 1);
    int64_t ix[EBM_MAXDIM] = {0};
    luaL_checkstack(L, t->ndim + 4, "tensor too deep");
    push_table(L, t, 0, ix);
    return 1;
}

static int t_gc(lua_State *L) {
    ebm_tensor *t = luaL_checkudata(L, 1, EBM_TENSOR_MT);
    ebm_tensor_release(t);
    return 0;
}

static const luaL_Reg tensor_methods[] = {
    {"size", t_size}, {"stride", t_stride}, {"dim", t_dim}, {"numel", t_numel}, {"dtype", t_dtype},
    {"type", t_dtype}, {"is_contiguous", t_is_contiguous}, {"shares_storage", t_shares_storage},
    {"get", t_get}, {"set", t_set}, {"narrow", t_narrow}, {"select", t_select},
    {"transpose", t_transpose}, {"t", t_transpose}, {"view", t_view}, {"reshape", NULL},
    {"clone", t_clone}, {"contiguous", t_contiguous}, {"to", t_to}, {"copy", t_copy},
    {"fill", t_fill}, {"zero", t_zero}, {"totable", t_totable}, {"free", t_gc}, {NULL, NULL}};

/* t:reshape(sizes...) -> a view when contiguous, else a reshaped copy. */
static int t_reshape(lua_State *L) {
    ebm_tensor *t = luaT_check(L, 1);
    if (!ebm_tensor_is_contiguous(t)) {
        ebm_tensor *c = luaT_new(L, t->dtype, t->ndim, t->size);
        ebm_tensor_copy(c, t);
        lua_replace(L, 1);
    }
    return t_view(L);
}

/* Push the method table shared by all tensor binding files (created on first use). */
void ebm_tensor_methods(lua_State *L) {
    if (luaL_newmetatable(L, EBM_TENSOR_MT)) {
        lua_newtable(L);
        lua_setfield(L, -2, "__index");
    }
    lua_getfield(L, -1, "__index");
    lua_remove(L, -2);
}

void ebm_open_tensor(lua_State *L, int mod) {
    if (luaL_newmetatable(L, EBM_TENSOR_MT)) {
        lua_newtable(L);
        lua_setfield(L, -2, "__index");
    }
    lua_getfield(L, -1, "__index");
    for (const luaL_Reg *r = tensor_methods; r->name; r++) {
        lua_pushcfunction(L, r->func ? r->func : t_reshape);
        lua_setfield(L, -2, r->name);
    }
    lua_pop(L, 1);
    lua_pushcfunction(L, t_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, t_gc);
    lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, t_len);
    lua_setfield(L, -2, "__len");
    lua_pushliteral(L, "ebm.Tensor");
    lua_setfield(L, -2, "__name");
    lua_pop(L, 1);
    static const luaL_Reg fns[] = {{"tensor_new", t_new}, {"tensor_from", t_from}, {"is_tensor", t_istensor}, {NULL, NULL}};
    luaT_setfuncs(L, mod, fns);
}
