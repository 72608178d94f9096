/* l_idx.c - IDX file reading: core.idx_read(path). */
#include "luaT.h"

#include "../io_idx.h"

/* core.idx_read(path) -> tensor with the file's shape (u8 for MNIST; see io_idx.h for the
 * other element types). Raises "idx_read: <path>: <reason>" on any failure. */
static int l_idx_read(lua_State *L) {
    const char *path = luaL_checkstring(L, 1);
    ebm_tensor *t = luaT_new(L, EBM_U8, 0, NULL); /* safe placeholder, replaced below */
    ebm_tensor_release(t);
    char err[256];
    int rc = ebm_idx_read(path, t, err, sizeof err);
    if (rc) return luaL_error(L, "idx_read: %s: %s", path, err);
    return 1;
}

void ebm_open_idx(lua_State *L, int mod) {
    static const luaL_Reg fns[] = {{"idx_read", l_idx_read}, {NULL, NULL}};
    luaT_setfuncs(L, mod, fns);
}
