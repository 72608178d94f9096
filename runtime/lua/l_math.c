/* l_math.c - tensor arithmetic for Lua: in-place methods (t:add(x) changes t), functions
 * that return new tensors (core.add(a, b), also the operators a + b), random fills,
 * reductions and matmul. Thin: argument checks and dtype/shape decisions here, numerics in
 * runtime/tensor_math.c. Indices returned to Lua are 1-based. */
#include "luaT.h"

#include <math.h>

#include "../tensor_math.h"

/* ---- helpers --------------------------------------------------------------------------- */

static int dtype_rank(ebm_dtype d) { return d == EBM_U8 ? 0 : d == EBM_I32 ? 1 : d == EBM_F32 ? 2 : 3; }

static ebm_dtype promote(ebm_dtype a, ebm_dtype b) { return dtype_rank(a) >= dtype_rank(b) ? a : b; }

/* Result dtype of an integer tensor combined with a scalar: a non-integral scalar makes
 * the result f32. */
static ebm_dtype promote_scalar(ebm_dtype a, double s) {
    if ((a == EBM_U8 || a == EBM_I32) && s != floor(s)) return EBM_F32;
    return a;
}

static int check_rc(lua_State *L, int rc, const char *fname) {
    if (rc) luaT_error(L, rc, fname);
    return 0;
}

/* Error for operands that do not broadcast. */
static int shape_error(lua_State *L, int arg, const ebm_tensor *b, const ebm_tensor *a) {
    const char *sb = luaT_pushshape(L, b->ndim, b->size);
    const char *sa = luaT_pushshape(L, a->ndim, a->size);
    return luaL_argerror(L, arg, lua_pushfstring(L, "shape %s does not broadcast to %s", sb, sa));
}

/* ---- elementwise, in place: t:add(x [, alpha]) ... --------------------------------- */

/* self <op>= x, x a tensor (broadcast to self) or a number. Returns self. */
static int inplace_binary(lua_State *L, ebm_binop op) {
    ebm_tensor *t = luaT_check(L, 1);
    double alpha = luaL_optnumber(L, 3, 1.0);
    int rc;
    if (lua_type(L, 2) == LUA_TNUMBER) {
        double s = lua_tonumber(L, 2);
        if (op == EBM_OP_ADD || op == EBM_OP_SUB) s *= alpha;
        rc = ebm_tensor_binary_scalar(t, t, s, op);
    } else {
        ebm_tensor *x = luaT_test(L, 2);
        if (!x) return luaL_typeerror(L, 2, "ebm.Tensor or number");
        if (!x->storage) return luaL_argerror(L, 2, "tensor has been freed");
        rc = ebm_tensor_binary(t, t, x, op, alpha);
        if (rc == EBM_ESHAPE) return shape_error(L, 2, x, t);
    }
    check_rc(L, rc, "elementwise op");
    lua_settop(L, 1);
    return 1;
}

static int m_add(lua_State *L) { return inplace_binary(L, EBM_OP_ADD); }
static int m_sub(lua_State *L) { return inplace_binary(L, EBM_OP_SUB); }
static int m_mul(lua_State *L) { return inplace_binary(L, EBM_OP_MUL); }
static int m_div(lua_State *L) { return inplace_binary(L, EBM_OP_DIV); }
static int m_pow(lua_State *L) { return inplace_binary(L, EBM_OP_POW); }
static int m_cmax(lua_State *L) { return inplace_binary(L, EBM_OP_MAX); }
static int m_cmin(lua_State *L) { return inplace_binary(L, EBM_OP_MIN); }

/* y:axpy(alpha, x): y += alpha * x. */
static int m_axpy(lua_State *L) {
    ebm_tensor *y = luaT_check(L, 1);
    double alpha = luaL_checknumber(L, 2);
    ebm_tensor *x = luaT_check(L, 3);
    int rc = ebm_tensor_axpy(y, alpha, x);
    if (rc == EBM_ESHAPE) return shape_error(L, 3, x, y);
    check_rc(L, rc, "axpy");
    lua_settop(L, 1);
    return 1;
}

static int inplace_unary(lua_State *L, ebm_unop op, double p1, double p2) {
    ebm_tensor *t = luaT_check(L, 1);
    check_rc(L, ebm_tensor_unary(t, t, op, p1, p2), "unary op");
    lua_settop(L, 1);
    return 1;
}

static int m_neg(lua_State *L) { return inplace_unary(L, EBM_UN_NEG, 0, 0); }
static int m_exp(lua_State *L) { return inplace_unary(L, EBM_UN_EXP, 0, 0); }
static int m_log(lua_State *L) { return inplace_unary(L, EBM_UN_LOG, 0, 0); }
static int m_sigmoid(lua_State *L) { return inplace_unary(L, EBM_UN_SIGMOID, 0, 0); }
static int m_abs(lua_State *L) { return inplace_unary(L, EBM_UN_ABS, 0, 0); }
static int m_sqrt(lua_State *L) { return inplace_unary(L, EBM_UN_SQRT, 0, 0); }
static int m_tanh(lua_State *L) { return inplace_unary(L, EBM_UN_TANH, 0, 0); }
static int m_square(lua_State *L) { return inplace_unary(L, EBM_UN_SQUARE, 0, 0); }

/* t:clamp(lo, hi); either bound may be nil. */
static int m_clamp(lua_State *L) {
    double lo = luaL_optnumber(L, 2, -HUGE_VAL), hi = luaL_optnumber(L, 3, HUGE_VAL);
    luaL_argcheck(L, !(lo > hi), 3, "upper bound below lower bound");
    return inplace_unary(L, EBM_UN_CLAMP, lo, hi);
}

/* ---- elementwise, new result: core.add(a, b) and the operators ---------------------- */

static ebm_tensor *check_operand(lua_State *L, int arg) {
    ebm_tensor *t = luaT_test(L, arg);
    if (!t && lua_type(L, arg) != LUA_TNUMBER) luaL_typeerror(L, arg, "ebm.Tensor or number");
    if (t && !t->storage) luaL_argerror(L, arg, "tensor has been freed");
    return t;
}

/* A new tensor holding a <op> b; either may be a number (not both). */
static int new_binary(lua_State *L, ebm_binop op) {
    ebm_tensor *a = check_operand(L, 1), *b = check_operand(L, 2);
    if (!a && !b) return luaL_argerror(L, 1, "expected at least one tensor");
    int rc;
    if (a && b) {
        int nd;
        int64_t size[EBM_MAXDIM];
        if (ebm_broadcast_shape(a, b, &nd, size)) return shape_error(L, 2, b, a);
        ebm_tensor *o = luaT_newraw(L, promote(a->dtype, b->dtype), nd, size);
        rc = ebm_tensor_binary(o, a, b, op, 1.0);
    } else if (a) {
        double s = lua_tonumber(L, 2);
        ebm_tensor *o = luaT_newraw(L, promote_scalar(a->dtype, s), a->ndim, a->size);
        rc = ebm_tensor_binary_scalar(o, a, s, op);
    } else { /* number <op> tensor */
        double s = lua_tonumber(L, 1);
        ebm_tensor *o = luaT_newraw(L, promote_scalar(b->dtype, s), b->ndim, b->size);
        ebm_binop rop = op == EBM_OP_SUB ? EBM_OP_RSUB : op == EBM_OP_DIV ? EBM_OP_RDIV : op;
        if (op == EBM_OP_POW) return luaL_argerror(L, 1, "scalar ^ tensor is not supported");
        rc = ebm_tensor_binary_scalar(o, b, s, rop);
    }
    check_rc(L, rc, "elementwise op");
    return 1;
}

static int f_add(lua_State *L) { return new_binary(L, EBM_OP_ADD); }
static int f_sub(lua_State *L) { return new_binary(L, EBM_OP_SUB); }
static int f_mul(lua_State *L) { return new_binary(L, EBM_OP_MUL); }
static int f_div(lua_State *L) { return new_binary(L, EBM_OP_DIV); }
static int f_pow(lua_State *L) { return new_binary(L, EBM_OP_POW); }
static int f_maximum(lua_State *L) { return new_binary(L, EBM_OP_MAX); }
static int f_minimum(lua_State *L) { return new_binary(L, EBM_OP_MIN); }

/* core.unary(name, t [, p1, p2]) -> new tensor; integer inputs of exp/log/... give f32. */
static int f_unary(lua_State *L) {
    static const char *names[] = {"neg", "exp", "log", "sigmoid", "abs", "sqrt", "tanh", "square", "clamp", NULL};
    static const ebm_unop ops[] = {EBM_UN_NEG, EBM_UN_EXP, EBM_UN_LOG, EBM_UN_SIGMOID, EBM_UN_ABS,
                                   EBM_UN_SQRT, EBM_UN_TANH, EBM_UN_SQUARE, EBM_UN_CLAMP};
    ebm_unop op = ops[luaL_checkoption(L, 1, NULL, names)];
    ebm_tensor *a = luaT_check(L, 2);
    double p1 = luaL_optnumber(L, 3, -HUGE_VAL), p2 = luaL_optnumber(L, 4, HUGE_VAL);
    ebm_dtype dt = a->dtype;
    int keeps = op == EBM_UN_NEG || op == EBM_UN_ABS || op == EBM_UN_SQUARE || op == EBM_UN_CLAMP;
    if (!keeps && (dt == EBM_U8 || dt == EBM_I32)) dt = EBM_F32;
    ebm_tensor *o = luaT_newraw(L, dt, a->ndim, a->size);
    check_rc(L, ebm_tensor_unary(o, a, op, p1, p2), "unary op");
    return 1;
}

static int f_unm(lua_State *L) {
    ebm_tensor *a = luaT_check(L, 1);
    ebm_tensor *o = luaT_newraw(L, a->dtype, a->ndim, a->size);
    check_rc(L, ebm_tensor_unary(o, a, EBM_UN_NEG, 0, 0), "unm");
    return 1;
}

/* ---- sequences and random fills -------------------------------------------------------- */

/* core.arange(start, stop, step, dtype): values start, start+step, ... < stop (> for step < 0). */
static int f_arange(lua_State *L) {
    double start = luaL_checknumber(L, 1), stop = luaL_checknumber(L, 2), step = luaL_optnumber(L, 3, 1);
    ebm_dtype dt = luaT_optdtype(L, 4, EBM_F32);
    luaL_argcheck(L, step != 0 && isfinite(step), 3, "step must be a non-zero finite number");
    luaL_argcheck(L, isfinite(start) && isfinite(stop), 2, "bounds must be finite");
    double nf = ceil((stop - start) / step);
    if (nf < 0) nf = 0;
    luaL_argcheck(L, nf < 1e12, 2, "too many elements");
    int64_t n = (int64_t)nf;
    ebm_tensor *t = luaT_new(L, dt, 1, &n);
    check_rc(L, ebm_tensor_arange(t, start, step), "arange");
    return 1;
}

/* core.linspace(a, b, n, dtype). */
static int f_linspace(lua_State *L) {
    double a = luaL_checknumber(L, 1), b = luaL_checknumber(L, 2);
    lua_Integer n = luaL_checkinteger(L, 3);
    luaL_argcheck(L, n >= 0 && n < (lua_Integer)1e12, 3, "count must be non-negative");
    ebm_dtype dt = luaT_optdtype(L, 4, EBM_F32);
    int64_t n64 = n;
    ebm_tensor *t = luaT_new(L, dt, 1, &n64);
    check_rc(L, ebm_tensor_linspace(t, a, b), "linspace");
    return 1;
}

/* t:uniform(rng [, lo=0, hi=1]) */
static int m_uniform(lua_State *L) {
    ebm_tensor *t = luaT_check(L, 1);
    ebm_rng *r = luaT_checkrng(L, 2);
    double lo = luaL_optnumber(L, 3, 0), hi = luaL_optnumber(L, 4, 1);
    check_rc(L, ebm_tensor_uniform(t, r, lo, hi), "uniform");
    lua_settop(L, 1);
    return 1;
}

/* t:normal(rng [, mean=0, sd=1]) */
static int m_normal(lua_State *L) {
    ebm_tensor *t = luaT_check(L, 1);
    ebm_rng *r = luaT_checkrng(L, 2);
    double mean = luaL_optnumber(L, 3, 0), sd = luaL_optnumber(L, 4, 1);
    luaL_argcheck(L, sd >= 0, 4, "standard deviation must be >= 0");
    check_rc(L, ebm_tensor_normal(t, r, mean, sd), "normal");
    lua_settop(L, 1);
    return 1;
}

/* t:bernoulli(rng [, p=0.5]) with p a number or a tensor of probabilities. */
static int m_bernoulli(lua_State *L) {
    ebm_tensor *t = luaT_check(L, 1);
    ebm_rng *r = luaT_checkrng(L, 2);
    ebm_tensor *p = luaT_test(L, 3);
    if (p) {
        int rc = ebm_tensor_bernoulli_t(t, r, p);
        if (rc == EBM_ESHAPE) return shape_error(L, 3, p, t);
        check_rc(L, rc, "bernoulli");
    } else {
        double pr = luaL_optnumber(L, 3, 0.5);
        luaL_argcheck(L, pr >= 0 && pr <= 1, 3, "probability must be in [0, 1]");
        check_rc(L, ebm_tensor_bernoulli(t, r, pr), "bernoulli");
    }
    lua_settop(L, 1);
    return 1;
}

/* ---- reductions -------------------------------------------------------------------------- */

static void push_value(lua_State *L, ebm_dtype dt, double v) {
    if (dt == EBM_U8 || dt == EBM_I32) lua_pushinteger(L, (lua_Integer)v);
    else lua_pushnumber(L, v);
}

/* Dimension argument (1-based, negative counts from the end) -> 0-based. */
static int check_dim(lua_State *L, const ebm_tensor *t, int arg) {
    lua_Integer d = luaL_checkinteger(L, arg), d0 = d;
    if (d < 0) d += t->ndim + 1;
    if (d < 1 || d > t->ndim)
        luaL_argerror(L, arg, lua_pushfstring(L, "dimension %I out of range for a %d-d tensor", d0, t->ndim));
    return (int)d - 1;
}

/* Push a new tensor shaped as t without dim `d` (size 1 there when keepdim). */
static ebm_tensor *new_reduced(lua_State *L, const ebm_tensor *t, int d, int keepdim, ebm_dtype dt) {
    int64_t size[EBM_MAXDIM];
    int nd = 0;
    for (int k = 0; k < t->ndim; k++) {
        if (k != d) size[nd++] = t->size[k];
        else if (keepdim) size[nd++] = 1;
    }
    return luaT_newraw(L, dt, nd, size); /* ebm_tensor_reduce writes every element */
}

/* t:sum([dim [, keepdim]]), t:mean(...): a number over all elements, else a tensor.
 * Integer tensors reduce to f64. */
static int reduce_sum(lua_State *L, int mean) {
    ebm_tensor *t = luaT_check(L, 1);
    ebm_dtype dt = (t->dtype == EBM_F32 || t->dtype == EBM_F64) ? t->dtype : EBM_F64;
    if (lua_isnoneornil(L, 2)) {
        int64_t n = ebm_tensor_numel(t);
        double s = ebm_tensor_sumall(t);
        lua_pushnumber(L, mean ? (n ? s / (double)n : NAN) : s);
        return 1;
    }
    int d = check_dim(L, t, 2);
    ebm_tensor *o = new_reduced(L, t, d, lua_toboolean(L, 3), dt);
    check_rc(L, ebm_tensor_reduce(o, NULL, t, d, mean ? EBM_RED_MEAN : EBM_RED_SUM), "sum");
    return 1;
}

static int m_sum(lua_State *L) { return reduce_sum(L, 0); }
static int m_mean(lua_State *L) { return reduce_sum(L, 1); }

/* Shared by max/min/argmax/argmin: without dim -> value, 1-based linear index; with dim ->
 * values tensor (t's dtype), indices (i32, 1-based). `which`: 0 values+index, 1 index only. */
static int reduce_extreme(lua_State *L, int want_max, int index_only) {
    ebm_tensor *t = luaT_check(L, 1);
    if (lua_isnoneornil(L, 2)) {
        if (ebm_tensor_numel(t) == 0) return luaL_argerror(L, 1, "empty tensor has no extreme value");
        int64_t i;
        double v = want_max ? ebm_tensor_maxall(t, &i) : ebm_tensor_minall(t, &i);
        if (index_only) {
            lua_pushinteger(L, (lua_Integer)i + 1);
            return 1;
        }
        push_value(L, t->dtype, v);
        lua_pushinteger(L, (lua_Integer)i + 1);
        return 2;
    }
    int d = check_dim(L, t, 2), keep = lua_toboolean(L, 3);
    if (t->size[d] == 0) return luaL_argerror(L, 2, "dimension has size 0");
    ebm_tensor *vals = new_reduced(L, t, d, keep, t->dtype);
    ebm_tensor *idx = new_reduced(L, t, d, keep, EBM_I32);
    check_rc(L, ebm_tensor_reduce(vals, idx, t, d, want_max ? EBM_RED_MAX : EBM_RED_MIN), "max");
    check_rc(L, ebm_tensor_binary_scalar(idx, idx, 1, EBM_OP_ADD), "max"); /* 0-based -> 1-based */
    return index_only ? 1 : 2; /* the stack ends with vals, idx */
}

static int m_max(lua_State *L) { return reduce_extreme(L, 1, 0); }
static int m_min(lua_State *L) { return reduce_extreme(L, 0, 0); }
static int m_argmax(lua_State *L) { return reduce_extreme(L, 1, 1); }
static int m_argmin(lua_State *L) { return reduce_extreme(L, 0, 1); }

/* a:dot(b) -> number; same number of elements, any shapes and dtypes. */
static int m_dot(lua_State *L) {
    ebm_tensor *a = luaT_check(L, 1), *b = luaT_check(L, 2);
    double r;
    if (ebm_tensor_dot(a, b, &r))
        return luaL_argerror(L, 2, lua_pushfstring(L, "element counts differ (%I vs %I)", (lua_Integer)ebm_tensor_numel(a),
                                                   (lua_Integer)ebm_tensor_numel(b)));
    lua_pushnumber(L, r);
    return 1;
}

/* t:norm([p = 2]) -> (sum |x|^p)^(1/p) over all elements. */
static int m_norm(lua_State *L) {
    ebm_tensor *t = luaT_check(L, 1);
    double p = luaL_optnumber(L, 2, 2);
    luaL_argcheck(L, p > 0, 2, "p must be > 0");
    if (p == 2) {
        lua_pushnumber(L, sqrt(ebm_tensor_sumsq(t)));
        return 1;
    }
    ebm_tensor tmp;
    check_rc(L, ebm_tensor_init(&tmp, EBM_F64, t->ndim, t->size), "norm");
    int rc = ebm_tensor_unary(&tmp, t, EBM_UN_ABS, 0, 0);
    if (!rc && p != 1) rc = ebm_tensor_binary_scalar(&tmp, &tmp, p, EBM_OP_POW);
    double s = rc ? 0 : ebm_tensor_sumall(&tmp);
    ebm_tensor_release(&tmp);
    check_rc(L, rc, "norm");
    lua_pushnumber(L, p == 1 ? s : pow(s, 1 / p));
    return 1;
}

/* ---- matmul ------------------------------------------------------------------------------- */

static ebm_tensor *check_matrix(lua_State *L, int arg) {
    ebm_tensor *t = luaT_check(L, arg);
    if (t->ndim != 2) luaL_argerror(L, arg, lua_pushfstring(L, "expected a 2-d tensor, got %d-d", t->ndim));
    if (t->dtype != EBM_F32 && t->dtype != EBM_F64)
        luaL_argerror(L, arg, lua_pushfstring(L, "expected an f32 or f64 tensor, got %s", ebm_dtype_name(t->dtype)));
    return t;
}

/* core.matmul(a, b [, out] [, {transa=, transb=, alpha=1, beta=0}]) -> out (new if absent).
 * out = alpha * op(a) op(b) + beta * out. */
static int f_matmul(lua_State *L) {
    ebm_tensor *a = check_matrix(L, 1), *b = check_matrix(L, 2);
    int oarg = 0, optarg = 0;
    if (luaT_test(L, 3)) oarg = 3, optarg = 4;
    else optarg = 3;
    int ta = 0, tb = 0;
    double alpha = 1, beta = 0;
    if (!lua_isnoneornil(L, optarg)) {
        luaL_checktype(L, optarg, LUA_TTABLE);
        lua_getfield(L, optarg, "transa");
        ta = lua_toboolean(L, -1);
        lua_getfield(L, optarg, "transb");
        tb = lua_toboolean(L, -1);
        lua_pop(L, 2);
        alpha = luaT_optnumfield(L, optarg, "alpha", 1);
        beta = luaT_optnumfield(L, optarg, "beta", 0);
    }
    if (a->dtype != b->dtype)
        return luaL_argerror(L, 2, lua_pushfstring(L, "dtype %s differs from first argument's %s", ebm_dtype_name(b->dtype),
                                                   ebm_dtype_name(a->dtype)));
    int64_t m = ta ? a->size[1] : a->size[0], k = ta ? a->size[0] : a->size[1];
    int64_t kb = tb ? b->size[1] : b->size[0], n = tb ? b->size[0] : b->size[1];
    if (k != kb) {
        const char *sa = luaT_pushshape(L, 2, a->size), *sb = luaT_pushshape(L, 2, b->size);
        return luaL_error(L, "matmul: inner dimensions differ: %s%s x %s%s", sa, ta ? "^T" : "", sb, tb ? "^T" : "");
    }
    ebm_tensor *c;
    int64_t want[2] = {m, n};
    if (oarg) {
        c = check_matrix(L, oarg);
        luaT_checkshape(L, oarg, c, 2, want);
        if (c->dtype != a->dtype) return luaL_argerror(L, oarg, "out must have the inputs' dtype");
        lua_pushvalue(L, oarg);
    } else {
        c = luaT_newraw(L, a->dtype, 2, want); /* beta = 0: BLAS ignores C's contents */
        beta = 0;
    }
    check_rc(L, ebm_tensor_gemm(c, a, b, ta, tb, alpha, beta), "matmul");
    return 1;
}

/* a:matmul(b) -> new tensor. */
static int m_matmul(lua_State *L) {
    lua_settop(L, 2);
    return f_matmul(L);
}

/* ---- registration ---------------------------------------------------------------------- */

static const luaL_Reg methods[] = {
    {"add", m_add}, {"sub", m_sub}, {"mul", m_mul}, {"div", m_div}, {"pow", m_pow},
    {"cmax", m_cmax}, {"cmin", m_cmin}, {"axpy", m_axpy}, {"neg", m_neg}, {"exp", m_exp},
    {"log", m_log}, {"sigmoid", m_sigmoid}, {"abs", m_abs}, {"sqrt", m_sqrt}, {"tanh", m_tanh},
    {"square", m_square}, {"clamp", m_clamp}, {"uniform", m_uniform}, {"normal", m_normal},
    {"bernoulli", m_bernoulli}, {"sum", m_sum}, {"mean", m_mean}, {"max", m_max}, {"min", m_min},
    {"argmax", m_argmax}, {"argmin", m_argmin}, {"dot", m_dot}, {"norm", m_norm},
    {"matmul", m_matmul}, {NULL, NULL}};

static const luaL_Reg metamethods[] = {
    {"__add", f_add}, {"__sub", f_sub}, {"__mul", f_mul}, {"__div", f_div}, {"__pow", f_pow},
    {"__unm", f_unm}, {NULL, NULL}};

static const luaL_Reg functions[] = {
    {"add", f_add}, {"sub", f_sub}, {"mul", f_mul}, {"div", f_div}, {"pow", f_pow},
    {"maximum", f_maximum}, {"minimum", f_minimum}, {"unary", f_unary}, {"arange", f_arange},
    {"linspace", f_linspace}, {"matmul", f_matmul}, {NULL, NULL}};

void ebm_open_math(lua_State *L, int mod) {
    ebm_tensor_methods(L);
    luaL_setfuncs(L, methods, 0);
    lua_pop(L, 1);
    luaL_newmetatable(L, EBM_TENSOR_MT); /* exists already: ebm_tensor_methods made it */
    luaL_setfuncs(L, metamethods, 0);
    lua_pop(L, 1);
    luaT_setfuncs(L, mod, functions);
}
