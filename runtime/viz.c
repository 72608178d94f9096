/* viz.c - image grids and a 3x5 label font; see viz.h. */
#include "viz.h"

#include <ctype.h>
#include <string.h>

void ebm_viz_grid_size(int64_t n, int64_t h, int64_t w, const ebm_grid_opts *o, int64_t *H, int64_t *W) {
    int64_t cols = n < o->ncol ? n : o->ncol, rows = n ? (n + o->ncol - 1) / o->ncol : 1;
    if (cols < 1) cols = 1;
    *H = rows * (h * o->scale + o->pad) + o->pad;
    *W = cols * (w * o->scale + o->pad) + o->pad;
}

/* Gray value of one input element at storage offset `off`. */
static inline uint8_t pixel(const ebm_tensor *t, const void *base, int64_t off, const uint8_t *lut) {
    double v;
    switch (t->dtype) {
    case EBM_U8: return lut[((const uint8_t *)base)[off]];
    case EBM_F32: v = ((const float *)base)[off]; break;
    case EBM_F64: v = ((const double *)base)[off]; break;
    default: return 0;
    }
    if (!(v > 0)) return 0; /* also NaN */
    if (v >= 1) return 255;
    return (uint8_t)(v * 255 + 0.5);
}

int ebm_viz_grid(const ebm_tensor *img, const ebm_grid_opts *o, ebm_tensor *out) {
    if (img->dtype != EBM_U8 && img->dtype != EBM_F32 && img->dtype != EBM_F64) return EBM_ETYPE;
    if (out->dtype != EBM_U8) return EBM_ETYPE;
    if (img->ndim != 3 || out->ndim != 2 || o->ncol < 1 || o->scale < 1 || o->pad < 0) return EBM_ESHAPE;
    int64_t n = img->size[0], h = img->size[1], w = img->size[2], H, W;
    ebm_viz_grid_size(n, h, w, o, &H, &W);
    if (out->size[0] != H || out->size[1] != W) return EBM_ESHAPE;
    uint8_t lut[256];
    for (int v = 0; v < 256; v++) {
        int k = o->levels;
        lut[v] = k >= 2 ? (v >= k ? 255 : (uint8_t)((v * 255 + (k - 1) / 2) / (k - 1))) : (uint8_t)v;
    }
    ebm_tensor_fill(out, o->pad_value);
    const void *base = img->storage ? img->storage->data : NULL;
    uint8_t *ob = out->storage ? out->storage->data : NULL;
    int64_t os0 = out->stride[0], os1 = out->stride[1], s = o->scale;
    for (int64_t k = 0; k < n; k++) {
        int64_t y0 = o->pad + (k / o->ncol) * (h * s + o->pad), x0 = o->pad + (k % o->ncol) * (w * s + o->pad);
        for (int64_t y = 0; y < h; y++) {
            int64_t ioff = img->offset + k * img->stride[0] + y * img->stride[1];
            uint8_t *orow = ob + out->offset + (y0 + y * s) * os0 + x0 * os1;
            for (int64_t x = 0; x < w; x++) {
                uint8_t g = pixel(img, base, ioff + x * img->stride[2], lut);
                for (int64_t dx = 0; dx < s; dx++) orow[(x * s + dx) * os1] = g;
            }
            for (int64_t dy = 1; dy < s; dy++) { /* repeat the scaled row */
                uint8_t *r = orow + dy * os0;
                if (os1 == 1) memcpy(r, orow, (size_t)(w * s));
                else for (int64_t x = 0; x < w * s; x++) r[x * os1] = orow[x * os1];
            }
        }
    }
    return EBM_OK;
}

/* 3x5 glyphs: 15 characters per glyph, rows top to bottom, '#' = ink. */
static const struct { char c; const char *g; } FONT[] = {
    {'0', "####.##.##.####"}, {'1', ".#.##..#..#.###"}, {'2', "###..#####..###"}, {'3', "###..####..####"},
    {'4', "#.##.####..#..#"}, {'5', "####..###..####"}, {'6', "####..####.####"}, {'7', "###..#..#.#..#."},
    {'8', "####.#####.####"}, {'9', "####.####..####"}, {'A', ".#.#.#####.##.#"}, {'B', "##.#.###.#.###."},
    {'C', ".###..#..#...##"}, {'D', "##.#.##.##.###."}, {'E', "####..##.#..###"}, {'F', "####..##.#..#.."},
    {'G', ".###..#.##.#.##"}, {'H', "#.##.#####.##.#"}, {'I', "###.#..#..#.###"}, {'J', "..#..#..##.#.#."},
    {'K', "#.##.###.#.##.#"}, {'L', "#..#..#..#..###"}, {'M', "#.########.##.#"}, {'N', "##.#.##.##.##.#"},
    {'O', ".#.#.##.##.#.#."}, {'P', "##.#.###.#..#.."}, {'Q', ".#.#.##.###..##"}, {'R', "##.#.###.#.##.#"},
    {'S', ".###...#...###."}, {'T', "###.#..#..#..#."}, {'U', "#.##.##.##.####"}, {'V', "#.##.##.##.#.#."},
    {'W', "#.##.########.#"}, {'X', "#.##.#.#.#.##.#"}, {'Y', "#.##.#.#..#..#."}, {'Z', "###..#.#.#..###"},
    {' ', "..............."}, {'.', ".............#."}, {',', "..........#.#.."}, {'-', "......###......"},
    {'=', "...###...###..."}, {':', "....#.....#...."}, {'/', "..#..#.#.#..#.."}, {'(', ".#.#..#..#...#."},
    {')', ".#...#..#..#.#."}, {'+', "....#.###.#...."}, {'_', "............###"}, {'%', "#.#..#.#.#..#.#"},
    {'#', "#.#####.#####.#"}, {'?', "###..#.#.....#."}, {'*', "#.#.#.#.#......"}, {'<', "..#.#.#...#...#"},
    {'>', "#...#...#.#.#.."}, {'\'', ".#..#.........."}};

static const char *glyph(int c) {
    c = toupper(c);
    for (size_t i = 0; i < sizeof FONT / sizeof FONT[0]; i++)
        if (FONT[i].c == c) return FONT[i].g;
    return glyph('?');
}

int64_t ebm_viz_text_width(const char *s, int scale) {
    int64_t n = (int64_t)strlen(s);
    return n ? (4 * n - 1) * scale : 0;
}

int64_t ebm_viz_text(ebm_tensor *cv, int64_t x, int64_t y, const char *s, int scale, int value) {
    if (cv->dtype != EBM_U8 || cv->ndim != 2 || scale < 1) return 0;
    uint8_t *b = (uint8_t *)cv->storage->data + cv->offset;
    for (const char *p = s; *p; p++) {
        const char *g = glyph((unsigned char)*p);
        int64_t cx = x + (p - s) * 4 * scale;
        for (int r = 0; r < 5; r++)
            for (int c = 0; c < 3; c++) {
                if (g[r * 3 + c] != '#') continue;
                for (int dy = 0; dy < scale; dy++)
                    for (int dx = 0; dx < scale; dx++) {
                        int64_t yy = y + r * scale + dy, xx = cx + c * scale + dx;
                        if (yy >= 0 && yy < cv->size[0] && xx >= 0 && xx < cv->size[1])
                            b[yy * cv->stride[0] + xx * cv->stride[1]] = (uint8_t)value;
                    }
            }
    }
    return ebm_viz_text_width(s, scale);
}
