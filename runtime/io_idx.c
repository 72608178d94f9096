/* io_idx.c - IDX reader (plain or gzip via zlib); see io_idx.h for the checks made. */
#include "io_idx.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define GZ_MAX_RATIO 1032     /* deflate cannot expand more than this per input byte */
#define GZ_FIRST_CHUNK (1 << 20)

const char *ebm_idx_type_name(int type) {
    switch (type) {
    case 0x08: return "u8";
    case 0x09: return "i8";
    case 0x0B: return "i16";
    case 0x0C: return "i32";
    case 0x0D: return "f32";
    case 0x0E: return "f64";
    }
    return NULL;
}

/* Element size in the file and the tensor dtype it becomes. 0 if the type is unknown. */
static size_t type_info(int type, ebm_dtype *dt) {
    switch (type) {
    case 0x08: *dt = EBM_U8; return 1;
    case 0x09: *dt = EBM_I32; return 1;
    case 0x0B: *dt = EBM_I32; return 2;
    case 0x0C: *dt = EBM_I32; return 4;
    case 0x0D: *dt = EBM_F32; return 4;
    case 0x0E: *dt = EBM_F64; return 8;
    }
    return 0;
}

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Convert n big-endian elements of IDX type `type` at raw into native values at dst.
 * raw and dst may be the same buffer when the element sizes agree (u8, i32, f32, f64). */
static void convert(const unsigned char *raw, int type, int64_t n, void *dst) {
    switch (type) {
    case 0x08:
        if ((const void *)raw != dst) memcpy(dst, raw, (size_t)n);
        break;
    case 0x09:
        for (int64_t i = 0; i < n; i++) ((int32_t *)dst)[i] = (int8_t)raw[i];
        break;
    case 0x0B:
        for (int64_t i = 0; i < n; i++) ((int32_t *)dst)[i] = (int16_t)(uint16_t)(raw[2 * i] << 8 | raw[2 * i + 1]);
        break;
    case 0x0C:
    case 0x0D:
        for (int64_t i = 0; i < n; i++) {
            uint32_t w = be32(raw + 4 * i);
            memcpy((char *)dst + 4 * i, &w, 4);
        }
        break;
    case 0x0E:
        for (int64_t i = 0; i < n; i++) {
            uint64_t w = (uint64_t)be32(raw + 8 * i) << 32 | be32(raw + 8 * i + 4);
            memcpy((char *)dst + 8 * i, &w, 8);
        }
        break;
    }
}

/* Read up to n bytes; returns the count read (short only at a clean end of stream) or -1
 * (read error, or a gzip stream cut off or damaged: see gzerror). */
static int64_t gz_read_full(gzFile gz, void *buf, int64_t n) {
    int64_t have = 0;
    while (have < n) {
        int64_t want = n - have;
        if (want > (1 << 30)) want = 1 << 30;
        int got = gzread(gz, (char *)buf + have, (unsigned)want);
        if (got < 0) return -1;
        if (got == 0) { /* end of stream: a premature one is reported through gzerror */
            int errnum;
            gzerror(gz, &errnum);
            if (errnum != Z_OK) return -1;
            break;
        }
        have += got;
    }
    return have;
}

/* Error code and reason for a failed gzread: a cut-off or damaged stream is a format error. */
static int gz_ebm_errorf(gzFile gz, char *err, size_t errlen) {
    int errnum;
    const char *msg = gzerror(gz, &errnum);
    if (errnum == Z_ERRNO) return ebm_errorf(err, errlen, EBM_EIO, "read error: %s", strerror(errno));
    return ebm_errorf(err, errlen, EBM_EFORMAT, "corrupt or truncated gzip stream: %s", msg);
}

/* Gzip data: read `bytes` bytes into a buffer grown in steps, so a lying header costs at
 * most about twice what the stream really holds. Returns the buffer or NULL (rc set). */
static unsigned char *read_gzip_body(gzFile gz, int64_t bytes, int *rc, char *err, size_t errlen) {
    int64_t cap = bytes < GZ_FIRST_CHUNK ? bytes : GZ_FIRST_CHUNK, have = 0;
    unsigned char *buf = EBM_MALLOC(cap ? (size_t)cap : 1);
    if (!buf) return *rc = ebm_errorf(err, errlen, EBM_ENOMEM, "out of memory"), NULL;
    for (;;) {
        int64_t got = gz_read_full(gz, buf + have, cap - have);
        if (got < 0) {
            *rc = gz_ebm_errorf(gz, err, errlen);
            break;
        }
        have += got;
        if (have < cap) {
            *rc = ebm_errorf(err, errlen, EBM_EFORMAT, "truncated: header claims %lld data bytes, stream has %lld",
                       (long long)bytes, (long long)have);
            break;
        }
        if (have == bytes) {
            unsigned char extra;
            int64_t more = gz_read_full(gz, &extra, 1);
            if (more == 0) return buf;
            *rc = more < 0 ? gz_ebm_errorf(gz, err, errlen)
                           : ebm_errorf(err, errlen, EBM_EFORMAT, "trailing data after %lld data bytes", (long long)bytes);
            break;
        }
        int64_t ncap = cap * 2 < bytes ? cap * 2 : bytes;
        unsigned char *nb = EBM_REALLOC(buf, (size_t)ncap);
        if (!nb) {
            *rc = ebm_errorf(err, errlen, EBM_ENOMEM, "out of memory");
            break;
        }
        buf = nb, cap = ncap;
    }
    EBM_FREE(buf);
    return NULL;
}

int ebm_idx_read(const char *path, ebm_tensor *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (err && errlen) err[0] = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ebm_errorf(err, errlen, EBM_EIO, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return ebm_errorf(err, errlen, EBM_EIO, "not a regular file");
    }
    gzFile gz = gzdopen(fd, "rb");
    if (!gz) {
        close(fd);
        return ebm_errorf(err, errlen, EBM_ENOMEM, "cannot open gzip stream");
    }
    gzbuffer(gz, 1 << 18);

    int rc = EBM_OK;
    unsigned char hdr[4 + 4 * EBM_IDX_MAXRANK], *raw = NULL;
    int64_t got = gz_read_full(gz, hdr, 4);
    if (got < 0) { rc = gz_ebm_errorf(gz, err, errlen); goto done; }
    if (got < 4) { rc = ebm_errorf(err, errlen, EBM_EFORMAT, "truncated header (%lld of 4 bytes)", (long long)got); goto done; }
    if (hdr[0] || hdr[1]) {
        rc = ebm_errorf(err, errlen, EBM_EFORMAT, "bad magic %02x %02x (expected 00 00): not an IDX file", hdr[0], hdr[1]);
        goto done;
    }
    int type = hdr[2], rank = hdr[3];
    ebm_dtype dt;
    size_t esize = type_info(type, &dt);
    if (!esize) { rc = ebm_errorf(err, errlen, EBM_EFORMAT, "unknown element type 0x%02x", type); goto done; }
    if (rank < 1 || rank > EBM_IDX_MAXRANK) {
        rc = ebm_errorf(err, errlen, EBM_EFORMAT, "rank %d outside 1..%d", rank, EBM_IDX_MAXRANK);
        goto done;
    }
    int64_t hbytes = 4 + 4 * (int64_t)rank;
    got = gz_read_full(gz, hdr + 4, hbytes - 4);
    if (got < 0) { rc = gz_ebm_errorf(gz, err, errlen); goto done; }
    if (got < hbytes - 4) {
        rc = ebm_errorf(err, errlen, EBM_EFORMAT, "truncated header (%lld of %lld bytes)", (long long)(got + 4), (long long)hbytes);
        goto done;
    }
    int64_t size[EBM_IDX_MAXRANK], numel = 1;
    for (int d = 0; d < rank; d++) {
        size[d] = be32(hdr + 4 + 4 * d);
        if (size[d] == 0) {
            rc = ebm_errorf(err, errlen, EBM_EFORMAT, "dimension %d is 0: the file holds no elements", d + 1);
            goto done;
        }
        if (numel > EBM_IDX_MAXBYTES / (int64_t)esize / size[d]) {
            rc = ebm_errorf(err, errlen, EBM_EFORMAT, "header claims more than %lld bytes of data (dimension %d is %lld)",
                      (long long)EBM_IDX_MAXBYTES, d + 1, (long long)size[d]);
            goto done;
        }
        numel *= size[d];
    }
    int64_t bytes = numel * (int64_t)esize;
    if (gzdirect(gz)) { /* plain file: its size must be exactly header + data */
        if ((int64_t)st.st_size != hbytes + bytes) {
            rc = ebm_errorf(err, errlen, EBM_EFORMAT, "%s: header + data is %lld bytes, file has %lld",
                      (int64_t)st.st_size < hbytes + bytes ? "truncated" : "trailing data",
                      (long long)(hbytes + bytes), (long long)st.st_size);
            goto done;
        }
        if ((rc = ebm_tensor_init(out, dt, rank, size))) { ebm_errorf(err, errlen, rc, "out of memory"); goto done; }
        int inplace = esize == ebm_dtype_size(dt);
        raw = inplace ? ebm_tensor_data(out) : EBM_MALLOC(bytes ? (size_t)bytes : 1);
        if (!raw) { rc = ebm_errorf(err, errlen, EBM_ENOMEM, "out of memory"); goto done; }
        got = gz_read_full(gz, raw, bytes);
        if (got != bytes) {
            rc = got < 0 ? gz_ebm_errorf(gz, err, errlen)
                         : ebm_errorf(err, errlen, EBM_EFORMAT, "truncated while reading (%lld of %lld bytes)", (long long)got, (long long)bytes);
        } else {
            convert(raw, type, numel, ebm_tensor_data(out));
        }
        if (inplace) raw = NULL;
    } else { /* gzip: bound the claim by what the compressed size can expand to */
        int64_t maxout = (int64_t)st.st_size * GZ_MAX_RATIO + 65536;
        if (bytes > maxout) {
            rc = ebm_errorf(err, errlen, EBM_EFORMAT, "header claims %lld data bytes; a %lld-byte gzip file holds at most %lld",
                      (long long)bytes, (long long)st.st_size, (long long)maxout);
            goto done;
        }
        raw = read_gzip_body(gz, bytes, &rc, err, errlen);
        if (!raw) goto done;
        if ((rc = ebm_tensor_init(out, dt, rank, size))) { ebm_errorf(err, errlen, rc, "out of memory"); goto done; }
        convert(raw, type, numel, ebm_tensor_data(out));
    }
done:
    EBM_FREE(raw);
    gzclose(gz);
    if (rc) ebm_tensor_release(out);
    return rc;
}
