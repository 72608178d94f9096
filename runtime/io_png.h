/* io_png.h - 8-bit PNG files through libpng: gray or RGB, write and read.
 *
 * Plain C; no Lua. Images are u8 rows: channels 1 (gray) or 3 (RGB), row-major.
 * libpng reports errors by longjmp; every call here catches them, frees what it made,
 * and returns an error code with a one-line reason, so a corrupt file is never a crash.
 */
#ifndef EBM_IO_PNG_H
#define EBM_IO_PNG_H

#include <stddef.h>
#include <stdint.h>

#include "tensor.h"

#define EBM_PNG_MAXDIM 32768 /* widest/tallest image read or written */

/* Write an h x w image with `channels` (1 = gray, 3 = RGB) 8-bit samples per pixel; row y
 * starts at pix + y * row_stride bytes. The file is written to "<path>.tmp<pid>" and then
 * renamed over `path`, so a failed write leaves any old file intact. Returns EBM_OK,
 * EBM_ESHAPE (bad sizes/channels), EBM_EIO (cannot write/rename) with a reason in err. */
int ebm_png_write(const char *path, const uint8_t *pix, int64_t h, int64_t w, int channels, int64_t row_stride,
                  char *err, size_t errlen);

/* Read a PNG into `out` (uninitialised on entry): u8 [h,w] for gray images (alpha dropped)
 * or u8 [h,w,3] for RGB and palette images (alpha dropped). 16-bit samples are reduced to
 * 8 bits and 1/2/4-bit ones expanded; interlaced files are fine. Returns EBM_OK, EBM_EIO
 * (cannot open), EBM_EFORMAT (not a PNG, corrupt, too large) or EBM_ENOMEM; on failure
 * `out` is left empty and err holds the reason. */
int ebm_png_read(const char *path, ebm_tensor *out, char *err, size_t errlen);

#endif
