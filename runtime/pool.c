/* pool.c - the OpenMP pool's thread count (pool.h). */
#include "pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* -1: not decided yet (automatic unless OMP_NUM_THREADS is set); 0: automatic; 1: fixed. The
 * runtime's entry points run on the interpreter's one thread, so plain statics suffice. */
static int fixed = -1;
static double next_check;

int ebm_pool_auto_count(int running, int ncpu) {
    int others = running - 1;  /* the task reading /proc/loadavg is this process's own */
    if (others < 0) others = 0;
    int n = ncpu - others;
    return n < 1 ? 1 : n > ncpu ? ncpu : n;
}

void ebm_pool_fix(int n) {
    fixed = n >= 1;
#ifdef _OPENMP
    omp_set_num_threads(n >= 1 ? n : omp_get_num_procs());
#endif
    next_check = 0;
}

int ebm_pool_is_auto(void) {
    if (fixed < 0) fixed = getenv("OMP_NUM_THREADS") != NULL;
    return !fixed;
}

/* Runnable tasks now (4th field of /proc/loadavg, "R/T"), or -1. */
static int runnable(void) {
    FILE *f = fopen("/proc/loadavg", "r");
    if (!f) return -1;
    double a, b, c;
    int r = -1, t;
    if (fscanf(f, "%lf %lf %lf %d/%d", &a, &b, &c, &r, &t) != 5) r = -1;
    fclose(f);
    return r;
}

void ebm_pool_refresh(void) {
#ifdef _OPENMP
    if (omp_in_parallel() || !ebm_pool_is_auto()) return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    double now = (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
    if (now < next_check) return;
    next_check = now + EBM_POOL_PERIOD;
    int r = runnable();
    if (r < 0) return;
    int n = ebm_pool_auto_count(r, omp_get_num_procs());
    if (n != omp_get_max_threads()) omp_set_num_threads(n);
#endif
}
