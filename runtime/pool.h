/* pool.h - how many threads the runtime's OpenMP pool (kernels and matrix products) uses.
 *
 * Fixed: ebm_pool_fix(n), n >= 1 (core.threads(n); scripts' --threads n), or the
 * environment's OMP_NUM_THREADS. Automatic, the default: as many threads as there are cores
 * not busy with other programs, at least 1 and at most omp_get_num_procs(). It is estimated
 * from the kernel's count of runnable tasks (/proc/loadavg, 4th field) less this process's
 * own running thread, at most every EBM_POOL_PERIOD seconds, whenever ebm_pool_refresh runs
 * (the heavy entry points call it: Gibbs sweeps, packed sweeps, matrix products). On a
 * 2-core machine with one or two busy neighbours that is 1 thread: a fork-join region with a
 * thread that shares its core with a neighbour waits for it, so a second thread there buys
 * nothing and costs the wait (RESULTS.md, "Threads on a busy machine").
 * Results never depend on the count: the kernels' random numbers are pure functions of
 * (seed, node, chain, step) and the matrix products are split into fixed blocks (blas.h). */
#ifndef EBM_POOL_H
#define EBM_POOL_H

#define EBM_POOL_PERIOD 0.1

/* n >= 1: use exactly n threads from now on; 0: automatic. */
void ebm_pool_fix(int n);

/* 1 when the count is automatic. */
int ebm_pool_is_auto(void);

/* Re-estimate the automatic count if EBM_POOL_PERIOD has passed (cheap otherwise); does
 * nothing inside a parallel region or when the count is fixed. */
void ebm_pool_refresh(void);

/* The automatic count for `running` runnable tasks on `ncpu` cores (the rule, for tests). */
int ebm_pool_auto_count(int running, int ncpu);

#endif
