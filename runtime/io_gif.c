/* io_gif.c - animated GIF write/read through giflib; see io_gif.h. */
#include "io_gif.h"

#include <errno.h>
#include <gif_lib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(char *err, size_t errlen, int code, const char *msg, const char *detail) {
    if (err && errlen) snprintf(err, errlen, "%s%s%s", msg, detail ? ": " : "", detail ? detail : "");
    return code;
}

/* giflib's message for an error code, or a generic one. */
static const char *gif_msg(int code) {
    const char *s = GifErrorString(code);
    return s ? s : "giflib error";
}

int ebm_gif_write(const char *path, const uint8_t *frames, int64_t nframes, int64_t h, int64_t w,
                  const uint8_t *rgb, int ncolors, const int32_t *delays_cs, int64_t ndelays, int loop,
                  char *err, size_t errlen) {
    if (nframes < 1) return fail(err, errlen, EBM_ESHAPE, "need at least one frame", NULL);
    if (h < 1 || w < 1 || h > EBM_GIF_MAXDIM || w > EBM_GIF_MAXDIM)
        return fail(err, errlen, EBM_ESHAPE, "frame size out of range 1..65535", NULL);
    if (nframes * h * w > EBM_GIF_MAXPIX) return fail(err, errlen, EBM_ESHAPE, "too many pixels (over 2^30)", NULL);
    if (ncolors < 1 || ncolors > 256) return fail(err, errlen, EBM_ERANGE, "palette must have 1..256 colours", NULL);
    if (ndelays != 1 && ndelays != nframes)
        return fail(err, errlen, EBM_ESHAPE, "need one delay, or one per frame", NULL);
    for (int64_t t = 0; t < ndelays; t++)
        if (delays_cs[t] < 0 || delays_cs[t] > 65535) return fail(err, errlen, EBM_ERANGE, "delay out of range 0..65535", NULL);
    if (loop < -1 || loop > 65535) return fail(err, errlen, EBM_ERANGE, "loop must be -1..65535", NULL);
    int64_t npix = nframes * h * w;
    for (int64_t k = 0; k < npix; k++)
        if (frames[k] >= ncolors) {
            char d[96];
            snprintf(d, sizeof d, "index %d at frame %lld is not below %d colours", frames[k], (long long)(k / (h * w)) + 1,
                     ncolors);
            return fail(err, errlen, EBM_ERANGE, "pixel outside the palette", d);
        }
    int bits = GifBitSize(ncolors), size = 1 << bits;
    GifColorType cols[256];
    memset(cols, 0, sizeof cols);
    for (int c = 0; c < ncolors; c++) cols[c].Red = rgb[3 * c], cols[c].Green = rgb[3 * c + 1], cols[c].Blue = rgb[3 * c + 2];
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid()) >= sizeof tmp)
        return fail(err, errlen, EBM_EIO, "path too long", NULL);
    ColorMapObject *map = GifMakeMapObject(size, cols);
    if (!map) return fail(err, errlen, EBM_ENOMEM, "out of memory", NULL);
    int ge = 0;
    GifFileType *g = EGifOpenFileName(tmp, false, &ge);
    if (!g) {
        GifFreeMapObject(map);
        return fail(err, errlen, EBM_EIO, "cannot create file", ge == E_GIF_ERR_OPEN_FAILED ? strerror(errno) : gif_msg(ge));
    }
    EGifSetGifVersion(g, true); /* GIF89a: needed for delays and looping */
    int ok = EGifPutScreenDesc(g, (int)w, (int)h, bits, 0, map) == GIF_OK;
    if (ok && loop >= 0) {
        unsigned char app[] = "NETSCAPE2.0", sub[3] = {1, (unsigned char)(loop & 0xff), (unsigned char)(loop >> 8)};
        ok = EGifPutExtensionLeader(g, APPLICATION_EXT_FUNC_CODE) == GIF_OK &&
             EGifPutExtensionBlock(g, 11, app) == GIF_OK && EGifPutExtensionBlock(g, 3, sub) == GIF_OK &&
             EGifPutExtensionTrailer(g) == GIF_OK;
    }
    for (int64_t t = 0; ok && t < nframes; t++) {
        GraphicsControlBlock gcb = {DISPOSE_DO_NOT, false, (int)delays_cs[ndelays == 1 ? 0 : t], NO_TRANSPARENT_COLOR};
        GifByteType ext[4];
        size_t len = EGifGCBToExtension(&gcb, ext);
        ok = EGifPutExtension(g, GRAPHICS_EXT_FUNC_CODE, (int)len, ext) == GIF_OK &&
             EGifPutImageDesc(g, 0, 0, (int)w, (int)h, false, NULL) == GIF_OK;
        const uint8_t *fr = frames + t * h * w;
        for (int64_t y = 0; ok && y < h; y++) ok = EGifPutLine(g, (GifPixelType *)(fr + y * w), (int)w) == GIF_OK;
    }
    int code = ok ? 0 : g->Error;
    int ce = 0;
    int closed = EGifCloseFile(g, &ce) == GIF_OK; /* frees g; flushes and closes the file */
    GifFreeMapObject(map);
    if (!ok || !closed) {
        unlink(tmp);
        return fail(err, errlen, EBM_EIO, "write failed", gif_msg(ok ? ce : code));
    }
    mode_t mask = umask(0); /* giflib creates the file 0600: give it the usual 0666 & ~umask */
    umask(mask);
    chmod(tmp, 0666 & ~mask);
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return fail(err, errlen, EBM_EIO, "cannot rename into place", strerror(e));
    }
    return EBM_OK;
}

int ebm_gif_read(const char *path, ebm_tensor *frames, ebm_tensor *palette, int32_t **delays_cs, char *err,
                 size_t errlen) {
    memset(frames, 0, sizeof *frames);
    memset(palette, 0, sizeof *palette);
    if (delays_cs) *delays_cs = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return fail(err, errlen, EBM_EIO, "cannot open", strerror(errno));
    char sig[6];
    int isgif = fread(sig, 1, 6, f) == 6 && (!memcmp(sig, "GIF87a", 6) || !memcmp(sig, "GIF89a", 6));
    fclose(f);
    if (!isgif) return fail(err, errlen, EBM_EFORMAT, "not a GIF file (bad signature)", NULL);
    int ge = 0;
    GifFileType *g = DGifOpenFileName(path, &ge);
    if (!g) return fail(err, errlen, EBM_EFORMAT, "cannot read GIF", gif_msg(ge));
    int rc = EBM_OK;
    const char *why = NULL;
    if (DGifSlurp(g) != GIF_OK) rc = EBM_EFORMAT, why = gif_msg(g->Error);
    int64_t T = g->ImageCount, H = g->SHeight, W = g->SWidth;
    if (!rc && (T < 1 || H < 1 || W < 1)) rc = EBM_EFORMAT, why = "no images or an empty screen";
    if (!rc && T * H * W > EBM_GIF_MAXPIX) rc = EBM_EFORMAT, why = "too many pixels (over 2^30)";
    ColorMapObject *map = g->SColorMap ? g->SColorMap : (T > 0 ? g->SavedImages[0].ImageDesc.ColorMap : NULL);
    if (!rc && !map) rc = EBM_EFORMAT, why = "no colour table";
    int64_t fs[3] = {T, H, W}, ps[2] = {map ? map->ColorCount : 0, 3};
    if (!rc && (ebm_tensor_init(frames, EBM_U8, 3, fs) || ebm_tensor_init(palette, EBM_U8, 2, ps)))
        rc = EBM_ENOMEM, why = "out of memory";
    if (!rc && delays_cs && !(*delays_cs = EBM_MALLOC((size_t)T * sizeof(int32_t)))) rc = EBM_ENOMEM, why = "out of memory";
    if (!rc) {
        uint8_t *pal = ebm_tensor_data(palette), *out = ebm_tensor_data(frames);
        for (int c = 0; c < map->ColorCount; c++)
            pal[3 * c] = map->Colors[c].Red, pal[3 * c + 1] = map->Colors[c].Green, pal[3 * c + 2] = map->Colors[c].Blue;
        for (int64_t t = 0; t < T; t++) {
            uint8_t *fr = out + t * H * W;
            if (t > 0) memcpy(fr, fr - H * W, (size_t)(H * W)); /* draw over the previous frame */
            else memset(fr, g->SBackGroundColor, (size_t)(H * W));
            const SavedImage *im = &g->SavedImages[t];
            const GifImageDesc *d = &im->ImageDesc;
            if (!im->RasterBits) continue;
            for (int64_t y = 0; y < d->Height; y++) {
                int64_t yy = d->Top + y;
                if (yy < 0 || yy >= H) continue;
                for (int64_t x = 0; x < d->Width; x++) {
                    int64_t xx = d->Left + x;
                    if (xx >= 0 && xx < W) fr[yy * W + xx] = im->RasterBits[y * d->Width + x];
                }
            }
            if (delays_cs) {
                GraphicsControlBlock gcb;
                (*delays_cs)[t] = DGifSavedExtensionToGCB(g, (int)t, &gcb) == GIF_OK ? gcb.DelayTime : 0;
            }
        }
    }
    int ce = 0;
    DGifCloseFile(g, &ce);
    if (rc) {
        ebm_tensor_release(frames);
        ebm_tensor_release(palette);
        if (delays_cs) EBM_FREE(*delays_cs), *delays_cs = NULL;
        return fail(err, errlen, rc, "cannot read GIF", why);
    }
    return EBM_OK;
}
