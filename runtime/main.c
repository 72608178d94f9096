/* main.c - the ebmlua interpreter: Lua 5.4 with the ebm runtime built in.
 *
 * Behaves like the standard `lua` program (lua.c): `ebmlua [options] [script [args]]`,
 * the `arg` table, -e -l -i -v -E, `-` for stdin, a traceback on error and exit status 1.
 * With no script it starts a REPL (readline editing and history, expressions printed,
 * multi-line input, tab completion, Ctrl-C interrupts the running chunk). The Lua library
 * in lua/ebm/ is found next to the executable (or through EBMLUA_PATH) and loaded as the
 * global `ebm` before anything runs. `ebmlua --kernel FILE` is a Jupyter kernel instead
 * (kernel.c); interp.c holds what the REPL and the kernel share.
 */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "interp.h"
#include "kernel.h"

#ifndef EBM_VERSION
#define EBM_VERSION "0.0.0"
#endif

int luaopen_ebm_core(lua_State *L);

static const char *progname = "ebmlua";
static lua_State *globalL = NULL;

/* ---- errors and signals (as lua.c) ---- */

static void laction(int i) {
    signal(i, SIG_DFL); /* a second Ctrl-C kills the process */
    interp_interrupt(globalL);
}

static void l_message(const char *pname, const char *msg) {
    if (pname) fprintf(stderr, "%s: ", pname);
    fprintf(stderr, "%s\n", msg);
    fflush(stderr);
}

static int report(lua_State *L, int status) {
    if (status != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        if (msg == NULL) msg = "(error object is not a string)";
        l_message(progname, msg);
        lua_pop(L, 1);
    }
    return status;
}

static int docall(lua_State *L, int narg, int nres) {
    int base = lua_gettop(L) - narg;
    lua_pushcfunction(L, interp_msghandler);
    lua_insert(L, base);
    globalL = L;
    struct sigaction sa, old; /* Ctrl-C interrupts this chunk; the caller's handler after */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = laction;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);
    int status = lua_pcall(L, narg, nres, base);
    sigaction(SIGINT, &old, NULL);
    lua_remove(L, base);
    return status;
}

static void print_version(void) {
    printf("ebmlua %s (%s)\n", EBM_VERSION, LUA_RELEASE);
    fflush(stdout);
}

static void print_usage(const char *badoption) {
    if (badoption[1] == 'e' || badoption[1] == 'l')
        fprintf(stderr, "%s: '%s' needs argument\n", progname, badoption);
    else
        fprintf(stderr, "%s: unrecognized option '%s'\n", progname, badoption);
    fprintf(stderr,
            "usage: %s [options] [script [args]]\n"
            "Available options are:\n"
            "  -e stat   execute string 'stat'\n"
            "  -i        enter interactive mode after executing 'script'\n"
            "  -l mod    require library 'mod' into global 'mod'\n"
            "  -l g=mod  require library 'mod' into global 'g'\n"
            "  -v        show version information\n"
            "  -E        ignore environment variables\n"
            "  --        stop handling options\n"
            "  -         stop handling options and execute stdin\n"
            "  --kernel CONNECTION_FILE   serve as a Jupyter kernel (first option only)\n"
            "  --install-kernel [--user | --prefix DIR] [--exe PATH]   write the kernelspec\n",
            progname);
}

/* ---- the arg table and the library path ---- */

static void createargtable(lua_State *L, char **argv, int argc, int script) {
    if (script == argc) script = 0; /* no script name */
    lua_createtable(L, argc - (script + 1), script + 1);
    for (int i = 0; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i - script);
    }
    lua_setglobal(L, "arg");
}

/* Directory holding the executable, from /proc/self/exe (falls back to argv[0]). */
static void exe_dir(char *out, size_t n, const char *argv0) {
    char buf[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (len <= 0) {
        if (!realpath(argv0, buf)) snprintf(buf, sizeof buf, "%s", argv0);
    } else {
        buf[len] = 0;
    }
    char *slash = strrchr(buf, '/');
    if (slash) *slash = 0;
    else snprintf(buf, sizeof buf, ".");
    snprintf(out, n, "%s", buf);
}

/* Prepend ebmlua's own Lua directories to package.path:
 *   $EBMLUA_PATH (a ;-separated list of templates, unless -E),
 *   <exe dir>/lua (a build tree), <exe dir>/../share/ebmlua/lua (an installed copy). */
static void set_paths(lua_State *L, const char *argv0, int noenv) {
    char dir[PATH_MAX], add[4 * PATH_MAX + 256];
    exe_dir(dir, sizeof dir, argv0);
    const char *env = noenv ? NULL : getenv("EBMLUA_PATH");
    snprintf(add, sizeof add, "%s%s%s/lua/?.lua;%s/lua/?/init.lua;%s/../share/ebmlua/lua/?.lua;%s/../share/ebmlua/lua/?/init.lua;",
             env ? env : "", env ? ";" : "", dir, dir, dir, dir);
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "path");
    lua_pushfstring(L, "%s%s", add, lua_tostring(L, -1));
    lua_setfield(L, -3, "path");
    lua_pop(L, 1);
    lua_pushstring(L, dir);
    lua_setfield(L, -2, "ebmlua_dir");
    lua_pop(L, 1);
}

/* Load the runtime: package.preload["ebm.core"], then `ebm = require "ebm"`. */
static int load_ebm(lua_State *L) {
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    lua_pushcfunction(L, luaopen_ebm_core);
    lua_setfield(L, -2, "ebm.core");
    lua_pop(L, 1);
    lua_getglobal(L, "require");
    lua_pushliteral(L, "ebm");
    int status = docall(L, 1, 1);
    if (status == LUA_OK) lua_setglobal(L, "ebm");
    return report(L, status);
}

/* ---- running chunks ---- */

static int dochunk(lua_State *L, int status) {
    if (status == LUA_OK) status = docall(L, 0, 0);
    return report(L, status);
}

static int dostring(lua_State *L, const char *s, const char *name) {
    return dochunk(L, luaL_loadbuffer(L, s, strlen(s), name));
}

static int dolibrary(lua_State *L, char *globname) {
    char *modname = strchr(globname, '=');
    if (modname == NULL) {
        modname = globname;
    } else {
        *modname = '\0';
        modname++;
    }
    lua_getglobal(L, "require");
    lua_pushstring(L, modname);
    int status = docall(L, 1, 1);
    if (status == LUA_OK) lua_setglobal(L, globname);
    return report(L, status);
}

static int pushargs(lua_State *L) {
    if (lua_getglobal(L, "arg") != LUA_TTABLE) luaL_error(L, "'arg' is not a table");
    int n = (int)luaL_len(L, -1);
    luaL_checkstack(L, n + 3, "too many arguments to script");
    int i;
    for (i = 1; i <= n; i++) lua_rawgeti(L, -i, i);
    lua_remove(L, -i);
    return n;
}

static int handle_script(lua_State *L, char **argv) {
    const char *fname = argv[0];
    if (strcmp(fname, "-") == 0 && strcmp(argv[-1], "--") != 0) fname = NULL; /* stdin */
    int status = luaL_loadfile(L, fname);
    if (status == LUA_OK) {
        int n = pushargs(L);
        status = docall(L, n, LUA_MULTRET);
    }
    return report(L, status);
}

/* ---- the REPL ---- */

#define EOFMARK "<eof>"
#define MARKLEN (sizeof(EOFMARK) / sizeof(char) - 1)

static int incomplete(lua_State *L, int status) {
    if (status == LUA_ERRSYNTAX) {
        size_t lmsg;
        const char *msg = lua_tolstring(L, -1, &lmsg);
        if (lmsg >= MARKLEN && strcmp(msg + lmsg - MARKLEN, EOFMARK) == 0) {
            lua_pop(L, 1);
            return 1;
        }
    }
    return 0;
}

static char *history_path(void) {
    static char path[PATH_MAX];
    const char *home = getenv("HOME");
    if (!home) return NULL;
    snprintf(path, sizeof path, "%s/.ebmlua_history", home);
    return path;
}

/* Reading a line. Plain readline() (its callback mode crashes inside libreadline 8.2 on
 * Ctrl-R, Ctrl-X, key), with our own getc so that Ctrl-C at the prompt can end the wait:
 * SIGINT (handled by prompt_sigint, installed without SA_RESTART, readline's own signal
 * handling off) sets a flag and interrupts read(); from then on every key readline asks
 * for is an end of input on an empty line, which ends whatever it is in (a search, a key
 * prefix) and makes readline() return. The flag tells that return apart from Ctrl-D: the
 * typed line is dropped and a fresh prompt shown, as in most shells. During a running
 * chunk SIGINT goes to laction instead (see docall). */
static volatile sig_atomic_t prompt_interrupted = 0;

static void prompt_sigint(int sig) {
    (void)sig;
    prompt_interrupted = 1;
}

/* A key read in the same moment as the Ctrl-C belongs to the next line: kept here. */
static int held_key = -1;

static int prompt_getc(FILE *in) {
    int fd = fileno(in ? in : stdin);
    for (;;) {
        if (prompt_interrupted) {
            rl_replace_line("", 0); /* EOF on an empty line: readline returns at once */
            rl_point = rl_end = 0;
            return EOF;
        }
        if (held_key >= 0) {
            int c = held_key;
            held_key = -1;
            return c;
        }
        unsigned char c;
        ssize_t r = read(fd, &c, 1);
        if (r == 1 && prompt_interrupted) held_key = c; /* typed after the Ctrl-C */
        else if (r == 1) return c;
        else if (r == 0 || errno != EINTR) return EOF;
    }
}

/* Read one line with `prompt`: 1 = got a line (*out, malloc'd), 0 = end of input,
 * 2 = interrupted by Ctrl-C. SIGINT must be handled by prompt_sigint (doREPL sets it). */
static int read_line(const char *prompt, char **out) {
    prompt_interrupted = 0;
    rl_catch_signals = 0;
    rl_getc_function = prompt_getc;
    char *line = readline(prompt);
    *out = NULL;
    if (prompt_interrupted) {
        free(line);
        fputs("^C\n", stdout);
        fflush(stdout);
        return 2;
    }
    *out = line;
    return line != NULL;
}

/* Push the next input line: 1 = pushed, 0 = end of input, 2 = interrupted (nothing pushed). */
static int pushline(lua_State *L, int firstline) {
    const char *prmt = firstline ? "> " : ">> ";
    char *b = NULL;
    int r = read_line(prmt, &b);
    if (r != 1) return r;
    size_t l = strlen(b);
    if (l > 0 && b[l - 1] == '\n') b[--l] = '\0';
    if (firstline && b[0] == '=') lua_pushfstring(L, "return %s", b + 1);
    else lua_pushlstring(L, b, l);
    free(b);
    return 1;
}

static int addreturn(lua_State *L) {
    const char *line = lua_tostring(L, -1);
    const char *retline = lua_pushfstring(L, "return %s;", line);
    int status = luaL_loadbuffer(L, retline, strlen(retline), "=stdin");
    if (status == LUA_OK) {
        lua_remove(L, -2);
        if (line[0] != '\0') add_history(line);
    } else {
        lua_pop(L, 2);
    }
    return status;
}

#define REPL_INTERRUPTED (-2) /* loadline: Ctrl-C while typing; nothing to run */

static int multiline(lua_State *L) {
    for (;;) {
        size_t len;
        const char *line = lua_tolstring(L, 1, &len);
        int status = luaL_loadbuffer(L, line, len, "=stdin");
        int more = incomplete(L, status) ? pushline(L, 0) : 0;
        if (more == 2) { /* drop the unfinished chunk */
            add_history(line);
            lua_settop(L, 0);
            return REPL_INTERRUPTED;
        }
        if (!more) {
            add_history(line);
            return status;
        }
        lua_pushliteral(L, "\n");
        lua_insert(L, -2);
        lua_concat(L, 3);
    }
}

static int loadline(lua_State *L) {
    lua_settop(L, 0);
    int got = pushline(L, 1);
    if (got == 0) return -1;
    if (got == 2) return REPL_INTERRUPTED;
    int status = addreturn(L);
    if (status != LUA_OK) status = multiline(L);
    if (status == REPL_INTERRUPTED) return status;
    lua_remove(L, 1);
    return status;
}

/* Print results with ebm.repl_print when the library provides it (pretty tables and
 * tensors), else with plain print. */
static void l_print(lua_State *L) {
    int n = lua_gettop(L);
    if (n == 0) return;
    luaL_checkstack(L, LUA_MINSTACK, "too many results to print");
    int printer = 0;
    if (lua_getglobal(L, "ebm") == LUA_TTABLE && lua_getfield(L, -1, "repl_print") == LUA_TFUNCTION) {
        printer = 1;
        lua_remove(L, -2);
    } else {
        lua_settop(L, n);
        lua_getglobal(L, "print");
    }
    (void)printer;
    lua_insert(L, 1);
    if (docall(L, n, 0) != LUA_OK)
        l_message(progname, lua_pushfstring(L, "error calling 'print' (%s)", lua_tostring(L, -1)));
}

/* Tab completion: complete the last `a.b.c` / `a:b` word against globals and fields. */
static char **completion_list = NULL;
static int completion_n = 0, completion_i = 0;

static void completion_reset(void) {
    for (int i = 0; i < completion_n; i++) free(completion_list[i]);
    free(completion_list);
    completion_list = NULL;
    completion_n = completion_i = 0;
}

static void completion_add(const char *s) {
    char **nl = realloc(completion_list, sizeof(char *) * (size_t)(completion_n + 1));
    if (!nl) return;
    completion_list = nl;
    completion_list[completion_n] = strdup(s);
    if (completion_list[completion_n]) completion_n++;
}

static void completion_add_cb(void *ud, const char *s) {
    (void)ud;
    completion_add(s);
}

static char *completion_generator(const char *text, int state) {
    if (state == 0) {
        completion_reset();
        interp_complete(globalL, text, completion_add_cb, NULL);
    }
    if (completion_i < completion_n) return strdup(completion_list[completion_i++]);
    return NULL;
}

static char **ebm_completion(const char *text, int start, int end) {
    (void)start, (void)end;
    rl_completion_append_character = '\0';
    rl_attempted_completion_over = 1;
    return rl_completion_matches(text, completion_generator);
}

static void doREPL(lua_State *L) {
    const char *oldprogname = progname;
    progname = NULL;
    globalL = L;
    rl_readline_name = "ebmlua";
    rl_basic_word_break_characters = " \t\n\"\\'`@$><=;|&{(,+-*/%^#~[]";
    rl_attempted_completion_function = ebm_completion;
    char *hist = isatty(STDIN_FILENO) ? history_path() : NULL; /* keep piped input out of it */
    if (hist) read_history(hist);
    /* Between chunks Ctrl-C only sets a flag (the prompt drops the line); docall
     * installs laction while a chunk runs. No SA_RESTART, so read() returns EINTR. */
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = prompt_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);
    int status;
    while ((status = loadline(L)) != -1) {
        if (status == REPL_INTERRUPTED) continue;
        if (status == LUA_OK) status = docall(L, 0, LUA_MULTRET);
        if (status == LUA_OK) l_print(L);
        else report(L, status);
    }
    sigaction(SIGINT, &old, NULL);
    lua_settop(L, 0);
    if (isatty(STDIN_FILENO)) fputs("\n", stdout);
    fflush(stdout);
    if (hist) {
        write_history(hist);
        history_truncate_file(hist, 1000);
    }
    progname = oldprogname;
}

/* ---- argument scanning (as lua.c) ---- */

#define has_error 1
#define has_i 2
#define has_v 4
#define has_e 8
#define has_E 16

static int collectargs(char **argv, int *first) {
    int args = 0, i;
    if (argv[0] != NULL) {
        for (i = 1; argv[i] != NULL; i++) {
            *first = i;
            if (argv[i][0] != '-') return args;
            switch (argv[i][1]) {
            case '-':
                if (argv[i][2] != '\0') return has_error;
                *first = i + 1;
                return args;
            case '\0': return args;
            case 'E':
                if (argv[i][2] != '\0') return has_error;
                args |= has_E;
                break;
            case 'i': args |= has_i; /* -i implies -v */ /* fall through */
            case 'v':
                if (argv[i][2] != '\0') return has_error;
                args |= has_v;
                break;
            case 'e': args |= has_e; /* fall through */
            case 'l':
                if (argv[i][2] == '\0') {
                    i++;
                    if (argv[i] == NULL || argv[i][0] == '-') return has_error;
                }
                break;
            default: return has_error;
            }
        }
        *first = i;
    } else {
        *first = 0;
    }
    return args;
}

static int runargs(lua_State *L, char **argv, int n) {
    for (int i = 1; i < n; i++) {
        int option = argv[i][1];
        switch (option) {
        case 'e':
        case 'l': {
            char *extra = argv[i] + 2;
            if (*extra == '\0') extra = argv[++i];
            int status = (option == 'e') ? dostring(L, extra, "=(command line)") : dolibrary(L, extra);
            if (status != LUA_OK) return 0;
            break;
        }
        }
    }
    return 1;
}

static int pmain(lua_State *L) {
    int argc = (int)lua_tointeger(L, 1);
    char **argv = (char **)lua_touserdata(L, 2);
    int script = argc;
    int kernel = kernel_option(argc, argv); /* --kernel FILE / --install-kernel ... */
    int args = kernel ? 0 : collectargs(argv, &script);
    if (argv[0] && argv[0][0]) progname = argv[0];
    if (args == has_error) {
        print_usage(argv[script]);
        return 0;
    }
    if (args & has_v) print_version();
    luaL_openlibs(L);
    createargtable(L, argv, argc, script);
    lua_gc(L, LUA_GCRESTART);
    /* Incremental, not generational (lua.c's default): tensors report their storage to
     * the collector as debt (luaT_new), and in generational mode a temporary that is
     * still in a register during two minor collections becomes old and lives until a
     * major one, so loops making big temporaries grew by gigabytes. */
    lua_gc(L, LUA_GCINC, 0, 0, 0);
    if (args & has_E) {
        lua_pushboolean(L, 1);
        lua_setfield(L, LUA_REGISTRYINDEX, "LUA_NOENV");
    }
    set_paths(L, argv[0] ? argv[0] : "ebmlua", args & has_E);
    if (kernel == KERNEL_INSTALL) {
        lua_pushboolean(L, kernel_install(L, argc, argv) == 0);
        return 1;
    }
    if (load_ebm(L) != LUA_OK) return 0;
    if (kernel == KERNEL_RUN) {
        lua_pushboolean(L, kernel_run(L, argv[2]) == 0);
        return 1;
    }
    if (!runargs(L, argv, script)) return 0;
    if (script < argc && handle_script(L, argv + script) != LUA_OK) return 0;
    if (args & has_i) {
        doREPL(L);
    } else if (script == argc && !(args & (has_e | has_v))) {
        if (isatty(STDIN_FILENO)) {
            print_version();
            doREPL(L);
        } else {
            dochunk(L, luaL_loadfile(L, NULL));
        }
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* Library defaults that can only be chosen through the environment before the libraries
 * load, so they are set here and the program re-executes itself once:
 * - OpenBLAS (DYNAMIC_ARCH) picks its kernels from CPUID when it loads; under some
 *   hypervisors it sees a generic CPU ("Prescott") and runs sgemm about 6x slower. Unless
 *   the user chose OPENBLAS_CORETYPE, pick the kernel family from the CPU's features.
 * - libgomp's idle threads spin by default; on a machine whose cores are shared with other
 *   work that made 2-thread sweeps and training epochs 3-30x slower than 1 thread. Unless
 *   the user chose OMP_WAIT_POLICY, idle threads sleep ("passive").
 * A variable the user has set is never changed. Both libraries read the environment in
 * their ELF constructors, which run before main(); a .preinit_array function runs earlier
 * but cannot help (tried: glibc's environ is NULL there, and it is set from the startup
 * stack before the libraries' constructors run, dropping anything setenv added), hence
 * the re-exec.
 * No re-exec, only the variables set for child processes, when EBMLUA_NO_REEXEC is set or
 * under valgrind (its LD_PRELOAD names vgpreload_*): a tool runs the program it started,
 * not a copy, so `valgrind ./ebmlua` checks the interpreter itself (valgrind's virtual CPU
 * then chooses OpenBLAS's kernels, which is what valgrind can run anyway). */
static int under_tool(void) {
    const char *pre = getenv("LD_PRELOAD");
    return getenv("EBMLUA_NO_REEXEC") != NULL || (pre && strstr(pre, "vgpreload_"));
}

static void env_defaults(char **argv) {
    int changed = 0;
    if (!getenv("OPENBLAS_CORETYPE")) {
        const char *core = NULL;
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
            __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
            core = "SkylakeX";
        else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
            core = "Haswell";
        if (core && setenv("OPENBLAS_CORETYPE", core, 1) == 0) changed = 1;
    }
    if (!getenv("OMP_WAIT_POLICY") && setenv("OMP_WAIT_POLICY", "passive", 1) == 0) changed = 1;
    if (changed && !under_tool()) execv("/proc/self/exe", argv); /* on failure carry on with the defaults */
}

int main(int argc, char **argv) {
    /* Tensor storage comes and goes in same-sized blocks (temporaries each step). glibc
     * would mmap every block over its (adaptive) threshold and unmap it on free, paying
     * page faults on each reuse; keep blocks up to 64 MiB in the heap and let up to
     * 128 MiB of free space stay mapped for reuse. */
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
    env_defaults(argv);
    lua_State *L = luaL_newstate();
    if (L == NULL) {
        l_message(argv[0], "cannot create state: not enough memory");
        return EXIT_FAILURE;
    }
    lua_gc(L, LUA_GCSTOP);
    lua_pushcfunction(L, &pmain);
    lua_pushinteger(L, argc);
    lua_pushlightuserdata(L, argv);
    int status = lua_pcall(L, 2, 1, 0);
    int result = lua_toboolean(L, -1);
    report(L, status);
    lua_close(L);
    return (result && status == LUA_OK) ? EXIT_SUCCESS : EXIT_FAILURE;
}
