/* l_rbm.c - bindings for the dense RBM kernels (runtime/rbm.h).
 *
 * A model is passed as a Lua table {W=, b=, c=, nv=, K=, nl=} with contiguous f32 tensors
 * W [nh, D], b [D], c [nh] (D = nv*(K-1) + nl). Batches are contiguous f32 [B, D] / [B, nh].
 * Integers from Lua (seed, step, chain0) are taken as given; no index conversion happens here
 * because none of these functions takes an index.
 */
#include "luaT.h"

#include <math.h>
#include <string.h>

#include "../rbm.h"

/* Tensor field `key` of the table at idx: contiguous f32 with ndim dims. */
static ebm_tensor *field_tensor(lua_State *L, int idx, const char *key, int ndim) {
    lua_getfield(L, idx, key);
    ebm_tensor *t = luaT_test(L, -1);
    if (!t || !t->storage || t->dtype != EBM_F32 || !ebm_tensor_is_contiguous(t) || t->ndim != ndim)
        luaL_error(L, "model.%s must be a contiguous %dd f32 tensor", key, ndim);
    lua_pop(L, 1); /* the model table keeps it alive */
    return t;
}

/* Read the model table at `arg` into *m (borrowing its tensors). */
static void check_model(lua_State *L, int arg, ebm_rbm *m) {
    luaL_checktype(L, arg, LUA_TTABLE);
    memset(m, 0, sizeof *m);
    m->nv = (int)luaT_optintfield(L, arg, "nv", -1);
    m->K = (int)luaT_optintfield(L, arg, "K", 2);
    m->nl = (int)luaT_optintfield(L, arg, "nl", 0);
    ebm_tensor *W = field_tensor(L, arg, "W", 2), *b = field_tensor(L, arg, "b", 1), *c = field_tensor(L, arg, "c", 1);
    m->nh = (int)W->size[0];
    if (ebm_rbm_setup(m)) luaL_argerror(L, arg, "bad model dims (need nv >= 1, 2 <= K <= 256, nl >= 0)");
    if (W->size[1] != m->D || b->size[0] != m->D || c->size[0] != m->nh)
        luaL_argerror(L, arg, lua_pushfstring(L, "model tensors disagree: W [%d,%d], b [%d], c [%d], D = %d",
                                              (int)W->size[0], (int)W->size[1], (int)b->size[0], (int)c->size[0], m->D));
    m->W = ebm_tensor_data(W), m->b = ebm_tensor_data(b), m->c = ebm_tensor_data(c);
}

/* A contiguous f32 [rows, cols] tensor at arg; rows < 0 = any. Returns its row count. */
static float *check_mat(lua_State *L, int arg, int64_t rows, int64_t cols, int *B) {
    ebm_tensor *t = luaT_checkcontig(L, arg, EBM_F32);
    int64_t s[2] = {rows, cols};
    luaT_checkshape(L, arg, t, 2, s);
    if (B) *B = (int)t->size[0];
    return ebm_tensor_data(t);
}

/* core.rbm_hidden_probs(model, x [B,D], out [B,nh] [, beta=1]) -> out: sigmoid(beta (xW'+c)). */
static int l_hidden_probs(lua_State *L) {
    ebm_rbm m;
    int B;
    check_model(L, 1, &m);
    float *x = check_mat(L, 2, -1, m.D, &B);
    float *p = check_mat(L, 3, B, m.nh, NULL);
    ebm_rbm_hidden_probs(&m, x, B, (float)luaL_optnumber(L, 4, 1.0), p);
    lua_settop(L, 3);
    return 1;
}

/* Argument `arg`: a contiguous f32 tensor of n elements (any shape); `msg` names the rule. */
static float *check_vec(lua_State *L, int arg, int64_t n, const char *msg) {
    ebm_tensor *t = luaT_checkcontig(L, arg, EBM_F32);
    if (ebm_tensor_numel(t) != n) luaL_argerror(L, arg, msg);
    return ebm_tensor_data(t);
}

static const float *check_base(lua_State *L, int arg, const ebm_rbm *m) {
    return check_vec(L, arg, m->D, "base must have D elements");
}

/* core.rbm_hidden_act(model, x [B,D], out [B,nh]) -> out = x W' + c. */
static int l_hidden_act(lua_State *L) {
    ebm_rbm m;
    int B;
    check_model(L, 1, &m);
    float *x = check_mat(L, 2, -1, m.D, &B);
    float *p = check_mat(L, 3, B, m.nh, NULL);
    ebm_rbm_hidden_act(&m, x, B, p);
    lua_settop(L, 3);
    return 1;
}

/* core.rbm_visible_probs(model, h [B,nh], out [B,D] [, beta=1, base=nil, clamp_labels=false]). */
static int l_visible_probs(lua_State *L) {
    ebm_rbm m;
    int B;
    check_model(L, 1, &m);
    float *h = check_mat(L, 2, -1, m.nh, &B);
    float *p = check_mat(L, 3, B, m.D, NULL);
    float beta = (float)luaL_optnumber(L, 4, 1.0);
    const float *base = lua_isnoneornil(L, 5) ? NULL : check_base(L, 5, &m);
    ebm_rbm_visible_probs(&m, h, B, beta, base, lua_toboolean(L, 6), p);
    lua_settop(L, 3);
    return 1;
}

/* core.rbm_sample_hidden(p [B,n], out [B,n], seed, step [, chain0=0]) -> out (out may be p). */
static int l_sample_hidden(lua_State *L) {
    int B;
    ebm_tensor *pt = luaT_checkcontig(L, 1, EBM_F32);
    luaL_argcheck(L, pt->ndim == 2, 1, "expected a 2d tensor");
    float *p = check_mat(L, 1, -1, pt->size[1], &B);
    float *o = check_mat(L, 2, B, pt->size[1], NULL);
    ebm_rbm_sample_hidden(p, o, B, (int)pt->size[1], (uint64_t)luaL_checkinteger(L, 3),
                          (uint64_t)luaL_checkinteger(L, 4), luaL_optinteger(L, 5, 0));
    lua_settop(L, 2);
    return 1;
}

/* core.rbm_sample_visible(model, p [B,D], x [B,D], seed, step [, chain0=0, clamp_labels=false]). */
static int l_sample_visible(lua_State *L) {
    ebm_rbm m;
    int B;
    check_model(L, 1, &m);
    float *p = check_mat(L, 2, -1, m.D, &B);
    float *x = check_mat(L, 3, B, m.D, NULL);
    ebm_rbm_sample_visible(&m, p, x, B, (uint64_t)luaL_checkinteger(L, 4), (uint64_t)luaL_checkinteger(L, 5),
                           luaL_optinteger(L, 6, 0), lua_toboolean(L, 7));
    lua_settop(L, 3);
    return 1;
}

/* core.rbm_free_energy(model, x [B,D], out f64 [B]) -> out. */
static int l_free_energy(lua_State *L) {
    ebm_rbm m;
    int B;
    check_model(L, 1, &m);
    float *x = check_mat(L, 2, -1, m.D, &B);
    ebm_tensor *o = luaT_checkcontig(L, 3, EBM_F64);
    if (ebm_tensor_numel(o) != B) luaL_argerror(L, 3, "expected one f64 per row of x");
    ebm_rbm_free_energy(&m, x, B, ebm_tensor_data(o));
    lua_settop(L, 3);
    return 1;
}

/* Gradient tensors gW [nh,D], gb [D], gc [nh] at arguments idx..idx+2. */
static void check_grads(lua_State *L, int idx, const ebm_rbm *m, float **gW, float **gb, float **gc) {
    *gW = check_mat(L, idx, m->nh, m->D, NULL);
    *gb = check_vec(L, idx + 1, m->D, "gb must have D elements");
    *gc = check_vec(L, idx + 2, m->nh, "gc must have nh elements");
}

/* core.rbm_cd(model, x0 [B,D], k, neg [Bn,D] or nil, seed, step, gW, gb, gc [, hdata [nh]])
 * -> recon error. */
static int l_cd(lua_State *L) {
    ebm_rbm m;
    int B, Bn = 0;
    check_model(L, 1, &m);
    float *x0 = check_mat(L, 2, -1, m.D, &B);
    lua_Integer k = luaL_checkinteger(L, 3);
    luaL_argcheck(L, k >= 0 && k <= 100000, 3, "k must be in 0..100000");
    float *neg = lua_isnil(L, 4) ? NULL : check_mat(L, 4, -1, m.D, &Bn);
    luaL_argcheck(L, neg || k >= 1, 3, "CD needs k >= 1");
    float *gW, *gb, *gc;
    check_grads(L, 7, &m, &gW, &gb, &gc);
    float *hdata = lua_isnoneornil(L, 10) ? NULL : check_vec(L, 10, m.nh, "hdata must have nh elements");
    double r = ebm_rbm_cd(&m, x0, B, (int)k, neg, Bn, (uint64_t)luaL_checkinteger(L, 5),
                          (uint64_t)luaL_checkinteger(L, 6), gW, gb, gc, hdata);
    if (r < 0) luaL_error(L, "rbm_cd: out of memory");
    lua_pushnumber(L, r);
    return 1;
}

/* core.rbm_disc_grad(model, x [B,D] with one-hot labels, alpha, gW, gb, gc) -> mean log p(y|x);
 * adds alpha * grad mean log p(y|x). */
static int l_disc_grad(lua_State *L) {
    ebm_rbm m;
    int B;
    float *gW, *gb, *gc;
    check_model(L, 1, &m);
    luaL_argcheck(L, m.nl >= 2, 1, "the model needs a label group (nl >= 2)");
    float *x = check_mat(L, 2, -1, m.D, &B);
    lua_Number alpha = luaL_checknumber(L, 3);
    luaL_argcheck(L, isfinite(alpha), 3, "alpha must be finite");
    check_grads(L, 4, &m, &gW, &gb, &gc);
    double ll = ebm_rbm_disc_grad(&m, x, B, (float)alpha, gW, gb, gc);
    if (ll == -EBM_ENOMEM) luaL_error(L, "rbm_disc_grad: out of memory");
    if (isnan(ll)) luaL_argerror(L, 2, "every row's label group must be one-hot");
    lua_pushnumber(L, ll);
    return 1;
}

/* core.rbm_center_grad(model, mu [D], lam [nh], gW, gb, gc): centred gradient, in place. */
static int l_center_grad(lua_State *L) {
    ebm_rbm m;
    float *gW, *gb, *gc;
    check_model(L, 1, &m);
    const float *mu = check_vec(L, 2, m.D, "mu must have D elements");
    const float *lam = check_vec(L, 3, m.nh, "lam must have nh elements");
    check_grads(L, 4, &m, &gW, &gb, &gc);
    ebm_rbm_center_grad(&m, mu, lam, gW, gb, gc);
    return 0;
}

/* core.rbm_exact_logz(model) -> log Z (nh <= 30; cost 2^nh * D). */
static int l_exact_logz(lua_State *L) {
    ebm_rbm m;
    check_model(L, 1, &m);
    luaL_argcheck(L, m.nh <= 30, 1, "exact log Z needs nh <= 30");
    lua_pushnumber(L, ebm_rbm_exact_logz(&m));
    return 1;
}

/* core.rbm_base_logz(model, base [D]) -> log normaliser of exp(base . x). */
static int l_base_logz(lua_State *L) {
    ebm_rbm m;
    check_model(L, 1, &m);
    lua_pushnumber(L, ebm_rbm_base_logz(&m, check_base(L, 2, &m)));
    return 1;
}

/* Argument idx: f64 betas from 0 to 1, non-decreasing; *nb receives their count. */
static const double *check_betas(lua_State *L, int idx, int *nb) {
    ebm_tensor *bt = luaT_checkcontig(L, idx, EBM_F64);
    int n = (int)ebm_tensor_numel(bt);
    const double *betas = ebm_tensor_data(bt);
    luaL_argcheck(L, n >= 2 && betas[0] == 0.0 && betas[n - 1] == 1.0, idx, "betas must run from 0 to 1");
    for (int i = 1; i < n; i++) luaL_argcheck(L, betas[i] >= betas[i - 1], idx, "betas must be non-decreasing");
    *nb = n;
    return betas;
}

/* Forward (reverse = 0) or reverse AIS: arguments (model, base [D], betas f64 [n], seed,
 * [x0 f32 [runs, D] when reverse,] logw f64 [runs]); returns log Z_0. */
static int ais_common(lua_State *L, int reverse) {
    ebm_rbm m;
    check_model(L, 1, &m);
    const float *base = check_base(L, 2, &m);
    int nb;
    const double *betas = check_betas(L, 3, &nb);
    uint64_t seed = (uint64_t)luaL_checkinteger(L, 4);
    int wi = reverse ? 6 : 5;
    ebm_tensor *w = luaT_checkcontig(L, wi, EBM_F64);
    int runs = (int)ebm_tensor_numel(w);
    luaL_argcheck(L, runs >= 1, wi, "need at least one run");
    double z0;
    if (reverse) {
        ebm_tensor *x0 = luaT_checkcontig(L, 5, EBM_F32);
        luaL_argcheck(L, x0->ndim == 2 && x0->size[0] == runs && x0->size[1] == m.D, 5,
                      "start states must be f32 [runs, D]");
        z0 = ebm_rbm_ais_reverse(&m, base, betas, nb, runs, ebm_tensor_data(x0), seed, ebm_tensor_data(w));
    } else {
        z0 = ebm_rbm_ais(&m, base, betas, nb, runs, seed, ebm_tensor_data(w));
    }
    if (isnan(z0)) luaL_error(L, "%s: out of memory", reverse ? "rbm_ais_reverse" : "rbm_ais");
    lua_pushnumber(L, z0);
    return 1;
}

/* core.rbm_ais(model, base [D], betas f64 [n], seed, logw f64 [runs]) -> log Z_0. */
static int l_ais(lua_State *L) { return ais_common(L, 0); }

/* core.rbm_ais_reverse(model, base [D], betas f64 [n], seed, x0 f32 [runs, D], logw f64 [runs])
 * -> log Z_0 (reverse AIS from the states x0; see ebm_rbm_ais_reverse). */
static int l_ais_reverse(lua_State *L) { return ais_common(L, 1); }

/* core.rbm_encode(model, v u8 [n, nv...], y (i32 [n]) or nil, out f32 [n,D]) -> out. */
static int l_encode(lua_State *L) {
    ebm_rbm m;
    check_model(L, 1, &m);
    ebm_tensor *v = luaT_checkcontig(L, 2, EBM_U8);
    luaL_argcheck(L, v->ndim >= 1, 2, "expected [n, ...] pixels");
    int64_t n = v->size[0];
    if (ebm_tensor_numel(v) != n * m.nv) luaL_argerror(L, 2, "each example must have nv pixels");
    const int32_t *y = NULL;
    if (!lua_isnil(L, 3)) {
        ebm_tensor *yt = luaT_checkcontig(L, 3, EBM_I32);
        if (ebm_tensor_numel(yt) != n) luaL_argerror(L, 3, "one label per example");
        y = ebm_tensor_data(yt);
    }
    luaL_argcheck(L, !(m.nl > 0 && !y), 3, "model has labels: give them");
    float *x = check_mat(L, 4, n, m.D, NULL);
    if (ebm_rbm_encode(&m, ebm_tensor_data(v), y, n, x)) luaL_argerror(L, 3, "label out of range");
    lua_settop(L, 4);
    return 1;
}

/* core.rbm_decode(model, x f32 [n,D], out u8 [n, nv...]) -> out (expected level, 0..255). */
static int l_decode(lua_State *L) {
    ebm_rbm m;
    int n;
    check_model(L, 1, &m);
    float *x = check_mat(L, 2, -1, m.D, &n);
    ebm_tensor *o = luaT_checkcontig(L, 3, EBM_U8);
    if (ebm_tensor_numel(o) != (int64_t)n * m.nv) luaL_argerror(L, 3, "need n*nv elements");
    ebm_rbm_decode(&m, x, n, ebm_tensor_data(o));
    lua_settop(L, 3);
    return 1;
}

/* core.rbm_base_rate(model, x f32 [n,D], alpha, out f32 [D]) -> out (smoothed log-odds). */
static int l_base_rate(lua_State *L) {
    ebm_rbm m;
    int n;
    check_model(L, 1, &m);
    float *x = check_mat(L, 2, -1, m.D, &n);
    double alpha = luaL_checknumber(L, 3);
    luaL_argcheck(L, alpha > 0, 3, "smoothing must be > 0");
    ebm_tensor *o = luaT_checkcontig(L, 4, EBM_F32);
    if (ebm_tensor_numel(o) != m.D) luaL_argerror(L, 4, "need D elements");
    ebm_rbm_base_rate(&m, x, n, alpha, ebm_tensor_data(o));
    lua_settop(L, 4);
    return 1;
}

void ebm_open_rbm(lua_State *L, int mod) {
    static const luaL_Reg fns[] = {
        {"rbm_hidden_probs", l_hidden_probs}, {"rbm_hidden_act", l_hidden_act},
        {"rbm_visible_probs", l_visible_probs}, {"rbm_sample_hidden", l_sample_hidden},
        {"rbm_sample_visible", l_sample_visible}, {"rbm_free_energy", l_free_energy},
        {"rbm_cd", l_cd}, {"rbm_disc_grad", l_disc_grad}, {"rbm_center_grad", l_center_grad},
        {"rbm_exact_logz", l_exact_logz},
        {"rbm_base_logz", l_base_logz}, {"rbm_ais", l_ais}, {"rbm_ais_reverse", l_ais_reverse}, {"rbm_encode", l_encode},
        {"rbm_decode", l_decode}, {"rbm_base_rate", l_base_rate}, {NULL, NULL}};
    luaT_setfuncs(L, mod, fns);
}
