/* tensor_math.c - elementwise arithmetic, random fills, reductions and GEMM on ebm_tensor.
 * See tensor_math.h for the conventions (broadcasting, dtypes, determinism). */
#include "tensor_math.h"

#include "blas.h"
#include <limits.h>
#include <string.h>
#include <tgmath.h> /* exp/log/... pick the float versions for float arguments */

/* OpenMP is used only for kernels that compute enough per element to gain from a second
 * core (transcendentals, random numbers). Memory-bound loops (add, axpy, sums) stay serial:
 * on 2 shared cores threads did not make them faster, and when the cores were busy they
 * made them 5-8x slower (bench_tensor.lua). */
#define PAR_MIN 262144 /* elements below which loops stay serial */
#define CHUNK 65536    /* elements per parallel task (and per partial sum) */

/* ---- the strided loop engine ------------------------------------------------------- */

/* Up to three operands walked together over one shape; operand 0 is the output. Dims
 * that are laid out alike in every operand are merged, so contiguous data becomes one
 * long unit-stride row. */
typedef struct {
    int nop;                        /* operands in use (2 or 3) */
    int nd;                         /* dims after merging, >= 1 */
    int64_t size[EBM_MAXDIM];       /* extent of each merged dim */
    int64_t st[3][EBM_MAXDIM];      /* element strides per operand (0 = broadcast) */
    char *base[3];                  /* address of element 0 of each operand */
    ebm_dtype dt[3];
} loop_t;

/* Inner kernel: n elements, byte pointers p[op], element strides s[op]. */
typedef void (*kern_fn)(const void *ctx, int64_t n, char **p, const int64_t *s);

/* Strides of t seen with out's shape (broadcasting); EBM_ESHAPE if t cannot broadcast. */
static int expand_to(const ebm_tensor *t, int ndim, const int64_t *size, int64_t *stride) {
    int off = ndim - t->ndim;
    if (off < 0) return EBM_ESHAPE;
    for (int d = 0; d < ndim; d++) {
        int s = d - off;
        if (s < 0 || (t->size[s] == 1 && size[d] != 1)) stride[d] = 0;
        else if (t->size[s] == size[d]) stride[d] = t->stride[s];
        else return EBM_ESHAPE;
    }
    return EBM_OK;
}

int ebm_broadcast_shape(const ebm_tensor *a, const ebm_tensor *b, int *ndim, int64_t *size) {
    int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
    for (int d = 0; d < nd; d++) {
        int da = d - (nd - a->ndim), db = d - (nd - b->ndim);
        int64_t sa = da >= 0 ? a->size[da] : 1, sb = db >= 0 ? b->size[db] : 1;
        if (sa != sb && sa != 1 && sb != 1) return EBM_ESHAPE;
        size[d] = sa == 1 ? sb : sa;
    }
    *ndim = nd;
    return EBM_OK;
}

/* Set up a loop over out's shape with inputs `in[0..nin)` broadcast to it. */
static int loop_init(loop_t *L, ebm_tensor *out, const ebm_tensor **in, int nin) {
    int64_t st[3][EBM_MAXDIM];
    L->nop = nin + 1;
    for (int d = 0; d < out->ndim; d++) st[0][d] = out->stride[d];
    L->base[0] = ebm_tensor_data(out);
    L->dt[0] = out->dtype;
    for (int k = 0; k < nin; k++) {
        if (expand_to(in[k], out->ndim, out->size, st[k + 1])) return EBM_ESHAPE;
        L->base[k + 1] = ebm_tensor_data(in[k]);
        L->dt[k + 1] = in[k]->dtype;
    }
    /* merge dims from the innermost outwards, dropping size-1 dims */
    int nd = 0;
    int64_t size[EBM_MAXDIM], mst[3][EBM_MAXDIM];
    for (int d = out->ndim - 1; d >= 0; d--) {
        if (out->size[d] == 1) continue;
        int merge = nd > 0;
        for (int k = 0; merge && k < L->nop; k++)
            if (st[k][d] != mst[k][nd - 1] * size[nd - 1]) merge = 0;
        if (merge) {
            size[nd - 1] *= out->size[d];
        } else {
            size[nd] = out->size[d];
            for (int k = 0; k < L->nop; k++) mst[k][nd] = st[k][d];
            nd++;
        }
    }
    if (nd == 0) {
        size[0] = 1;
        for (int k = 0; k < L->nop; k++) mst[k][0] = 1;
        nd = 1;
    }
    L->nd = nd; /* stored innermost-last */
    for (int d = 0; d < nd; d++) {
        L->size[d] = size[nd - 1 - d];
        for (int k = 0; k < L->nop; k++) L->st[k][d] = mst[k][nd - 1 - d];
    }
    return EBM_OK;
}

/* Run kernel `f` over the loop: rows of the innermost dim, split into CHUNK pieces; the
 * pieces run in parallel when `heavy` and the whole loop is large. */
static void loop_run(const loop_t *L, kern_fn f, const void *ctx, int heavy) {
    int64_t len = L->size[L->nd - 1], rows = 1;
    for (int d = 0; d < L->nd - 1; d++) rows *= L->size[d];
    if (rows * len == 0) return;
    int64_t pieces = (len + CHUNK - 1) / CHUNK, tasks = rows * pieces;
#pragma omp parallel for schedule(static) if (heavy && rows * len >= PAR_MIN)
    for (int64_t task = 0; task < tasks; task++) {
        int64_t row = task / pieces, piece = task % pieces;
        char *p[3];
        int64_t s[3];
        for (int k = 0; k < L->nop; k++) {
            int64_t off = 0, r = row;
            for (int d = L->nd - 2; d >= 0; d--) {
                off += (r % L->size[d]) * L->st[k][d];
                r /= L->size[d];
            }
            off += piece * CHUNK * L->st[k][L->nd - 1];
            p[k] = L->base[k] + off * (int64_t)ebm_dtype_size(L->dt[k]);
            s[k] = L->st[k][L->nd - 1];
        }
        int64_t n = len - piece * CHUNK;
        f(ctx, n < CHUNK ? n : CHUNK, p, s);
    }
}

/* Is `t` stored in out's storage with a different layout (so writing out could clobber
 * elements of t before they are read)? */
static int overlaps(const ebm_tensor *out, const ebm_tensor *t) {
    if (out->storage != t->storage || out->storage == NULL) return 0;
    if (out->offset != t->offset || !ebm_tensor_same_shape(out, t)) return 1;
    for (int d = 0; d < t->ndim; d++)
        if (t->size[d] > 1 && t->stride[d] != out->stride[d]) return 1;
    return 0;
}

/* Copy `t` into `tmp` if it overlaps out; returns the tensor to read from. */
static const ebm_tensor *unalias(const ebm_tensor *out, const ebm_tensor *t, ebm_tensor *tmp, int *rc) {
    *rc = EBM_OK;
    if (!overlaps(out, t)) return t;
    *rc = ebm_tensor_clone(tmp, t, t->dtype);
    return *rc ? NULL : tmp;
}

/* ---- binary ops ---------------------------------------------------------------------- */

typedef struct {
    ebm_binop op;
    double alpha;
    ebm_dtype dt[3];
} bin_ctx;

#define BIN_EXPR(op, x, y, al)                                                                    \
    ((op) == EBM_OP_ADD   ? (x) + (al) * (y)                                                      \
     : (op) == EBM_OP_SUB ? (x) - (al) * (y)                                                      \
     : (op) == EBM_OP_MUL ? (x) * (y)                                                             \
     : (op) == EBM_OP_DIV ? (x) / (y)                                                             \
     : (op) == EBM_OP_MAX ? ((x) >= (y) || (x) != (x) ? (x) : (y))                                \
     : (op) == EBM_OP_MIN ? ((x) <= (y) || (x) != (x) ? (x) : (y))                                \
     : (op) == EBM_OP_POW ? pow((x), (y))                                                         \
     : (op) == EBM_OP_RSUB ? (y) - (x)                                                            \
                           : (y) / (x))

/* Typed loops: one per op so each inner loop is a plain, vectorisable statement. */
#define BIN_TYPED(T)                                                                              \
    static void bin_##T(ebm_binop op, T al, int64_t n, T *o, int64_t so, const T *a, int64_t sa, \
                        const T *b, int64_t sb) {                                                 \
        if (so == 1 && sa == 1 && sb == 1) {                                                      \
            switch (op) {                                                                         \
            case EBM_OP_ADD: for (int64_t i = 0; i < n; i++) o[i] = a[i] + al * b[i]; return;     \
            case EBM_OP_SUB: for (int64_t i = 0; i < n; i++) o[i] = a[i] - al * b[i]; return;     \
            case EBM_OP_MUL: for (int64_t i = 0; i < n; i++) o[i] = a[i] * b[i]; return;          \
            case EBM_OP_DIV: for (int64_t i = 0; i < n; i++) o[i] = a[i] / b[i]; return;          \
            default: break;                                                                       \
            }                                                                                     \
        } else if (so == 1 && sa == 1 && sb == 0) {                                               \
            T y = b[0];                                                                           \
            switch (op) {                                                                         \
            case EBM_OP_ADD: for (int64_t i = 0; i < n; i++) o[i] = a[i] + al * y; return;       \
            case EBM_OP_SUB: for (int64_t i = 0; i < n; i++) o[i] = a[i] - al * y; return;       \
            case EBM_OP_MUL: for (int64_t i = 0; i < n; i++) o[i] = a[i] * y; return;            \
            case EBM_OP_DIV: for (int64_t i = 0; i < n; i++) o[i] = a[i] / y; return;            \
            default: break;                                                                       \
            }                                                                                     \
        }                                                                                         \
        for (int64_t i = 0; i < n; i++) {                                                         \
            T x = a[i * sa], y = b[i * sb];                                                       \
            o[i * so] = (T)BIN_EXPR(op, x, y, al);                                                \
        }                                                                                         \
    }
BIN_TYPED(float)
BIN_TYPED(double)

static void bin_kernel(const void *vc, int64_t n, char **p, const int64_t *s) {
    const bin_ctx *c = vc;
    if (c->dt[0] == c->dt[1] && c->dt[1] == c->dt[2]) {
        if (c->dt[0] == EBM_F32) {
            bin_float(c->op, (float)c->alpha, n, (float *)p[0], s[0], (float *)p[1], s[1], (float *)p[2], s[2]);
            return;
        }
        if (c->dt[0] == EBM_F64) {
            bin_double(c->op, c->alpha, n, (double *)p[0], s[0], (double *)p[1], s[1], (double *)p[2], s[2]);
            return;
        }
    }
    for (int64_t i = 0; i < n; i++) {
        double x = ebm_load_raw(p[1], c->dt[1], i * s[1]), y = ebm_load_raw(p[2], c->dt[2], i * s[2]);
        ebm_store_raw(p[0], c->dt[0], i * s[0], BIN_EXPR(c->op, x, y, c->alpha));
    }
}

int ebm_tensor_binary(ebm_tensor *out, const ebm_tensor *a, const ebm_tensor *b, ebm_binop op, double alpha) {
    ebm_tensor ta = {0}, tb = {0};
    int rc;
    const ebm_tensor *ua = unalias(out, a, &ta, &rc);
    if (rc) return rc;
    const ebm_tensor *ub = unalias(out, b, &tb, &rc);
    if (!rc) {
        const ebm_tensor *in[2] = {ua, ub};
        loop_t L;
        rc = loop_init(&L, out, in, 2);
        if (!rc) {
            bin_ctx c = {op, alpha, {L.dt[0], L.dt[1], L.dt[2]}};
            loop_run(&L, bin_kernel, &c, op == EBM_OP_POW);
        }
    }
    ebm_tensor_release(&ta);
    ebm_tensor_release(&tb);
    return rc;
}

/* A one-element tensor holding s, in a's dtype when that is a float type (so the typed
 * loops apply), else f64. */
static int scalar_tensor(ebm_tensor *s, const ebm_tensor *a, double v) {
    ebm_dtype dt = (a->dtype == EBM_F32 || a->dtype == EBM_F64) ? a->dtype : EBM_F64;
    int rc = ebm_tensor_init(s, dt, 0, NULL);
    if (!rc) ebm_tensor_fill(s, v);
    return rc;
}

int ebm_tensor_binary_scalar(ebm_tensor *out, const ebm_tensor *a, double v, ebm_binop op) {
    ebm_tensor s;
    int rc = scalar_tensor(&s, a, v);
    if (rc) return rc;
    rc = ebm_tensor_binary(out, a, &s, op, 1.0);
    ebm_tensor_release(&s);
    return rc;
}

int ebm_tensor_axpy(ebm_tensor *y, double alpha, const ebm_tensor *x) {
    return ebm_tensor_binary(y, y, x, EBM_OP_ADD, alpha);
}

/* ---- unary ops ----------------------------------------------------------------------- */

typedef struct {
    ebm_unop op;
    double p1, p2;
    ebm_dtype dt[2];
} un_ctx;

#define UN_EXPR(op, x, p1, p2)                                                                    \
    ((op) == EBM_UN_NEG       ? -(x)                                                              \
     : (op) == EBM_UN_EXP     ? exp(x)                                                            \
     : (op) == EBM_UN_LOG     ? log(x)                                                            \
     : (op) == EBM_UN_SIGMOID ? 1 / (1 + exp(-(x)))                                               \
     : (op) == EBM_UN_ABS     ? fabs(x)                                                           \
     : (op) == EBM_UN_SQRT    ? sqrt(x)                                                           \
     : (op) == EBM_UN_TANH    ? tanh(x)                                                           \
     : (op) == EBM_UN_SQUARE  ? (x) * (x)                                                         \
     : (op) == EBM_UN_CLAMP   ? ((x) < (p1) ? (p1) : (x) > (p2) ? (p2) : (x))                     \
                              : (p1) * (x) + (p2))

#define UN_TYPED(T)                                                                               \
    static void un_##T(ebm_unop op, T p1, T p2, int64_t n, T *o, int64_t so, const T *a, int64_t sa) { \
        if (so == 1 && sa == 1) {                                                                 \
            switch (op) {                                                                         \
            case EBM_UN_NEG: for (int64_t i = 0; i < n; i++) o[i] = -a[i]; return;                \
            case EBM_UN_SQUARE: for (int64_t i = 0; i < n; i++) o[i] = a[i] * a[i]; return;       \
            case EBM_UN_ABS: for (int64_t i = 0; i < n; i++) o[i] = fabs(a[i]); return;           \
            case EBM_UN_SQRT: for (int64_t i = 0; i < n; i++) o[i] = sqrt(a[i]); return;          \
            case EBM_UN_SCALE: for (int64_t i = 0; i < n; i++) o[i] = p1 * a[i] + p2; return;     \
            case EBM_UN_CLAMP:                                                                    \
                for (int64_t i = 0; i < n; i++) o[i] = a[i] < p1 ? p1 : a[i] > p2 ? p2 : a[i];   \
                return;                                                                           \
            case EBM_UN_EXP: for (int64_t i = 0; i < n; i++) o[i] = exp(a[i]); return;            \
            case EBM_UN_SIGMOID: for (int64_t i = 0; i < n; i++) o[i] = 1 / (1 + exp(-a[i])); return; \
            default: break;                                                                       \
            }                                                                                     \
        }                                                                                         \
        for (int64_t i = 0; i < n; i++) {                                                         \
            T x = a[i * sa];                                                                      \
            o[i * so] = (T)UN_EXPR(op, x, p1, p2);                                                \
        }                                                                                         \
    }
UN_TYPED(float)
UN_TYPED(double)

static void un_kernel(const void *vc, int64_t n, char **p, const int64_t *s) {
    const un_ctx *c = vc;
    if (c->dt[0] == c->dt[1] && c->dt[0] == EBM_F32) {
        un_float(c->op, (float)c->p1, (float)c->p2, n, (float *)p[0], s[0], (float *)p[1], s[1]);
    } else if (c->dt[0] == c->dt[1] && c->dt[0] == EBM_F64) {
        un_double(c->op, c->p1, c->p2, n, (double *)p[0], s[0], (double *)p[1], s[1]);
    } else {
        for (int64_t i = 0; i < n; i++) {
            double x = ebm_load_raw(p[1], c->dt[1], i * s[1]);
            ebm_store_raw(p[0], c->dt[0], i * s[0], UN_EXPR(c->op, x, c->p1, c->p2));
        }
    }
}

int ebm_tensor_unary(ebm_tensor *out, const ebm_tensor *a, ebm_unop op, double p1, double p2) {
    ebm_tensor ta = {0};
    int rc;
    const ebm_tensor *ua = unalias(out, a, &ta, &rc);
    if (rc) return rc;
    loop_t L;
    rc = loop_init(&L, out, &ua, 1);
    if (!rc) {
        un_ctx c = {op, p1, p2, {L.dt[0], L.dt[1]}};
        int heavy = op == EBM_UN_EXP || op == EBM_UN_LOG || op == EBM_UN_SIGMOID || op == EBM_UN_TANH || op == EBM_UN_SQRT;
        loop_run(&L, un_kernel, &c, heavy);
    }
    ebm_tensor_release(&ta);
    return rc;
}

/* ---- sequences and random fills ------------------------------------------------------ */

/* Apply v(i) to every element of t in row-major order: directly when contiguous, else
 * through a contiguous temporary of t's dtype (so values never depend on layout). */
typedef void (*gen_fn)(const void *ctx, void *data, ebm_dtype dt, int64_t n);

static int generate(ebm_tensor *t, gen_fn f, const void *ctx) {
    int64_t n = ebm_tensor_numel(t);
    if (n == 0) return EBM_OK;
    if (ebm_tensor_is_contiguous(t)) {
        f(ctx, ebm_tensor_data(t), t->dtype, n);
        return EBM_OK;
    }
    ebm_tensor tmp;
    int rc = ebm_tensor_init(&tmp, t->dtype, t->ndim, t->size);
    if (rc) return rc;
    f(ctx, ebm_tensor_data(&tmp), tmp.dtype, n);
    rc = ebm_tensor_copy(t, &tmp);
    ebm_tensor_release(&tmp);
    return rc;
}

typedef struct { double start, step; } seq_ctx;

static void seq_gen(const void *vc, void *data, ebm_dtype dt, int64_t n) {
    const seq_ctx *c = vc;
    for (int64_t i = 0; i < n; i++) ebm_store_raw(data, dt, i, c->start + (double)i * c->step);
}

int ebm_tensor_arange(ebm_tensor *t, double start, double step) {
    seq_ctx c = {start, step};
    return generate(t, seq_gen, &c);
}

int ebm_tensor_linspace(ebm_tensor *t, double a, double b) {
    int64_t n = ebm_tensor_numel(t);
    seq_ctx c = {a, n > 1 ? (b - a) / (double)(n - 1) : 0.0};
    int rc = generate(t, seq_gen, &c);
    if (!rc && n > 1) ebm_tensor_set_linear(t, n - 1, b); /* exact end point */
    return rc;
}

typedef struct {
    ebm_rng r;          /* state at the start of the fill */
    double a, b;        /* lo/hi, mean/sd, or p */
    const double *p;    /* per-element probabilities (bernoulli_t), contiguous */
} rnd_ctx;

/* uniform: 4 values per counter block for f32 (24 bits each), 2 for other dtypes (53). */
static void uniform_gen(const void *vc, void *data, ebm_dtype dt, int64_t n) {
    const rnd_ctx *c = vc;
    int per = dt == EBM_F32 ? 4 : 2;
    int64_t nb = (n + per - 1) / per;
    double w = c->b - c->a;
#pragma omp parallel for if (n >= PAR_MIN)
    for (int64_t k = 0; k < nb; k++) {
        ebm_philox_ctr x = ebm_rng_block(c->r.seed, c->r.stream, c->r.pos + (uint64_t)k);
        for (int j = 0; j < per && k * per + j < n; j++) {
            double u = per == 4 ? (double)ebm_u01f(x.v[j]) : ebm_u01d(x.v[2 * j], x.v[2 * j + 1]);
            double v = c->a + w * u;
            if (dt == EBM_F32) ((float *)data)[k * per + j] = (float)v;
            else ebm_store_raw(data, dt, k * per + j, dt == EBM_F64 ? v : floor(v));
        }
    }
}

/* normal: 2 values per block (Box-Muller on two 53-bit uniforms). */
static void normal_gen(const void *vc, void *data, ebm_dtype dt, int64_t n) {
    const rnd_ctx *c = vc;
    int64_t nb = (n + 1) / 2;
#pragma omp parallel for if (n >= PAR_MIN)
    for (int64_t k = 0; k < nb; k++) {
        ebm_philox_ctr x = ebm_rng_block(c->r.seed, c->r.stream, c->r.pos + (uint64_t)k);
        double u1 = 1.0 - ebm_u01d(x.v[0], x.v[1]), u2 = ebm_u01d(x.v[2], x.v[3]);
        double rad = sqrt(-2.0 * log(u1)), th = 6.283185307179586 * u2;
        ebm_store_raw(data, dt, 2 * k, c->a + c->b * rad * cos(th));
        if (2 * k + 1 < n) ebm_store_raw(data, dt, 2 * k + 1, c->a + c->b * rad * sin(th));
    }
}

/* bernoulli: 4 values per block; element i is 1 when u_i < p (or p[i]). */
static void bernoulli_gen(const void *vc, void *data, ebm_dtype dt, int64_t n) {
    const rnd_ctx *c = vc;
    int64_t nb = (n + 3) / 4;
#pragma omp parallel for if (n >= PAR_MIN)
    for (int64_t k = 0; k < nb; k++) {
        ebm_philox_ctr x = ebm_rng_block(c->r.seed, c->r.stream, c->r.pos + (uint64_t)k);
        for (int j = 0; j < 4 && 4 * k + j < n; j++) {
            double p = c->p ? c->p[4 * k + j] : c->a;
            ebm_store_raw(data, dt, 4 * k + j, (double)ebm_u01f(x.v[j]) < p ? 1.0 : 0.0);
        }
    }
}

static uint64_t blocks_used(int64_t n, int per) { return (uint64_t)((n + per - 1) / per); }

int ebm_tensor_uniform(ebm_tensor *t, ebm_rng *r, double lo, double hi) {
    rnd_ctx c = {*r, lo, hi, NULL};
    int rc = generate(t, uniform_gen, &c);
    if (!rc) r->pos += blocks_used(ebm_tensor_numel(t), t->dtype == EBM_F32 ? 4 : 2);
    return rc;
}

int ebm_tensor_normal(ebm_tensor *t, ebm_rng *r, double mean, double sd) {
    rnd_ctx c = {*r, mean, sd, NULL};
    int rc = generate(t, normal_gen, &c);
    if (!rc) r->pos += blocks_used(ebm_tensor_numel(t), 2);
    return rc;
}

int ebm_tensor_bernoulli(ebm_tensor *t, ebm_rng *r, double p) {
    rnd_ctx c = {*r, p, 0, NULL};
    int rc = generate(t, bernoulli_gen, &c);
    if (!rc) r->pos += blocks_used(ebm_tensor_numel(t), 4);
    return rc;
}

int ebm_tensor_bernoulli_t(ebm_tensor *t, ebm_rng *r, const ebm_tensor *p) {
    ebm_tensor pe; /* p broadcast to t's shape, as contiguous f64 */
    int rc = ebm_tensor_init(&pe, EBM_F64, t->ndim, t->size);
    if (rc) return rc;
    rc = ebm_tensor_binary_scalar(&pe, p, 0.0, EBM_OP_ADD);
    if (!rc) {
        rnd_ctx c = {*r, 0, 0, ebm_tensor_data(&pe)};
        rc = generate(t, bernoulli_gen, &c);
        if (!rc) r->pos += blocks_used(ebm_tensor_numel(t), 4);
    }
    ebm_tensor_release(&pe);
    return rc;
}

/* ---- reductions over all elements --------------------------------------------------- */

/* Sum of f(x) over t: contiguous data in CHUNK pieces (partial sums added in order: the
 * result is fixed and rounding error grows with the number of chunks, not elements). kind 0 = x, 1 = x^2. */
static double sum_chunk(const void *data, ebm_dtype dt, int64_t n, int kind) {
    double s = 0;
    if (dt == EBM_F32) {
        const float *x = data;
        if (kind) for (int64_t i = 0; i < n; i++) s += (double)x[i] * x[i];
        else for (int64_t i = 0; i < n; i++) s += x[i];
    } else if (dt == EBM_F64) {
        const double *x = data;
        if (kind) for (int64_t i = 0; i < n; i++) s += x[i] * x[i];
        else for (int64_t i = 0; i < n; i++) s += x[i];
    } else {
        for (int64_t i = 0; i < n; i++) {
            double v = ebm_load_raw(data, dt, i);
            s += kind ? v * v : v;
        }
    }
    return s;
}

static double sum_kind(const ebm_tensor *t, int kind) {
    int64_t n = ebm_tensor_numel(t);
    if (n == 0) return 0;
    if (!ebm_tensor_is_contiguous(t)) {
        double s = 0;
        ebm_iter it;
        ebm_iter_init(&it, t);
        for (int64_t i = 0; i < n; i++, ebm_iter_next(&it)) {
            double v = ebm_load_at(t, it.pos);
            s += kind ? v * v : v;
        }
        return s;
    }
    const char *data = ebm_tensor_data(t);
    size_t es = ebm_dtype_size(t->dtype);
    int64_t nc = (n + CHUNK - 1) / CHUNK;
    if (nc == 1) return sum_chunk(data, t->dtype, n, kind);
    double *part = EBM_MALLOC(sizeof(double) * (size_t)nc);
    if (!part) return sum_chunk(data, t->dtype, n, kind);
    for (int64_t c = 0; c < nc; c++) { /* memory-bound: serial (see PAR_MIN) */
        int64_t len = n - c * CHUNK < CHUNK ? n - c * CHUNK : CHUNK;
        part[c] = sum_chunk(data + (size_t)(c * CHUNK) * es, t->dtype, len, kind);
    }
    double s = 0;
    for (int64_t c = 0; c < nc; c++) s += part[c];
    EBM_FREE(part);
    return s;
}

double ebm_tensor_sumall(const ebm_tensor *t) { return sum_kind(t, 0); }
double ebm_tensor_sumsq(const ebm_tensor *t) { return sum_kind(t, 1); }

static double extreme_all(const ebm_tensor *t, int64_t *index, int want_max) {
    int64_t n = ebm_tensor_numel(t), best_i = 0;
    ebm_iter it;
    ebm_iter_init(&it, t);
    double best = ebm_load_at(t, it.pos);
    for (int64_t i = 1; i < n; i++) {
        ebm_iter_next(&it);
        double v = ebm_load_at(t, it.pos);
        if (want_max ? v > best : v < best) best = v, best_i = i;
    }
    if (index) *index = best_i;
    return best;
}

double ebm_tensor_maxall(const ebm_tensor *t, int64_t *index) { return extreme_all(t, index, 1); }
double ebm_tensor_minall(const ebm_tensor *t, int64_t *index) { return extreme_all(t, index, 0); }

int ebm_tensor_dot(const ebm_tensor *a, const ebm_tensor *b, double *result) {
    int64_t n = ebm_tensor_numel(a);
    if (n != ebm_tensor_numel(b)) return EBM_ESHAPE;
    double s = 0;
    if (a->dtype == b->dtype && a->dtype == EBM_F32 && ebm_tensor_is_contiguous(a) && ebm_tensor_is_contiguous(b)) {
        const float *x = ebm_tensor_data(a), *y = ebm_tensor_data(b);
        for (int64_t i = 0; i < n; i++) s += (double)x[i] * y[i];
    } else if (a->dtype == b->dtype && a->dtype == EBM_F64 && ebm_tensor_is_contiguous(a) && ebm_tensor_is_contiguous(b)) {
        const double *x = ebm_tensor_data(a), *y = ebm_tensor_data(b);
        for (int64_t i = 0; i < n; i++) s += x[i] * y[i];
    } else {
        ebm_iter ia, ib;
        ebm_iter_init(&ia, a);
        ebm_iter_init(&ib, b);
        for (int64_t i = 0; i < n; i++, ebm_iter_next(&ia), ebm_iter_next(&ib))
            s += ebm_load_at(a, ia.pos) * ebm_load_at(b, ib.pos);
    }
    *result = s;
    return EBM_OK;
}

/* ---- reductions over one dimension -------------------------------------------------- */

int ebm_tensor_reduce(ebm_tensor *out, ebm_tensor *idx, const ebm_tensor *a, int dim, ebm_redop op) {
    if (dim < 0 || dim >= a->ndim) return EBM_ERANGE;
    int64_t outer = 1, inner = 1, R = a->size[dim];
    for (int d = 0; d < dim; d++) outer *= a->size[d];
    for (int d = dim + 1; d < a->ndim; d++) inner *= a->size[d];
    int64_t nout = outer * inner;
    if (ebm_tensor_numel(out) != nout || (idx && ebm_tensor_numel(idx) != nout)) return EBM_ESHAPE;
    if ((op == EBM_RED_MAX || op == EBM_RED_MIN) && R == 0) return EBM_ESHAPE;
    ebm_tensor ca = {0}, res = {0}, ires = {0};
    int rc = EBM_OK;
    const ebm_tensor *src = a;
    if (!ebm_tensor_is_contiguous(a)) {
        if ((rc = ebm_tensor_clone(&ca, a, a->dtype))) return rc;
        src = &ca;
    }
    int64_t shp[1] = {nout};
    if ((rc = ebm_tensor_init(&res, EBM_F64, 1, shp)) || (rc = ebm_tensor_init(&ires, EBM_F64, 1, shp))) goto done;
    const void *x = ebm_tensor_data(src);
    double *acc = ebm_tensor_data(&res), *ai = ebm_tensor_data(&ires);
    ebm_dtype dt = src->dtype;
    if (nout == 0) goto store;
    for (int64_t o = 0; o < outer; o++) {
        double *ac = acc + o * inner, *ix = ai + o * inner;
        int64_t base = o * R * inner;
        if (op == EBM_RED_SUM || op == EBM_RED_MEAN) {
            for (int64_t r = 0; r < R; r++) {
                int64_t row = base + r * inner;
                if (dt == EBM_F32) {
                    const float *xr = (const float *)x + row;
                    for (int64_t i = 0; i < inner; i++) ac[i] += xr[i];
                } else if (dt == EBM_F64) {
                    const double *xr = (const double *)x + row;
                    for (int64_t i = 0; i < inner; i++) ac[i] += xr[i];
                } else {
                    for (int64_t i = 0; i < inner; i++) ac[i] += ebm_load_raw(x, dt, row + i);
                }
            }
            if (op == EBM_RED_MEAN)
                for (int64_t i = 0; i < inner; i++) ac[i] = R ? ac[i] / (double)R : NAN;
        } else {
            for (int64_t i = 0; i < inner; i++) ac[i] = ebm_load_raw(x, dt, base + i), ix[i] = 0;
            for (int64_t r = 1; r < R; r++) {
                int64_t row = base + r * inner;
                for (int64_t i = 0; i < inner; i++) {
                    double v = ebm_load_raw(x, dt, row + i);
                    if (op == EBM_RED_MAX ? v > ac[i] : v < ac[i]) ac[i] = v, ix[i] = (double)r;
                }
            }
        }
    }
store:
    if ((rc = ebm_tensor_copy(out, &res))) goto done;
    if (idx) rc = ebm_tensor_copy(idx, &ires);
done:
    ebm_tensor_release(&ca);
    ebm_tensor_release(&res);
    ebm_tensor_release(&ires);
    return rc;
}

/* ---- GEMM ------------------------------------------------------------------------------ */

/* How BLAS can read the 2-d tensor t: row-major (*trans = 0) or as the row-major storage
 * of t^T (*trans = 1), with leading dimension *ld. 0 if neither stride layout fits. */
static int blas_layout(const ebm_tensor *t, int *trans, int64_t *ld) {
    int64_t r = t->size[0], c = t->size[1];
    int64_t c1 = c > 1 ? c : 1, r1 = r > 1 ? r : 1;
    if ((c <= 1 || t->stride[1] == 1) && (r <= 1 || t->stride[0] >= c1)) {
        *trans = 0;
        *ld = r <= 1 ? c1 : t->stride[0];
    } else if ((r <= 1 || t->stride[0] == 1) && (c <= 1 || t->stride[1] >= r1)) {
        *trans = 1;
        *ld = c <= 1 ? r1 : t->stride[1];
    } else {
        return 0;
    }
    return *ld <= INT_MAX;
}

static void blas_call(ebm_dtype dt, int ta, int tb, int64_t m, int64_t n, int64_t k, double alpha,
                      const void *a, int64_t lda, const void *b, int64_t ldb, double beta, void *c, int64_t ldc) {
    enum CBLAS_TRANSPOSE oa = ta ? CblasTrans : CblasNoTrans, ob = tb ? CblasTrans : CblasNoTrans;
    if (dt == EBM_F32)
        ebm_sgemm(CblasRowMajor, oa, ob, (int)m, (int)n, (int)k, (float)alpha, a, (int)lda, b, (int)ldb,
                    (float)beta, c, (int)ldc);
    else
        ebm_dgemm(CblasRowMajor, oa, ob, (int)m, (int)n, (int)k, alpha, a, (int)lda, b, (int)ldb, beta, c,
                    (int)ldc);
}

int ebm_tensor_gemm(ebm_tensor *c, const ebm_tensor *a, const ebm_tensor *b, int transa, int transb,
                    double alpha, double beta) {
    if (a->ndim != 2 || b->ndim != 2 || c->ndim != 2) return EBM_ESHAPE;
    if (a->dtype != b->dtype || a->dtype != c->dtype || (a->dtype != EBM_F32 && a->dtype != EBM_F64))
        return EBM_ETYPE;
    int64_t m = transa ? a->size[1] : a->size[0], k = transa ? a->size[0] : a->size[1];
    int64_t kb = transb ? b->size[1] : b->size[0], n = transb ? b->size[0] : b->size[1];
    if (k != kb || c->size[0] != m || c->size[1] != n) return EBM_ESHAPE;
    if (m > INT_MAX || n > INT_MAX || k > INT_MAX) return EBM_ERANGE;
    if (m == 0 || n == 0) return EBM_OK;
    if (k == 0) {
        if (beta == 0) ebm_tensor_fill(c, 0);
        else ebm_tensor_unary(c, c, EBM_UN_SCALE, beta, 0);
        return EBM_OK;
    }
    ebm_tensor ta = {0}, tb = {0}, tc = {0};
    int rc = EBM_OK, la = 0, lb = 0, lc = 0;
    int64_t lda = 1, ldb = 1, ldc = 1;
    if (!blas_layout(a, &la, &lda) || a->storage == c->storage) {
        if ((rc = ebm_tensor_clone(&ta, a, a->dtype))) goto done;
        a = &ta;
        blas_layout(a, &la, &lda);
    }
    if (!blas_layout(b, &lb, &ldb) || b->storage == c->storage) {
        if ((rc = ebm_tensor_clone(&tb, b, b->dtype))) goto done;
        b = &tb;
        blas_layout(b, &lb, &ldb);
    }
    ebm_tensor *dst = c;
    if (!blas_layout(c, &lc, &ldc)) {
        if ((rc = beta == 0 ? ebm_tensor_init(&tc, c->dtype, 2, c->size) : ebm_tensor_clone(&tc, c, c->dtype)))
            goto done;
        dst = &tc;
        blas_layout(dst, &lc, &ldc);
    }
    int ea = transa ^ la, eb = transb ^ lb; /* flags for the stored row-major matrices */
    if (!lc)
        blas_call(c->dtype, ea, eb, m, n, k, alpha, ebm_tensor_data(a), lda, ebm_tensor_data(b), ldb, beta,
                  ebm_tensor_data(dst), ldc);
    else /* C is stored as C^T: C^T = op(B)^T op(A)^T */
        blas_call(c->dtype, !eb, !ea, n, m, k, alpha, ebm_tensor_data(b), ldb, ebm_tensor_data(a), lda, beta,
                  ebm_tensor_data(dst), ldc);
    if (dst != c) rc = ebm_tensor_copy(c, dst);
done:
    ebm_tensor_release(&ta);
    ebm_tensor_release(&tb);
    ebm_tensor_release(&tc);
    return rc;
}
