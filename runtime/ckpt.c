/* ckpt.c - reading and writing checkpoint files (format in ckpt.h). */
#include "ckpt.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static const unsigned char MAGIC[8] = {0x89, 'E', 'B', 'M', '\r', '\n', 0x1a, '\n'};
#define HEADER 32

static void put32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void put64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t get32(const unsigned char *p) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}
static uint64_t get64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

/* crc32 over any length (zlib takes uInt chunks). */
static uint32_t crc_update(uint32_t crc, const void *data, size_t n) {
    const unsigned char *p = data;
    while (n) {
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        crc = (uint32_t)crc32(crc, p, k);
        p += k, n -= k;
    }
    return crc;
}

/* ---- writing ---- */

typedef struct {
    FILE *f;
    uint32_t crc;
    uint64_t len;
    int bad;
} writer;

static void wr(writer *w, const void *p, size_t n) {
    if (w->bad || n == 0) return;
    if (fwrite(p, 1, n, w->f) != n) w->bad = 1;
    w->crc = crc_update(w->crc, p, n);
    w->len += n;
}

static void wr32(writer *w, uint32_t v) {
    unsigned char b[4];
    put32(b, v);
    wr(w, b, 4);
}

static void wr64(writer *w, uint64_t v) {
    unsigned char b[8];
    put64(b, v);
    wr(w, b, 8);
}

int ebm_ckpt_save(const char *path, const char *meta, size_t meta_len, int n, const char *const *names,
                  const ebm_tensor *const *tensors, char *err, size_t errlen) {
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return ebm_errorf(err, errlen, EBM_EIO, "path too long: %s", path);
    writer w = {fopen(tmp, "wb"), (uint32_t)crc32(0, NULL, 0), 0, 0};
    if (!w.f) return ebm_errorf(err, errlen, EBM_EIO, "cannot create %s: %s", tmp, strerror(errno));
    unsigned char head[HEADER] = {0};
    int rc = EBM_OK;
    if (fwrite(head, 1, HEADER, w.f) != HEADER) w.bad = 1;
    wr64(&w, meta_len);
    wr(&w, meta, meta_len);
    wr32(&w, (uint32_t)n);
    for (int i = 0; i < n && !w.bad; i++) {
        const ebm_tensor *t = tensors[i];
        size_t nl = strlen(names[i]);
        wr32(&w, (uint32_t)nl);
        wr(&w, names[i], nl);
        wr32(&w, (uint32_t)t->dtype);
        wr32(&w, (uint32_t)t->ndim);
        for (int d = 0; d < t->ndim; d++) wr64(&w, (uint64_t)t->size[d]);
        size_t nbytes = (size_t)ebm_tensor_numel(t) * ebm_dtype_size(t->dtype);
        if (ebm_tensor_is_contiguous(t)) {
            wr(&w, ebm_tensor_data(t), nbytes);
        } else {
            ebm_tensor c;
            if ((rc = ebm_tensor_clone(&c, t, t->dtype))) {
                ebm_errorf(err, errlen, rc, "cannot copy tensor '%s': %s", names[i], ebm_strerror(rc));
                break;
            }
            wr(&w, ebm_tensor_data(&c), nbytes);
            ebm_tensor_release(&c);
        }
    }
    if (!rc && !w.bad) {
        memcpy(head, MAGIC, 8);
        put32(head + 8, EBM_CKPT_VERSION);
        put32(head + 12, HEADER);
        put64(head + 16, w.len);
        put32(head + 24, w.crc);
        put32(head + 28, (uint32_t)crc32(0, head, 28));
        if (fseek(w.f, 0, SEEK_SET) != 0 || fwrite(head, 1, HEADER, w.f) != HEADER) w.bad = 1;
    }
    if (!rc && !w.bad && (fflush(w.f) != 0 || fsync(fileno(w.f)) != 0)) w.bad = 1;
    if (fclose(w.f) != 0) w.bad = 1;
    if (!rc && w.bad) rc = ebm_errorf(err, errlen, EBM_EIO, "cannot write %s: %s", tmp, strerror(errno));
    if (!rc && rename(tmp, path) != 0) rc = ebm_errorf(err, errlen, EBM_EIO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
    if (rc) remove(tmp);
    return rc;
}

/* ---- reading ---- */

typedef struct {
    const unsigned char *p; /* next unread byte */
    uint64_t left;          /* bytes remaining in the payload */
} reader;

static int take(reader *r, uint64_t n, const unsigned char **out) {
    if (n > r->left) return 0;
    *out = r->p;
    r->p += n, r->left -= n;
    return 1;
}

static int take32(reader *r, uint32_t *v) {
    const unsigned char *b;
    if (!take(r, 4, &b)) return 0;
    *v = get32(b);
    return 1;
}

static int take64(reader *r, uint64_t *v) {
    const unsigned char *b;
    if (!take(r, 8, &b)) return 0;
    *v = get64(b);
    return 1;
}

/* Parse the checked payload into ck; every count is bounded by the bytes that remain. */
static int parse(reader *r, ebm_ckpt *ck, const char *path, char *err, size_t errlen) {
    uint64_t ml;
    const unsigned char *b;
    if (!take64(r, &ml) || !take(r, ml, &b))
        return ebm_errorf(err, errlen, EBM_EFORMAT, "%s: metadata length exceeds the payload", path);
    if (!(ck->meta = EBM_MALLOC((size_t)ml + 1))) return ebm_errorf(err, errlen, EBM_ENOMEM, "%s: out of memory", path);
    memcpy(ck->meta, b, (size_t)ml);
    ck->meta[ml] = 0;
    ck->meta_len = (size_t)ml;
    uint32_t n;
    if (!take32(r, &n)) return ebm_errorf(err, errlen, EBM_EFORMAT, "%s: missing tensor count", path);
    if (n > r->left / 12) /* each entry needs at least 12 bytes */
        return ebm_errorf(err, errlen, EBM_EFORMAT, "%s: claims %" PRIu32 " tensors in %" PRIu64 " bytes", path, n, r->left);
    if (n && !(ck->items = EBM_CALLOC(n, sizeof *ck->items))) return ebm_errorf(err, errlen, EBM_ENOMEM, "%s: out of memory", path);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t nl, dt, nd;
        if (!take32(r, &nl) || !take(r, nl, &b))
            return ebm_errorf(err, errlen, EBM_EFORMAT, "%s: tensor %" PRIu32 ": name exceeds the payload", path, i + 1);
        ebm_ckpt_item *it = &ck->items[i];
        if (!(it->name = EBM_MALLOC((size_t)nl + 1))) return ebm_errorf(err, errlen, EBM_ENOMEM, "%s: out of memory", path);
        memcpy(it->name, b, nl);
        it->name[nl] = 0;
        ck->n = (int)i + 1; /* the item is now owned by ck, for ebm_ckpt_free */
        if (!take32(r, &dt) || !take32(r, &nd))
            return ebm_errorf(err, errlen, EBM_EFORMAT, "%s: tensor '%s': header exceeds the payload", path, it->name);
        if (dt > EBM_I32) return ebm_errorf(err, errlen, EBM_EFORMAT, "%s: tensor '%s': unknown dtype %" PRIu32, path, it->name, dt);
        if (nd > EBM_MAXDIM)
            return ebm_errorf(err, errlen, EBM_EFORMAT, "%s: tensor '%s': %" PRIu32 " dims (at most %d)", path, it->name, nd, EBM_MAXDIM);
        int64_t size[EBM_MAXDIM];
        uint64_t numel = 1, es = ebm_dtype_size((ebm_dtype)dt);
        for (uint32_t d = 0; d < nd; d++) {
            uint64_t s;
            if (!take64(r, &s)) return ebm_errorf(err, errlen, EBM_EFORMAT, "%s: tensor '%s': shape exceeds the payload", path, it->name);
            if (s > (uint64_t)INT64_MAX || (s && numel > UINT64_MAX / 16 / s))
                return ebm_errorf(err, errlen, EBM_EFORMAT, "%s: tensor '%s': impossible size %" PRIu64, path, it->name, s);
            size[d] = (int64_t)s;
            numel *= s;
        }
        if (numel > r->left / es)
            return ebm_errorf(err, errlen, EBM_EFORMAT, "%s: tensor '%s' claims %" PRIu64 " elements (%" PRIu64 " bytes) but only %" PRIu64 " bytes remain",
                        path, it->name, numel, numel * es, r->left);
        int rc = ebm_tensor_init(&it->t, (ebm_dtype)dt, (int)nd, size);
        if (rc) return ebm_errorf(err, errlen, rc, "%s: tensor '%s': %s", path, it->name, ebm_strerror(rc));
        take(r, numel * es, &b);
        if (numel) memcpy(ebm_tensor_data(&it->t), b, (size_t)(numel * es));
    }
    if (r->left) return ebm_errorf(err, errlen, EBM_EFORMAT, "%s: %" PRIu64 " unexpected bytes after the last tensor", path, r->left);
    return EBM_OK;
}

int ebm_ckpt_load(const char *path, ebm_ckpt *ck, char *err, size_t errlen) {
    memset(ck, 0, sizeof *ck);
    FILE *f = fopen(path, "rb");
    if (!f) return ebm_errorf(err, errlen, EBM_EIO, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    unsigned char head[HEADER];
    unsigned char *payload = NULL;
    int rc = EBM_OK;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = ebm_errorf(err, errlen, EBM_EIO, "%s: not a regular file", path);
        goto out;
    }
    uint64_t fsize = (uint64_t)st.st_size;
    if (fsize < HEADER || fread(head, 1, HEADER, f) != HEADER) {
        rc = ebm_errorf(err, errlen, EBM_EFORMAT, "%s: truncated checkpoint (%" PRIu64 " bytes, the header alone is %d)", path, fsize, HEADER);
        goto out;
    }
    if (memcmp(head, MAGIC, 8) != 0) {
        rc = ebm_errorf(err, errlen, EBM_EFORMAT, "%s: not an ebmlua checkpoint (bad magic)", path);
        goto out;
    }
    if (get32(head + 28) != (uint32_t)crc32(0, head, 28)) {
        rc = ebm_errorf(err, errlen, EBM_EFORMAT, "%s: corrupt checkpoint header (checksum mismatch)", path);
        goto out;
    }
    uint32_t version = get32(head + 8);
    if (version != EBM_CKPT_VERSION || get32(head + 12) != HEADER) {
        rc = ebm_errorf(err, errlen, EBM_EFORMAT, "%s: unsupported checkpoint version %" PRIu32 " (this build reads version %d)", path, version, EBM_CKPT_VERSION);
        goto out;
    }
    uint64_t plen = get64(head + 16);
    if (plen != fsize - HEADER) {
        rc = ebm_errorf(err, errlen, EBM_EFORMAT, "%s: %s checkpoint: header says %" PRIu64 " payload bytes, file has %" PRIu64, path,
                  plen > fsize - HEADER ? "truncated" : "oversized", plen, fsize - HEADER);
        goto out;
    }
    if (plen > SIZE_MAX - 1 || !(payload = EBM_MALLOC(plen ? (size_t)plen : 1))) {
        rc = ebm_errorf(err, errlen, EBM_ENOMEM, "%s: cannot allocate %" PRIu64 " bytes", path, plen);
        goto out;
    }
    if (fread(payload, 1, (size_t)plen, f) != plen) {
        rc = ebm_errorf(err, errlen, EBM_EIO, "%s: read error", path);
        goto out;
    }
    if (crc_update((uint32_t)crc32(0, NULL, 0), payload, (size_t)plen) != get32(head + 24)) {
        rc = ebm_errorf(err, errlen, EBM_EFORMAT, "%s: corrupt checkpoint (payload checksum mismatch)", path);
        goto out;
    }
    reader r = {payload, plen};
    rc = parse(&r, ck, path, err, errlen);
out:
    EBM_FREE(payload);
    fclose(f);
    if (rc) ebm_ckpt_free(ck);
    return rc;
}

void ebm_ckpt_free(ebm_ckpt *ck) {
    for (int i = 0; i < ck->n; i++) {
        EBM_FREE(ck->items[i].name);
        ebm_tensor_release(&ck->items[i].t);
    }
    EBM_FREE(ck->items);
    EBM_FREE(ck->meta);
    memset(ck, 0, sizeof *ck);
}
