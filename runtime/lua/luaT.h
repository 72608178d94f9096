/* luaT.h - helpers shared by the binding files (runtime/lua/l_*.c).
 *
 * runtime/lua/ is the only place that includes lua.h. Each binding file l_<area>.c defines
 *     void ebm_open_<area>(lua_State *L, int mod);
 * which adds its functions to the C module table at stack index `mod` (the table that
 * `require "ebm.core"` returns). The Makefile finds l_*.c files by name and generates the
 * list of openers, so adding an area needs no edit elsewhere.
 *
 * Index convention: Lua sees 1-based indices; they are converted to 0-based here, in the
 * binding layer, and nowhere else.
 */
#ifndef EBM_LUAT_H
#define EBM_LUAT_H

#include <lauxlib.h>
#include <lua.h>

#include "../rng.h"
#include "../tensor.h"

#define EBM_TENSOR_MT "ebm.Tensor"
#define EBM_RNG_MT "ebm.Rng"

/* The tensor at `arg`, or a Lua error naming the argument. */
ebm_tensor *luaT_check(lua_State *L, int arg);
/* Like luaT_check, and also requires dtype `dt` ("expected u8 tensor, got f32"). */
ebm_tensor *luaT_checkdtype(lua_State *L, int arg, ebm_dtype dt);
/* Requires dtype `dt` and a contiguous layout (for kernels that take raw pointers). */
ebm_tensor *luaT_checkcontig(lua_State *L, int arg, ebm_dtype dt);
/* Requires `ndim` dims; sizes[d] < 0 means any extent. Errors name the argument. */
void luaT_checkshape(lua_State *L, int arg, const ebm_tensor *t, int ndim, const int64_t *sizes);
/* Push "[2,3]" for a shape (sizes < 0 print as *); returns the string. */
const char *luaT_pushshape(lua_State *L, int ndim, const int64_t *size);
/* NULL if the value at `arg` is not a tensor. */
ebm_tensor *luaT_test(lua_State *L, int arg);

/* Push a new zero-filled contiguous tensor; raises a Lua error if out of memory. */
ebm_tensor *luaT_new(lua_State *L, ebm_dtype dt, int ndim, const int64_t *size);
/* Like luaT_new with undefined contents, for results a kernel overwrites completely. */
ebm_tensor *luaT_newraw(lua_State *L, ebm_dtype dt, int ndim, const int64_t *size);
/* Push a new view sharing src's storage. */
ebm_tensor *luaT_pushview(lua_State *L, const ebm_tensor *src);
/* Raise a Lua error for runtime code `rc` from function `fname`. */
int luaT_error(lua_State *L, int rc, const char *fname);

/* The generator at `arg`, or an error. */
ebm_rng *luaT_checkrng(lua_State *L, int arg);
ebm_rng *luaT_pushrng(lua_State *L, uint64_t seed);

/* Read a dtype name argument ("f32", "f64", "u8", "i32"); `def` if none/nil. */
ebm_dtype luaT_optdtype(lua_State *L, int arg, ebm_dtype def);

/* Push the ebm.Tensor method table (the metatable's __index), creating it if needed.
 * Binding files add tensor methods with: ebm_tensor_methods(L); luaL_setfuncs(L, fns, 0); */
void ebm_tensor_methods(lua_State *L);

/* Set functions into the table at stack index `mod`. */
void luaT_setfuncs(lua_State *L, int mod, const luaL_Reg *fns);

/* Integer field of the table at `idx`, or `def` when absent; errors if not an integer. */
lua_Integer luaT_optintfield(lua_State *L, int idx, const char *key, lua_Integer def);
lua_Number luaT_optnumfield(lua_State *L, int idx, const char *key, lua_Number def);

#endif
