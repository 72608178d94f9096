/* tensor.h - dense N-d tensors (f32, f64, u8, i32) with shared, refcounted storage.
 *
 * Plain C11; knows nothing of Lua. A tensor is a view: (storage, offset, sizes, strides).
 * Several tensors may share one storage (views); storage is freed when the last view goes.
 * Offsets and strides are counted in elements, not bytes. All indices here are 0-based.
 */
#ifndef EBM_TENSOR_H
#define EBM_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#ifndef EBM_MALLOC /* one overridable allocation point for the runtime */
#include <stdlib.h>
#define EBM_MALLOC(n) malloc(n)
#define EBM_CALLOC(n, s) calloc(n, s)
#define EBM_REALLOC(p, n) realloc(p, n)
#define EBM_FREE(p) free(p)
#endif

#define EBM_MAXDIM 8

typedef enum { EBM_F32 = 0, EBM_F64 = 1, EBM_U8 = 2, EBM_I32 = 3 } ebm_dtype;

typedef struct ebm_storage {
    void *data;       /* owned; 64-byte aligned; NULL when nbytes == 0 */
    size_t nbytes;    /* allocated size in bytes */
    long refcount;    /* number of tensors (views) holding this storage */
} ebm_storage;

typedef struct ebm_tensor {
    ebm_storage *storage;          /* shared; NULL only for an empty tensor not yet allocated */
    int64_t offset;                /* first element, in elements from storage->data */
    int ndim;                      /* 0..EBM_MAXDIM; 0 = scalar with one element */
    ebm_dtype dtype;
    int64_t size[EBM_MAXDIM];      /* extent of each dim, >= 0 */
    int64_t stride[EBM_MAXDIM];    /* elements to step along each dim; may be 0 (expanded) */
} ebm_tensor;

/* Error codes returned by fallible calls (0 = success). */
enum { EBM_OK = 0, EBM_ENOMEM = 1, EBM_ESHAPE = 2, EBM_ERANGE = 3, EBM_ETYPE = 4, EBM_EIO = 5, EBM_EFORMAT = 6 };

size_t ebm_dtype_size(ebm_dtype t);
const char *ebm_dtype_name(ebm_dtype t);   /* "f32", "f64", "u8", "i32" */
int ebm_dtype_from_name(const char *s);      /* -1 if unknown */

/* Make `t` a fresh contiguous tensor of the given shape, zero-filled. `t` must be
 * uninitialised or released. Returns EBM_OK, EBM_ENOMEM, or EBM_ESHAPE (bad ndim or
 * negative size, or element count overflowing). */
int ebm_tensor_init(ebm_tensor *t, ebm_dtype dtype, int ndim, const int64_t *size);

/* Like ebm_tensor_init but the contents are left undefined: for outputs a kernel writes
 * completely (saves a pass over memory). */
int ebm_tensor_init_raw(ebm_tensor *t, ebm_dtype dtype, int ndim, const int64_t *size);

/* Release this view's hold on its storage; leaves `t` empty (storage NULL). Idempotent. */
void ebm_tensor_release(ebm_tensor *t);

/* Make `dst` another view of `src` (same storage, refcount + 1). */
void ebm_tensor_view_of(ebm_tensor *dst, const ebm_tensor *src);

int64_t ebm_tensor_numel(const ebm_tensor *t);
int ebm_tensor_is_contiguous(const ebm_tensor *t);
int ebm_tensor_same_shape(const ebm_tensor *a, const ebm_tensor *b);

/* Pointer to the first element (storage base + offset); NULL when there is no storage or
 * it is empty (no elements: NULL + 0 would be undefined behaviour). */
static inline void *ebm_tensor_data(const ebm_tensor *t) {
    if (!t->storage || !t->storage->data) return NULL;
    return (char *)t->storage->data + (size_t)t->offset * ebm_dtype_size(t->dtype);
}

/* Raw element access: element `pos` of an array of dtype `dt` at `base`, as double.
 * Stores to integer types saturate and round toward zero (NaN -> 0), so no value from Lua
 * can invoke undefined behaviour. */
static inline double ebm_load_raw(const void *base, ebm_dtype dt, int64_t pos) {
    switch (dt) {
    case EBM_F32: return ((const float *)base)[pos];
    case EBM_F64: return ((const double *)base)[pos];
    case EBM_U8: return ((const uint8_t *)base)[pos];
    case EBM_I32: return ((const int32_t *)base)[pos];
    }
    return 0;
}

static inline void ebm_store_raw(void *base, ebm_dtype dt, int64_t pos, double v) {
    switch (dt) {
    case EBM_F32: ((float *)base)[pos] = (float)v; break;
    case EBM_F64: ((double *)base)[pos] = v; break;
    case EBM_U8: ((uint8_t *)base)[pos] = v >= 255.0 ? 255 : (v > 0.0 ? (uint8_t)v : 0); break;
    case EBM_I32:
        ((int32_t *)base)[pos] = v >= 2147483647.0 ? INT32_MAX
                                 : (v <= -2147483648.0 ? INT32_MIN : (v == v ? (int32_t)v : 0));
        break;
    }
}

/* Element at `pos` elements from the storage base (not from t->offset). */
static inline double ebm_load_at(const ebm_tensor *t, int64_t pos) { return ebm_load_raw(t->storage->data, t->dtype, pos); }
static inline void ebm_store_at(ebm_tensor *t, int64_t pos, double v) { ebm_store_raw(t->storage->data, t->dtype, pos, v); }

/* Element access by a 0-based index vector of length t->ndim (no bounds checks here). */
double ebm_tensor_get(const ebm_tensor *t, const int64_t *idx);
void ebm_tensor_set(ebm_tensor *t, const int64_t *idx, double v);
/* Element access by linear position in row-major order of t's shape. */
double ebm_tensor_get_linear(const ebm_tensor *t, int64_t i);
void ebm_tensor_set_linear(ebm_tensor *t, int64_t i, double v);

/* Views (in place on `t`, which must already be a view the caller owns). */
int ebm_tensor_narrow(ebm_tensor *t, int dim, int64_t start, int64_t len);
int ebm_tensor_select(ebm_tensor *t, int dim, int64_t index);   /* removes dim */
int ebm_tensor_transpose(ebm_tensor *t, int d0, int d1);
/* Reshape a contiguous tensor; one size may be -1 (inferred). EBM_ESHAPE if not contiguous
 * or the element count differs. */
int ebm_tensor_reshape(ebm_tensor *t, int ndim, const int64_t *size);

/* Copy values from src into dst (same numel; shapes may differ; row-major order),
 * converting dtype. Works for any strides. */
int ebm_tensor_copy(ebm_tensor *dst, const ebm_tensor *src);
/* Make `dst` a new contiguous copy of `src` with dtype `dtype`. */
int ebm_tensor_clone(ebm_tensor *dst, const ebm_tensor *src, ebm_dtype dtype);

void ebm_tensor_fill(ebm_tensor *t, double v);

/* Visit every element offset (in elements from storage base) in row-major order.
 * For generic strided loops: it advances an index counter. */
typedef struct ebm_iter {
    const ebm_tensor *t;
    int64_t idx[EBM_MAXDIM];
    int64_t pos;       /* current element offset from storage base */
    int64_t remaining; /* elements left including current */
} ebm_iter;
void ebm_iter_init(ebm_iter *it, const ebm_tensor *t);
void ebm_iter_next(ebm_iter *it);

const char *ebm_strerror(int code);

/* Write a printf-style reason into err (errlen bytes; err may be NULL) and return `code`:
 * for runtime calls that explain their failures, `return ebm_errorf(err, n, EBM_EIO, ...)`. */
int ebm_errorf(char *err, size_t errlen, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

#endif
