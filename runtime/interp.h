/* interp.h - pieces of the interpreter shared by the REPL (main.c) and the notebook
 * kernel (kernel.c). Like main.c and kernel.c this file uses lua.h and is linked into the
 * ebmlua program only, never into libebm.a or the ebm/core.so module.
 */
#ifndef EBM_INTERP_H
#define EBM_INTERP_H

#include <lua.h>

/* Message handler for lua_pcall: the error message followed by a stack traceback
 * (non-string errors through __tostring, as lua.c). */
int interp_msghandler(lua_State *L);

/* Make the chunk running in L stop with the error "interrupted!" at its next Lua
 * instruction (a hook that removes itself and raises the error). Safe to call from a
 * signal handler, as lua.c's laction. */
void interp_interrupt(lua_State *L);

/* Completion of the last `a.b.c` / `a:b` word `text` against globals and fields of L
 * (following __index tables), plus Lua keywords when `text` has no separator. Each
 * candidate is the whole word (functions end in "("), passed to add(ud, candidate).
 * The Lua stack is left as it was. */
void interp_complete(lua_State *L, const char *text, void (*add)(void *ud, const char *cand), void *ud);

#endif
