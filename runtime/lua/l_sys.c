/* l_sys.c - small operating-system helpers for the Lua library (ebm.sys):
 * terminal detection, a monotonic clock, CPU time, load average, the executable's path.
 * (Thread count: ebm.threads, runtime/lua/l_gibbs.c.) Used by progress bars, run folders and sweeps. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "../blas.h"
#include "../pool.h"
#include "../lock.h"
#include "luaT.h"
#include <lualib.h>

/* sys_isatty(f) -> boolean: f is a file handle (io.stdout) or an integer descriptor. */
static int sys_isatty(lua_State *L) {
    int fd;
    if (lua_isinteger(L, 1)) {
        fd = (int)lua_tointeger(L, 1);
    } else {
        luaL_Stream *p = (luaL_Stream *)luaL_testudata(L, 1, LUA_FILEHANDLE);
        if (p == NULL) return luaL_argerror(L, 1, "expected a file handle or an integer descriptor");
        if (p->closef == NULL || p->f == NULL) return luaL_argerror(L, 1, "file is closed");
        fd = fileno(p->f);
    }
    lua_pushboolean(L, isatty(fd) == 1);
    return 1;
}

static double ts_seconds(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* sys_clock() -> seconds on a monotonic clock (for durations, never for dates). */
static int sys_clock(lua_State *L) {
    lua_pushnumber(L, ts_seconds(CLOCK_MONOTONIC));
    return 1;
}

/* sys_cputime() -> CPU seconds used by this process (all threads). */
static int sys_cputime(lua_State *L) {
    lua_pushnumber(L, ts_seconds(CLOCK_PROCESS_CPUTIME_ID));
    return 1;
}

/* sys_ncpus() -> processors online. */
static int sys_ncpus(lua_State *L) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    lua_pushinteger(L, n > 0 ? n : 1);
    return 1;
}

/* sys_loadavg() -> 1, 5 and 15 minute load averages (nil if unavailable). */
static int sys_loadavg(lua_State *L) {
    double a[3];
    if (getloadavg(a, 3) != 3) { lua_pushnil(L); return 1; }
    for (int i = 0; i < 3; i++) lua_pushnumber(L, a[i]);
    return 3;
}

/* sys_pid() -> this process's id. */
static int sys_pid(lua_State *L) {
    lua_pushinteger(L, (lua_Integer)getpid());
    return 1;
}

/* sys_alive(pid) -> boolean: a process with this id exists on this host (kill(pid, 0);
 * EPERM means it exists but belongs to another user). Used to recognise the lock files and
 * temporary files of dead writers. */
static int sys_alive(lua_State *L) {
    lua_Integer pid = luaL_checkinteger(L, 1);
    luaL_argcheck(L, pid > 0 && pid <= 0x7fffffff, 1, "process id out of range");
    lua_pushboolean(L, kill((pid_t)pid, 0) == 0 || errno == EPERM);
    return 1;
}

/* sys_lock(path, info) -> descriptor (the lock is held until sys_unlock or the end of the
 * process), or nil, "busy", the holder's info (another process holds it), or nil, "error",
 * message. See runtime/lock.h. */
static int sys_lock(lua_State *L) {
    const char *path = luaL_checkstring(L, 1);
    const char *info = luaL_checkstring(L, 2);
    char holder[4096], err[512];
    int fd;
    int rc = ebm_lock_acquire(path, info, &fd, holder, sizeof holder, err, sizeof err);
    if (rc == 0) { lua_pushinteger(L, fd); return 1; }
    lua_pushnil(L);
    lua_pushstring(L, rc == EBM_EBUSY ? "busy" : "error");
    lua_pushstring(L, rc == EBM_EBUSY ? holder : err);
    return 3;
}

/* sys_unlock(fd): give up a lock taken by sys_lock. */
static int sys_unlock(lua_State *L) {
    lua_Integer fd = luaL_checkinteger(L, 1);
    luaL_argcheck(L, fd > 2 && fd <= 0x7fffffff, 1, "not a lock descriptor");
    ebm_lock_release((int)fd);
    return 0;
}

/* sys_exe() -> absolute path of the running executable (nil if unknown). */
static int sys_exe(lua_State *L) {
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) { lua_pushnil(L); return 1; }
    buf[n] = '\0';
    lua_pushstring(L, buf);
    return 1;
}

/* sys_sleep(seconds): sleep for a non-negative duration. */
static int sys_sleep(lua_State *L) {
    double s = luaL_checknumber(L, 1);
    luaL_argcheck(L, s >= 0 && s < 1e6, 1, "duration must be in [0, 1e6) seconds");
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
    return 0;
}

/* core.threads([n]) -> the thread count (with n: the count before); with n, the count from
 * now on: n >= 1 fixed, 0 automatic (pool.h: the cores not busy with other programs; the
 * default). The OpenMP pool runs the kernels and the matrix products (blas.h; OpenBLAS itself
 * stays single-threaded). Results do not depend on the count. */
static int sys_threads(lua_State *L) {
    int n = -1, prev = 1;
    if (!lua_isnoneornil(L, 1)) {
        lua_Integer v = luaL_checkinteger(L, 1);
        luaL_argcheck(L, v >= 0 && v <= 1024, 1, "thread count out of range 0..1024 (0: automatic)");
        n = (int)v;
    }
    ebm_pool_refresh();
#ifdef _OPENMP
    prev = omp_get_max_threads();
#endif
    if (n >= 0) ebm_pool_fix(n);
    lua_pushinteger(L, prev);
    return 1;
}

/* core.threads_auto() -> true when the thread count is automatic. */
static int sys_threads_auto(lua_State *L) {
    lua_pushboolean(L, ebm_pool_is_auto());
    return 1;
}

void ebm_open_sys(lua_State *L, int mod) {
    ebm_blas_init();
    static const luaL_Reg fns[] = {
        {"sys_isatty", sys_isatty}, {"sys_clock", sys_clock}, {"sys_cputime", sys_cputime},
        {"sys_ncpus", sys_ncpus},
        {"sys_loadavg", sys_loadavg}, {"sys_pid", sys_pid}, {"sys_alive", sys_alive}, {"sys_lock", sys_lock}, {"sys_unlock", sys_unlock}, {"sys_exe", sys_exe}, {"sys_sleep", sys_sleep},
        {"threads", sys_threads}, {"threads_auto", sys_threads_auto},
        {NULL, NULL}};
    luaT_setfuncs(L, mod, fns);
}
