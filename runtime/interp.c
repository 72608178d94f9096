/* interp.c - error handler, interruption and completion shared by the REPL and the kernel
 * (contracts in interp.h). */
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "interp.h"

int interp_msghandler(lua_State *L) {
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

static void lstop(lua_State *L, lua_Debug *ar) {
    (void)ar;
    lua_sethook(L, NULL, 0, 0);
    luaL_error(L, "interrupted!");
}

void interp_interrupt(lua_State *L) {
    int flag = LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT;
    lua_sethook(L, lstop, flag, 1);
}

/* Keys of the table (or the __index chain) on top of the stack starting with `prefix`;
 * each candidate is `head .. key`. */
static void collect_fields(lua_State *L, const char *head, const char *prefix, int depth,
                           void (*add)(void *, const char *), void *ud) {
    if (depth > 4) return;
    int t = lua_gettop(L);
    if (lua_type(L, t) == LUA_TTABLE) {
        lua_pushnil(L);
        while (lua_next(L, t)) {
            if (lua_type(L, -2) == LUA_TSTRING) {
                const char *k = lua_tostring(L, -2);
                if (strncmp(k, prefix, strlen(prefix)) == 0) {
                    char buf[512];
                    snprintf(buf, sizeof buf, "%s%s%s", head, k, lua_type(L, -1) == LUA_TFUNCTION ? "(" : "");
                    add(ud, buf);
                }
            }
            lua_pop(L, 1);
        }
    }
    if (lua_getmetatable(L, t)) {
        if (lua_getfield(L, -1, "__index") == LUA_TTABLE) collect_fields(L, head, prefix, depth + 1, add, ud);
        lua_pop(L, 2);
    }
}

void interp_complete(lua_State *L, const char *text, void (*add)(void *ud, const char *cand), void *ud) {
    int top = lua_gettop(L);
    const char *sep = NULL; /* split text at the last '.' or ':' */
    for (const char *p = text; *p; p++)
        if (*p == '.' || *p == ':') sep = p;
    lua_pushglobaltable(L);
    if (sep) {
        char path[512];
        size_t n = (size_t)(sep - text);
        if (n >= sizeof path) n = sizeof path - 1;
        memcpy(path, text, n);
        path[n] = 0;
        char *save, *tok = strtok_r(path, ".:", &save);
        while (tok && !lua_isnil(L, -1)) {
            if (lua_type(L, -1) == LUA_TTABLE || lua_type(L, -1) == LUA_TUSERDATA) {
                lua_getfield(L, -1, tok); /* may call __index: fine for ebm objects */
            } else {
                lua_pushnil(L);
            }
            lua_remove(L, -2);
            tok = strtok_r(NULL, ".:", &save);
        }
        char head[512];
        snprintf(head, sizeof head, "%.*s", (int)(sep - text + 1), text);
        if (!lua_isnil(L, -1)) collect_fields(L, head, sep + 1, 0, add, ud);
    } else {
        collect_fields(L, "", text, 0, add, ud);
        static const char *kw[] = {"and", "break", "do", "else", "elseif", "end", "false", "for", "function",
                                   "goto", "if", "in", "local", "nil", "not", "or", "repeat", "return",
                                   "then", "true", "until", "while", NULL};
        for (int i = 0; kw[i]; i++)
            if (strncmp(kw[i], text, strlen(text)) == 0) add(ud, kw[i]);
    }
    lua_settop(L, top);
}
