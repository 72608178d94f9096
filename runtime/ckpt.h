/* ckpt.h - checkpoint files: a metadata string plus named tensors, versioned and
 * checksummed.
 *
 * Layout (all integers little-endian):
 *   header, 32 bytes:
 *     0  magic  "\x89EBM\r\n\x1a\n"   (catches text-mode mangling, like PNG's)
 *     8  u32    format version (EBM_CKPT_VERSION)
 *    12  u32    header size (32)
 *    16  u64    payload size in bytes (the file is exactly header + payload)
 *    24  u32    CRC32 (zlib) of the payload
 *    28  u32    CRC32 of header bytes 0..27
 *   payload:
 *     u64 meta length, meta bytes (JSON text written by lua/ebm/io/io.lua; opaque here)
 *     u32 number of tensors, then per tensor:
 *       u32 name length, name bytes, u32 dtype (ebm_dtype), u32 ndim, i64 size[ndim],
 *       data: numel * dtype size bytes, row-major
 * Files are written to a temporary name in the same directory, flushed, and renamed, so a
 * crash never leaves a half-written file under the real name. Reading checks the magic,
 * version, header CRC and the payload size against the file length before allocating
 * anything, then the payload CRC, then every size field against the bytes that remain.
 */
#ifndef EBM_CKPT_H
#define EBM_CKPT_H

#include <stddef.h>

#include "tensor.h"

#define EBM_CKPT_VERSION 1

typedef struct ebm_ckpt_item {
    char *name;   /* owned, NUL-terminated */
    ebm_tensor t; /* owned contiguous tensor */
} ebm_ckpt_item;

typedef struct ebm_ckpt {
    char *meta;           /* owned, NUL-terminated (may contain NULs before meta_len) */
    size_t meta_len;
    int n;                /* number of items */
    ebm_ckpt_item *items; /* owned array of n items, in file order */
} ebm_ckpt;

/* Write `n` tensors with their names and the metadata to `path`. On failure returns
 * EBM_EIO / EBM_ENOMEM / EBM_EFORMAT with a message in err (errlen bytes). */
int ebm_ckpt_save(const char *path, const char *meta, size_t meta_len, int n, const char *const *names,
                  const ebm_tensor *const *tensors, char *err, size_t errlen);

/* Read `path` into *ck (free it with ebm_ckpt_free). On failure returns EBM_EIO,
 * EBM_EFORMAT or EBM_ENOMEM, leaves *ck empty and explains in err. */
int ebm_ckpt_load(const char *path, ebm_ckpt *ck, char *err, size_t errlen);

void ebm_ckpt_free(ebm_ckpt *ck);

#endif
