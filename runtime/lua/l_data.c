/* l_data.c - dataset kernels for lua/ebm/io/data.lua (filter, take, quantize, binarize,
 * shuffles, histogram). Index tensors seen by Lua hold 1-based positions (i32). */
#include "luaT.h"

#include <string.h>

#include "../data_ops.h"

#define IDX_BASE 1 /* Lua's first index; converted to 0-based inside the kernels */

static int64_t checkcount(lua_State *L, int arg) {
    lua_Integer n = luaL_checkinteger(L, arg);
    luaL_argcheck(L, n >= 0 && n <= INT32_MAX, arg, "count must be in 0..2^31-1");
    return (int64_t)n;
}

/* core.data_filter(labels, digits, limit) -> i32 tensor of the 1-based positions whose
 * label is in `digits` (a table of integers 0..255; nil = every label), at most `limit`. */
static int l_filter(lua_State *L) {
    ebm_tensor *lab = luaT_checkcontig(L, 1, EBM_U8);
    luaL_argcheck(L, lab->ndim == 1, 1, "labels must be 1-dimensional");
    luaL_argcheck(L, lab->size[0] <= INT32_MAX, 1, "too many labels");
    uint8_t mask[256];
    memset(mask, lua_isnoneornil(L, 2), sizeof mask);
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        lua_Integer m = luaL_len(L, 2);
        for (lua_Integer i = 1; i <= m; i++) {
            lua_geti(L, 2, i);
            int isint;
            lua_Integer d = lua_tointegerx(L, -1, &isint);
            if (!isint || d < 0 || d > 255) luaL_argerror(L, 2, "digits must be integers in 0..255");
            mask[d] = 1;
            lua_pop(L, 1);
        }
    }
    lua_Integer limit = luaL_optinteger(L, 3, -1);
    int64_t n = lab->size[0];
    ebm_tensor *idx = luaT_new(L, EBM_I32, 1, &n);
    int64_t k = ebm_data_filter(ebm_tensor_data(lab), n, mask, limit, ebm_tensor_data(idx), IDX_BASE);
    if (k < n) ebm_tensor_narrow(idx, 0, 0, k); /* view of the filled prefix */
    return 1;
}

/* Index argument: an i32 1-d tensor or a table of integers; pushes a contiguous i32 tensor
 * (a copy when needed) and returns it. */
static ebm_tensor *checkindex(lua_State *L, int arg) {
    ebm_tensor *t = luaT_test(L, arg);
    if (t) {
        luaT_checkdtype(L, arg, EBM_I32);
        luaL_argcheck(L, t->ndim == 1, arg, "index tensor must be 1-dimensional");
        if (ebm_tensor_is_contiguous(t)) return luaT_pushview(L, t);
        ebm_tensor *c = luaT_new(L, EBM_I32, 1, t->size);
        ebm_tensor_copy(c, t);
        return c;
    }
    luaL_argexpected(L, lua_istable(L, arg), arg, "i32 tensor or table of indices");
    int64_t n = (int64_t)luaL_len(L, arg);
    ebm_tensor *c = luaT_new(L, EBM_I32, 1, &n);
    int32_t *p = ebm_tensor_data(c);
    for (int64_t i = 0; i < n; i++) {
        lua_geti(L, arg, i + 1);
        int isint;
        lua_Integer v = lua_tointegerx(L, -1, &isint);
        if (!isint || v < INT32_MIN || v > INT32_MAX) luaL_argerror(L, arg, "indices must be integers");
        p[i] = (int32_t)v;
        lua_pop(L, 1);
    }
    return c;
}

/* core.data_take(t, idx) -> new tensor [#idx, ...]: row k is t[idx[k]] (1-based, along the
 * first dimension). t: any dtype, contiguous, at least 1-d. */
static int l_take(lua_State *L) {
    ebm_tensor *t = luaT_check(L, 1);
    luaL_argcheck(L, t->ndim >= 1, 1, "tensor must have at least one dimension");
    luaL_argcheck(L, ebm_tensor_is_contiguous(t), 1, "tensor must be contiguous (use :contiguous())");
    ebm_tensor *idx = checkindex(L, 2);
    int64_t size[EBM_MAXDIM];
    memcpy(size, t->size, sizeof size);
    size[0] = idx->size[0];
    ebm_tensor *out = luaT_new(L, t->dtype, t->ndim, size);
    size_t row = ebm_dtype_size(t->dtype);
    for (int d = 1; d < t->ndim; d++) row *= (size_t)t->size[d];
    int64_t bad = ebm_data_gather(ebm_tensor_data(t), t->size[0], row, ebm_tensor_data(idx), idx->size[0], IDX_BASE,
                                  ebm_tensor_data(out));
    if (bad) {
        int32_t v = ((int32_t *)ebm_tensor_data(idx))[bad - 1];
        return luaL_error(L, "take: index %d (at position %I) outside 1..%I", (int)v, (lua_Integer)bad, (lua_Integer)t->size[0]);
    }
    return 1;
}

/* core.data_quantize(t, levels) -> t, in place: v = floor(v * levels / 256). t: u8 contiguous. */
static int l_quantize(lua_State *L) {
    ebm_tensor *t = luaT_checkcontig(L, 1, EBM_U8);
    lua_Integer k = luaL_checkinteger(L, 2);
    luaL_argcheck(L, k >= 2 && k <= 256, 2, "levels must be in 2..256");
    ebm_data_quantize(ebm_tensor_data(t), ebm_tensor_data(t), ebm_tensor_numel(t), (int)k);
    lua_settop(L, 1);
    return 1;
}

/* core.data_binarize(t, seed, ids) -> t, in place: v = 1 with probability v/255 (see
 * data_ops.h for the exact stream). t: u8 contiguous [n, ...]; ids: optional i32 [n] of
 * 1-based image ids (default 1..n). */
static int l_binarize(lua_State *L) {
    ebm_tensor *t = luaT_checkcontig(L, 1, EBM_U8);
    luaL_argcheck(L, t->ndim >= 1, 1, "tensor must have at least one dimension");
    uint64_t seed = (uint64_t)luaL_checkinteger(L, 2);
    const int32_t *ids = NULL;
    if (!lua_isnoneornil(L, 3)) {
        ebm_tensor *it = luaT_checkcontig(L, 3, EBM_I32);
        luaL_argcheck(L, it->ndim == 1 && it->size[0] == t->size[0], 3, "ids must be an i32 tensor with one entry per image");
        ids = ebm_tensor_data(it);
        for (int64_t j = 0; j < it->size[0]; j++)
            if (ids[j] < IDX_BASE) luaL_argerror(L, 3, "ids must be >= 1");
    }
    int64_t n = t->size[0];
    int64_t npix = n ? ebm_tensor_numel(t) / n : 0;
    ebm_data_binarize(ebm_tensor_data(t), ebm_tensor_data(t), n, npix, ids, IDX_BASE, seed);
    lua_settop(L, 1);
    return 1;
}

/* core.data_randperm(n, rng) -> i32 tensor: a random permutation of 1..n. */
static int l_randperm(lua_State *L) {
    int64_t n = checkcount(L, 1);
    ebm_rng *r = luaT_checkrng(L, 2);
    ebm_tensor *out = luaT_new(L, EBM_I32, 1, &n);
    ebm_data_randperm(n, r, ebm_tensor_data(out), IDX_BASE);
    return 1;
}

/* core.data_split_index(n, nvalid, rng) -> train_idx, valid_idx: i32 tensors of ascending
 * 1-based positions; valid is a uniform random subset of size nvalid, train the rest. */
static int l_split_index(lua_State *L) {
    int64_t n = checkcount(L, 1), nv = checkcount(L, 2);
    luaL_argcheck(L, nv <= n, 2, "nvalid must be <= n");
    ebm_rng *r = luaT_checkrng(L, 3);
    int64_t nt = n - nv;
    ebm_tensor *tr = luaT_new(L, EBM_I32, 1, &nt);
    ebm_tensor *va = luaT_new(L, EBM_I32, 1, &nv);
    if (ebm_data_split_index(n, nv, r, ebm_tensor_data(tr), ebm_tensor_data(va), IDX_BASE))
        return luaL_error(L, "split_index: out of memory");
    return 2;
}

/* core.data_histogram(t) -> table h with h[v+1] = number of elements equal to v (0..255). */
static int l_histogram(lua_State *L) {
    ebm_tensor *t = luaT_checkcontig(L, 1, EBM_U8);
    int64_t counts[256];
    ebm_data_histogram(ebm_tensor_data(t), ebm_tensor_numel(t), counts);
    lua_createtable(L, 256, 0);
    for (int v = 0; v < 256; v++) {
        lua_pushinteger(L, (lua_Integer)counts[v]);
        lua_seti(L, -2, v + 1);
    }
    return 1;
}

void ebm_open_data(lua_State *L, int mod) {
    static const luaL_Reg fns[] = {{"data_filter", l_filter},         {"data_take", l_take},
                                   {"data_quantize", l_quantize},     {"data_binarize", l_binarize},
                                   {"data_randperm", l_randperm},     {"data_split_index", l_split_index},
                                   {"data_histogram", l_histogram},   {NULL, NULL}};
    luaT_setfuncs(L, mod, fns);
}
