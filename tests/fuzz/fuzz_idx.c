/* fuzz_idx.c - libFuzzer harness: any bytes as an IDX file (plain or gzip). */
#include "fuzz.h"
#include "io_idx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ebm_tensor t;
    char err[256] = "";
    int rc = ebm_idx_read(fuzz_path(data, size), &t, err, sizeof err);
    fuzz_check(rc, &t, err);
    return 0;
}
