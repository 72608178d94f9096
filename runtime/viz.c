/* viz.c - image grids and a 3x5 label font; see viz.h. */
#include "viz.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

void ebm_viz_grid_size(int64_t n, int64_t h, int64_t w, const ebm_grid_opts *o, int64_t *H, int64_t *W) {
    int64_t cols = n < o->ncol ? n : o->ncol, rows = n ? (n + o->ncol - 1) / o->ncol : 1;
    if (cols < 1) cols = 1;
    *H = rows * (h * o->scale + o->pad) + o->pad;
    *W = cols * (w * o->scale + o->pad) + o->pad;
}

/* Element at storage offset `off` as a double. */
static inline double value(const ebm_tensor *t, const void *base, int64_t off) {
    switch (t->dtype) {
    case EBM_U8: return ((const uint8_t *)base)[off];
    case EBM_F32: return ((const float *)base)[off];
    case EBM_F64: return ((const double *)base)[off];
    default: return 0;
    }
}

/* u in [0,1] (clamped; NaN -> 0) to 0..255, rounded. */
static inline uint8_t unit_to_byte(double u) {
    if (!(u > 0)) return 0;
    if (u >= 1) return 255;
    return (uint8_t)(u * 255 + 0.5);
}

/* Output byte for one input element: with norm, (v - lo) * scale mapped from [0,1];
 * otherwise lut for u8 and floats taken as [0,1]. */
static inline uint8_t pixel(const ebm_tensor *t, const void *base, int64_t off, const uint8_t *lut, int norm,
                            double lo, double scale) {
    if (norm) return unit_to_byte((value(t, base, off) - lo) * scale);
    if (t->dtype == EBM_U8) return lut[((const uint8_t *)base)[off]];
    return unit_to_byte(value(t, base, off));
}

/* min and max over images k0..k1-1 (all elements). */
static void range_of(const ebm_tensor *t, const void *base, int64_t k0, int64_t k1, double *lo, double *hi) {
    int c = t->ndim == 4 ? (int)t->size[3] : 1;
    int64_t cs = t->ndim == 4 ? t->stride[3] : 0;
    *lo = INFINITY, *hi = -INFINITY;
    for (int64_t k = k0; k < k1; k++)
        for (int64_t y = 0; y < t->size[1]; y++)
            for (int64_t x = 0; x < t->size[2]; x++)
                for (int ch = 0; ch < c; ch++) {
                    double v = value(t, base, t->offset + k * t->stride[0] + y * t->stride[1] + x * t->stride[2] + ch * cs);
                    if (v < *lo) *lo = v;
                    if (v > *hi) *hi = v;
                }
}

int ebm_viz_grid(const ebm_tensor *img, const ebm_grid_opts *o, ebm_tensor *out) {
    if (img->dtype != EBM_U8 && img->dtype != EBM_F32 && img->dtype != EBM_F64) return EBM_ETYPE;
    if (out->dtype != EBM_U8) return EBM_ETYPE;
    int c = img->ndim == 4 ? (int)img->size[3] : 1;
    if (!(img->ndim == 3 || (img->ndim == 4 && c == 3))) return EBM_ESHAPE;
    if (out->ndim != (c == 3 ? 3 : 2) || (c == 3 && out->size[2] != 3)) return EBM_ESHAPE;
    if (o->ncol < 1 || o->scale < 1 || o->pad < 0 || o->normalize < 0 || o->normalize > 2) return EBM_ESHAPE;
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
    uint8_t *ob = out->storage ? (uint8_t *)out->storage->data + out->offset : NULL;
    int64_t os0 = out->stride[0], os1 = out->stride[1], ocs = c == 3 ? out->stride[2] : 0;
    int64_t ics = c == 3 ? img->stride[3] : 0, s = o->scale;
    double lo = 0, hi = 0, scale = 1;
    if (o->normalize == 2) range_of(img, base, 0, n, &lo, &hi);
    for (int64_t k = 0; k < n; k++) {
        if (o->normalize == 1) range_of(img, base, k, k + 1, &lo, &hi);
        double lo_k = lo; /* this image's mapping: (v - lo_k) * scale in [0,1] */
        if (o->normalize && hi > lo) scale = 1.0 / (hi - lo);
        else if (o->normalize) scale = 1, lo_k = lo - 0.5; /* constant image: mid-gray */
        int64_t y0 = o->pad + (k / o->ncol) * (h * s + o->pad), x0 = o->pad + (k % o->ncol) * (w * s + o->pad);
        for (int64_t y = 0; y < h; y++) {
            int64_t ioff = img->offset + k * img->stride[0] + y * img->stride[1];
            uint8_t *orow = ob + (y0 + y * s) * os0 + x0 * os1;
            if (img->dtype == EBM_U8 && !o->normalize && c == 1 && os1 == 1) { /* the common case */
                const uint8_t *src = (const uint8_t *)base + ioff;
                int64_t xs = img->stride[2];
                uint8_t *q = orow;
                if (s == 1)
                    for (int64_t x = 0; x < w; x++) q[x] = lut[src[x * xs]];
                else
                    for (int64_t x = 0; x < w; x++, q += s) memset(q, lut[src[x * xs]], (size_t)s);
            } else {
                for (int64_t x = 0; x < w; x++)
                    for (int ch = 0; ch < c; ch++) {
                        uint8_t g = pixel(img, base, ioff + x * img->stride[2] + ch * ics, lut, o->normalize, lo_k, scale);
                        for (int64_t dx = 0; dx < s; dx++) orow[(x * s + dx) * os1 + ch * ocs] = g;
                    }
            }
            for (int64_t dy = 1; dy < s; dy++) { /* repeat the scaled row */
                uint8_t *r = orow + dy * os0;
                if (os1 == c && (c == 1 || ocs == 1)) memcpy(r, orow, (size_t)(w * s * c));
                else
                    for (int64_t x = 0; x < w * s; x++)
                        for (int ch = 0; ch < c; ch++) r[x * os1 + ch * ocs] = orow[x * os1 + ch * ocs];
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
