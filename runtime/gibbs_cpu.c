/* gibbs_cpu.c - run-time CPU feature detection and path selection (gibbs_cpu.h). */
#include "gibbs_cpu.h"

#include <stdlib.h>
#include <string.h>

int ebm_cpu_has(const char *f) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (!strcmp(f, "avx2")) return __builtin_cpu_supports("avx2") != 0;
    if (!strcmp(f, "avx512f")) return __builtin_cpu_supports("avx512f") != 0;
    if (!strcmp(f, "avx512bw")) return __builtin_cpu_supports("avx512bw") != 0;
    if (!strcmp(f, "avx512vl")) return __builtin_cpu_supports("avx512vl") != 0;
    if (!strcmp(f, "avx512dq")) return __builtin_cpu_supports("avx512dq") != 0;
    if (!strcmp(f, "avx512vbmi")) return __builtin_cpu_supports("avx512vbmi") != 0;
    if (!strcmp(f, "aes")) return __builtin_cpu_supports("aes") != 0;
    if (!strcmp(f, "vaes")) return __builtin_cpu_supports("vaes") != 0;
    if (!strcmp(f, "gfni")) return __builtin_cpu_supports("gfni") != 0;
#else
    (void)f;
#endif
    return 0;
}

/* Feature bits, detected once (a benign race: every thread computes the same value). */
enum { F_AVX2 = 1, F_AVX512 = 2, F_AES = 4, F_VAES = 8, F_DONE = 16 };
static int features(void) {
    static volatile int f = 0;
    if (!f) {
        int v = F_DONE;
        if (ebm_cpu_has("avx2")) v |= F_AVX2;
        if (ebm_cpu_has("avx512f") && ebm_cpu_has("avx512bw") && ebm_cpu_has("avx512vl") && ebm_cpu_has("avx512dq"))
            v |= F_AVX512;
        if (ebm_cpu_has("aes")) v |= F_AES;
        if (ebm_cpu_has("vaes")) v |= F_VAES;
        f = v;
    }
    return f;
}

int ebm_simd_runs(int simd, int rng) {
    int f = features(), ars = rng == EBM_RNG_ARS;
    switch (simd) {
    case EBM_SIMD_SCALAR: return 1;
    case EBM_SIMD_AVX2: return (f & F_AVX2) && (!ars || (f & F_AES));
    case EBM_SIMD_AVX512: return (f & F_AVX512) && (!ars || (f & F_VAES));
    default: return 0;
    }
}

/* Option names, indexed by the enums' values (gibbs_cpu.h). */
static const char *const SIMD_NAMES[] = {"auto", "scalar", "avx2", "avx512"};
static const char *const RNG_NAMES[] = {"auto", "philox", "ars"};
static const char *const LEVELS_NAMES[] = {"auto", "float", "table", "gather"};
#define NNAMES(a) ((int)(sizeof a / sizeof a[0]))

static const char *name_of(int v, const char *const *names, int n) { return v >= 0 && v < n ? names[v] : "auto"; }
/* The value named s, or -2 (unknown or NULL). */
static int parse_name(const char *s, const char *const *names, int n) {
    for (int v = 0; s && v < n; v++)
        if (!strcmp(s, names[v])) return v;
    return -2;
}

const char *ebm_simd_name(int simd) { return name_of(simd, SIMD_NAMES, NNAMES(SIMD_NAMES)); }
const char *ebm_rng_name(int rng) { return name_of(rng, RNG_NAMES, NNAMES(RNG_NAMES)); }
int ebm_simd_parse(const char *s) { return parse_name(s, SIMD_NAMES, NNAMES(SIMD_NAMES)); }
int ebm_rng_parse(const char *s) { return parse_name(s, RNG_NAMES, NNAMES(RNG_NAMES)); }

/* The environment's choice, read once: -3 = not read yet. */
static int env_choice(const char *name, int (*parse)(const char *), volatile int *cache) {
    if (*cache == -3) {
        int v = parse(getenv(name));
        *cache = v < 0 ? 0 : v;  /* unknown or unset: AUTO (0) */
    }
    return *cache;
}

int ebm_rng_pick(int rng) {
    static volatile int env = -3;
    if (rng != EBM_RNG_AUTO) return rng;
    int e = env_choice("EBM_RNG", ebm_rng_parse, &env);
    return e > 0 ? e : EBM_RNG_ARS;
}

int ebm_simd_pick(int simd, int rng) {
    static volatile int env = -3;
    if (simd != EBM_SIMD_AUTO) return simd;
    int e = env_choice("EBM_SIMD", ebm_simd_parse, &env);
    if (e > 0) return e;
    rng = ebm_rng_pick(rng);
    for (int s = EBM_SIMD_AVX512; s > EBM_SIMD_SCALAR; s--)
        if (ebm_simd_runs(s, rng)) return s;
    return EBM_SIMD_SCALAR;
}

const char *ebm_levels_name(int levels) { return name_of(levels, LEVELS_NAMES, NNAMES(LEVELS_NAMES)); }
int ebm_levels_parse(const char *s) { return parse_name(s, LEVELS_NAMES, NNAMES(LEVELS_NAMES)); }
int ebm_levels_pick(int levels) {
    static volatile int env = -3;
    if (levels != EBM_LEVELS_AUTO) return levels;
    int e = env_choice("EBM_LEVELS", ebm_levels_parse, &env);
    return e > 0 ? e : EBM_LEVELS_TABLE;
}
