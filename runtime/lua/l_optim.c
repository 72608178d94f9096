/* l_optim.c - optimiser steps over whole tensors, for the modules in lua/ebm/training/optim/. */
#include "luaT.h"

#include "../optim.h"

static int step_error(lua_State *L, int rc, const char *fname) {
    if (rc == EBM_ETYPE) return luaL_error(L, "%s: parameter, gradient and state tensors must all be f32 or all f64", fname);
    if (rc == EBM_ESHAPE) return luaL_error(L, "%s: parameter, gradient and state tensors must be contiguous with equal element counts", fname);
    return luaT_error(L, rc, fname);
}

/* core.sgd_step(p, g, v_or_nil, lr, momentum, dampening, weight_decay, nesterov, first
 *                [, lr_in_velocity]) */
static int l_sgd_step(lua_State *L) {
    ebm_tensor *p = luaT_check(L, 1), *g = luaT_check(L, 2);
    ebm_tensor *v = lua_isnil(L, 3) ? NULL : luaT_check(L, 3);
    ebm_sgd_config c = {luaL_checknumber(L, 4), luaL_checknumber(L, 5), luaL_checknumber(L, 6),
                        luaL_checknumber(L, 7), lua_toboolean(L, 8), lua_toboolean(L, 10)};
    if ((c.momentum != 0 || c.lr_in_velocity) && !v)
        return luaL_argerror(L, 3, "momentum buffer required when momentum ~= 0 or lr_in_velocity");
    int rc = ebm_optim_sgd(p, g, v, &c, lua_toboolean(L, 9));
    if (rc) return step_error(L, rc, "sgd");
    return 0;
}

/* core.adam_step(p, g, m, v, lr, beta1, beta2, eps, weight_decay, decoupled, step) */
static int l_adam_step(lua_State *L) {
    ebm_tensor *p = luaT_check(L, 1), *g = luaT_check(L, 2), *m = luaT_check(L, 3), *v = luaT_check(L, 4);
    ebm_adam_config c = {luaL_checknumber(L, 5), luaL_checknumber(L, 6), luaL_checknumber(L, 7),
                         luaL_checknumber(L, 8), luaL_checknumber(L, 9), lua_toboolean(L, 10)};
    lua_Integer step = luaL_checkinteger(L, 11);
    luaL_argcheck(L, step >= 1, 11, "step must be >= 1");
    int rc = ebm_optim_adam(p, g, m, v, &c, step);
    if (rc) return step_error(L, rc, "adam");
    return 0;
}

void ebm_open_optim(lua_State *L, int mod) {
    static const luaL_Reg fns[] = {{"sgd_step", l_sgd_step}, {"adam_step", l_adam_step}, {NULL, NULL}};
    luaT_setfuncs(L, mod, fns);
}
