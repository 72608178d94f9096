/* l_diag.c - MCMC diagnostics (runtime/diag.h). Traces are f64 [n, m] contiguous tensors:
 * n draws (rows) of m chains (columns), the layout of diag.h. */
#include "luaT.h"

#include "../diag.h"

/* The trace at `arg`: f64 [n, m], contiguous, n >= min_n. */
static const double *check_trace(lua_State *L, int arg, int64_t min_n, int64_t *n, int64_t *m) {
    ebm_tensor *t = luaT_checkcontig(L, arg, EBM_F64);
    if (t->ndim != 2) luaL_argerror(L, arg, "expected a trace f64 [draws, chains]");
    *n = t->size[0];
    *m = t->size[1];
    if (*n < min_n) luaL_argerror(L, arg, lua_pushfstring(L, "need at least %d draws", (int)min_n));
    if (*m < 1) luaL_argerror(L, arg, "need at least one chain");
    return ebm_tensor_data(t);
}

static int check_method(lua_State *L, int arg) {
    static const char *const names[] = {"auto", "direct", "fft", NULL};
    return luaL_checkoption(L, arg, "auto", names); /* EBM_ACF_AUTO, _DIRECT, _FFT in order */
}

/* core.diag_autocov(x, maxlag, method) / core.diag_acf(...) -> f64 [maxlag+1, m] */
static int autocov_or_acf(lua_State *L, int acf) {
    int64_t n, m;
    const double *x = check_trace(L, 1, 1, &n, &m);
    lua_Integer L1 = luaL_optinteger(L, 2, n - 1);
    luaL_argcheck(L, L1 >= 0 && L1 < n, 2, "maxlag must be in 0..draws-1");
    int method = check_method(L, 3);
    int64_t size[2] = {L1 + 1, m};
    double *out = ebm_tensor_data(luaT_newraw(L, EBM_F64, 2, size));
    int rc = acf ? ebm_diag_acf(x, n, m, L1, method, out) : ebm_diag_autocov(x, n, m, L1, method, out);
    if (rc != EBM_OK) return luaT_error(L, rc, acf ? "diag_acf" : "diag_autocov");
    return 1;
}
static int l_diag_autocov(lua_State *L) { return autocov_or_acf(L, 0); }
static int l_diag_acf(lua_State *L) { return autocov_or_acf(L, 1); }

/* core.diag_tau_sokal(rho f64 [L+1], c) -> tau, window (nil when no window fits) */
static int l_diag_tau_sokal(lua_State *L) {
    ebm_tensor *t = luaT_checkcontig(L, 1, EBM_F64);
    int64_t len = ebm_tensor_numel(t);
    luaL_argcheck(L, t->ndim == 1 && len >= 1, 1, "expected an autocorrelation f64 [maxlag+1]");
    double c = luaL_optnumber(L, 2, 5.0);
    luaL_argcheck(L, c > 0, 2, "c must be > 0");
    int64_t w;
    lua_pushnumber(L, ebm_diag_tau_sokal(ebm_tensor_data(t), len - 1, c, &w));
    if (w >= 0) lua_pushinteger(L, w);
    else lua_pushnil(L);
    return 2;
}

/* core.diag_ess(x) -> ess, tau, window */
static int l_diag_ess(lua_State *L) {
    int64_t n, m, w;
    const double *x = check_trace(L, 1, 4, &n, &m);
    double tau;
    lua_pushnumber(L, ebm_diag_ess(x, n, m, &tau, &w));
    lua_pushnumber(L, tau);
    lua_pushinteger(L, w);
    return 3;
}

/* core.diag_rhat_basic(x) -> R-hat (needs 2 chains) */
static int l_diag_rhat_basic(lua_State *L) {
    int64_t n, m;
    const double *x = check_trace(L, 1, 2, &n, &m);
    luaL_argcheck(L, m >= 2, 1, "R-hat needs at least 2 chains");
    lua_pushnumber(L, ebm_diag_rhat_basic(x, n, m));
    return 1;
}

/* core.diag_summary(x) -> {rhat=, rhat_bulk=, rhat_tail=, ess_bulk=, ess_tail=, ess_mean=, tau=} */
static int l_diag_summary(lua_State *L) {
    int64_t n, m;
    const double *x = check_trace(L, 1, 4, &n, &m);
    ebm_diag_summary s;
    int rc = ebm_diag_summarise(x, n, m, &s);
    if (rc != EBM_OK) return luaT_error(L, rc, "diag_summary");
    lua_createtable(L, 0, 7);
    const char *names[] = {"rhat", "rhat_bulk", "rhat_tail", "ess_bulk", "ess_tail", "ess_mean", "tau"};
    double v[] = {s.rhat, s.rhat_bulk, s.rhat_tail, s.ess_bulk, s.ess_tail, s.ess_mean, s.tau};
    for (int k = 0; k < 7; k++) {
        lua_pushnumber(L, v[k]);
        lua_setfield(L, -2, names[k]);
    }
    return 1;
}

/* core.diag_probit(p) -> Phi^-1(p) */
static int l_diag_probit(lua_State *L) {
    lua_pushnumber(L, ebm_diag_probit(luaL_checknumber(L, 1)));
    return 1;
}

/* core.diag_swap_chains(a u8 [n, C], b u8 [n, C], swap u8 [C]) -> nothing; columns c with
 * swap[c] != 0 trade places between a and b. */
static int l_diag_swap_chains(lua_State *L) {
    ebm_tensor *a = luaT_checkcontig(L, 1, EBM_U8), *b = luaT_checkcontig(L, 2, EBM_U8);
    ebm_tensor *s = luaT_checkcontig(L, 3, EBM_U8);
    luaL_argcheck(L, a->ndim == 2, 1, "expected chain states u8 [nodes, chains]");
    luaL_argcheck(L, b->ndim == 2 && b->size[0] == a->size[0] && b->size[1] == a->size[1], 2,
                  "must have the shape of argument #1");
    luaL_argcheck(L, ebm_tensor_numel(s) == a->size[1], 3, "need one u8 entry per chain");
    luaL_argcheck(L, ebm_tensor_data(a) != ebm_tensor_data(b), 2, "must not share storage with argument #1");
    ebm_diag_swap_chains(ebm_tensor_data(a), ebm_tensor_data(b), a->size[0], a->size[1], ebm_tensor_data(s));
    return 0;
}

void ebm_open_diag(lua_State *L, int mod) {
    static const luaL_Reg fns[] = {{"diag_autocov", l_diag_autocov},       {"diag_acf", l_diag_acf},
                                   {"diag_tau_sokal", l_diag_tau_sokal},   {"diag_ess", l_diag_ess},
                                   {"diag_rhat_basic", l_diag_rhat_basic}, {"diag_summary", l_diag_summary},
                                   {"diag_probit", l_diag_probit},         {"diag_swap_chains", l_diag_swap_chains},
                                   {NULL, NULL}};
    luaT_setfuncs(L, mod, fns);
}
