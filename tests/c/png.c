/* png.c - PNG write/read: round trips, the conversions on reading, corrupt files. */
#include <png.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "io_png.h"
#include "tap.h"

static char dir[] = "/tmp/ebm_png_test_XXXXXX";
static char path[256];

static void at(const char *name) { snprintf(path, sizeof path, "%s/%s", dir, name); }

/* Write a PNG of any libpng colour type/depth directly (to test the reader's conversions).
 * rows: h rows of `rowbytes`; palette: 3*npal bytes or NULL; trns: alpha per palette entry. */
static void write_raw(int w, int h, int depth, int ctype, const unsigned char *data, size_t rowbytes,
                      const unsigned char *pal, int npal, const unsigned char *trns) {
    FILE *f = fopen(path, "wb");
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    png_init_io(png, f);
    png_set_IHDR(png, info, w, h, depth, ctype, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (pal) {
        png_color c[256];
        for (int i = 0; i < npal; i++) c[i].red = pal[3 * i], c[i].green = pal[3 * i + 1], c[i].blue = pal[3 * i + 2];
        png_set_PLTE(png, info, c, npal);
        if (trns) png_set_tRNS(png, info, trns, npal, NULL);
    }
    png_write_info(png, info);
    for (int y = 0; y < h; y++) png_write_row(png, data + y * rowbytes);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    fclose(f);
}

static uint8_t px(const ebm_tensor *t, int64_t y, int64_t x, int64_t c) {
    const uint8_t *b = ebm_tensor_data(t);
    return b[y * t->stride[0] + x * t->stride[1] + (t->ndim == 3 ? c : 0)];
}

int main(void) {
    if (!mkdtemp(dir)) return 1;
    char err[256];
    ebm_tensor t;

    /* gray round trip, 37 x 23 with every byte value */
    enum { H = 37, W = 23 };
    uint8_t g[H * W], rgb[H * W * 3];
    for (int i = 0; i < H * W; i++) g[i] = (uint8_t)(i * 7 + 3);
    for (int i = 0; i < H * W * 3; i++) rgb[i] = (uint8_t)(i * 13 + i / 5);
    at("gray.png");
    is_int(ebm_png_write(path, g, H, W, 1, W, err, sizeof err), EBM_OK, "write gray");
    is_int(ebm_png_read(path, &t, err, sizeof err), EBM_OK, "read gray back");
    ok(t.ndim == 2 && t.size[0] == H && t.size[1] == W, "gray shape [37,23]");
    ok(t.storage && memcmp(ebm_tensor_data(&t), g, sizeof g) == 0, "gray pixels equal");
    ebm_tensor_release(&t);
    at("rgb.png");
    is_int(ebm_png_write(path, rgb, H, W, 3, W * 3, err, sizeof err), EBM_OK, "write rgb");
    is_int(ebm_png_read(path, &t, err, sizeof err), EBM_OK, "read rgb back");
    ok(t.ndim == 3 && t.size[0] == H && t.size[1] == W && t.size[2] == 3, "rgb shape [37,23,3]");
    ok(t.storage && memcmp(ebm_tensor_data(&t), rgb, sizeof rgb) == 0, "rgb pixels equal");
    ebm_tensor_release(&t);
    /* row stride: write the left 10 columns of the gray image */
    at("sub.png");
    ebm_png_write(path, g, H, 10, 1, W, err, sizeof err);
    ebm_png_read(path, &t, err, sizeof err);
    ok(t.storage && t.size[1] == 10 && px(&t, 5, 9, 0) == g[5 * W + 9], "row stride honoured");
    ebm_tensor_release(&t);

    /* conversions on reading */
    unsigned char d16[2 * 4] = {0x12, 0x34, 0xAB, 0xCD, 0xFF, 0xFF, 0x00, 0x01}; /* 16-bit gray 4x1 */
    at("g16.png");
    write_raw(4, 1, 16, PNG_COLOR_TYPE_GRAY, d16, 8, NULL, 0, NULL);
    is_int(ebm_png_read(path, &t, err, sizeof err), EBM_OK, "16-bit gray reads");
    ok(t.ndim == 2 && px(&t, 0, 0, 0) == 0x12 && px(&t, 0, 1, 0) == 0xAB && px(&t, 0, 2, 0) == 0xFF, "16 bits reduced to 8");
    ebm_tensor_release(&t);
    unsigned char d1[1] = {0xA0}; /* 1-bit gray 4x1: 1 0 1 0 */
    at("g1.png");
    write_raw(4, 1, 1, PNG_COLOR_TYPE_GRAY, d1, 1, NULL, 0, NULL);
    is_int(ebm_png_read(path, &t, err, sizeof err), EBM_OK, "1-bit gray reads");
    ok(t.ndim == 2 && px(&t, 0, 0, 0) == 255 && px(&t, 0, 1, 0) == 0 && px(&t, 0, 2, 0) == 255, "1-bit expanded to 0/255");
    ebm_tensor_release(&t);
    unsigned char pal[6] = {10, 20, 30, 200, 100, 50}, trns[2] = {255, 0}, dp[3] = {0, 1, 1};
    at("pal.png");
    write_raw(3, 1, 8, PNG_COLOR_TYPE_PALETTE, dp, 3, pal, 2, trns);
    is_int(ebm_png_read(path, &t, err, sizeof err), EBM_OK, "palette (with tRNS) reads");
    ok(t.ndim == 3 && t.size[2] == 3 && px(&t, 0, 0, 0) == 10 && px(&t, 0, 0, 2) == 30 && px(&t, 0, 2, 1) == 100,
       "palette expanded to RGB, transparency dropped");
    ebm_tensor_release(&t);
    unsigned char ga[4] = {77, 0, 88, 255}; /* gray+alpha 2x1 */
    at("ga.png");
    write_raw(2, 1, 8, PNG_COLOR_TYPE_GRAY_ALPHA, ga, 4, NULL, 0, NULL);
    is_int(ebm_png_read(path, &t, err, sizeof err), EBM_OK, "gray+alpha reads");
    ok(t.ndim == 2 && px(&t, 0, 0, 0) == 77 && px(&t, 0, 1, 0) == 88, "alpha dropped");
    ebm_tensor_release(&t);

    /* corrupt files: every truncation of the gray file, flipped bytes, not a PNG */
    at("gray.png");
    FILE *f = fopen(path, "rb");
    static unsigned char file[65536];
    size_t n = fread(file, 1, sizeof file, f);
    fclose(f);
    int bad = 0;
    at("cut.png");
    for (size_t k = 0; k < n; k++) {
        f = fopen(path, "wb");
        fwrite(file, 1, k, f);
        fclose(f);
        int rc = ebm_png_read(path, &t, err, sizeof err);
        if (rc != EBM_EFORMAT || t.storage) bad++, diag("truncated at %zu: rc %d", k, rc);
    }
    is_int(bad, 0, "every truncation is a format error");
    int accepted = 0;
    for (size_t k = 8; k < n; k += 7) { /* a flipped byte anywhere is caught by a CRC or zlib */
        unsigned char save = file[k];
        file[k] ^= 0x5A;
        f = fopen(path, "wb");
        fwrite(file, 1, n, f);
        fclose(f);
        file[k] = save;
        int rc = ebm_png_read(path, &t, err, sizeof err);
        if (rc == EBM_OK) accepted++, ebm_tensor_release(&t);
    }
    is_int(accepted, 0, "files with a flipped byte are rejected");
    f = fopen(path, "wb");
    fputs("GIF89a not a png at all", f);
    fclose(f);
    is_int(ebm_png_read(path, &t, err, sizeof err), EBM_EFORMAT, "not a PNG: format error");
    ok(strstr(err, "not a PNG") != NULL, "message: %s", err);
    at("none.png");
    is_int(ebm_png_read(path, &t, err, sizeof err), EBM_EIO, "missing file: I/O error");

    /* a lying header: a 70-byte file whose IHDR claims 30000 x 30000 gray pixels (900 MB)
     * is refused before the image is allocated (it used to allocate and zero 900 MB, then
     * fail on the missing data); a tiny but real image of the same layout still loads */
    for (int big = 1; big >= 0; big--) {
        unsigned char hdr[13] = {0}, chunk[64];
        uint32_t dim = big ? 30000 : 2;
        for (int k = 0; k < 4; k++) hdr[k] = hdr[4 + k] = (unsigned char)(dim >> (24 - 8 * k));
        hdr[8] = 8; /* bit depth; colour type 0 (gray), no interlace */
        unsigned char raw[6] = {0, 10, 20, 0, 30, 40}, z[64];
        uLongf zl = sizeof z;
        compress(z, &zl, raw, sizeof raw);
        at("liar.png");
        f = fopen(path, "wb");
        fwrite("\x89PNG\r\n\x1a\n", 1, 8, f);
        const char *types[3] = {"IHDR", "IDAT", "IEND"};
        const unsigned char *bodies[3] = {hdr, z, NULL};
        uint32_t lens[3] = {13, (uint32_t)zl, 0};
        for (int c = 0; c < 3; c++) {
            for (int k = 0; k < 4; k++) chunk[k] = (unsigned char)(lens[c] >> (24 - 8 * k));
            memcpy(chunk + 4, types[c], 4);
            if (lens[c]) memcpy(chunk + 8, bodies[c], lens[c]);
            uint32_t crc = (uint32_t)crc32(0L, chunk + 4, lens[c] + 4);
            for (int k = 0; k < 4; k++) chunk[8 + lens[c] + k] = (unsigned char)(crc >> (24 - 8 * k));
            fwrite(chunk, 1, 12 + lens[c], f);
        }
        fclose(f);
        int rc = ebm_png_read(path, &t, err, sizeof err);
        if (big) {
            is_int(rc, EBM_EFORMAT, "a header claiming 30000x30000 pixels in a tiny file is a format error");
            ok(strstr(err, "header claims 30000x30000") != NULL, "message: %s", err);
        } else {
            ok(rc == EBM_OK, "the same file with a true 2x2 header loads (%s)", rc ? err : "ok");
            if (rc == EBM_OK) {
                ok(px(&t, 1, 1, 0) == 40, "and its pixels are right");
                ebm_tensor_release(&t);
            }
        }
    }

    /* write errors: bad sizes, unwritable place; no temp file left behind */
    is_int(ebm_png_write(path, g, 0, 5, 1, 5, err, sizeof err), EBM_ESHAPE, "zero height rejected");
    is_int(ebm_png_write(path, g, 5, 5, 2, 10, err, sizeof err), EBM_ESHAPE, "2 channels rejected");
    at("nodir/x.png");
    is_int(ebm_png_write(path, g, 5, 5, 1, 5, err, sizeof err), EBM_EIO, "unwritable path: I/O error");

    char cmd[300];
    snprintf(cmd, sizeof cmd, "test $(ls '%s' | grep -c tmp) = 0 && rm -rf '%s'", dir, dir);
    ok(system(cmd) == 0, "no temporary files left");
    return done_testing();
}
