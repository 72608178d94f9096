/* viz.h - picture composition: image grids and a tiny bitmap font for labels.
 *
 * Plain C; no Lua. Output images are u8 tensors [H,W] (gray: 0 = black, 255 = white) or
 * [H,W,3] (RGB).
 */
#ifndef EBM_VIZ_H
#define EBM_VIZ_H

#include <stdint.h>

#include "tensor.h"

typedef struct ebm_grid_opts {
    int64_t ncol;  /* images per grid row, >= 1 */
    int scale;     /* output pixels per image pixel, each way, >= 1 */
    int pad;       /* gap between images and around the border, in output pixels, >= 0 */
    int levels;    /* u8 input: 0 = bytes shown as they are; K >= 2 maps 0..K-1 onto 0..255
                      (v * 255 / (K-1), rounded; v >= K shows as 255) */
    int pad_value; /* gray level of the gaps, 0..255 */
    int normalize; /* 0: the fixed mapping above; 1: each image's min..max onto 0..255;
                      2: the min..max over all images onto 0..255 (constant: mid-gray) */
} ebm_grid_opts;

/* Size of the grid of n images of h x w: rows = ceil(n / ncol) (at least 1),
 * cols = min(n, ncol); H = rows * (h*scale + pad) + pad, W likewise. */
void ebm_viz_grid_size(int64_t n, int64_t h, int64_t w, const ebm_grid_opts *o, int64_t *H, int64_t *W);

/* Compose images [n,h,w] (gray) or [n,h,w,3] (RGB), u8, f32 or f64, any strides, into out:
 * a u8 [H,W] or [H,W,3] tensor of the size ebm_viz_grid_size gives (any strides). Image k
 * goes to grid row k / ncol, column k % ncol. Without normalize, floats are clamped to [0,1]
 * and scaled to 0..255 (rounded). Returns EBM_OK, EBM_ETYPE or EBM_ESHAPE. */
int ebm_viz_grid(const ebm_tensor *images, const ebm_grid_opts *o, ebm_tensor *out);

/* Draw `s` into the u8 2-d tensor canvas with its top-left corner at (x, y), in a 3x5
 * pixel font magnified `scale` times (letters are shown upper case; characters outside
 * the font as '?'), pixels set to `value`, clipped to the canvas.
 * Returns the width of the text: ebm_viz_text_width(s, scale). */
int64_t ebm_viz_text(ebm_tensor *canvas, int64_t x, int64_t y, const char *s, int scale, int value);
int64_t ebm_viz_text_width(const char *s, int scale); /* 4*scale per character, minus the last gap */
#define EBM_VIZ_TEXT_HEIGHT 5                          /* font height in font pixels */

#endif
