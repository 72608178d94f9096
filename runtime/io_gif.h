/* io_gif.h - animated GIF files through giflib: write palette-indexed frames, read them back.
 *
 * Plain C; no Lua. A frame is an h x w image of u8 palette indices (row-major); all frames of
 * one file share the size and one global palette of up to 256 RGB colours. giflib reports
 * errors by return codes; every call here turns them into an EBM_ error code with a one-line
 * reason (giflib's own message where it has one), so a corrupt file is never a crash.
 */
#ifndef EBM_IO_GIF_H
#define EBM_IO_GIF_H

#include <stddef.h>
#include <stdint.h>

#include "tensor.h"

#define EBM_GIF_MAXDIM 65535          /* the format's limit on width and height */
#define EBM_GIF_MAXPIX (1LL << 30)    /* most pixels (frames x h x w) read or written */

/* Write `nframes` frames of h x w indices (frame t starts at frames + t*h*w) with the palette
 * `rgb` (ncolors entries of 3 bytes, 1 <= ncolors <= 256; the file's colour table is padded to
 * a power of two with black). delays_cs: per-frame display time in 1/100 s (ndelays == nframes)
 * or one value for all (ndelays == 1), each 0..65535. loop: number of repetitions, 0 = forever
 * (the NETSCAPE2.0 extension), -1 = play once (no extension). Every index must be < ncolors.
 * Written to "<path>.tmp<pid>" then renamed over `path`. Returns EBM_OK, EBM_ESHAPE or EBM_ERANGE
 * (bad sizes, counts, indices), EBM_EIO (cannot write or rename), EBM_ENOMEM; reason in err. */
int ebm_gif_write(const char *path, const uint8_t *frames, int64_t nframes, int64_t h, int64_t w,
                  const uint8_t *rgb, int ncolors, const int32_t *delays_cs, int64_t ndelays, int loop,
                  char *err, size_t errlen);

/* Read a GIF into `frames` (uninitialised on entry): u8 [T, H, W] palette indices, one full
 * screen (H x W, the logical screen) per image of the file, each image drawn over the previous
 * frame at its offset (so partial frames compose as a viewer shows them; disposal modes other
 * than "leave in place" are treated as such). `palette` (uninitialised on entry) gets the global
 * colour table as u8 [ncolors, 3] (or the first image's local table). delays_cs, when not NULL,
 * receives a malloc'ed array of T delays (1/100 s; 0 where a frame has none), freed by the
 * caller with EBM_FREE. Returns EBM_OK, EBM_EIO (cannot open), EBM_EFORMAT (not a GIF, corrupt,
 * truncated, no colour table, too large) or EBM_ENOMEM; on failure nothing is left allocated. */
int ebm_gif_read(const char *path, ebm_tensor *frames, ebm_tensor *palette, int32_t **delays_cs, char *err,
                 size_t errlen);

#endif
