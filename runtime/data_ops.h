/* data_ops.h - dataset kernels: label filtering, row gathers, discretisation, shuffles.
 *
 * Plain C on raw contiguous buffers; the binding layer (runtime/lua/l_data.c) checks
 * tensors and converts Lua's 1-based indices. Index arrays here are 0-based unless a
 * `base` argument says otherwise (then stored value = index + base).
 */
#ifndef EBM_DATA_OPS_H
#define EBM_DATA_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "rng.h"

/* K-level quantisation of n bytes: dst[i] = floor(src[i] * K / 256), levels K in 2..256.
 * For K = 2 this is the threshold pixel >= 128. dst may equal src. */
void ebm_data_quantize(const uint8_t *src, uint8_t *dst, int64_t n, int levels);

/* Stochastic binarisation of nimg images of npix bytes each: dst = 1 with probability
 * src/255, else 0. The uniform for pixel p of image j is word p%4 of Philox block
 * ebm_rng_block(seed, ids[j], p/4), compared exactly as u24 * 255 < src * 2^24 (u24 = the
 * word's top 24 bits): each image's result depends only on (seed, its id), not on which
 * other images are loaded or how many threads run. ids[j] - base is image j's id (a
 * 0-based position in its file, say); ids == NULL means id j.
 * dst may equal src. */
void ebm_data_binarize(const uint8_t *src, uint8_t *dst, int64_t nimg, int64_t npix, const int32_t *ids, int32_t base, uint64_t seed);

/* Indices i (ascending) of labels[0..n) whose label has mask[label] != 0, at most `limit`
 * of them (limit < 0: all). Writes index + base to out (room for n). Returns the count. */
int64_t ebm_data_filter(const uint8_t *labels, int64_t n, const uint8_t mask[256], int64_t limit, int32_t *out, int32_t base);

/* Gather rows: dst row k = src row (idx[k] - base), each row_bytes long. Returns 0, or
 * k + 1 for the first k whose index is outside [0, nrows) (dst then partly written). */
int64_t ebm_data_gather(const void *src, int64_t nrows, size_t row_bytes, const int32_t *idx, int64_t nidx,
                        int32_t base, void *dst);

/* out[0..n) = a uniformly random permutation of base..base+n-1 (Fisher-Yates with r). */
void ebm_data_randperm(int64_t n, ebm_rng *r, int32_t *out, int32_t base);

/* Choose nvalid of 0..n-1 uniformly at random (with r); write the others to train (n-nvalid
 * entries) and the chosen ones to valid (nvalid entries), both ascending, plus base.
 * Returns 0, or -1 if scratch memory could not be allocated. */
int ebm_data_split_index(int64_t n, int64_t nvalid, ebm_rng *r, int32_t *train, int32_t *valid, int32_t base);

/* counts[v] = number of bytes equal to v in src[0..n). */
void ebm_data_histogram(const uint8_t *src, int64_t n, int64_t counts[256]);

#endif
