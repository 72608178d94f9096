/* kernel.h - ebmlua as a Jupyter kernel (messaging protocol 5.3 over ZeroMQ).
 *
 * Like main.c this file uses lua.h and is part of the ebmlua program only.
 *   ebmlua --kernel CONNECTION_FILE
 *   ebmlua --install-kernel [--user | --prefix DIR] [--exe PATH]
 */
#ifndef EBM_KERNEL_H
#define EBM_KERNEL_H

#include <lua.h>

#define KERNEL_RUN 1
#define KERNEL_INSTALL 2

/* KERNEL_RUN when argv[1] is --kernel, KERNEL_INSTALL when it is --install-kernel, else 0. */
int kernel_option(int argc, char **argv);

/* Serve the kernel described by the connection file until a shutdown request. L is the
 * interpreter's state with `ebm` loaded; cells run in it. Returns 0, or -1 after printing
 * why the kernel could not start. */
int kernel_run(lua_State *L, const char *connection_file);

/* Write the kernelspec (kernel.json, logo-32x32.png, logo-64x64.png) into
 * <dir>/share/jupyter/kernels/ebmlua (--prefix DIR), the user's Jupyter data directory
 * (--user), or /usr/local/share/jupyter/kernels/ebmlua. kernel.json names the absolute
 * path of this program, or --exe PATH. Returns 0 or -1 (message printed). */
int kernel_install(lua_State *L, int argc, char **argv);

#endif
