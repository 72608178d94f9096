/* tap.h - libtap-style macros for the C unit tests (one header, no library).
 *
 *   plan(n) or done_testing(); ok(cond, fmt, ...); is_int(a, b, name); is_dbl(a, b, tol, name)
 *   cmp_ok(a, op, b, name). Failures print file:line as `#` lines.
 */
#ifndef EBM_TAP_H
#define EBM_TAP_H
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_n = 0, tap_failed = 0, tap_planned = -1;

static inline void plan(int n) {
    tap_planned = n;
    printf("1..%d\n", n);
}

static inline void diag(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("# ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

static int tap_report(int pass, const char *file, int line, const char *fmt, ...) {
    va_list ap;
    tap_n++;
    printf("%s %d - ", pass ? "ok" : "not ok", tap_n);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (!pass) {
        tap_failed++;
        printf("#   Failed test at %s line %d.\n", file, line);
    }
    return pass;
}

#define ok(cond, ...) tap_report(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, name)                                                                  \
    do {                                                                                         \
        long long g_ = (long long)(got), w_ = (long long)(want);                                 \
        if (!tap_report(g_ == w_, __FILE__, __LINE__, "%s", name))                               \
            diag("     got: %lld\n#   expected: %lld", g_, w_);                                  \
    } while (0)
#define is_dbl(got, want, tol, name)                                                             \
    do {                                                                                         \
        double g_ = (got), w_ = (want);                                                          \
        if (!tap_report(fabs(g_ - w_) <= (tol), __FILE__, __LINE__, "%s", name))                 \
            diag("     got: %.10g\n#   expected: %.10g +- %g", g_, w_, (double)(tol));          \
    } while (0)
#define cmp_ok(a, op, b, name)                                                                   \
    do {                                                                                         \
        double a_ = (a), b_ = (b);                                                               \
        if (!tap_report(a_ op b_, __FILE__, __LINE__, "%s", name))                               \
            diag("    %.10g %s %.10g", a_, #op, b_);                                             \
    } while (0)

static inline int done_testing(void) {
    if (tap_planned < 0) printf("1..%d\n", tap_n);
    fflush(stdout);
    return (tap_failed || (tap_planned >= 0 && tap_planned != tap_n)) ? 1 : 0;
}

#endif
