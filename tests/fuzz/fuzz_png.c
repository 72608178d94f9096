/* fuzz_png.c - libFuzzer harness: any bytes as a PNG file. */
#include "fuzz.h"
#include "io_png.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ebm_tensor t;
    char err[256] = "";
    int rc = ebm_png_read(fuzz_path(data, size), &t, err, sizeof err);
    fuzz_check(rc, &t, err);
    return 0;
}
