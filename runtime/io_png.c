/* io_png.c - PNG write/read through libpng; see io_png.h. */
#include "io_png.h"

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Most pixel bytes a PNG file of `fsize` bytes can hold: deflate expands at most ~1032:1
 * and a palette or 1-bit gray sample becomes up to 24 bits per pixel (x24), plus room for
 * a tiny file. A header claiming more is refused before the image is allocated, so a
 * 100-byte file cannot make the reader allocate (and zero) gigabytes. */
#define PNG_MAX_EXPANSION (1032 * 24)

/* Where libpng's error callback leaves its message. */
typedef struct png_errctx {
    char *err;     /* caller's buffer (may be NULL) */
    size_t errlen; /* its size */
} png_errctx;

static void on_error(png_structp png, png_const_charp msg) {
    png_errctx *c = png_get_error_ptr(png);
    if (c->err && c->errlen) snprintf(c->err, c->errlen, "%s", msg);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg) {
    (void)png, (void)msg; /* warnings (bad ancillary chunks, ...) are not failures */
}

static int fail(char *err, size_t errlen, int code, const char *msg, const char *detail) {
    if (err && errlen) snprintf(err, errlen, "%s%s%s", msg, detail ? ": " : "", detail ? detail : "");
    return code;
}

int ebm_png_write(const char *path, const uint8_t *pix, int64_t h, int64_t w, int channels, int64_t row_stride,
                  char *err, size_t errlen) {
    if (h < 1 || w < 1 || h > EBM_PNG_MAXDIM || w > EBM_PNG_MAXDIM)
        return fail(err, errlen, EBM_ESHAPE, "image size out of range 1..32768", NULL);
    if (channels != 1 && channels != 3) return fail(err, errlen, EBM_ESHAPE, "channels must be 1 or 3", NULL);
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid()) >= sizeof tmp)
        return fail(err, errlen, EBM_EIO, "path too long", NULL);
    FILE *f = fopen(tmp, "wb");
    if (!f) return fail(err, errlen, EBM_EIO, "cannot create file", strerror(errno));
    png_errctx ctx = {err, errlen};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ctx, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        fclose(f), unlink(tmp);
        return fail(err, errlen, EBM_ENOMEM, "out of memory", NULL);
    }
    if (setjmp(png_jmpbuf(png))) { /* libpng failed: message already in err */
        png_destroy_write_struct(&png, &info);
        fclose(f), unlink(tmp);
        return EBM_EIO;
    }
    png_init_io(png, f);
    png_set_compression_level(png, 3); /* much faster than the default 6, files barely larger */
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int64_t y = 0; y < h; y++) png_write_row(png, pix + y * row_stride);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        unlink(tmp);
        return fail(err, errlen, EBM_EIO, "write failed", strerror(errno));
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return fail(err, errlen, EBM_EIO, "cannot rename into place", strerror(e));
    }
    return EBM_OK;
}

int ebm_png_read(const char *path, ebm_tensor *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) return fail(err, errlen, EBM_EIO, "cannot open", strerror(errno));
    unsigned char sig[8];
    if (fread(sig, 1, 8, f) != 8 || png_sig_cmp(sig, 0, 8)) {
        fclose(f);
        return fail(err, errlen, EBM_EFORMAT, "not a PNG file (bad signature)", NULL);
    }
    png_errctx ctx = {err, errlen};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        fclose(f);
        return fail(err, errlen, EBM_ENOMEM, "out of memory", NULL);
    }
    png_bytep *volatile rows = NULL; /* assigned after setjmp: must be volatile */
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        EBM_FREE(rows);
        fclose(f);
        ebm_tensor_release(out);
        return EBM_EFORMAT;
    }
    png_init_io(png, f);
    png_set_sig_bytes(png, 8);
    png_set_user_limits(png, EBM_PNG_MAXDIM, EBM_PNG_MAXDIM);
    png_read_info(png, info);
    int ctype = png_get_color_type(png, info), depth = png_get_bit_depth(png, info);
    if (ctype == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (depth == 16) png_set_strip_16(png);
    if ((ctype & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS)) png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    int64_t h = png_get_image_height(png, info), w = png_get_image_width(png, info);
    int ch = png_get_channels(png, info);
    if ((ch != 1 && ch != 3) || png_get_rowbytes(png, info) != (size_t)(w * ch))
        png_error(png, "unsupported pixel layout after conversion");
    struct stat st;
    int64_t fsize = fstat(fileno(f), &st) == 0 ? (int64_t)st.st_size : 0;
    if (h * w * ch > fsize * PNG_MAX_EXPANSION + (1 << 20)) {
        char msg[160];
        snprintf(msg, sizeof msg, "header claims %lldx%lld pixels; a %lld-byte PNG holds far fewer (corrupt)",
                 (long long)h, (long long)w, (long long)fsize);
        png_error(png, msg);
    }
    int64_t size[3] = {h, w, 3};
    if (ebm_tensor_init(out, EBM_U8, ch == 1 ? 2 : 3, size)) png_error(png, "out of memory");
    rows = EBM_MALLOC((size_t)h * sizeof *rows);
    if (!rows) png_error(png, "out of memory");
    uint8_t *base = ebm_tensor_data(out);
    for (int64_t y = 0; y < h; y++) rows[y] = base + y * w * ch;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    EBM_FREE(rows);
    fclose(f);
    return EBM_OK;
}
