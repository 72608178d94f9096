/* seeds.c - write the fuzzers' seed corpora: small valid files of every kind the readers
 * accept, made at build time (nothing binary is committed). `seeds DIR` writes
 * DIR/idx/, DIR/ckpt/ and DIR/png/. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "ckpt.h"
#include "io_png.h"

static char dir[512];

static void fail(const char *what) {
    fprintf(stderr, "seeds: %s\n", what);
    exit(1);
}

static void put(const char *sub, const char *name, const unsigned char *b, size_t n, int gz) {
    char path[700];
    snprintf(path, sizeof path, "%s/%s/%s", dir, sub, name);
    if (gz) {
        gzFile g = gzopen(path, "wb");
        if (!g || gzwrite(g, b, (unsigned)n) != (int)n || gzclose(g) != Z_OK) fail(path);
    } else {
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(b, 1, n, f) != n || fclose(f) != 0) fail(path);
    }
}

/* An IDX file: type, dims, then `nbytes` element bytes (a simple ramp). */
static void idx(const char *name, int type, int rank, const unsigned *dims, size_t nbytes, int gz) {
    unsigned char b[256];
    size_t h = 4 + 4 * (size_t)rank;
    b[0] = b[1] = 0, b[2] = (unsigned char)type, b[3] = (unsigned char)rank;
    for (int d = 0; d < rank; d++)
        for (int k = 0; k < 4; k++) b[4 + 4 * d + k] = (unsigned char)(dims[d] >> (24 - 8 * k));
    for (size_t i = 0; i < nbytes; i++) b[h + i] = (unsigned char)(i * 37 + 11);
    put("idx", name, b, h + nbytes, gz);
}

int main(int argc, char **argv) {
    if (argc != 2) fail("usage: seeds DIR");
    snprintf(dir, sizeof dir, "%s", argv[1]);
    const char *subs[] = {"", "/idx", "/ckpt", "/png"};
    for (int i = 0; i < 4; i++) {
        char p[700];
        snprintf(p, sizeof p, "%s%s", dir, subs[i]);
        mkdir(p, 0755);
    }
    unsigned d234[3] = {2, 3, 4}, d3[1] = {3}, d22[2] = {2, 2}, d1111[4] = {1, 1, 1, 2};
    idx("u8", 0x08, 3, d234, 24, 0);
    idx("u8.gz", 0x08, 3, d234, 24, 1);
    idx("i8", 0x09, 1, d3, 3, 0);
    idx("i16", 0x0B, 1, d3, 6, 0);
    idx("i32", 0x0C, 2, d22, 16, 0);
    idx("f32.gz", 0x0D, 2, d22, 16, 1);
    idx("f64", 0x0E, 4, d1111, 16, 0);

    char err[256], path[700];
    ebm_tensor a, b, c;
    int64_t sa[2] = {2, 3}, sb[1] = {5}, sc[3] = {1, 2, 2};
    if (ebm_tensor_init(&a, EBM_F32, 2, sa) || ebm_tensor_init(&b, EBM_U8, 1, sb) || ebm_tensor_init(&c, EBM_I32, 3, sc))
        fail("out of memory");
    for (int i = 0; i < 6; i++) ((float *)ebm_tensor_data(&a))[i] = (float)i * 0.5f;
    for (int i = 0; i < 5; i++) ((unsigned char *)ebm_tensor_data(&b))[i] = (unsigned char)(i * 50);
    for (int i = 0; i < 4; i++) ((int *)ebm_tensor_data(&c))[i] = -i;
    const char *names[3] = {"weights", "levels", "counts"};
    const ebm_tensor *ts[3] = {&a, &b, &c};
    const char *meta = "{\"kind\":\"grid\",\"epoch\":3}";
    snprintf(path, sizeof path, "%s/ckpt/three", dir);
    if (ebm_ckpt_save(path, meta, strlen(meta), 3, names, ts, err, sizeof err)) fail(err);
    snprintf(path, sizeof path, "%s/ckpt/empty", dir);
    if (ebm_ckpt_save(path, "", 0, 0, names, ts, err, sizeof err)) fail(err);

    unsigned char pix[4 * 6 * 3];
    for (size_t i = 0; i < sizeof pix; i++) pix[i] = (unsigned char)(i * 13);
    snprintf(path, sizeof path, "%s/png/gray", dir);
    if (ebm_png_write(path, pix, 4, 6, 1, 6, err, sizeof err)) fail(err);
    snprintf(path, sizeof path, "%s/png/rgb", dir);
    if (ebm_png_write(path, pix, 4, 6, 3, 18, err, sizeof err)) fail(err);
    snprintf(path, sizeof path, "%s/png/one", dir);
    if (ebm_png_write(path, pix, 1, 1, 1, 1, err, sizeof err)) fail(err);
    ebm_tensor_release(&a), ebm_tensor_release(&b), ebm_tensor_release(&c);
    return 0;
}
