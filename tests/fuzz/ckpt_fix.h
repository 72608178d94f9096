/* ckpt_fix.h - how the checkpoint fuzz harness sees an input: the payload size and both
 * CRCs rewritten to match the bytes (see fuzz_ckpt.c), nothing else changed. Shared with
 * tests/c/fuzz_regress.c, which must read kept inputs the same way. */
#ifndef EBM_CKPT_FIX_H
#define EBM_CKPT_FIX_H

#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

static void ckpt_put32(unsigned char *p, uint32_t v) {
    for (int k = 0; k < 4; k++) p[k] = (unsigned char)(v >> (8 * k));
}

/* Inputs shorter than the 32-byte header are left as they are. */
static void ckpt_fix_header(unsigned char *b, size_t n) {
    if (n < 32) return;
    ckpt_put32(b + 16, (uint32_t)(n - 32));
    ckpt_put32(b + 20, 0);
    ckpt_put32(b + 24, (uint32_t)crc32(0L, b + 32, (uInt)(n - 32)));
    ckpt_put32(b + 28, (uint32_t)crc32(0L, b, 28));
}

#endif
