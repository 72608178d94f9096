/* idx.c - IDX reader: valid files of every type, plain and gzip, and every way to be wrong. */
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "io_idx.h"
#include "tap.h"

/* is_int with a formatted name; on failure also shows the reader's message. */
#define is_fmt(got, want, ...)                                                                   \
    do {                                                                                         \
        long long g_ = (long long)(got), w_ = (long long)(want);                                 \
        if (!ok(g_ == w_, __VA_ARGS__)) diag("got %lld, expected %lld (%s)", g_, w_, err);       \
    } while (0)

static char dir[] = "/tmp/ebm_idx_test_XXXXXX";
static char path[256];

static void put(const char *name, const unsigned char *b, size_t n) {
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    fwrite(b, 1, n, f);
    fclose(f);
}

static void put_gz(const char *name, const unsigned char *b, size_t n) {
    snprintf(path, sizeof path, "%s/%s", dir, name);
    gzFile g = gzopen(path, "wb");
    gzwrite(g, b, (unsigned)n);
    gzclose(g);
}

/* Read the file at `path`; returns the code, releases the tensor unless keep. */
static int rd(ebm_tensor *t, char *err) {
    return ebm_idx_read(path, t, err, 256);
}

/* Header for type/rank/dims into b; returns header length. */
static size_t header(unsigned char *b, int type, int rank, const uint32_t *dims) {
    b[0] = 0, b[1] = 0, b[2] = (unsigned char)type, b[3] = (unsigned char)rank;
    for (int d = 0; d < rank; d++)
        for (int k = 0; k < 4; k++) b[4 + 4 * d + k] = (unsigned char)(dims[d] >> (24 - 8 * k));
    return 4 + 4 * (size_t)rank;
}

int main(void) {
    if (!mkdtemp(dir)) return 1;
    ebm_tensor t;
    char err[256];
    unsigned char buf[4096];

    /* valid u8 [2,3,4] */
    uint32_t dims[3] = {2, 3, 4};
    size_t h = header(buf, 0x08, 3, dims);
    for (int i = 0; i < 24; i++) buf[h + i] = (unsigned char)(i * 10);
    size_t full = h + 24;
    put("u8", buf, full);
    is_int(rd(&t, err), EBM_OK, "valid u8 file reads");
    is_int(t.dtype, EBM_U8, "u8 dtype");
    is_int(t.ndim, 3, "rank 3");
    ok(t.size[0] == 2 && t.size[1] == 3 && t.size[2] == 4, "shape [2,3,4]");
    int64_t ix[3] = {1, 2, 3};
    is_dbl(ebm_tensor_get(&t, ix), 230, 0, "last element");
    ebm_tensor_release(&t);

    /* truncated at every length, and one trailing byte */
    int bad = 0;
    for (size_t n = 0; n < full; n++) {
        put("trunc", buf, n);
        int rc = rd(&t, err);
        if (rc != EBM_EFORMAT || t.storage) bad++, diag("length %zu: rc %d (%s)", n, rc, err);
    }
    is_fmt(bad, 0, "every truncation (0..%zu bytes) is a format error", full - 1);
    put("trunc", buf, h + 10);
    rd(&t, err);
    ok(strstr(err, "truncated") != NULL, "truncation message: %s", err);
    buf[full] = 0;
    put("trail", buf, full + 1);
    is_fmt(rd(&t, err), EBM_EFORMAT, "trailing byte is a format error (%s)", err);

    /* wrong magic, unknown type, bad rank */
    unsigned char b2[64];
    memcpy(b2, buf, full);
    b2[0] = 0x1f;
    put("magic", b2, full);
    is_int(rd(&t, err), EBM_EFORMAT, "wrong magic rejected");
    ok(strstr(err, "magic") != NULL, "message names the magic: %s", err);
    memcpy(b2, buf, full);
    b2[2] = 0x0A;
    put("type", b2, full);
    is_fmt(rd(&t, err), EBM_EFORMAT, "unknown type 0x0A rejected (%s)", err);
    memcpy(b2, buf, full);
    b2[3] = 0;
    put("rank0", b2, full);
    is_fmt(rd(&t, err), EBM_EFORMAT, "rank 0 rejected (%s)", err);
    b2[3] = 5;
    put("rank5", b2, full);
    is_fmt(rd(&t, err), EBM_EFORMAT, "rank 5 rejected (%s)", err);

    /* huge claims: 10^12 elements; 4 dims of 2^32-1 (product overflows 64 bits) */
    uint32_t big[4] = {1000000, 1000000, 0xFFFFFFFFu, 0xFFFFFFFFu};
    h = header(b2, 0x08, 2, big);
    put("huge", b2, h + 16);
    is_fmt(rd(&t, err), EBM_EFORMAT, "10^12 elements rejected before allocating (%s)", err);
    uint32_t big4[4] = {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu};
    h = header(b2, 0x0E, 4, big4);
    put("huge4", b2, h);
    is_fmt(rd(&t, err), EBM_EFORMAT, "overflowing product rejected (%s)", err);
    uint32_t mid[2] = {100000, 100000}; /* 10 GB: under the cap, but the file is tiny */
    h = header(b2, 0x08, 2, mid);
    put("mid", b2, h + 5);
    is_fmt(rd(&t, err), EBM_EFORMAT, "10^10 bytes claimed by a small plain file rejected (%s)", err);
    put_gz("mid.gz", b2, h + 5);
    is_fmt(rd(&t, err), EBM_EFORMAT, "10^10 bytes claimed by a small gzip file rejected (%s)", err);

    /* a zero dimension: a valid header whose file holds no elements. Refused with a reason
     * that names the dimension (it used to say "out of memory"); an empty data set is a
     * mistake for every reader of these files (images, labels) and fails later if loaded. */
    uint32_t zero[3] = {0, 28, 28};
    h = header(b2, 0x08, 3, zero);
    put("zero", b2, h);
    is_fmt(rd(&t, err), EBM_EFORMAT, "a zero first dimension is a format error (%s)", err);
    ok(strstr(err, "dimension 1 is 0") != NULL, "the message names the dimension: %s", err);
    put_gz("zero.gz", b2, h);
    is_fmt(rd(&t, err), EBM_EFORMAT, "and in a gzip file (%s)", err);
    uint32_t zero2[2] = {5, 0};
    h = header(b2, 0x0D, 2, zero2);
    put("zero2", b2, h);
    is_fmt(rd(&t, err), EBM_EFORMAT, "a zero second dimension too (%s)", err);
    ok(strstr(err, "dimension 2 is 0") != NULL, "named: %s", err);

    /* every other element type, converted from big-endian */
    struct { int type; size_t es; unsigned char raw[16]; double want[2]; ebm_dtype dt; } types[] = {
        {0x09, 1, {0xFF, 0x05}, {-1, 5}, EBM_I32},
        {0x0B, 2, {0xFF, 0xFE, 0x01, 0x00}, {-2, 256}, EBM_I32},
        {0x0C, 4, {0xFF, 0xFF, 0xFF, 0xFD, 0x00, 0x01, 0x00, 0x00}, {-3, 65536}, EBM_I32},
        {0x0D, 4, {0x3F, 0xC0, 0, 0, 0xC1, 0x20, 0, 0}, {1.5, -10}, EBM_F32},
        {0x0E, 8, {0x40, 0x09, 0x21, 0xFB, 0x54, 0x44, 0x2D, 0x18, 0xBF, 0xF0, 0, 0, 0, 0, 0, 0}, {3.141592653589793, -1}, EBM_F64},
    };
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
        uint32_t d1[1] = {2};
        h = header(b2, types[k].type, 1, d1);
        memcpy(b2 + h, types[k].raw, 2 * types[k].es);
        put("typed", b2, h + 2 * types[k].es);
        int rc = rd(&t, err);
        is_fmt(rc, EBM_OK, "type 0x%02X reads (%s)", types[k].type, ebm_idx_type_name(types[k].type));
        if (rc) continue;
        is_fmt(t.dtype, types[k].dt, "type 0x%02X dtype", types[k].type);
        ok(ebm_tensor_get_linear(&t, 0) == types[k].want[0], "type 0x%02X first value", types[k].type);
        ok(ebm_tensor_get_linear(&t, 1) == types[k].want[1], "type 0x%02X second value", types[k].type);
        ebm_tensor_release(&t);
    }

    /* gzip: the same u8 file compressed reads identically */
    h = header(buf, 0x08, 3, dims);
    put_gz("u8.gz", buf, full);
    is_int(rd(&t, err), EBM_OK, "gzip u8 file reads");
    ok(t.ndim == 3 && t.size[0] == 2 && t.size[2] == 4 && memcmp(ebm_tensor_data(&t), buf + h, 24) == 0,
       "gzip contents equal the plain file");
    ebm_tensor_release(&t);
    /* a larger gzip (multi-chunk read): 3 x 1000 x 1000 */
    {
        uint32_t d3[3] = {3, 1000, 1000};
        size_t n = 3000000;
        unsigned char *big_buf = malloc(16 + n);
        size_t hh = header(big_buf, 0x08, 3, d3);
        for (size_t i = 0; i < n; i++) big_buf[hh + i] = (unsigned char)(i * 7 + i / 1000);
        put_gz("big.gz", big_buf, hh + n);
        is_fmt(rd(&t, err), EBM_OK, "3 MB gzip file reads (%s)", err);
        ok(t.storage && memcmp(ebm_tensor_data(&t), big_buf + hh, n) == 0, "3 MB gzip contents correct");
        ebm_tensor_release(&t);
        free(big_buf);
    }
    /* truncated gzip at every compressed length; trailing data inside the stream */
    snprintf(path, sizeof path, "%s/u8.gz", dir);
    FILE *f = fopen(path, "rb");
    unsigned char gz[512];
    size_t gzn = fread(gz, 1, sizeof gz, f);
    fclose(f);
    bad = 0;
    for (size_t n = 0; n < gzn; n++) {
        put("trunc.gz", gz, n);
        int rc = rd(&t, err);
        if (rc == EBM_OK || t.storage) bad++, diag("gzip length %zu of %zu: accepted", n, gzn);
    }
    is_fmt(bad, 0, "every truncated gzip (0..%zu bytes) is an error", gzn - 1);
    put_gz("trail.gz", buf, full + 1);
    is_fmt(rd(&t, err), EBM_EFORMAT, "gzip with trailing data rejected (%s)", err);

    /* not there / not a file */
    snprintf(path, sizeof path, "%s/none", dir);
    is_fmt(rd(&t, err), EBM_EIO, "missing file is an I/O error (%s)", err);
    snprintf(path, sizeof path, "%s", dir);
    is_fmt(rd(&t, err), EBM_EIO, "a directory is an I/O error (%s)", err);

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) diag("could not remove %s", dir);
    return done_testing();
}
