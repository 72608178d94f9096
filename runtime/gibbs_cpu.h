/* gibbs_cpu.h - which SIMD path and which random-number generator the Gibbs kernels run.
 *
 * Paths: EBM_SIMD_AVX512 (AVX-512 F/BW/VL/DQ), EBM_SIMD_AVX2, EBM_SIMD_SCALAR (portable C). The
 * generator of the bit-packed kernel: EBM_RNG_ARS (ARS-7, rng.h; needs VAES on the AVX-512 path
 * and AES-NI on the AVX2 path, portable C on the scalar one) or EBM_RNG_PHILOX (Philox4x32-10,
 * the reference). Every path computes the same bits for the same generator, so the choice
 * changes speed, never results; the generator changes the random stream (both are exact).
 *
 * Selection: each kernel call may name a path and a generator; EBM_SIMD_AUTO / EBM_RNG_AUTO
 * take the environment variables EBM_SIMD (avx512 | avx2 | scalar) and EBM_RNG (ars | philox)
 * when set, else the fastest path this CPU runs (detected at run time with cpuid, whatever
 * the build flags) and ARS. A path the CPU cannot run is an error (EBM_ERANGE from the kernel),
 * never a crash.
 */
#ifndef EBM_GIBBS_CPU_H
#define EBM_GIBBS_CPU_H

/* AUTO is 0, so zeroed options mean "the default". */
enum { EBM_SIMD_AUTO = 0, EBM_SIMD_SCALAR = 1, EBM_SIMD_AVX2 = 2, EBM_SIMD_AVX512 = 3 };
enum { EBM_RNG_AUTO = 0, EBM_RNG_PHILOX = 1, EBM_RNG_ARS = 2 };

/* 1 if this CPU can run path simd with generator rng (rng EBM_RNG_AUTO: with Philox). */
int ebm_simd_runs(int simd, int rng);

/* Resolve AUTO as described above (the environment is read once). An unparsable environment
 * value counts as unset. */
int ebm_simd_pick(int simd, int rng);
int ebm_rng_pick(int rng);

/* "avx512" / "avx2" / "scalar", "ars" / "philox"; parse returns -2 for an unknown name. */
const char *ebm_simd_name(int simd);
const char *ebm_rng_name(int rng);
int ebm_simd_parse(const char *s);
int ebm_rng_parse(const char *s);

/* How the u8 kernel draws a level of a node with K > 2 levels (or with neighbours of K > 2):
 * EBM_LEVELS_FLOAT: inverse CDF of a 24-bit float uniform against the float cumulative weights
 * (the draw before issue 13); EBM_LEVELS_TABLE: level = #{k : word >= T_k}, the 32-bit
 * cumulative thresholds T_k of gibbs.h, read from per-node tables where they apply and computed
 * per chain elsewhere (the same bits); EBM_LEVELS_GATHER: the same draw without the AVX-512
 * VBMI byte-permute lookups that TABLE uses where the CPU has them (32-bit gathers instead; for
 * tests and measurements: the same bits as TABLE). AUTO takes EBM_LEVELS (float | table |
 * gather) when set, else TABLE. Both are exact Gibbs; they give different bits. */
enum { EBM_LEVELS_AUTO = 0, EBM_LEVELS_FLOAT = 1, EBM_LEVELS_TABLE = 2, EBM_LEVELS_GATHER = 3 };
int ebm_levels_pick(int levels);
const char *ebm_levels_name(int levels);
int ebm_levels_parse(const char *s);  /* -2 for an unknown name */

/* CPU feature flags by name ("avx2", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512vbmi",
 * "gfni", "aes", "vaes"); 0 for other names. */
int ebm_cpu_has(const char *feature);

#endif
