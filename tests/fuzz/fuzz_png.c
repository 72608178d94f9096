/* fuzz_png.c - libFuzzer harness: any bytes as a PNG file. libpng refuses a critical chunk
 * whose CRC does not match, which would stop almost every mutation of the header (IHDR)
 * at the door, so the harness rewrites each whole chunk's CRC (and nothing else) to match
 * the mutated bytes: the fuzzer then reaches sizes, colour types, and the image data. */
#include <string.h>
#include <zlib.h>

#include "fuzz.h"
#include "io_png.h"

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static void fix_crcs(uint8_t *b, size_t n) {
    size_t p = 8; /* after the signature: length, type, data, CRC of type + data */
    while (p + 12 <= n) {
        uint32_t len = be32(b + p);
        if (len > n - p - 12) break;
        uint32_t c = (uint32_t)crc32(0L, b + p + 4, (uInt)len + 4);
        uint8_t *q = b + p + 8 + len;
        q[0] = (uint8_t)(c >> 24), q[1] = (uint8_t)(c >> 16), q[2] = (uint8_t)(c >> 8), q[3] = (uint8_t)c;
        p += 12 + (size_t)len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    fix_crcs(buf, size);
    ebm_tensor t;
    char err[256] = "";
    int rc = ebm_png_read(fuzz_path(buf, size), &t, err, sizeof err);
    free(buf);
    fuzz_check(rc, &t, err);
    return 0;
}
