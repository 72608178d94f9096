/* tensor.c - core of the dense tensor type: storage, views, element access, copy. */
#include "tensor.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

size_t ebm_dtype_size(ebm_dtype t) {
    switch (t) {
    case EBM_F32: return 4;
    case EBM_F64: return 8;
    case EBM_U8: return 1;
    case EBM_I32: return 4;
    }
    return 1;
}

const char *ebm_dtype_name(ebm_dtype t) {
    static const char *names[] = {"f32", "f64", "u8", "i32"};
    return (unsigned)t < 4 ? names[t] : "?";
}

int ebm_dtype_from_name(const char *s) {
    static const char *names[] = {"f32", "f64", "u8", "i32"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) return i;
    if (strcmp(s, "float") == 0) return EBM_F32;
    if (strcmp(s, "double") == 0) return EBM_F64;
    if (strcmp(s, "byte") == 0) return EBM_U8;
    if (strcmp(s, "int") == 0) return EBM_I32;
    return -1;
}

const char *ebm_strerror(int code) {
    switch (code) {
    case EBM_OK: return "ok";
    case EBM_ENOMEM: return "out of memory";
    case EBM_ESHAPE: return "shape mismatch";
    case EBM_ERANGE: return "index out of range";
    case EBM_ETYPE: return "wrong element type";
    case EBM_EIO: return "I/O error";
    case EBM_EFORMAT: return "bad file format";
    }
    return "unknown error";
}

int ebm_errorf(char *err, size_t errlen, int code, const char *fmt, ...) {
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

static ebm_storage *storage_new(size_t nbytes, int zero) {
    ebm_storage *s = EBM_MALLOC(sizeof *s);
    if (!s) return NULL;
    s->nbytes = nbytes;
    s->refcount = 1;
    s->data = NULL;
    if (nbytes) {
        size_t rounded = (nbytes + 63) & ~(size_t)63;
        s->data = aligned_alloc(64, rounded);
        if (!s->data) {
            EBM_FREE(s);
            return NULL;
        }
        if (zero) memset(s->data, 0, rounded);
    }
    return s;
}

static int tensor_init(ebm_tensor *t, ebm_dtype dtype, int ndim, const int64_t *size, int zero) {
    memset(t, 0, sizeof *t);
    if (ndim < 0 || ndim > EBM_MAXDIM) return EBM_ESHAPE;
    int64_t n = 1, span = 1; /* span: product of the sizes with zeros counted as 1 (the strides) */
    for (int d = 0; d < ndim; d++) {
        if (size[d] < 0) return EBM_ESHAPE;
        int64_t s = size[d] ? size[d] : 1;
        if (span > INT64_MAX / 16 / s) return EBM_ESHAPE; /* also bounds n <= span */
        span *= s;
        n *= size[d];
    }
    size_t es = ebm_dtype_size(dtype);
    if ((uint64_t)n > (SIZE_MAX / 2) / es) return EBM_ENOMEM;
    t->storage = storage_new((size_t)n * es, zero);
    if (!t->storage) return EBM_ENOMEM;
    t->dtype = dtype;
    t->ndim = ndim;
    int64_t st = 1;
    for (int d = ndim - 1; d >= 0; d--) {
        t->size[d] = size[d];
        t->stride[d] = st;
        st *= size[d] ? size[d] : 1;
    }
    return EBM_OK;
}

int ebm_tensor_init(ebm_tensor *t, ebm_dtype dtype, int ndim, const int64_t *size) {
    return tensor_init(t, dtype, ndim, size, 1);
}

int ebm_tensor_init_raw(ebm_tensor *t, ebm_dtype dtype, int ndim, const int64_t *size) {
    return tensor_init(t, dtype, ndim, size, 0);
}

void ebm_tensor_release(ebm_tensor *t) {
    if (t->storage && --t->storage->refcount == 0) {
        free(t->storage->data);
        EBM_FREE(t->storage);
    }
    t->storage = NULL;
}

void ebm_tensor_view_of(ebm_tensor *dst, const ebm_tensor *src) {
    *dst = *src;
    if (dst->storage) dst->storage->refcount++;
}

int64_t ebm_tensor_numel(const ebm_tensor *t) {
    int64_t n = 1;
    for (int d = 0; d < t->ndim; d++) n *= t->size[d];
    return n;
}

int ebm_tensor_is_contiguous(const ebm_tensor *t) {
    int64_t st = 1;
    for (int d = t->ndim - 1; d >= 0; d--) {
        if (t->size[d] != 1 && t->stride[d] != st) return 0;
        st *= t->size[d];
    }
    return 1;
}

int ebm_tensor_same_shape(const ebm_tensor *a, const ebm_tensor *b) {
    if (a->ndim != b->ndim) return 0;
    for (int d = 0; d < a->ndim; d++)
        if (a->size[d] != b->size[d]) return 0;
    return 1;
}

double ebm_tensor_get(const ebm_tensor *t, const int64_t *idx) {
    int64_t pos = t->offset;
    for (int d = 0; d < t->ndim; d++) pos += idx[d] * t->stride[d];
    return ebm_load_at(t, pos);
}

void ebm_tensor_set(ebm_tensor *t, const int64_t *idx, double v) {
    int64_t pos = t->offset;
    for (int d = 0; d < t->ndim; d++) pos += idx[d] * t->stride[d];
    ebm_store_at(t, pos, v);
}

static int64_t linear_pos(const ebm_tensor *t, int64_t i) {
    int64_t pos = t->offset;
    for (int d = t->ndim - 1; d >= 0; d--) {
        int64_t s = t->size[d];
        pos += (i % s) * t->stride[d];
        i /= s;
    }
    return pos;
}

double ebm_tensor_get_linear(const ebm_tensor *t, int64_t i) { return ebm_load_at(t, linear_pos(t, i)); }
void ebm_tensor_set_linear(ebm_tensor *t, int64_t i, double v) { ebm_store_at(t, linear_pos(t, i), v); }

int ebm_tensor_narrow(ebm_tensor *t, int dim, int64_t start, int64_t len) {
    if (dim < 0 || dim >= t->ndim) return EBM_ERANGE;
    if (start < 0 || len < 0 || start + len > t->size[dim]) return EBM_ERANGE;
    t->offset += start * t->stride[dim];
    t->size[dim] = len;
    return EBM_OK;
}

int ebm_tensor_select(ebm_tensor *t, int dim, int64_t index) {
    if (dim < 0 || dim >= t->ndim) return EBM_ERANGE;
    if (index < 0 || index >= t->size[dim]) return EBM_ERANGE;
    t->offset += index * t->stride[dim];
    for (int d = dim; d < t->ndim - 1; d++) {
        t->size[d] = t->size[d + 1];
        t->stride[d] = t->stride[d + 1];
    }
    t->ndim--;
    return EBM_OK;
}

int ebm_tensor_transpose(ebm_tensor *t, int d0, int d1) {
    if (d0 < 0 || d0 >= t->ndim || d1 < 0 || d1 >= t->ndim) return EBM_ERANGE;
    int64_t s = t->size[d0], st = t->stride[d0];
    t->size[d0] = t->size[d1];
    t->stride[d0] = t->stride[d1];
    t->size[d1] = s;
    t->stride[d1] = st;
    return EBM_OK;
}

int ebm_tensor_reshape(ebm_tensor *t, int ndim, const int64_t *size) {
    if (ndim < 0 || ndim > EBM_MAXDIM) return EBM_ESHAPE;
    if (!ebm_tensor_is_contiguous(t)) return EBM_ESHAPE;
    int64_t n = ebm_tensor_numel(t), known = 1;
    int infer = -1;
    int64_t sz[EBM_MAXDIM];
    for (int d = 0; d < ndim; d++) {
        sz[d] = size[d];
        if (size[d] == -1) {
            if (infer >= 0) return EBM_ESHAPE;
            infer = d;
        } else if (size[d] < 0) {
            return EBM_ESHAPE;
        } else {
            if (size[d] && known > INT64_MAX / size[d]) return EBM_ESHAPE; /* no shape holds that many */
            known *= size[d];
        }
    }
    if (infer >= 0) {
        if (known == 0 || n % known) return EBM_ESHAPE;
        sz[infer] = n / known;
        known *= sz[infer];
    }
    if (known != n) return EBM_ESHAPE;
    t->ndim = ndim;
    int64_t st = 1;
    for (int d = ndim - 1; d >= 0; d--) {
        t->size[d] = sz[d];
        t->stride[d] = st;
        st *= sz[d] ? sz[d] : 1;
    }
    return EBM_OK;
}

void ebm_iter_init(ebm_iter *it, const ebm_tensor *t) {
    it->t = t;
    memset(it->idx, 0, sizeof it->idx);
    it->pos = t->offset;
    it->remaining = ebm_tensor_numel(t);
}

void ebm_iter_next(ebm_iter *it) {
    const ebm_tensor *t = it->t;
    it->remaining--;
    for (int d = t->ndim - 1; d >= 0; d--) {
        if (++it->idx[d] < t->size[d]) {
            it->pos += t->stride[d];
            return;
        }
        it->pos -= (t->size[d] - 1) * t->stride[d];
        it->idx[d] = 0;
    }
}

int ebm_tensor_copy(ebm_tensor *dst, const ebm_tensor *src) {
    int64_t n = ebm_tensor_numel(dst);
    if (n != ebm_tensor_numel(src)) return EBM_ESHAPE;
    if (n == 0) return EBM_OK;
    if (dst->dtype == src->dtype && ebm_tensor_is_contiguous(dst) && ebm_tensor_is_contiguous(src)) {
        memmove(ebm_tensor_data(dst), ebm_tensor_data(src), (size_t)n * ebm_dtype_size(dst->dtype));
        return EBM_OK;
    }
    /* Overlapping views of one storage: go through a temporary. */
    if (dst->storage == src->storage) {
        ebm_tensor tmp;
        int rc = ebm_tensor_clone(&tmp, src, src->dtype);
        if (rc) return rc;
        rc = ebm_tensor_copy(dst, &tmp);
        ebm_tensor_release(&tmp);
        return rc;
    }
    ebm_iter a, b;
    ebm_iter_init(&a, dst);
    ebm_iter_init(&b, src);
    for (int64_t i = 0; i < n; i++) {
        ebm_store_at(dst, a.pos, ebm_load_at(src, b.pos));
        ebm_iter_next(&a);
        ebm_iter_next(&b);
    }
    return EBM_OK;
}

int ebm_tensor_clone(ebm_tensor *dst, const ebm_tensor *src, ebm_dtype dtype) {
    int rc = ebm_tensor_init(dst, dtype, src->ndim, src->size);
    if (rc) return rc;
    rc = ebm_tensor_copy(dst, src);
    if (rc) ebm_tensor_release(dst);
    return rc;
}

void ebm_tensor_fill(ebm_tensor *t, double v) {
    int64_t n = ebm_tensor_numel(t);
    if (n == 0) return;
    if (ebm_tensor_is_contiguous(t)) {
        void *p = ebm_tensor_data(t);
        switch (t->dtype) {
        case EBM_F32: { float f = (float)v; for (int64_t i = 0; i < n; i++) ((float *)p)[i] = f; return; }
        case EBM_F64: for (int64_t i = 0; i < n; i++) ((double *)p)[i] = v; return;
        default: break;
        }
    }
    ebm_iter it;
    ebm_iter_init(&it, t);
    for (int64_t i = 0; i < n; i++, ebm_iter_next(&it)) ebm_store_at(t, it.pos, v);
}
