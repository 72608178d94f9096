/* l_png.c - PNG files and picture composition: core.png_write, core.png_read,
 * core.viz_grid, core.viz_text (used by lua/ebm/io/viz.lua). */
#include "luaT.h"

#include "../io_png.h"
#include "../viz.h"

/* core.png_write(path, t): t is a u8 tensor [h,w] (gray), [h,w,1] or [h,w,3] (RGB). */
static int l_png_write(lua_State *L) {
    const char *path = luaL_checkstring(L, 1);
    ebm_tensor *t = luaT_checkdtype(L, 2, EBM_U8);
    int ch = t->ndim == 2 ? 1 : t->ndim == 3 ? (int)t->size[2] : 0;
    luaL_argcheck(L, ch == 1 || ch == 3, 2, "expected a u8 tensor [h,w] or [h,w,3]");
    if (!ebm_tensor_is_contiguous(t)) {
        ebm_tensor *c = luaT_new(L, EBM_U8, t->ndim, t->size);
        ebm_tensor_copy(c, t);
        t = c;
    }
    char err[256];
    int rc = ebm_png_write(path, ebm_tensor_data(t), t->size[0], t->size[1], ch, t->size[1] * ch, err, sizeof err);
    if (rc) return luaL_error(L, "png_write: %s: %s", path, err);
    return 0;
}

/* core.png_read(path) -> u8 tensor [h,w] (gray) or [h,w,3] (colour). */
static int l_png_read(lua_State *L) {
    const char *path = luaL_checkstring(L, 1);
    ebm_tensor *t = luaT_new(L, EBM_U8, 0, NULL); /* placeholder userdata, filled below */
    ebm_tensor_release(t);
    char err[256];
    int rc = ebm_png_read(path, t, err, sizeof err);
    if (rc) return luaL_error(L, "png_read: %s: %s", path, err);
    return 1;
}

/* core.viz_grid(images, ncol, scale, pad, levels, pad_value, normalize) -> u8 [H,W] or
 * [H,W,3]. images: [n,h,w], one [h,w], or RGB [n,h,w,3]; u8/f32/f64. normalize: 0 none,
 * 1 per image, 2 over all. See viz.h for the layout and value mapping. */
static int l_viz_grid(lua_State *L) {
    ebm_tensor *img = luaT_check(L, 1);
    luaL_argcheck(L, img->dtype == EBM_U8 || img->dtype == EBM_F32 || img->dtype == EBM_F64, 1,
                  "images must be u8, f32 or f64");
    int rgb = img->ndim == 4 && img->size[3] == 3;
    luaL_argcheck(L, img->ndim == 2 || img->ndim == 3 || rgb, 1, "images must be [n,h,w], [h,w] or [n,h,w,3]");
    ebm_grid_opts o;
    o.ncol = luaL_optinteger(L, 2, 10);
    o.scale = (int)luaL_optinteger(L, 3, 1);
    o.pad = (int)luaL_optinteger(L, 4, 0);
    o.levels = (int)luaL_optinteger(L, 5, 0);
    o.pad_value = (int)luaL_optinteger(L, 6, 128);
    o.normalize = (int)luaL_optinteger(L, 7, 0);
    luaL_argcheck(L, o.ncol >= 1, 2, "nrow must be >= 1");
    luaL_argcheck(L, o.scale >= 1 && o.scale <= 64, 3, "scale must be in 1..64");
    luaL_argcheck(L, o.pad >= 0 && o.pad <= 1024, 4, "pad must be in 0..1024");
    luaL_argcheck(L, o.levels == 0 || (o.levels >= 2 && o.levels <= 256), 5, "levels must be 0 (raw) or 2..256");
    luaL_argcheck(L, o.pad_value >= 0 && o.pad_value <= 255, 6, "pad_value must be in 0..255");
    luaL_argcheck(L, o.normalize >= 0 && o.normalize <= 2, 7, "normalize must be 0, 1 or 2");
    int d = img->ndim >= 3;
    int64_t size[3] = {0, 0, 3};
    ebm_viz_grid_size(d ? img->size[0] : 1, img->size[d], img->size[d + 1], &o, &size[0], &size[1]);
    if (size[0] > EBM_PNG_MAXDIM * 4 || size[1] > EBM_PNG_MAXDIM * 4)
        return luaL_error(L, "viz_grid: grid of %I x %I pixels is too large", (lua_Integer)size[0], (lua_Integer)size[1]);
    ebm_tensor *out = luaT_new(L, EBM_U8, rgb ? 3 : 2, size);
    ebm_tensor v3; /* img with a leading image dim; no Lua error may happen while it holds a reference */
    ebm_tensor_view_of(&v3, img);
    if (!d) {
        v3.size[2] = v3.size[1], v3.stride[2] = v3.stride[1];
        v3.size[1] = v3.size[0], v3.stride[1] = v3.stride[0];
        v3.size[0] = 1, v3.stride[0] = 0, v3.ndim = 3;
    }
    int rc = ebm_viz_grid(&v3, &o, out);
    ebm_tensor_release(&v3);
    if (rc) return luaT_error(L, rc, "viz_grid");
    return 1;
}

/* core.viz_text(canvas, x, y, text, scale, value) -> width: draw text (1-based x, y of the
 * top-left corner) into a u8 [H,W] canvas in the 3x5 font, clipped. */
static int l_viz_text(lua_State *L) {
    ebm_tensor *cv = luaT_checkdtype(L, 1, EBM_U8);
    luaL_argcheck(L, cv->ndim == 2, 1, "canvas must be a u8 tensor [h,w]");
    lua_Integer x = luaL_checkinteger(L, 2), y = luaL_checkinteger(L, 3);
    const char *s = luaL_checkstring(L, 4);
    lua_Integer scale = luaL_optinteger(L, 5, 1), value = luaL_optinteger(L, 6, 255);
    luaL_argcheck(L, scale >= 1 && scale <= 64, 5, "scale must be in 1..64");
    luaL_argcheck(L, value >= 0 && value <= 255, 6, "value must be in 0..255");
    lua_pushinteger(L, (lua_Integer)ebm_viz_text(cv, x - 1, y - 1, s, (int)scale, (int)value));
    return 1;
}

void ebm_open_png(lua_State *L, int mod) {
    static const luaL_Reg fns[] = {{"png_write", l_png_write}, {"png_read", l_png_read}, {"viz_grid", l_viz_grid},
                                   {"viz_text", l_viz_text},   {NULL, NULL}};
    luaT_setfuncs(L, mod, fns);
}
