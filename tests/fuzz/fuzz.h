/* fuzz.h - shared by the libFuzzer harnesses of the file readers (make fuzz).
 *
 * The readers take a path, so each input is written to one memory file (memfd) and read
 * back through /proc/self/fd/N: a regular file, no disk traffic, nothing left behind.
 * A harness aborts (a finding) when a reader fails without a reason in err or returns a
 * tensor whose element count disagrees with its shape; crashes, leaks and undefined
 * behaviour are the sanitizers' findings. */
#ifndef EBM_FUZZ_H
#define EBM_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tensor.h"

static const char *fuzz_path(const uint8_t *data, size_t size) {
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("ebm-fuzz", 0);
        if (fd < 0) abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size)) abort();
    return path;
}

/* A reader's result: on success read every element (so a wrong size is an ASan report);
 * on failure there must be a reason. */
static void fuzz_check(int rc, ebm_tensor *t, const char *err) {
    if (rc != EBM_OK) {
        if (!err[0]) abort();
        return;
    }
    const unsigned char *p = ebm_tensor_data(t);
    size_t n = (size_t)ebm_tensor_numel(t) * ebm_dtype_size(t->dtype);
    volatile unsigned char acc = 0;
    for (size_t i = 0; i < n; i++) acc ^= p[i];
    (void)acc;
    ebm_tensor_release(t);
}

#endif
