/* l_knn.c - bindings for the nearest-neighbour kernels (runtime/knn.h). Sets are contiguous
 * f32 [n, d] tensors; results are new tensors. Indices returned to Lua are 1-based. */
#include "luaT.h"

#include "../knn.h"

/* The f32 [n, d] set at `arg`; d must equal *d when *d > 0, else it is set. */
static const float *set_arg(lua_State *L, int arg, int64_t *n, int64_t *d) {
    ebm_tensor *t = luaT_checkcontig(L, arg, EBM_F32);
    luaL_argcheck(L, t->ndim == 2, arg, "expected a 2d [n, d] tensor");
    if (*d > 0 && t->size[1] != *d)
        luaL_argerror(L, arg, lua_pushfstring(L, "rows have %d values, the first set's have %d", (int)t->size[1], (int)*d));
    *n = t->size[0];
    *d = t->size[1];
    return ebm_tensor_data(t);
}

/* core.knn_kth(A [na,d], B [nb,d] or nil, k) -> f32 [na]: squared distance of each row of A
 * to its k-th nearest row of B; B = nil means A itself with each row's own pair left out. */
static int l_kth(lua_State *L) {
    int64_t na, nb, d = 0;
    const float *A = set_arg(L, 1, &na, &d);
    const float *B = A;
    int self = lua_isnoneornil(L, 2);
    nb = na;
    if (!self) B = set_arg(L, 2, &nb, &d);
    lua_Integer k = luaL_checkinteger(L, 3);
    luaL_argcheck(L, k >= 1 && k <= 64, 3, "k must be in 1..64");
    luaL_argcheck(L, nb - self >= k, 3, "fewer candidate rows than k");
    int64_t s[1] = {na};
    ebm_tensor *out = luaT_newraw(L, EBM_F32, 1, s);
    int rc = ebm_knn_kth(A, na, B, nb, d, (int)k, self, ebm_tensor_data(out));
    if (rc) return luaT_error(L, rc, "knn_kth");
    return 1;
}

/* core.knn_covered(A [na,d], B [nb,d], r2 f32 [nb]) -> u8 [na]: 1 where a row of A lies in
 * some ball |x - b_j|^2 <= r2[j]. */
static int l_covered(lua_State *L) {
    int64_t na, nb, d = 0;
    const float *A = set_arg(L, 1, &na, &d);
    const float *B = set_arg(L, 2, &nb, &d);
    ebm_tensor *r = luaT_checkcontig(L, 3, EBM_F32);
    luaL_argcheck(L, ebm_tensor_numel(r) == nb, 3, "one squared radius per row of B");
    int64_t s[1] = {na};
    ebm_tensor *out = luaT_newraw(L, EBM_U8, 1, s);
    int rc = ebm_knn_covered(A, na, B, nb, d, ebm_tensor_data(r), ebm_tensor_data(out));
    if (rc) return luaT_error(L, rc, "knn_covered");
    return 1;
}

/* core.knn_nearest(A [na,d], B [nb,d]) -> i32 [na] (1-based index of the nearest row of B),
 * f32 [na] (its squared distance). */
static int l_nearest(lua_State *L) {
    int64_t na, nb, d = 0;
    const float *A = set_arg(L, 1, &na, &d);
    const float *B = set_arg(L, 2, &nb, &d);
    luaL_argcheck(L, nb >= 1, 2, "B has no rows");
    int64_t s[1] = {na};
    ebm_tensor *idx = luaT_newraw(L, EBM_I32, 1, s);
    ebm_tensor *dist = luaT_newraw(L, EBM_F32, 1, s);
    int64_t *tmp = lua_newuserdatauv(L, sizeof(int64_t) * (size_t)(na > 0 ? na : 1), 0);
    int rc = ebm_knn_nearest(A, na, B, nb, d, tmp, ebm_tensor_data(dist));
    if (rc) return luaT_error(L, rc, "knn_nearest");
    int32_t *ix = ebm_tensor_data(idx);
    for (int64_t i = 0; i < na; i++) ix[i] = (int32_t)(tmp[i] + 1); /* 0-based -> 1-based */
    lua_pop(L, 1);
    return 2;
}

void ebm_open_knn(lua_State *L, int mod) {
    static const luaL_Reg fns[] = {{"knn_kth", l_kth}, {"knn_covered", l_covered}, {"knn_nearest", l_nearest},
                                   {NULL, NULL}};
    luaT_setfuncs(L, mod, fns);
}
