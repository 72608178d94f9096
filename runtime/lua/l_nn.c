/* l_nn.c - bindings for the classifier kernels (runtime/nn.h). All tensors are contiguous;
 * labels and predictions are 0-based i32 (class numbers, not indices into Lua tables). */
#include "luaT.h"

#include <math.h>

#include "../nn.h"

static float *mat(lua_State *L, int arg, int64_t rows, int64_t cols, int64_t *nrows) {
    ebm_tensor *t = luaT_checkcontig(L, arg, EBM_F32);
    int64_t s[2] = {rows, cols};
    luaT_checkshape(L, arg, t, 2, s);
    if (nrows) *nrows = t->size[0];
    return ebm_tensor_data(t);
}

static float *vec(lua_State *L, int arg, int64_t n) {
    if (lua_isnoneornil(L, arg)) return NULL;
    ebm_tensor *t = luaT_checkcontig(L, arg, EBM_F32);
    if (ebm_tensor_numel(t) != n) luaL_argerror(L, arg, lua_pushfstring(L, "expected %d elements", (int)n));
    return ebm_tensor_data(t);
}

/* core.nn_linear(X [B,in], W [out,in], b [out] or nil, Y [B,out]) -> Y = X W' + b. */
static int l_linear(lua_State *L) {
    ebm_tensor *Wt = luaT_checkcontig(L, 2, EBM_F32);
    luaL_argcheck(L, Wt->ndim == 2, 2, "W must be 2d [out, in]");
    int64_t B, out = Wt->size[0], in = Wt->size[1];
    float *X = mat(L, 1, -1, in, &B);
    float *b = vec(L, 3, out);
    float *Y = mat(L, 4, B, out, NULL);
    ebm_nn_linear(X, (int)B, (int)in, ebm_tensor_data(Wt), b, (int)out, Y);
    lua_settop(L, 4);
    return 1;
}

/* core.nn_linear_backward(X, W, dY, dW, db or nil, dX or nil): dW += dY'X, db += sum dY, dX = dY W. */
static int l_linear_backward(lua_State *L) {
    ebm_tensor *Wt = luaT_checkcontig(L, 2, EBM_F32);
    luaL_argcheck(L, Wt->ndim == 2, 2, "W must be 2d [out, in]");
    int64_t B, out = Wt->size[0], in = Wt->size[1];
    float *X = mat(L, 1, -1, in, &B);
    float *dY = mat(L, 3, B, out, NULL);
    float *dW = mat(L, 4, out, in, NULL);
    float *db = vec(L, 5, out);
    float *dX = lua_isnoneornil(L, 6) ? NULL : mat(L, 6, B, in, NULL);
    ebm_nn_linear_backward(X, (int)B, (int)in, ebm_tensor_data(Wt), (int)out, dY, dW, db, dX);
    return 0;
}

/* core.nn_relu(Y) -> Y (in place). core.nn_relu_backward(Y, dY): zero dY where Y <= 0. */
static int l_relu(lua_State *L) {
    ebm_tensor *t = luaT_checkcontig(L, 1, EBM_F32);
    ebm_nn_relu(ebm_tensor_data(t), ebm_tensor_numel(t));
    lua_settop(L, 1);
    return 1;
}

static int l_relu_backward(lua_State *L) {
    ebm_tensor *y = luaT_checkcontig(L, 1, EBM_F32), *d = luaT_checkcontig(L, 2, EBM_F32);
    luaL_argcheck(L, ebm_tensor_numel(y) == ebm_tensor_numel(d), 2, "size differs from Y");
    ebm_nn_relu_backward(ebm_tensor_data(y), ebm_tensor_data(d), ebm_tensor_numel(y));
    return 0;
}

/* core.nn_softmax_xent(logits [B,C], y i32 [B] or nil, dlogits [B,C] or nil, pred i32 [B] or nil)
 * -> mean loss (nats), number correct. */
static int l_softmax_xent(lua_State *L) {
    ebm_tensor *lt = luaT_checkcontig(L, 1, EBM_F32);
    luaL_argcheck(L, lt->ndim == 2, 1, "logits must be 2d [B, C]");
    int64_t B = lt->size[0], C = lt->size[1];
    const int32_t *y = NULL;
    int32_t *pred = NULL;
    if (!lua_isnoneornil(L, 2)) {
        ebm_tensor *t = luaT_checkcontig(L, 2, EBM_I32);
        luaL_argcheck(L, ebm_tensor_numel(t) == B, 2, "one label per row");
        y = ebm_tensor_data(t);
    }
    float *d = lua_isnoneornil(L, 3) ? NULL : mat(L, 3, B, C, NULL);
    luaL_argcheck(L, !d || y, 3, "gradient needs labels");
    if (!lua_isnoneornil(L, 4)) {
        ebm_tensor *t = luaT_checkcontig(L, 4, EBM_I32);
        luaL_argcheck(L, ebm_tensor_numel(t) == B, 4, "one prediction per row");
        pred = ebm_tensor_data(t);
    }
    int64_t correct = 0;
    double loss = ebm_nn_softmax_xent(ebm_tensor_data(lt), y, (int)B, (int)C, d, &correct, pred);
    if (loss < 0) luaL_argerror(L, 2, "label out of range");
    lua_pushnumber(L, loss);
    lua_pushinteger(L, correct);
    return 2;
}

/* core.nn_moments(F f32 [n,d], mu f64 [d], cov f64 [d,d]). */
static int l_moments(lua_State *L) {
    ebm_tensor *F = luaT_checkcontig(L, 1, EBM_F32);
    luaL_argcheck(L, F->ndim == 2 && F->size[0] >= 2, 1, "need a 2d [n >= 2, d] tensor");
    int64_t n = F->size[0], d = F->size[1];
    ebm_tensor *mu = luaT_checkcontig(L, 2, EBM_F64), *cov = luaT_checkcontig(L, 3, EBM_F64);
    luaL_argcheck(L, ebm_tensor_numel(mu) == d, 2, "mu must have d elements");
    luaL_argcheck(L, ebm_tensor_numel(cov) == d * d, 3, "cov must have d*d elements");
    if (ebm_nn_moments(ebm_tensor_data(F), n, (int)d, ebm_tensor_data(mu), ebm_tensor_data(cov)))
        luaL_error(L, "nn_moments: out of memory");
    return 0;
}

/* core.nn_frechet(mu1, C1, mu2, C2) -> Frechet distance (f64 tensors [d], [d,d]). */
static int l_frechet(lua_State *L) {
    ebm_tensor *m1 = luaT_checkcontig(L, 1, EBM_F64), *c1 = luaT_checkcontig(L, 2, EBM_F64);
    ebm_tensor *m2 = luaT_checkcontig(L, 3, EBM_F64), *c2 = luaT_checkcontig(L, 4, EBM_F64);
    int64_t d = ebm_tensor_numel(m1);
    luaL_argcheck(L, ebm_tensor_numel(c1) == d * d, 2, "C1 must be d x d");
    luaL_argcheck(L, ebm_tensor_numel(m2) == d, 3, "mu2 must have d elements");
    luaL_argcheck(L, ebm_tensor_numel(c2) == d * d, 4, "C2 must be d x d");
    double r = ebm_nn_frechet(ebm_tensor_data(m1), ebm_tensor_data(c1), ebm_tensor_data(m2), ebm_tensor_data(c2), (int)d);
    if (isnan(r)) luaL_error(L, "nn_frechet: eigen-decomposition failed");
    lua_pushnumber(L, r);
    return 1;
}

/* core.nn_u8_scale(v u8, scale, out f32) -> out = v * scale (same element count). */
static int l_u8_scale(lua_State *L) {
    ebm_tensor *v = luaT_checkcontig(L, 1, EBM_U8);
    float s = (float)luaL_checknumber(L, 2);
    ebm_tensor *o = luaT_checkcontig(L, 3, EBM_F32);
    luaL_argcheck(L, ebm_tensor_numel(o) == ebm_tensor_numel(v), 3, "size differs from v");
    ebm_nn_u8_scale(ebm_tensor_data(v), ebm_tensor_numel(v), s, ebm_tensor_data(o));
    lua_settop(L, 3);
    return 1;
}

void ebm_open_nn(lua_State *L, int mod) {
    static const luaL_Reg fns[] = {{"nn_linear", l_linear}, {"nn_linear_backward", l_linear_backward},
                                   {"nn_relu", l_relu}, {"nn_relu_backward", l_relu_backward},
                                   {"nn_softmax_xent", l_softmax_xent}, {"nn_moments", l_moments},
                                   {"nn_frechet", l_frechet}, {"nn_u8_scale", l_u8_scale}, {NULL, NULL}};
    luaT_setfuncs(L, mod, fns);
}
