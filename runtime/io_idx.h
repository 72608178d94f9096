/* io_idx.h - read IDX files (the MNIST container format), plain or gzip-compressed.
 *
 * IDX layout (big-endian): bytes 0,1 = 0x00 0x00; byte 2 = element type; byte 3 = rank;
 * then `rank` u32 dimension sizes; then the elements, row-major. Element types and the
 * tensor dtype each becomes:
 *     0x08 u8  -> EBM_U8        0x09 i8  -> EBM_I32      0x0B i16 -> EBM_I32
 *     0x0C i32 -> EBM_I32       0x0D f32 -> EBM_F32      0x0E f64 -> EBM_F64
 * Everything is validated before the element buffer is allocated: magic, type, rank
 * (1..EBM_IDX_MAXRANK), dims (each >= 1, product without overflow and at most
 * EBM_IDX_MAXBYTES bytes) and the data length: for a plain file the file size must equal
 * header + data exactly; for a gzip file (whose uncompressed size cannot be known without
 * decompressing it) the claimed size must be reachable from the compressed size (deflate
 * expands at most ~1032:1), the data is read in growing chunks, and a short stream or
 * trailing bytes are errors. Plain C; no Lua here.
 */
#ifndef EBM_IO_IDX_H
#define EBM_IO_IDX_H

#include <stddef.h>

#include "tensor.h"

#define EBM_IDX_MAXRANK 4
#define EBM_IDX_MAXBYTES ((int64_t)1 << 34) /* 16 GiB: no IDX file we read comes close */

/* Read the IDX file at `path` into `out` (uninitialised on entry; a fresh contiguous
 * tensor with the file's shape on success, left empty on failure). Returns EBM_OK,
 * EBM_EIO (cannot open/read), EBM_EFORMAT (bad magic, type, rank, dims, length) or
 * EBM_ENOMEM; on failure a one-line reason is written to err[errlen] (if err != NULL). */
int ebm_idx_read(const char *path, ebm_tensor *out, char *err, size_t errlen);

/* Name of an IDX type byte ("u8", "i16" ...), or NULL if the byte is not a valid type. */
const char *ebm_idx_type_name(int type);

#endif
