/* l_gif.c - animated GIF files: core.gif_write, core.gif_read (used by lua/ebm/io/animate.lua). */
#include "luaT.h"

#include "../io_gif.h"

/* core.gif_write(path, frames, palette, delays, loop): frames u8 [T,H,W] (or one [H,W]) of
 * palette indices; palette u8 [ncolors, 3]; delays: one integer (1/100 s) or a list / i32
 * tensor of T of them; loop: repetitions, 0 = forever, -1 = once. */
static int l_gif_write(lua_State *L) {
    const char *path = luaL_checkstring(L, 1);
    ebm_tensor *fr = luaT_checkcontig(L, 2, EBM_U8);
    luaL_argcheck(L, fr->ndim == 2 || fr->ndim == 3, 2, "frames must be u8 [T, h, w] or [h, w]");
    int64_t T = fr->ndim == 3 ? fr->size[0] : 1, h = fr->size[fr->ndim - 2], w = fr->size[fr->ndim - 1];
    ebm_tensor *pal = luaT_checkcontig(L, 3, EBM_U8);
    luaL_argcheck(L, pal->ndim == 2 && pal->size[1] == 3 && pal->size[0] >= 1 && pal->size[0] <= 256, 3,
                  "palette must be u8 [ncolors, 3] with 1..256 colours");
    int32_t one, *delays = &one;
    int64_t nd = 1;
    if (lua_isinteger(L, 4)) {
        lua_Integer d = lua_tointeger(L, 4);
        luaL_argcheck(L, d >= 0 && d <= 65535, 4, "delay must be in 0..65535 (1/100 s)");
        one = (int32_t)d;
    } else if (lua_istable(L, 4) || luaT_test(L, 4)) {
        ebm_tensor *t = luaT_test(L, 4);
        nd = t ? ebm_tensor_numel(t) : (int64_t)luaL_len(L, 4);
        luaL_argcheck(L, nd == T, 4, lua_pushfstring(L, "need %d delays (one per frame), got %d", (int)T, (int)nd));
        delays = lua_newuserdatauv(L, sizeof(int32_t) * (size_t)nd, 0);
        for (int64_t k = 0; k < nd; k++) {
            lua_Integer v;
            if (t) v = (lua_Integer)ebm_tensor_get_linear(t, k);
            else { lua_geti(L, 4, k + 1); v = lua_tointeger(L, -1); lua_pop(L, 1); }
            luaL_argcheck(L, v >= 0 && v <= 65535, 4, "delays must be integers in 0..65535 (1/100 s)");
            delays[k] = (int32_t)v;
        }
    } else {
        return luaL_argerror(L, 4, "delays must be an integer or a list of T integers (1/100 s)");
    }
    lua_Integer loop = luaL_optinteger(L, 5, 0);
    luaL_argcheck(L, loop >= -1 && loop <= 65535, 5, "loop must be -1 (once), 0 (forever) or a count up to 65535");
    char err[256];
    int rc = ebm_gif_write(path, ebm_tensor_data(fr), T, h, w, ebm_tensor_data(pal), (int)pal->size[0], delays, nd,
                           (int)loop, err, sizeof err);
    if (rc) return luaL_error(L, "gif_write: %s: %s", path, err);
    return 0;
}

/* core.gif_read(path) -> frames u8 [T,H,W] (indices, composed as a viewer shows them),
 * palette u8 [ncolors, 3], delays (a list of T integers, 1/100 s). */
static int l_gif_read(lua_State *L) {
    const char *path = luaL_checkstring(L, 1);
    ebm_tensor *fr = luaT_new(L, EBM_U8, 0, NULL); /* placeholders, filled below */
    ebm_tensor_release(fr);
    ebm_tensor *pal = luaT_new(L, EBM_U8, 0, NULL);
    ebm_tensor_release(pal);
    int32_t *delays = NULL;
    char err[256];
    int rc = ebm_gif_read(path, fr, pal, &delays, err, sizeof err);
    if (rc) return luaL_error(L, "gif_read: %s: %s", path, err);
    int64_t T = fr->size[0];
    lua_createtable(L, (int)T, 0);
    for (int64_t t = 0; t < T; t++) {
        lua_pushinteger(L, delays[t]);
        lua_rawseti(L, -2, t + 1);
    }
    EBM_FREE(delays);
    return 3;
}

void ebm_open_gif(lua_State *L, int mod) {
    static const luaL_Reg fns[] = {{"gif_write", l_gif_write}, {"gif_read", l_gif_read}, {NULL, NULL}};
    luaT_setfuncs(L, mod, fns);
}
